"""Text as an Adaptive Card shows it in Teams: data made inert, mention tokens written as plain text, sizes measured.

Teams reads a markdown subset in a TextBlock and in a fact (bold, italic, links, lists, headings). The text of an
answer comes from data (an area's name, a note, a case reference, the words someone typed), so every character
that subset reads is escaped with a backslash: a note cannot make a link or bold text, and an area called
"# Leicester" is not a heading. Control characters stored before they were refused are dropped, and an `<at>`
tag (how Teams writes a mention) is taken out, keeping its words: the bot never mentions anyone from data.
"""
from __future__ import annotations

import json
import re
from typing import Mapping

from answers.mentions import format_mentions
from storage.text_rules import without_control_characters

ELLIPSIS = "…"
# Read as markup anywhere in a line: emphasis, links (and their targets), and the escape character itself.
_ANYWHERE = re.compile(r"([\\*_\[\]()])")
# Read as markup only at the start of a line: a heading, a list item or a rule ("- ", "+ ", "---"), a numbered
# item ("1. "). A negative number ("-2.3 days") or a sign ("+54pp") is left as it is.
_LINE_START = re.compile(r"^(\s*)(#|-(?=\s|-|$)|\+(?=\s|$)|\d+(?=\.(\s|$)))", re.MULTILINE)
_AT_TAG = re.compile(r"</?\s*at\b[^>]*>", re.IGNORECASE)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def mention_writer(conversation_names: Mapping[str, str]):
    """A function writing an answer's mention tokens as plain text: a conversation by its name where it is known,
    else its id (`#<id>`); a person by id (`@<id>`). Nothing becomes a Teams mention entity."""
    def written(text: str) -> str:
        return format_mentions(text, lambda c: "#" + conversation_names.get(c, c), lambda p: "@" + p)
    return written


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def plain(text: str, mentions, limit: int) -> str:
    """Text for a place Teams shows without reading markdown (a button's title, an image's alt text): control
    characters and `<at>` tags dropped, mentions written, at most `limit` characters."""
    text = _AT_TAG.sub("", without_control_characters(mentions(text)))
    return clip(text, limit)


def inert(text: str, mentions, limit: int) -> str:
    """Text from data for a TextBlock or a fact: as `plain`, with every markdown character escaped. Cut before it
    is escaped, so an escape is never cut in half."""
    text = plain(text, mentions, limit)
    return _escape_line_starts(_ANYWHERE.sub(r"\\\1", text))


def _escape_line_starts(text: str) -> str:
    """A heading's `#` or a list's `-` or `+` at a line's start escaped; a numbered item's stop escaped."""
    def escaped(match: re.Match) -> str:
        lead, mark = match[1], match[2]
        return f"{lead}{mark}\\" if mark[0].isdigit() else f"{lead}\\{mark}"
    return _LINE_START.sub(escaped, text)


def read_as_shown(text: str) -> str:
    """A TextBlock's text as a person reads it: the escapes taken out (for tests and for a card's summary)."""
    return _ESCAPED.sub(r"\1", text)


def card_size(card: dict) -> int:
    """A card's size in bytes as the widest of the usual JSON writers sends it (non-ASCII escaped, ", " between
    items): the guard then holds however the transport writes it."""
    return len(json.dumps(card).encode("utf-8"))
