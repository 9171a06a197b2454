"""A CSV file streamed record by record with the csv module: its encoding found first, every row bounded in
length, so that no line, however long, is read into memory whole."""
from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Iterator

from storage.importers.common import refusal
from storage.importers.limits import CSV_ROW_TOO_LONG, MAX_CSV_ROW_CHARS

CSV_ENCODINGS = ("utf-8-sig", "cp1252")
NOT_TEXT = "not UTF-8 or Windows-1252 text; save it as CSV UTF-8"
NOT_CSV = "not a well-formed CSV file ({error})"
# The csv module's words for the two mistakes people make, and what would work instead.
CSV_ERRORS = {
    "unexpected end of data": 'a quote (") opened in this row is never closed; close it, or remove it',
    "',' expected after '\"'": ('text follows a closing quote ("); put the whole value in quotes and write '
                                'any quote inside it twice ("")'),
}
_CHUNK = 1024 * 1024


class _RowTooLong(Exception):
    """Raised from inside the csv reader's line source: the row being read is already too long."""


class _BoundedLines:
    """The lines the csv reader asks for, never more than MAX_CSV_ROW_CHARS for one record, however long the
    line in the file (a cell whose quote never closes would otherwise run to the end of the file)."""

    def __init__(self, stream):
        self.stream = stream
        self.record_chars = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_CSV_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.record_chars += len(line)
        if self.record_chars > MAX_CSV_ROW_CHARS:
            raise _RowTooLong
        return line


def encoding_of(path: Path) -> str | None:
    """The first of CSV_ENCODINGS that decodes the whole file, read in chunks; None when neither does."""
    decoders = {name: codecs.getincrementaldecoder(name)() for name in CSV_ENCODINGS}
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    del decoders[name]
            if not decoders:
                return None
    for name, decoder in decoders.items():
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return name
    return None


def csv_rows(path: Path, name: str) -> Iterator[tuple[int, list[str]]]:
    """(record number, its cells) for every record, blank ones included; the header is record 1."""
    encoding = encoding_of(path)
    if encoding is None:
        raise refusal(name, NOT_TEXT)
    with path.open(encoding=encoding, newline="") as stream:
        lines = _BoundedLines(stream)
        reader = csv.reader(lines, strict=True)
        number = 0
        while True:
            try:
                record = next(reader, None)
            except _RowTooLong:
                raise refusal(name, CSV_ROW_TOO_LONG.format(limit=MAX_CSV_ROW_CHARS), row=number + 1) from None
            except csv.Error as exc:
                reason = CSV_ERRORS.get(str(exc), " ".join(str(exc).split()))
                raise refusal(name, NOT_CSV.format(error=reason), row=number + 1) from None
            if record is None:
                return
            number += 1
            lines.record_chars = 0
            yield number, record
