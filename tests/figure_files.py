"""Figure files as an analyst saves them from Excel, for the tests that load them from chat."""
from __future__ import annotations

import io

from openpyxl import Workbook

FIGURES_HEADER = ("metric", "period", "value")


def workbook(*rows: tuple, header: tuple = FIGURES_HEADER) -> bytes:
    """An .xlsx file's bytes: the header, then each row, on the first sheet."""
    book = Workbook()
    sheet = book.active
    for row in (header, *rows):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
