"""Text that people give the bot (commands, notes, cells of an imported file) is checked at the door.

Control characters have no place in a figure's note or a review reference: a NUL byte cannot be stored by
PostgreSQL, and a bell or form feed cannot be written into a Word document. Tabs and line breaks are text;
every other C0 and C1 control character, DEL, and the code points XML forbids are refused with a message
that says which character and where, so that the person can remove it (it usually came with a paste).
"""
from __future__ import annotations

import re

# C0 controls except tab, line feed and carriage return; DEL and the C1 controls; lone surrogates;
# U+FFFE and U+FFFF, which XML 1.0 does not allow.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "ESC",
          0x7F: "DEL"}
REMOVE_IT = "Remove it and send the text again (it usually comes with text pasted from another program)."


def first_control_character(text: str) -> tuple[int, str] | None:
    """(position counted from 1, the character) of the first character that is refused, else None."""
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    return match.start() + 1, match.group()


def describe(character: str) -> str:
    """U+0007 (BEL): how a refused character is named in a message."""
    code = ord(character)
    name = _NAMES.get(code, "a control character")
    return f"U+{code:04X} ({name})"


def control_character_problem(text: str, what: str = "Your text") -> str | None:
    """A one-line message naming the first refused character and its position, or None when the text is clean."""
    found = first_control_character(text)
    if found is None:
        return None
    position, character = found
    return f"{what} contains {describe(character)} at character {position}, which I can't store or show."


def without_control_characters(text: str) -> str:
    """The text with refused characters removed: for writers that must never fail on text stored earlier."""
    return _FORBIDDEN.sub("", text)
