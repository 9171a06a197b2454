"""User text as it is echoed back in a message: never more than a line's worth, whatever was typed."""
from __future__ import annotations

ECHO_LIMIT = 80


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` as echoed in a message: at most `limit` characters, cut with an ellipsis when longer."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rstrip() + "\u2026"
