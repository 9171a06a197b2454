"""The platform-neutral answer a command or digest builds; renderers turn it into Block Kit or plain text."""
from __future__ import annotations

from dataclasses import dataclass, field

from storage.echo import ECHO_LIMIT, shorten  # noqa: F401  (commands echo user text through here)

# How much of a person's own text a message repeats back: enough to recognise, never a pasted page.


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str | None = None


@dataclass(frozen=True)
class Chart:
    """A PNG to upload with the answer."""

    title: str
    png: bytes
    alt_text: str
    filename: str = "chart.png"


@dataclass(frozen=True)
class FileAttachment:
    """A document to hand over with the answer (a Word or PDF snapshot)."""

    filename: str
    content: bytes
    title: str


@dataclass(frozen=True)
class Response:
    title: str
    facts: list[Fact] = field(default_factory=list)
    table: Table | None = None
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    public: bool = False
    is_error: bool = False
    # Choices offered with a miss (e.g. the closest metrics), each a command text the user could send.
    suggestions: list[str] = field(default_factory=list)
    # Sections of a longer answer (a digest), each shown after this one's own content.
    parts: list["Response"] = field(default_factory=list)
    # Charts go to the person who asked (a preview), not to the channel.
    charts_to_requester: bool = False
    files: list[FileAttachment] = field(default_factory=list)


def error(message: str, *hints: str) -> Response:
    """A short answer to input that was not understood, saying what would work."""
    return Response(title=message, notes=list(hints), is_error=True)
