"""Reading an import file, CSV or XLSX, into a table of cells; a file no importer could read is refused whole."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from storage.importers.common import ImportRejected, Percentage, Problem, is_blank

MAX_ROWS = 200_000
CSV_ENCODINGS = ("utf-8-sig", "cp1252")
# Tab, line feed and carriage return can stand in a cell (Alt+Enter in Excel); no other control character can.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A number format's quoted text and backslash-escaped characters are shown as written: a "%" there is no percentage.
_FORMAT_LITERAL_RE = re.compile(r'"[^"]*"|\\.')
# A fraction times 100 is not always a whole number in floating point (0.29 * 100 = 28.999999999999996).
PERCENT_DIGITS = 9

FILE_NOT_FOUND = "file not found"
UNSUPPORTED = "unsupported file type {suffix}; use .csv or .xlsx"
NOT_A_WORKBOOK = "not a readable Excel workbook ({error})"
NOT_TEXT = "not UTF-8 or Windows-1252 text; save it as CSV UTF-8"
NOT_CSV = "not a well-formed CSV file ({error})"
EMPTY = "the file is empty; the first row must name the columns"
NO_HEADER = "the first row must name the columns"
TOO_MANY_ROWS = "{rows:,} rows is more than the {limit:,} a single import accepts; split the file"
FORMULA = "{formula!r} is a formula; paste the values instead (Paste Special > Values)"
TOO_MANY_CELLS = "has {cells} cells but the header names {width}"
TOO_MANY_CELLS_CSV = (TOO_MANY_CELLS + "; a comma inside a value splits it in two: put the value in quotes "
                      '("£1,000.00") or leave out the thousands separator (£1000.00)')
CONTROL_CHARACTER = ("contains a control character (U+{code:04X}), which cannot be stored; delete it "
                     "(it is often invisible: retype the text)")


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
            if any(not is_blank(v) for v in row):
                yield number, row


def _clean_header(value) -> str:
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    return " ".join(str(value if value is not None else "").strip().lower().split())


def _rejected(name: str, message: str, row: int | None = None) -> ImportRejected:
    return ImportRejected(name, [Problem(row, None, message)])


def read_table(path: Path | str) -> Table:
    """Read a CSV or XLSX file; unreadable files are rejected with a message saying why."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise _rejected(name, FILE_NOT_FOUND)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid, may_hold_controls = _excel_grid(path, name)
    elif suffix in (".csv", ".txt"):
        grid, may_hold_controls = _csv_grid(raw, name)
    else:
        raise _rejected(name, UNSUPPORTED.format(suffix=suffix or "(none)"))
    while grid and all(is_blank(v) for v in grid[-1]):
        grid.pop()
    if not grid:
        raise _rejected(name, EMPTY)
    if all(is_blank(v) for v in grid[0]):
        raise _rejected(name, NO_HEADER, row=1)
    if len(grid) - 1 > MAX_ROWS:
        raise _rejected(name, TOO_MANY_ROWS.format(rows=len(grid) - 1, limit=MAX_ROWS))
    header = grid[0]
    width = len(header)
    rows = [list(row) + [None] * (width - len(row)) for row in grid[1:]]
    for number, row in enumerate(rows, start=2):
        if len(row) > width and any(not is_blank(v) for v in row[width:]):
            raise _rejected(name, TOO_MANY_CELLS.format(cells=len(row), width=width), row=number)
    columns = [_clean_header(h) for h in header]
    if may_hold_controls:
        problems = _control_characters(grid, columns)
        if problems:
            raise ImportRejected(name, problems)
    return Table(name, columns, list(header), [row[:width] for row in rows], digest)


def _csv_grid(raw: bytes, name: str) -> tuple[list[list], bool]:
    import pandas as pd  # imported here: answering chat commands never needs pandas

    decoded = None
    for encoding in CSV_ENCODINGS:
        try:
            decoded = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if decoded is None:
        raise _rejected(name, NOT_TEXT)
    try:
        frame = pd.read_csv(io.StringIO(decoded), header=None, dtype=str, keep_default_na=False,
                            skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise _rejected(name, EMPTY) from None
    except pd.errors.ParserError as exc:
        long_row = _first_long_row(decoded)
        if long_row is not None:
            raise ImportRejected(name, [long_row]) from None
        raise _rejected(name, NOT_CSV.format(error=" ".join(str(exc).split()))) from None
    grid = [list(row) for row in frame.itertuples(index=False, name=None)]
    return grid, _CONTROL_RE.search(decoded) is not None


def _first_long_row(decoded: str) -> Problem | None:
    """The first row with more cells than the header: pandas stops there with a message of its own."""
    width = None
    try:
        for number, record in enumerate(csv.reader(io.StringIO(decoded)), start=1):
            if width is None:
                width = len(record)
            elif len(record) > width:
                return Problem(number, None, TOO_MANY_CELLS_CSV.format(cells=len(record), width=width))
    except csv.Error:
        return None
    return None


def _excel_grid(path: Path, name: str) -> tuple[list[list], bool]:
    """The first sheet's values in one pass, with formulas refused and percent-formatted numbers read as shown."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise _rejected(name, NOT_A_WORKBOOK.format(error=exc)) from None
    percent_formats: dict[str, bool] = {}
    formulas: list[tuple[int, int, str]] = []
    controls = False
    grid: list[list] = []
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()   # a workbook's declared size can be wrong; read what is there
        for number, row in enumerate(sheet.iter_rows(), start=1):
            values = []
            for position, cell in enumerate(row, start=1):
                value = cell.value
                kind = cell.data_type
                if value is None:
                    pass
                elif kind == "n" and not isinstance(value, bool):
                    fmt = cell.number_format or "General"
                    percent = percent_formats.get(fmt)
                    if percent is None:
                        percent = percent_formats[fmt] = "%" in _FORMAT_LITERAL_RE.sub("", fmt)
                    if percent:
                        value = Percentage(round(value * 100, PERCENT_DIGITS))
                elif kind == "f":
                    formulas.append((number, position, str(value)))
                elif isinstance(value, str) and not controls:
                    controls = _CONTROL_RE.search(value) is not None
                values.append(value)
            grid.append(values)
    except Exception as exc:  # a sheet damaged past its first rows
        raise _rejected(name, NOT_A_WORKBOOK.format(error=exc)) from None
    finally:
        book.close()
    if formulas:
        header = [_clean_header(v) for v in grid[0]] if grid else []
        raise ImportRejected(name, [
            Problem(row, header[col - 1] if col - 1 < len(header) and row > 1 else None, FORMULA.format(formula=formula))
            for row, col, formula in formulas
        ])
    return grid, controls


def _control_characters(grid: list[list], columns: list[str]) -> list[Problem]:
    problems = []
    for number, row in enumerate(grid, start=1):
        for position, value in enumerate(row):
            found = _CONTROL_RE.search(value) if isinstance(value, str) else None
            if found:
                column = None if number == 1 else (columns[position] if position < len(columns) and columns[position]
                                                   else f"#{position + 1}")
                problems.append(Problem(number, column, CONTROL_CHARACTER.format(code=ord(found.group()))))
    return problems
