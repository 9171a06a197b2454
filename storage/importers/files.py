"""Reading an import file, CSV or XLSX, as a header and a stream of rows; a file no importer could read is refused
whole, and no file is read further than its limits (storage.importers.limits) allow."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from storage.echo import shorten
from storage.importers.common import ImportRejected, Problem, StoppedReading, is_blank, refusal
from storage.importers.csv_rows import csv_rows
from storage.importers.limits import (
    CELL_TOO_LONG, EXCEL_MAX_ROWS, FILE_TOO_LARGE, MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_PROBLEMS,
    MAX_ROWS, TOO_MANY_COLUMNS, TOO_MANY_PROBLEMS, TOO_MANY_ROWS, TOO_MANY_ROWS_BLANK, megabytes,
)
from storage.importers.workbook_rows import Formula, workbook_rows
from storage.text_rules import describe, first_control_character

FILE_NOT_FOUND = "file not found"
UNSUPPORTED = "unsupported file type {suffix}; use .csv or .xlsx"
EMPTY = "the file is empty; the first row must name the columns"
NO_HEADER = "the first row must name the columns"
FORMULA = "{formula!r} is a formula; paste the values instead (Paste Special > Values)"
TOO_MANY_CELLS = "has {cells} cells but the header names {width}"
TOO_MANY_CELLS_CSV = (TOO_MANY_CELLS + "; a comma inside a value splits it in two: put the value in quotes "
                      '("£1,000.00") or leave out the thousands separator (£1000.00)')
CONTROL_CHARACTER = ("contains {character} at character {position}, which cannot be stored; delete it and import "
                     "the file again (it is often invisible, pasted in with the text)")
FILE_NAME_CONTROL_CHARACTER = "the file name contains {character}; rename the file"
_HASH_CHUNK = 1024 * 1024


@dataclass
class Table:
    """A file's header (lower-cased names, and the cells as written) and its rows, streamed once from the file."""

    filename: str
    columns: list[str]
    original_columns: list
    sha256: str
    from_csv: bool
    _rows: Iterator[tuple[int, list]] = field(repr=False)

    def cell(self, row: list, column: str):
        return row[self.columns.index(column)]

    def numbered_rows(self, problems: list[Problem]) -> Iterator[tuple[int, list]]:
        """(spreadsheet row number, cells) for every row with anything in it, read from the file as it is asked for.

        A row holding a cell that cannot be stored (a control character, more than a cell may hold, a formula) adds
        its problems to `problems` and is not yielded; a file breaking a limit is refused at the row where it
        does. Once `problems` holds MAX_PROBLEMS, reading stops: the file is refused anyway, and the rest would
        only cost time."""
        width = len(self.columns)
        for number, row in self._rows:
            if len(problems) >= MAX_PROBLEMS:
                problems.append(StoppedReading(number, None, TOO_MANY_PROBLEMS.format(limit=MAX_PROBLEMS)))
                return
            if number > EXCEL_MAX_ROWS:
                raise refusal(self.filename, TOO_MANY_ROWS_BLANK.format(limit=MAX_ROWS))
            if all(is_blank(v) for v in row):
                continue
            if number - 1 > MAX_ROWS:
                raise refusal(self.filename, TOO_MANY_ROWS.format(limit=MAX_ROWS))
            if len(row) > width and any(not is_blank(v) for v in row[width:]):
                wording = TOO_MANY_CELLS_CSV if self.from_csv else TOO_MANY_CELLS
                raise refusal(self.filename, wording.format(cells=len(row), width=width), row=number)
            cells = list(row[:width]) + [None] * (width - len(row))
            found = cell_problems(number, cells, self.columns)
            if found:
                problems.extend(found)
                continue
            yield number, cells


def _clean_header(value) -> str:
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    return " ".join(str(value if value is not None else "").strip().lower().split())


def read_table(path: Path | str) -> Table:
    """Open a CSV or XLSX file and read its header; the rows stream from Table.numbered_rows. A file that is too
    large, unreadable or without a header is refused here, before any row is read."""
    path = Path(path)
    name = path.name
    found = first_control_character(name)
    if found:
        raise refusal(name.encode("unicode_escape").decode(), FILE_NAME_CONTROL_CHARACTER.format(
            character=describe(found[1])))
    if not path.is_file():
        raise refusal(name, FILE_NOT_FOUND)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise refusal(name, FILE_TOO_LARGE.format(size=megabytes(size), limit=megabytes(MAX_FILE_BYTES)))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = workbook_rows(path, name)
    elif suffix in (".csv", ".txt"):
        rows = csv_rows(path, name)
    else:
        raise refusal(name, UNSUPPORTED.format(suffix=shorten(suffix) or "(none)"))
    header = _header(rows, name)
    if len(header) > MAX_COLUMNS:
        while header and is_blank(header[-1]):
            header.pop()
        if len(header) > MAX_COLUMNS:
            raise refusal(name, TOO_MANY_COLUMNS.format(columns=len(header), limit=MAX_COLUMNS), row=1)
    problems = cell_problems(1, header, None)
    if problems:
        raise ImportRejected(name, problems)
    return Table(name, [_clean_header(h) for h in header], header, _sha256(path), suffix not in (".xlsx", ".xlsm"),
                 rows)


def _header(rows: Iterator[tuple[int, list]], name: str) -> list:
    """The first row; when it is empty, the file is either empty or has its header in the wrong place."""
    first = next(rows, None)
    if first is None:
        raise refusal(name, EMPTY)
    number, header = first
    if all(is_blank(v) for v in header):
        for number, row in rows:
            if number > EXCEL_MAX_ROWS:
                break
            if not all(is_blank(v) for v in row):
                raise refusal(name, NO_HEADER, row=1)
        raise refusal(name, EMPTY)
    return list(header)


def cell_problems(number: int, cells: list, columns: list[str] | None) -> list[Problem]:
    """What in one row cannot be stored: control characters, cells longer than a cell may be, formulas. The
    header's problems name no column (its cells are the column names)."""
    problems = []
    for position, value in enumerate(cells):
        if isinstance(value, str):
            message = _text_problem(value)
        elif isinstance(value, Formula):
            message = FORMULA.format(formula=shorten(value.text))
        else:
            continue
        if message:
            column = None if columns is None else (columns[position] or f"#{position + 1}")
            problems.append(Problem(number, column, message))
    return problems


def _text_problem(value: str) -> str | None:
    if len(value) > MAX_CELL_CHARS:
        return CELL_TOO_LONG.format(length=len(value), limit=MAX_CELL_CHARS)
    found = first_control_character(value)
    if found:
        position, character = found
        return CONTROL_CHARACTER.format(character=describe(character), position=position)
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
