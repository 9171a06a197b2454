"""A document's content, independent of file format: headings, paragraphs, tables and figures, in reading order.

The Panel snapshot is built as a Document; digests/docx_writer.py and digests/pdf_writer.py turn it
into Word and PDF with the same content.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 = a section (Heading 1), 2 = a metric or sub-section (Heading 2), 3 = minor


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | note (smaller, grey) | label (bold lead-in, e.g. "Observation:")
    label: str | None = None  # shown in bold before the text, e.g. "Planned action"


@dataclass(frozen=True)
class TableBlock:
    columns: list[str]
    rows: list[list[str]]
    caption: str | None = None
    # Rows to set in bold, e.g. a totals row (indexes into rows).
    bold_rows: tuple[int, ...] = ()
    # Relative column widths (same length as columns); None lets the writer decide.
    widths: tuple[float, ...] | None = None
    # Cells to shade by RAG: (row index, column index) -> "green" | "amber" | "red".
    rag_cells: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    png: bytes
    alt_text: str
    caption: str
    width_cm: float = 16.0


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Union[Heading, Paragraph, TableBlock, Figure, PageBreak]


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    classification: str  # e.g. OFFICIAL: printed in every page header and footer
    blocks: list[Block]
    # Printed small on the cover: produced when, data as of when, and the figures' fingerprint.
    cover_lines: list[str] = field(default_factory=list)
