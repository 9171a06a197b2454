"""The platform-neutral answer a command or digest builds; each platform's renderer turns it into its own message."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from answers.mentions import neutralised
from storage import echo
from storage.echo import ECHO_LIMIT  # noqa: F401  (commands echo user text through here)


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """A person's own text as an answer repeats it: at most `limit` characters (storage.echo), and with any
    mention token's brackets taken out, so that what they typed never becomes a mention in the answer."""
    return echo.shorten(neutralised(text), limit)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    # Shown under the rows, and only with them (e.g. "and 6 more overdue, not shown").
    caption: str | None = None
    # The rows name cases (complaint review references with their dates): case details, which only the allowed
    # channels and the bot's own direct message with an editor or admin may see. `counts_only` takes them out.
    lists_cases: bool = False


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
class Button:
    """A button offered with an answer: pressing it runs `line` (a command line) as the person who pressed it.
    `style` is "primary" (the action the answer is about), "danger" (it discards something) or "" (neither)."""

    label: str
    line: str
    style: str = ""


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
    # Buttons with their own labels (an upload's Confirm and Cancel), shown after the notes.
    buttons: list[Button] = field(default_factory=list)


def error(message: str, *hints: str) -> Response:
    """A short answer to input that was not understood, saying what would work."""
    return Response(title=message, notes=list(hints), is_error=True)


def answers_in_place(response: Response) -> bool:
    """Whether the answer to a pressed button takes the place of the message the button was on (a preview turns
    into "Loaded …"): yes, unless it is a refusal (a second click, someone else's), which is said beside the
    message so that it keeps what the first click made of it."""
    return not response.is_error


def shows_cases(response: Response) -> bool:
    """Whether the answer, or any part of it, lists cases."""
    if response.table is not None and response.table.lists_cases:
        return True
    return any(shows_cases(part) for part in response.parts)


def counts_only(response: Response, where: str) -> Response:
    """The same answer without its case lists, for a place that may not see them: every table that lists cases
    is taken out (the counts stay, in the facts beside it), a part left with nothing else goes, and the note
    `where` (where the list can be seen) is added beside what was taken out. Never posted to the channel: a
    request for cases is made public only where the cases may be seen. An answer that lists no cases comes
    back as it was."""
    if not shows_cases(response):
        return response
    stripped, _ = _without_cases(response, where)
    if stripped is None:  # nothing but a list: its title, and where the list is
        stripped = replace(response, table=None, parts=[], notes=[where])
    return replace(stripped, public=False)


def _without_cases(response: Response, where: str) -> tuple[Response | None, bool]:
    """(the response without case lists, or None when nothing of it is left; whether a list was taken out)."""
    parts, taken, owed = [], False, False
    for part in response.parts:
        kept, changed = _without_cases(part, where)
        if kept is not None:
            parts.append(kept)
        taken = taken or changed
        owed = owed or (changed and kept is None)   # the part went whole: its note is said here instead
    own = response.table is not None and response.table.lists_cases
    if not (own or taken):
        return response, False
    stripped = replace(response, table=None if own else response.table, parts=parts)
    if own or owed:
        if _is_empty(stripped):
            return None, True
        stripped = replace(stripped, notes=[*stripped.notes, where])
    return stripped, True


def _is_empty(response: Response) -> bool:
    """Nothing but a title: a part whose only content was a case list."""
    return not (response.facts or response.table or response.notes or response.parts or response.charts
                or response.files or response.suggestions
                or response.buttons)
