"""A file someone gave the bot in chat, as its platform's adapter hands it over: its name, the size the platform
declares, and a way to fetch its bytes that stops at a limit."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


class FileTooLarge(Exception):
    """The file holds more than the bytes asked for: the download was stopped there."""


class FetchFailed(Exception):
    """The platform would not hand the file over (gone, not allowed, unreachable); `detail` says why in its words."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class IncomingFile:
    """`fetch(max_bytes)` returns the whole file when it holds at most `max_bytes`; past that it stops reading and
    raises FileTooLarge, and when the platform will not give it, FetchFailed. `size` is what the platform says
    the file holds (None when it does not say): a file declared too large is refused without fetching it."""

    name: str
    size: int | None
    fetch: Callable[[int], bytes]
