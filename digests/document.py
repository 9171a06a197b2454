"""A document's content, independent of file format: headings, paragraphs, tables and figures, in reading order.

The Panel snapshot is built as a Document; digests/docx_writer.py and digests/pdf_writer.py turn it
into Word and PDF with the same content.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union

from storage.text_rules import without_control_characters


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


def printable(document: Document) -> Document:
    """The document with every control character dropped from its text, as both writers take it.

    Text is checked when it is stored, but a note or an area name written by an older version, or straight
    into the database, may still hold a bell, a NUL, a form feed or a lone surrogate. Word's XML cannot hold
    them and a PDF cannot encode a lone surrogate: dropped here, a quarter's paper is always written.
    """
    clean = without_control_characters
    return replace(
        document,
        title=clean(document.title),
        subtitle=clean(document.subtitle),
        classification=clean(document.classification),
        cover_lines=[clean(line) for line in document.cover_lines],
        blocks=[_printable_block(block) for block in document.blocks],
    )


def _printable_block(block: Block) -> Block:
    clean = without_control_characters
    if isinstance(block, Heading):
        return replace(block, text=clean(block.text))
    if isinstance(block, Paragraph):
        return replace(block, text=clean(block.text), label=clean(block.label) if block.label else block.label)
    if isinstance(block, TableBlock):
        return replace(block, columns=[clean(c) for c in block.columns],
                       rows=[[clean(cell) for cell in row] for row in block.rows],
                       caption=clean(block.caption) if block.caption else block.caption)
    if isinstance(block, Figure):
        return replace(block, alt_text=clean(block.alt_text), caption=clean(block.caption))
    return block
