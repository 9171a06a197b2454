"""How a Teams message becomes a command line: mentions of the bot stripped, the slash optional, `help` alone,
a command-list item as Teams sends its title, and a card's button carrying the line it runs."""
from __future__ import annotations

import html
import re

# What a card's suggestion button submits (bot/teams/cards.py): {"kpibot": "run", "line": "/kpi ..."}.
CARD_ACTION = "kpibot"
CARD_RUN = "run"
HELP_LINE = "/kpi help"
NOT_A_COMMAND = ("I answer {commands}: type one with what you want, for example `kpi calls-under-25s`, "
                 "or `help`.")

_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def strip_mentions(text: str) -> str:
    """The text without `<at>…</at>` mentions (of the bot, or anyone) and without the markup Teams wraps a
    channel message in, entities read, spaces collapsed."""
    text = _MENTION.sub(" ", text or "")
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def card_line(value) -> str | None:
    """The command line a card's button runs, or None when `value` is not one of the bot's buttons."""
    if not isinstance(value, dict) or value.get(CARD_ACTION) != CARD_RUN:
        return None
    line = value.get("line")
    return line.strip() if isinstance(line, str) and line.strip() else None


def command_line(text: str, commands: frozenset[str] | set[str], value=None) -> str | None:
    """The registry's line (`/kpi calls-under-25s`) for a message's text, its mentions already stripped or
    not, and its card `value`; None when it names no command. `commands` are the registry's, with slashes."""
    line = card_line(value)
    words = strip_mentions(line if line is not None else text).split(" ", 1)
    first = words[0].lstrip("/").lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if not first:
        return None
    if first == "help" and not rest:
        return HELP_LINE
    if f"/{first}" not in commands:
        return None
    return f"/{first} {rest}".strip()


def not_a_command(commands) -> str:
    """The short answer to a message that names no command."""
    names = sorted(c.lstrip("/") for c in commands)
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    return NOT_A_COMMAND.format(commands=listed)
