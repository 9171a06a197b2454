"""How much one import file may hold, and what is said when a file holds more.

Every limit is checked before the part of the file it guards is read: the size on disk first, then a
workbook's parts as its zip directory lists them, then rows as they stream in. A file that is refused
therefore never costs more than the rows read before the refusal, and no import takes more than 200 MB
of memory, whatever the file holds. The README's table of import limits mirrors this module.
"""
from __future__ import annotations

MB = 1024 * 1024

MAX_FILE_BYTES = 50 * MB            # the file as it lies on disk, CSV or XLSX
MAX_ROWS = 200_000                  # rows under the header, up to the last one with anything in it
MAX_COLUMNS = 500                   # columns in the header (a wide sheet of 40 years of months fits)
MAX_CELL_CHARS = 32_767             # Excel's own limit for one cell, so no cell Excel can hold is refused
MAX_CSV_ROW_CHARS = 100_000         # one CSV row, its line breaks inside quotes included
MAX_PROBLEMS = 1_000                # reading stops here: the file is refused and this many are enough to fix

# A workbook is a zip of XML parts. Its worksheets are streamed row by row; every other part (shared
# strings, styles, the workbook itself) is read whole by openpyxl and takes several times its size in
# memory, so together they are held to a few megabytes. The zip's directory says how large each part
# unpacks to before anything is unpacked, which is also what stops a zip bomb.
MAX_XLSX_PARTS = 1_000              # entries in the zip directory (a workbook has a few dozen)
MAX_XLSX_UNPACKED_BYTES = 150 * MB  # every part together, unpacked
MAX_XLSX_SHEET_BYTES = 100 * MB     # one worksheet, unpacked
MAX_XLSX_OTHER_BYTES = 4 * MB       # every part that is not a worksheet, together, unpacked
MAX_XLSX_ROW_BYTES = 2 * MB         # one row of a worksheet's XML: openpyxl holds a whole row at once
MAX_XLSX_OUTSIDE_ROWS_BYTES = 1 * MB  # a worksheet's XML before and after its rows (views, formats)
EXCEL_MAX_ROWS = 1_048_576          # no sheet Excel can open has more rows than this


def megabytes(size: int) -> str:
    """50 MB, 1.3 MB, 0.2 MB: a size as the limits are written."""
    value = size / MB
    return f"{value:.0f} MB" if value >= 10 or value.is_integer() else f"{value:.1f} MB"


FILE_TOO_LARGE = ("the file is {size}, more than the {limit} a single import accepts; split it (by year, say) "
                  "and import each part")
TOO_MANY_ROWS = ("the file has more than {limit:,} rows under its header, the most a single import accepts; "
                 "split it (by year, say) and import each part")
TOO_MANY_ROWS_BLANK = ("the file has more than {limit:,} rows under its header, empty ones included, the most a "
                       "single import reads; delete the empty rows below your data, or split the file")
TOO_MANY_ROWS_STORED = ("the sheet has more than {limit:,} rows under its header, the most a single import accepts "
                        "(a sheet keeps empty rows that are formatted, and they count); split it (by year, say), "
                        "or delete the empty rows below your data")
TOO_MANY_COLUMNS = ("the header has {columns:,} columns, more than the {limit:,} an import reads; "
                    "keep only the columns to import")
CELL_TOO_LONG = ("the cell holds {length:,} characters, more than the {limit:,} a cell may hold "
                 "(Excel's own limit); shorten it")
CSV_ROW_TOO_LONG = ("the row is longer than {limit:,} characters, more than any import row needs; a quote (\") "
                    "that is never closed makes the rest of the file one cell: close it, or shorten the row")
TOO_MANY_PROBLEMS = "reading stopped here after {limit:,} problems; fix these and import the file again"

WORKBOOK_TOO_MANY_PARTS = ("the workbook is made of more than {limit:,} parts, far more than any spreadsheet; "
                           "save the sheet to import as a new workbook or as CSV")
WORKBOOK_UNPACKS_TOO_LARGE = ("the workbook unpacks to {size}, more than the {limit} an import reads; "
                              "keep only the sheet to import, or save it as CSV (CSV UTF-8)")
SHEET_TOO_LARGE = ("the sheet {part} unpacks to {size}, more than the {limit} an import reads; "
                   "split it (by year, say), or save it as CSV (CSV UTF-8)")
OTHER_PARTS_TOO_LARGE = ("the workbook's shared text and formatting unpack to {size}, more than the {limit} an import "
                         "reads; save the sheet as CSV (CSV UTF-8), or copy its values into a new workbook")
SHEET_ROW_TOO_LARGE = ("the row takes more than the {limit} of the sheet's XML that one row may; "
                       "shorten its longest cells (a cell holds at most 32,767 characters)")
SHEET_OUTSIDE_ROWS_TOO_LARGE = ("the sheet {part} holds more than {limit} besides its rows (formats, views, rules), "
                                "more than an import reads; copy its values into a new workbook, or save it as CSV")
WORKBOOK_NOT_PLAIN_XML = ("the workbook's part {part} declares a document type (<!DOCTYPE), which Excel never "
                          "writes; save the sheet again from Excel or as CSV")
