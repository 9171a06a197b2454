"""The first sheet of an XLSX file, streamed row by row with openpyxl's read-only reader: values as the sheet shows
them (a percent-formatted 0.95 is 95), formulas marked, and Excel's escapes for control characters undone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_not
from pathlib import Path
from typing import Iterator

from storage.importers.common import Percentage, refusal
from storage.importers.limits import EXCEL_MAX_ROWS
from storage.importers.workbook_checks import NOT_A_WORKBOOK, check_workbook, error_text

# A number format's quoted text and backslash-escaped characters are shown as written: a "%" there is no percentage.
_FORMAT_LITERAL_RE = re.compile(r'"[^"]*"|\\.')
# Excel writes a character XML cannot hold (a NUL, a bell) as _xHHHH_, and a literal "_x" as _x005F_x; openpyxl
# undoes _x005F_ in shared strings but no other escape, so a bell written by Excel would otherwise read as "_x0007_".
_EXCEL_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# A fraction times 100 is not always a whole number in floating point (0.29 * 100 = 28.999999999999996).
PERCENT_DIGITS = 9


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula: refused, since the import takes values (the text is what was typed)."""

    text: str


def workbook_rows(path: Path, name: str) -> Iterator[tuple[int, list]]:
    """(sheet row number, values up to the last cell with anything in it) for every row of the first sheet,
    empty rows included. The workbook is checked before openpyxl opens it, and closed when reading ends."""
    check_workbook(path, name)
    from openpyxl import load_workbook
    from openpyxl.cell.read_only import EMPTY_CELL

    try:
        book = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise refusal(name, NOT_A_WORKBOOK.format(error=error_text(exc))) from None
    percent_formats: dict[str, bool] = {}
    try:
        if not book.worksheets:
            raise refusal(name, NOT_A_WORKBOOK.format(error="it has no worksheet"))
        sheet = book.worksheets[0]
        sheet.reset_dimensions()   # a workbook's declared size can be wrong; read what is there
        rows = sheet.iter_rows(max_row=EXCEL_MAX_ROWS + 1)   # one past Excel's last row, to see it
        number = 0
        while True:
            try:
                cells = next(rows, None)
            except Exception as exc:  # a sheet damaged past its first rows
                raise refusal(name, NOT_A_WORKBOOK.format(error=error_text(exc)), row=number + 1) from None
            if cells is None:
                return
            number += 1
            # Only the cells the sheet holds are looked at one by one; the gaps openpyxl fills are skipped in C.
            present = list(compress(cells, map(is_not, cells, repeat(EMPTY_CELL))))
            yield number, _values(present, percent_formats)
    finally:
        book.close()


def _values(cells: list, percent_formats: dict[str, bool]) -> list:
    values: list = []
    for cell in cells:
        value = _value(cell, percent_formats)
        if value is None:
            continue
        index = cell.column - 1
        if index >= len(values):
            values.extend([None] * (index + 1 - len(values)))
        values[index] = value
    return values


def _value(cell, percent_formats: dict[str, bool]):
    value = cell.value
    kind = cell.data_type
    if value is None:
        return None
    if kind == "n" and not isinstance(value, bool):
        fmt = cell.number_format or "General"
        percent = percent_formats.get(fmt)
        if percent is None:
            percent = percent_formats[fmt] = "%" in _FORMAT_LITERAL_RE.sub("", fmt)
        return Percentage(round(value * 100, PERCENT_DIGITS)) if percent else value
    if kind == "f":
        return Formula(str(value))
    if isinstance(value, str) and "_x" in value:
        return _EXCEL_ESCAPE_RE.sub(lambda match: chr(int(match.group(1), 16)), value)
    return value
