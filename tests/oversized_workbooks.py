"""Workbooks written part by part, the way a zip bomb is: a 300 MB cell deflates to 300 KB, for the import limit tests."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import escape

MB = 1024 * 1024


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
_SHEET_START = (b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_END = b"</sheetData></worksheet>"
_STRINGS_START = (b'<?xml version="1.0" encoding="UTF-8"?>'
                  b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def write_workbook(path: Path, rows: Iterable[bytes], shared: Iterable[bytes] = (), after_rows: bytes = b"",
                   extra_parts: dict[str, bytes] | None = None, shared_start: bytes = _STRINGS_START) -> Path:
    """An XLSX file whose first sheet's <sheetData> holds `rows` and whose shared strings are `shared` (<si>
    elements), each written as a stream so that hundreds of megabytes never sit in this process."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(shared_start)
            for chunk in shared:
                out.write(chunk)
            out.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(_SHEET_START)
            for chunk in rows:
                out.write(chunk)
            out.write(b"</sheetData>" + after_rows + b"</worksheet>")
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return path


def inline_row(number: int, cells: list[str]) -> bytes:
    """A row of text cells stored in the sheet itself (t="inlineStr")."""
    return (f'<row r="{number}">' + "".join(
        f'<c r="{chr(65 + position)}{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        for position, value in enumerate(cells)) + "</row>").encode()


def shared_row(number: int, indexes: list[int]) -> bytes:
    """A row of text cells that point into the shared strings, as Excel writes them."""
    return (f'<row r="{number}">' + "".join(f'<c r="{chr(65 + position)}{number}" t="s"><v>{index}</v></c>'
                                            for position, index in enumerate(indexes)) + "</row>").encode()


def shared_string(value: str) -> bytes:
    return f"<si><t>{escape(value)}</t></si>".encode()


def repeated(piece: bytes, size: int) -> Iterable[bytes]:
    """`size` bytes of `piece` over and over, a megabyte at a time."""
    block = piece * (MB // len(piece))
    for _ in range(size // len(block)):
        yield block
