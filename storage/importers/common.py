"""What every importer shares: reading CSV/XLSX into text cells, parsing cells, and rejecting a file whole."""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

MAX_PROBLEMS_SHOWN = 10
MAX_ROWS = 200_000
INSERT_BATCH = 5_000       # rows per INSERT executemany: well under every driver's bind-parameter limit
LOOKUP_BATCH = 500         # values per IN (...) when looking up rows a file already names
CSV_ENCODINGS = ("utf-8-sig", "cp1252")


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
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class ImportRejected(ValueError):
    """The file was not loaded; nothing was written. The message lists what was wrong and where."""

    def __init__(self, filename: str, problems: list[Problem]):
        self.filename = filename
        self.problems = problems
        shown = [p.describe(filename) for p in problems[:MAX_PROBLEMS_SHOWN]]
        more = len(problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problem{'s' if more != 1 else ''}")
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
        return f"Imported {self.kind} from {self.filename}: {self.rows} rows, " + ", ".join(parts) + "."


@dataclass
class Table:
    """A file's cells as text (or native dates/numbers from Excel), with lower-cased header names."""

    filename: str
    columns: list[str]
    original_columns: list
    rows: list[list]
    sha256: str

    def cell(self, row: list, column: str):
        return row[self.columns.index(column)]

    def numbered_rows(self):
        """(spreadsheet row number, cells) for every row with anything in it."""
        for number, row in enumerate(self.rows, start=2):
            if any(_present(v) for v in row):
                yield number, row


def _clean_header(value) -> str:
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    return " ".join(str(value if value is not None else "").strip().lower().split())


def read_table(path: Path | str) -> Table:
    """Read a CSV or XLSX file; unreadable files are rejected with a message saying why."""
    import pandas as pd  # imported here: answering chat commands never needs pandas

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ImportRejected(name, [Problem(None, None, "file not found")])
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise ImportRejected(name, [Problem(None, None, f"not a readable Excel workbook ({exc})")]) from None
        grid = [[_from_excel(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        formulas = _formula_cells(path)
        if formulas:
            header = [text(v) for v in grid[0]] if grid else []
            raise ImportRejected(name, [
                Problem(row, header[col - 1] if col - 1 < len(header) and row > 1 else None,
                        f"{formula!r} is a formula; paste the values instead (Paste Special > Values)")
                for row, col, formula in formulas
            ])
    elif suffix in (".csv", ".txt"):
        decoded = None
        for encoding in CSV_ENCODINGS:
            try:
                decoded = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if decoded is None:
            raise ImportRejected(name, [Problem(None, None, "not UTF-8 or Windows-1252 text; save it as CSV UTF-8")])
        try:
            frame = pd.read_csv(io.StringIO(decoded), header=None, dtype=str, keep_default_na=False,
                                skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise ImportRejected(name, [Problem(None, None, "the file is empty; the first row must name the columns")]) from None
        except pd.errors.ParserError as exc:
            raise ImportRejected(name, [Problem(None, None, f"not a well-formed CSV file ({exc})")]) from None
        grid = [list(row) for row in frame.itertuples(index=False, name=None)]
    else:
        raise ImportRejected(name, [Problem(None, None, f"unsupported file type {suffix or '(none)'}; use .csv or .xlsx")])
    while grid and not any(_present(v) for v in grid[-1]):
        grid.pop()
    if not grid:
        raise ImportRejected(name, [Problem(None, None, "the file is empty; the first row must name the columns")])
    if not any(_present(v) for v in grid[0]):
        raise ImportRejected(name, [Problem(1, None, "the first row must name the columns")])
    if len(grid) - 1 > MAX_ROWS:
        raise ImportRejected(name, [Problem(None, None, f"{len(grid) - 1:,} rows is more than the {MAX_ROWS:,} "
                                                        "a single import accepts; split the file")])
    header = grid[0]
    width = len(header)
    rows = [list(row) + [None] * (width - len(row)) for row in grid[1:]]
    for number, row in enumerate(rows, start=2):
        if len(row) > width and any(_present(v) for v in row[width:]):
            raise ImportRejected(name, [Problem(number, None, f"has {len(row)} cells but the header names {width}")])
    return Table(name, [_clean_header(h) for h in header], list(header), [row[:width] for row in rows], digest)


def _formula_cells(path: Path) -> list[tuple[int, int, str]]:
    """(row, column, formula) of every formula cell on the first sheet: a formula's value is not a figure."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        return [
            (cell.row, cell.column, str(cell.value))
            for row in sheet.iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f"
        ]
    finally:
        book.close()


def _from_excel(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


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


_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def parse_number(value, what: str = "a number") -> float:
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not {what}")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"{value!r} is not {what}")
        return float(value)
    cleaned = text(value).replace("£", "").replace("%", "").strip()
    if cleaned.startswith("="):
        raise CellError(f"{text(value)!r} is a formula; paste the values instead")
    if not cleaned or not _NUMBER_RE.match(cleaned) or cleaned in {"+", "-", "."}:
        raise CellError(f"{text(value)!r} is not {what}")
    return float(cleaned.replace(",", ""))


def parse_money(value) -> Decimal:
    """Pounds and pence: 1234.56, £1,234.56, or Nil."""
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not an amount of money")
    if isinstance(value, (int, float)):
        cleaned = repr(float(value))
    else:
        cleaned = text(value).replace("£", "").replace(",", "").strip()
        if cleaned.lower().rstrip(".") == "nil":
            return Decimal("0.00")
        if cleaned.startswith("="):
            raise CellError(f"{text(value)!r} is a formula; paste the values instead")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{text(value)!r} is not an amount of money; write it like 1234.56") from None
    if not amount.is_finite():
        raise CellError(f"{text(value)!r} is not an amount of money; write it like 1234.56")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"{text(value)!r} has more than two decimal places")
    return amount.quantize(Decimal("0.01"))


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y")


def parse_day(value) -> date:
    """A date as ISO (2025-09-30), UK (30/09/2025) or an Excel date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    cleaned = text(value)
    if len(cleaned) == 10 and cleaned[4] == "-" and cleaned[7] == "-":
        try:
            return date.fromisoformat(cleaned)   # the common case, ten times quicker than strptime
        except ValueError:
            pass
    if re.match(r"^\d{4}-\d{2}-\d{2}[ T]00:00(:00)?$", cleaned):
        cleaned = cleaned[:10]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise CellError(f"{cleaned!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-09-30")


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


def insert_rows(session, model, rows: list[dict]) -> None:
    """Insert new rows in batches of plain INSERTs (no ORM object per row), in the caller's transaction."""
    from sqlalchemy import insert

    if not rows:
        return
    session.flush()
    for batch in in_batches(rows, INSERT_BATCH):
        session.execute(insert(model), batch)


def in_batches(values: list, size: int = LOOKUP_BATCH):
    """`values` in slices small enough for one IN (...) on SQLite and PostgreSQL alike."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
