"""Mentions of a conversation or a person inside an answer's text: neutral tokens that each renderer formats.

An answer says "ask in ⟦conversation:C0GOV⟧"; Slack's renderer writes its channel link, the plain-text one
`#C0GOV`, another platform whatever it uses. Commands and digests never write a platform's markup.
"""
from __future__ import annotations

import re
from typing import Callable

# The brackets are not typed on keyboards and are dropped from text people send (see `neutralised`), so a
# token in an answer is always the bot's own.
OPEN, CLOSE = "\u27e6", "\u27e7"
TOKEN = re.compile(OPEN + r"(?P<kind>conversation|person):(?P<id>[^" + OPEN + CLOSE + r"\s]{1,400})" + CLOSE)
CONVERSATION, PERSON = "conversation", "person"


def conversation(conversation_id: str) -> str:
    """A mention of a conversation (a channel, a chat) by the platform's id for it."""
    return f"{OPEN}{CONVERSATION}:{conversation_id}{CLOSE}"


def person(user_id: str) -> str:
    """A mention of a person by the platform's id for them."""
    return f"{OPEN}{PERSON}:{user_id}{CLOSE}"


def format_mentions(text: str, conversation: Callable[[str], str], person: Callable[[str], str]) -> str:
    """`text` with each token replaced by what the renderer makes of it."""
    def replaced(match: re.Match) -> str:
        formatter = conversation if match["kind"] == CONVERSATION else person
        return formatter(match["id"])

    return TOKEN.sub(replaced, text)


def plain(text: str) -> str:
    """Tokens as plain text reads them: #conversation and @person."""
    return format_mentions(text, lambda c: f"#{c}", lambda p: f"@{p}")


def mentioned_conversation(word: str) -> str | None:
    """The conversation id when `word` is exactly one conversation token, else None."""
    match = TOKEN.fullmatch(word.strip())
    return match["id"] if match and match["kind"] == CONVERSATION else None


def neutralised(text: str) -> str:
    """Text someone sent, with the token brackets taken out: what they type never becomes a mention."""
    return text.replace(OPEN, "").replace(CLOSE, "")
