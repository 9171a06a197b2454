"""What an XLSX file is made of, checked before openpyxl opens it: a workbook that would cost too much to read is
refused from its zip directory and a quick pass over its worksheets' XML, without unpacking it into memory."""
from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

from storage.echo import shorten
from storage.importers.common import ImportRejected, refusal
from storage.importers.limits import (
    MAX_ROWS, MAX_XLSX_OTHER_BYTES, MAX_XLSX_OUTSIDE_ROWS_BYTES, MAX_XLSX_PARTS, MAX_XLSX_ROW_BYTES,
    MAX_XLSX_SHEET_BYTES, MAX_XLSX_UNPACKED_BYTES, OTHER_PARTS_TOO_LARGE, SHEET_OUTSIDE_ROWS_TOO_LARGE,
    SHEET_ROW_TOO_LARGE, SHEET_TOO_LARGE, TOO_MANY_ROWS_STORED, WORKBOOK_NOT_PLAIN_XML, WORKBOOK_TOO_MANY_PARTS,
    WORKBOOK_UNPACKS_TOO_LARGE, megabytes,
)

NOT_A_WORKBOOK = "not a readable Excel workbook ({error})"
ERROR_ECHO_LIMIT = 160

_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")
_DIRECTORY_BYTES_PER_PART = 1024      # a directory entry is 46 bytes and the part's name
_CHUNK = 1024 * 1024
_CARRY = 4096                         # bytes kept between chunks, so that a tag cut in two is still found
# <row ...>, <sheetData ...>, </sheetData>, with or without a namespace prefix (x:row).
_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|sheetData)(?=[\s/>])([^<>]*)>")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["']\s*(\d+)""")
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)")


def error_text(exc: BaseException) -> str:
    """A library's error as one short line: it may quote the file, and the file may hold anything."""
    return shorten(" ".join(str(exc).split()) or type(exc).__name__, ERROR_ECHO_LIMIT)


def check_workbook(path: Path, name: str) -> None:
    """Refuse a workbook whose parts are too many or too large, or whose worksheets openpyxl could not stream
    in bounded memory (a row, or what lies around the rows, too large). Nothing is unpacked whole."""
    _check_directory_size(path, name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refusal(name, NOT_A_WORKBOOK.format(error=error_text(exc))) from None
    with archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
        sheets = _worksheets(archive, sizes, name)
        for part in sheets:
            if sizes[part] > MAX_XLSX_SHEET_BYTES:
                raise refusal(name, SHEET_TOO_LARGE.format(part=part, size=megabytes(sizes[part]),
                                                           limit=megabytes(MAX_XLSX_SHEET_BYTES)))
        other = sum(size for part, size in sizes.items() if part not in sheets)
        if other > MAX_XLSX_OTHER_BYTES:
            raise refusal(name, OTHER_PARTS_TOO_LARGE.format(size=megabytes(other),
                                                             limit=megabytes(MAX_XLSX_OTHER_BYTES)))
        total = sum(sizes.values())
        if total > MAX_XLSX_UNPACKED_BYTES:
            raise refusal(name, WORKBOOK_UNPACKS_TOO_LARGE.format(size=megabytes(total),
                                                                  limit=megabytes(MAX_XLSX_UNPACKED_BYTES)))
        for part in sizes:
            if part not in sheets and part.endswith((".xml", ".rels")):
                _check_plain_xml(archive.read(part), part, name)
        for position, part in enumerate(sheets):
            with archive.open(part) as stream:
                _scan_sheet(stream, part, name, rows_too=position == 0)


def _check_directory_size(path: Path, name: str) -> None:
    """Python's zipfile reads the whole directory into objects: count its entries from the end record first."""
    with path.open("rb") as stream:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(max(0, size - _END_RECORD.size - 65_535))
        tail = stream.read()
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < _END_RECORD.size:
        return   # not a zip: zipfile says so in its own words
    _, _, _, _, entries, directory_bytes, _, _ = _END_RECORD.unpack_from(tail, at)
    if entries > MAX_XLSX_PARTS or directory_bytes > MAX_XLSX_PARTS * _DIRECTORY_BYTES_PER_PART:
        raise refusal(name, WORKBOOK_TOO_MANY_PARTS.format(limit=MAX_XLSX_PARTS))


def _worksheets(archive: zipfile.ZipFile, sizes: dict[str, int], name: str) -> list[str]:
    """The worksheet parts, in the order openpyxl will see them, found with openpyxl's own reading of the
    package (so a part is a worksheet here exactly when it is one there); the parts that describe the package
    are read whole, so they count against the small budget before they are parsed."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_CORE, ARC_CUSTOM, ARC_STYLE, ARC_THEME, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    try:
        _check_small(sizes, [ARC_CONTENT_TYPES], name)
        manifest_xml = archive.read(ARC_CONTENT_TYPES)
        _check_plain_xml(manifest_xml, ARC_CONTENT_TYPES, name)
        manifest = Manifest.from_tree(fromstring(manifest_xml))
        workbook_part = _find_workbook_part(manifest).PartName[1:]
        shared_strings = manifest.find(SHARED_STRINGS)
        workbook_rels = get_rels_path(workbook_part)
        _check_small(sizes, [workbook_part, workbook_rels], name)
        for part in (workbook_part, workbook_rels):
            _check_plain_xml(archive.read(part), part, name)
        parser = WorkbookParser(archive, workbook_part, keep_links=False)
        parser.parse()
        targets = [rel.target for _, rel in parser.find_sheets()
                   if rel.target in sizes and "chartsheet" not in rel.Type]
    except ImportRejected:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged package
        raise refusal(name, NOT_A_WORKBOOK.format(error=error_text(exc))) from None
    # A part openpyxl reads whole for another purpose is never streamed, whatever the package says it is.
    described = {ARC_CONTENT_TYPES, workbook_part, workbook_rels, ARC_STYLE, ARC_THEME, ARC_CORE, ARC_CUSTOM,
                 *(get_rels_path(target) for target in targets)}
    if shared_strings is not None:
        described.add(shared_strings.PartName[1:])
    return [part for part in dict.fromkeys(targets) if part not in described]


def _check_small(sizes: dict[str, int], parts: list[str], name: str) -> None:
    total = sum(sizes.get(part, 0) for part in parts)
    if total > MAX_XLSX_OTHER_BYTES:
        raise refusal(name, OTHER_PARTS_TOO_LARGE.format(size=megabytes(total), limit=megabytes(MAX_XLSX_OTHER_BYTES)))


def _check_plain_xml(xml: bytes, part: str, name: str) -> None:
    """No document type, so no entity can expand as the XML is parsed."""
    if _DOCTYPE.search(xml):
        raise refusal(name, WORKBOOK_NOT_PLAIN_XML.format(part=part))


class _SheetScan:
    """Where a worksheet's rows begin and end, read as bytes: each row is at most MAX_XLSX_ROW_BYTES (openpyxl
    holds one whole row), there are at most MAX_ROWS of them under the header, and what lies outside the rows is
    at most MAX_XLSX_OUTSIDE_ROWS_BYTES (openpyxl turns it into objects several times its size)."""

    def __init__(self, part: str, name: str):
        self.part, self.name = part, name
        self.rows_start: int | None = None     # where <sheetData> begins
        self.rows_end: int | None = None       # where </sheetData> ends
        self.row_start: int | None = None      # where the current <row> begins
        self.row_number = 0
        self.rows_stored = 0

    def tag(self, closing: bool, kind: bytes, attributes: bytes, start: int, end: int) -> None:
        if kind == b"sheetData":
            if closing:
                self._end_row(start)
                self.rows_end = end
            elif self.rows_start is None:
                self.rows_start = start
                if attributes.rstrip().endswith(b"/"):
                    self.rows_end = end
        elif not closing and self.rows_start is not None and self.rows_end is None:
            self._end_row(start)
            number = _ROW_NUMBER.search(attributes)
            self.row_number = int(number.group(1)) if number else self.row_number + 1
            self.row_start = start
            self.rows_stored += 1
            if self.rows_stored > MAX_ROWS + 1:
                # openpyxl keeps a little of every row it has read until the sheet ends: count them before it does
                raise refusal(self.name, TOO_MANY_ROWS_STORED.format(limit=MAX_ROWS))

    def _end_row(self, at: int) -> None:
        if self.row_start is not None:
            self.check_row(at)
            self.row_start = None

    def check_row(self, at: int) -> None:
        if self.row_start is not None and at - self.row_start > MAX_XLSX_ROW_BYTES:
            raise refusal(self.name, SHEET_ROW_TOO_LARGE.format(limit=megabytes(MAX_XLSX_ROW_BYTES)),
                          row=self.row_number)

    def check_outside(self, read: int) -> None:
        before = read if self.rows_start is None else self.rows_start
        after = read - self.rows_end if self.rows_end is not None else 0
        if before + after > MAX_XLSX_OUTSIDE_ROWS_BYTES:
            raise refusal(self.name, SHEET_OUTSIDE_ROWS_TOO_LARGE.format(
                part=self.part, limit=megabytes(MAX_XLSX_OUTSIDE_ROWS_BYTES)))


def _scan_sheet(stream, part: str, name: str, rows_too: bool) -> None:
    """One pass over a worksheet's XML in chunks; stops at its rows unless `rows_too` (openpyxl reads only
    the beginning of the sheets it is not asked for)."""
    scan = _SheetScan(part, name)
    data, base = b"", 0            # `data` holds the part's bytes from offset `base`
    while True:
        chunk = stream.read(_CHUNK)
        data += chunk
        if scan.rows_start is None:
            _check_plain_xml(data, part, name)
        kept_from = 0
        for match in _TAG.finditer(data):
            closing, kind, attributes = match.group(1) == b"/", match.group(2), match.group(3)
            scan.tag(closing, kind, attributes, base + match.start(), base + match.end())
            kept_from = match.end()
        read = base + len(data)
        scan.check_row(read)
        scan.check_outside(read)
        if not chunk or (not rows_too and scan.rows_start is not None):
            return
        keep = max(kept_from, len(data) - _CARRY)
        base, data = base + keep, data[keep:]
