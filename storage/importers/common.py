"""What every importer shares: problems and rejection of a file whole, parsing cells, writing rows in batches."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Iterable

from storage.echo import shorten
from storage.periods import PeriodError, parse_date

if TYPE_CHECKING:
    from storage.importers.files import Table

MAX_PROBLEMS_SHOWN = 10
INSERT_BATCH = 5_000       # rows per INSERT executemany: well under every driver's bind-parameter limit
LOOKUP_BATCH = 500         # values per IN (...) when looking up rows a file already names


def plural(count: int, word: str) -> str:
    """`1 row`, `2 rows`, `1,000 rows`: a count and its noun, agreeing."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def echo(value) -> str:
    """A cell as a message quotes it: in quotes, and never longer than a line whatever the cell holds."""
    return repr(shorten(text(value)))


@dataclass(frozen=True)
class Problem:
    row: int | None  # spreadsheet row number: the header is row 1
    column: str | None
    message: str

    def describe(self, filename: str) -> str:
        where = [filename]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {shorten(self.column)}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class StoppedReading(Problem):
    """Not a problem in the file: where reading stopped because the file already had enough problems to fix."""


def refusal(filename: str, message: str, row: int | None = None, column: str | None = None) -> "ImportRejected":
    """A file refused for one reason: too large, unreadable, or breaking a rule at one row."""
    return ImportRejected(filename, [Problem(row, column, message)])


class ImportRejected(ValueError):
    """The file was not loaded; nothing was written. The message lists what was wrong and where: the first
    MAX_PROBLEMS_SHOWN problems, how many more there are, and where reading stopped if it did."""

    def __init__(self, filename: str, problems: list[Problem]):
        self.filename = filename
        stopped = [p for p in problems if isinstance(p, StoppedReading)]
        self.problems = [p for p in problems if not isinstance(p, StoppedReading)]
        shown = [p.describe(filename) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {plural(more, 'more problem')}")
        shown.extend(p.describe(filename) for p in stopped[:1])
        header = f"{filename} was not imported; nothing was written. Fix and re-run:"
        super().__init__("\n".join([header, *("  " + line for line in shown)]))


@dataclass(frozen=True)
class ImportResult:
    kind: str
    filename: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int = 0

    def summary(self) -> str:
        parts = [f"{self.inserted} new"]
        if self.replaced:
            parts.append(f"{self.replaced} replaced (old values kept in history)")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        return f"Imported {self.kind} from {self.filename}: {plural(self.rows, 'row')}, " + ", ".join(parts) + "."


def _present(value) -> bool:
    return value is not None and str(value).strip() != ""


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_blank(value) -> bool:
    return not _present(value)


class CellError(ValueError):
    """One cell that cannot be read; the message says what would work."""


class Percentage(float):
    """A number the file shows as a percentage, held in percent (95 for 95%): an Excel cell formatted as a
    percentage (which stores the fraction 0.95), or `95%` written as text."""


_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def parse_number(value, what: str = "a number") -> float:
    """1234, 1,234.5, £12 or 95% (a Percentage, like an Excel cell formatted as one)."""
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not {what}")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"{value!r} is not {what}")
        return value if isinstance(value, Percentage) else float(value)
    cleaned = text(value).replace("£", "")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    cleaned = cleaned.strip()
    if cleaned.startswith("="):
        raise CellError(f"{echo(value)} is a formula; paste the values instead")
    if not cleaned or not _NUMBER_RE.match(cleaned) or cleaned in {"+", "-", "."}:
        raise CellError(f"{echo(value)} is not {what}")
    number = float(cleaned.replace(",", ""))
    return Percentage(number) if percent else number


def parse_money(value) -> Decimal:
    """Pounds and pence: 1234.56, £1,234.56, or Nil."""
    if isinstance(value, (bool, Percentage)):
        raise CellError(f"{echo(value)} is not an amount of money; write it like 1234.56")
    if isinstance(value, (int, float)):
        cleaned = repr(float(value))
    else:
        cleaned = text(value).replace("£", "").replace(",", "").strip()
        if cleaned.lower().rstrip(".") == "nil":
            return Decimal("0.00")
        if cleaned.startswith("="):
            raise CellError(f"{echo(value)} is a formula; paste the values instead")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{echo(value)} is not an amount of money; write it like 1234.56") from None
    if not amount.is_finite():
        raise CellError(f"{echo(value)} is not an amount of money; write it like 1234.56")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"{echo(value)} has more than two decimal places")
    return amount.quantize(Decimal("0.01"))


_MIDNIGHT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]00:00(:00)?$")


@lru_cache(maxsize=8192)
def _iso_day(cleaned: str) -> date:
    """2025-09-30 as a date, one object per day however many rows share it (a long log holds each date often)."""
    return date.fromisoformat(cleaned)


def parse_day(value) -> date:
    """A date in any form people write one (2025-09-30, 30/09/2025, 30 Sep 2025), or an Excel date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    cleaned = text(value)
    if len(cleaned) == 10 and cleaned[4] == "-" and cleaned[7] == "-":
        try:
            return _iso_day(cleaned)   # the common case, ten times quicker than strptime
        except ValueError:
            pass
    if _MIDNIGHT_RE.match(cleaned):
        cleaned = cleaned[:10]
    try:
        return parse_date(cleaned)
    except PeriodError as exc:
        raise CellError(str(exc)) from None


def longest(column) -> int:
    """How many characters a model's String column holds: PostgreSQL refuses a longer value, SQLite would store
    it, so the importer refuses it on both, naming the cell."""
    return column.property.columns[0].type.length


TOO_LONG_FOR_COLUMN = "{shown} is {length:,} characters long; a {what} may be at most {limit:,}"


def too_long(value: str, column, what: str) -> str | None:
    """The message for a value longer than its database column, else None."""
    limit = longest(column)
    if len(value) <= limit:
        return None
    return TOO_LONG_FOR_COLUMN.format(shown=echo(value), length=len(value), what=what, limit=limit)


def require_columns(table: Table, required: list[str], optional: list[str] = ()) -> None:
    missing = [c for c in required if c not in table.columns]
    unknown = [c for c in table.columns if c and c not in required and c not in optional]
    problems = []
    if missing:
        problems.append(Problem(1, None, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                                         f"the header must be {','.join(required)}"
                                         + (f"[,{','.join(optional)}]" if optional else "")))
    if unknown:
        problems.append(Problem(1, None, f"unexpected column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                                         f"expected {', '.join([*required, *optional])}"))
    dupes = sorted({c for c in table.columns if c and table.columns.count(c) > 1})
    if dupes:
        problems.append(Problem(1, None, f"column {', '.join(dupes)} appears more than once"))
    if problems:
        raise ImportRejected(table.filename, problems)


def insert_rows(session, model, rows: Iterable[dict]) -> None:
    """Insert new rows in batches of plain INSERTs (no ORM object per row), in the caller's transaction. `rows`
    may be a generator: only one batch of them is built at a time."""
    from sqlalchemy import insert

    rows = iter(rows)
    batch = list(islice(rows, INSERT_BATCH))
    if not batch:
        return
    session.flush()
    while batch:
        session.execute(insert(model), batch)
        batch = list(islice(rows, INSERT_BATCH))


def in_batches(values: list, size: int = LOOKUP_BATCH):
    """`values` in slices small enough for one IN (...) on SQLite and PostgreSQL alike."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
