"""A Document written as a PDF with fpdf2: the same content and order as the Word file, ready to print or attach.

DejaVu Sans (shipped inside matplotlib) is embedded so "£", "–", "→" and curly quotes print. Heading 1 and 2
become bookmarks; a table's header row is repeated after every page break; RAG cells are shaded in the charts'
colours and keep their word. Identical input gives identical bytes: the creation date is fixed.
"""
from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from digests.charts.style import BADGE_INK, INK, MUTED, RAG_COLOURS
from digests.document import Document, Figure, Heading, PageBreak, Paragraph, TableBlock, printable
from digests.docx_writer import SHADED_RAGS, fit_column_widths  # the same shaded cells and column rule in both formats
from storage.figures import rag_word

FONT = "DejaVu"
MARGIN_MM = 20.0
HEADER_Y_MM = 9.0
FOOTER_Y_MM = -13.0  # from the bottom edge
FIXED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
MM_PER_CM = 10.0
PT_TO_MM = 25.4 / 72

TITLE_PT = 24
SUBTITLE_PT = 15
HEADING_PT = {1: 16, 2: 13, 3: 11.5}
BODY_PT = 10.5
NOTE_PT = 9
TABLE_PT = 9
CAPTION_PT = 9
HEADER_FOOTER_PT = 8.5
LEADING = 1.35  # line height as a multiple of the type size
HEADING_SPACE_MM = {1: 5.0, 2: 3.5, 3: 2.5}  # above a heading, unless it opens a page
HEADING_AFTER_MM = 1.5
PARAGRAPH_AFTER_MM = 2.0
CELL_PADDING_MM = {"vertical": 1.2, "horizontal": 1.5}
HEADER_FILL = "#D9E2F3"  # a pale blue header row: black text on it is over 15:1
PAGE_OF = "Page {page} of {{nb}}"
ZERO_WIDTH_SPACE = "\u200b"  # fpdf2 may break a line here; nothing is drawn
SLASH = re.compile(r"/(?=\w)")
WORD_BREAKS = re.compile(r"\s+|(?<=/)(?=\w)")  # where a table cell's text may wrap
NEXT_LINE = {"align": Align.L, "new_x": XPos.LMARGIN, "new_y": YPos.NEXT}  # multi_cell: ragged right, then a new line


def _font_path(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


class _PanelPdf(FPDF):
    """An A4 page with the classification at its head and foot and "Page X of Y" at its foot."""

    def __init__(self, classification: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.classification = classification
        self.add_font(FONT, "", str(_font_path("DejaVuSans.ttf")))
        self.add_font(FONT, "B", str(_font_path("DejaVuSans-Bold.ttf")))
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(True, margin=MARGIN_MM)
        self.c_margin = 0  # text lines up with the table borders at the margin; table cells have their own padding
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_y(HEADER_Y_MM)
        self.set_font(FONT, "B", HEADER_FOOTER_PT)
        self.set_text_color(INK)
        self.cell(0, 5, self.classification, align=Align.C)
        self.set_y(MARGIN_MM)

    def footer(self) -> None:
        self.set_y(FOOTER_Y_MM)
        self.set_font(FONT, "B", HEADER_FOOTER_PT)
        self.set_text_color(INK)
        self.cell(0, 5, self.classification, align=Align.L)
        self.set_x(self.l_margin)
        self.set_font(FONT, "", HEADER_FOOTER_PT)
        self.cell(0, 5, PAGE_OF.format(page=self.page_no()), align=Align.R)


def write_pdf(document: Document) -> bytes:
    """The document as PDF bytes: A4 portrait, 2 cm margins, classification on every page.

    Control characters in the text are dropped, as the Word writer drops them, so both files read the same."""
    document = printable(document)
    pdf = _PanelPdf(document.classification)
    pdf.set_title(document.title)
    pdf.set_subject(document.subtitle)
    pdf.set_author("kpibot")
    pdf.set_creator("kpibot")
    pdf.set_keywords(document.classification)
    pdf.set_lang("en-GB")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    _write_cover(pdf, document)
    for index, block in enumerate(document.blocks):
        if isinstance(block, Heading):
            if _room_left(pdf) < min(_lead_in_height(pdf, document.blocks, index), _body_height(pdf)):
                pdf.add_page()
            _write_heading(pdf, block)
        elif isinstance(block, Paragraph):
            _write_paragraph(pdf, block)
        elif isinstance(block, TableBlock):
            _write_table(pdf, block)
        elif isinstance(block, Figure):
            _write_figure(pdf, block)
        elif isinstance(block, PageBreak):
            pdf.add_page()
        else:
            raise TypeError(f"not a document block: {block!r}")
    return bytes(pdf.output())


def _line_mm(size_pt: float) -> float:
    return size_pt * LEADING * PT_TO_MM


def _room_left(pdf: FPDF) -> float:
    return pdf.page_break_trigger - pdf.get_y()


def _body_height(pdf: FPDF) -> float:
    return pdf.page_break_trigger - pdf.t_margin


def _lead_in(blocks: list, start: int) -> list:
    """A heading and what must share its page: headings and one paragraph under each, up to the first table or
    figure (its header row and first row, or the whole figure), so a heading never ends a page on its own."""
    chain = [blocks[start]]
    for block in blocks[start + 1:]:
        if isinstance(block, Heading) or (isinstance(block, Paragraph) and isinstance(chain[-1], Heading)):
            chain.append(block)
        elif isinstance(block, (TableBlock, Figure)):
            chain.append(block)
            break
        else:
            break
    return chain


def _lead_in_height(pdf: FPDF, blocks: list, start: int) -> float:
    total = 0.0
    for block in _lead_in(blocks, start):
        if isinstance(block, Heading):
            total += _heading_height(pdf, block)
        elif isinstance(block, Paragraph):
            total += _paragraph_height(pdf, block)
        elif isinstance(block, TableBlock):
            total += _table_start_height(pdf, block, _column_widths_mm(pdf, block))
        elif isinstance(block, Figure):
            _, height, caption_mm = _figure_layout(pdf, block)
            total += height + caption_mm
    return total


def _text_height(pdf: FPDF, text: str, size: float, style: str = "", width: float = 0) -> float:
    pdf.set_font(FONT, style, size)
    return pdf.multi_cell(width, _line_mm(size), text, dry_run=True, output=MethodReturnValue.HEIGHT, **NEXT_LINE)


def _write_cover(pdf: FPDF, document: Document) -> None:
    pdf.set_text_color(INK)
    pdf.set_font(FONT, "B", TITLE_PT)
    pdf.multi_cell(0, _line_mm(TITLE_PT), document.title, **NEXT_LINE)
    if document.subtitle:
        pdf.ln(1)
        pdf.set_font(FONT, "", SUBTITLE_PT)
        pdf.multi_cell(0, _line_mm(SUBTITLE_PT), document.subtitle, **NEXT_LINE)
    if document.cover_lines:
        pdf.ln(3)
        pdf.set_font(FONT, "", NOTE_PT)
        pdf.set_text_color(MUTED)
        for line in document.cover_lines:
            pdf.multi_cell(0, _line_mm(NOTE_PT), line, **NEXT_LINE)
        pdf.set_text_color(INK)
    pdf.ln(6)


def _heading_level(block: Heading) -> int:
    return min(max(block.level, 1), 3)


def _heading_height(pdf: FPDF, block: Heading) -> float:
    level = _heading_level(block)
    return HEADING_SPACE_MM[level] + _text_height(pdf, block.text, HEADING_PT[level], "B") + HEADING_AFTER_MM


def _write_heading(pdf: FPDF, block: Heading) -> None:
    level = _heading_level(block)
    if _room_left(pdf) < _heading_height(pdf, block) + 2 * _line_mm(BODY_PT):
        pdf.add_page()
    at_top = pdf.get_y() <= pdf.t_margin + 0.01
    if not at_top:
        pdf.ln(HEADING_SPACE_MM[level])
    if level <= 2:
        pdf.start_section(block.text, level=level - 1, strict=False)
    size = HEADING_PT[level]
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(INK)
    pdf.multi_cell(0, _line_mm(size), block.text, **NEXT_LINE)
    pdf.ln(HEADING_AFTER_MM)


def _paragraph_height(pdf: FPDF, block: Paragraph) -> float:
    size = NOTE_PT if block.style == "note" else BODY_PT
    text = f"{block.label.rstrip(':')}: {block.text}" if block.label else block.text
    return _text_height(pdf, text, size) + PARAGRAPH_AFTER_MM


def _write_paragraph(pdf: FPDF, block: Paragraph) -> None:
    size = NOTE_PT if block.style == "note" else BODY_PT
    height = _line_mm(size)
    pdf.set_text_color(MUTED if block.style == "note" else INK)
    pdf.set_x(pdf.l_margin)
    if block.label:
        pdf.set_font(FONT, "B", size)
        pdf.write(height, block.label.rstrip(":") + ": ")
    pdf.set_font(FONT, "B" if block.style == "label" and not block.label else "", size)
    pdf.write(height, block.text)
    pdf.ln(height)
    pdf.ln(PARAGRAPH_AFTER_MM)
    pdf.set_text_color(INK)


@dataclass(frozen=True)
class _Cell:
    text: str
    bold: bool = False
    rag: str | None = None


def _shaded_word(rag: str | None) -> str:
    """The word a shaded RAG cell is given when it has no text of its own; none for No RAG."""
    return rag_word(rag) if rag in SHADED_RAGS else ""


def _cell_grid(pdf: FPDF, block: TableBlock, widths: list[float]) -> list[list[_Cell]]:
    """The header row and the body rows as they will be set: RAG cells keep (or are given) their word, and a word
    with a "/" that is wider than its column may break after the "/", as Word and LibreOffice break it."""
    inner = _inner_widths(pdf, widths)
    grid = [[_Cell(_breakable(pdf, text, width, True), bold=True) for text, width in zip(block.columns, inner)]]
    for row_index, values in enumerate(block.rows):
        cells = []
        for column_index, text in enumerate(values[:len(inner)]):
            rag = block.rag_cells.get((row_index, column_index))
            rag = rag if rag in SHADED_RAGS else None
            bold = rag is not None or row_index in block.bold_rows
            text = text or (rag_word(rag) if rag else "")
            cells.append(_Cell(_breakable(pdf, text, inner[column_index], bold), bold, rag))
        grid.append(cells)
    return grid


def _inner_widths(pdf: FPDF, widths: list[float]) -> list[float]:
    return [w * pdf.epw / sum(widths) - 2 * CELL_PADDING_MM["horizontal"] for w in widths]


def _breakable(pdf: FPDF, text: str, width: float, bold: bool) -> str:
    pdf.set_font(FONT, "B" if bold else "", TABLE_PT)
    return " ".join(SLASH.sub("/" + ZERO_WIDTH_SPACE, word) if pdf.get_string_width(word) > width else word
                    for word in text.split(" "))


def _row_height(pdf: FPDF, cells: list[_Cell], widths: list[float]) -> float:
    lines = max((_text_height(pdf, cell.text, TABLE_PT, "B" if cell.bold else "", width)
                 for cell, width in zip(cells, _inner_widths(pdf, widths))), default=_line_mm(TABLE_PT))
    return lines + 2 * CELL_PADDING_MM["vertical"]


def _table_start_height(pdf: FPDF, block: TableBlock, widths: list[float]) -> float:
    """The header row and the first row: the least of a table worth starting at the foot of a page."""
    return sum(_row_height(pdf, cells, widths) for cells in _cell_grid(pdf, block, widths)[:2]) + 1


def _write_table(pdf: FPDF, block: TableBlock) -> None:
    widths = _column_widths_mm(pdf, block)
    if _room_left(pdf) < _table_start_height(pdf, block, widths):
        pdf.add_page()
    grid = _cell_grid(pdf, block, widths)
    pdf.set_font(FONT, "", TABLE_PT)
    pdf.set_text_color(INK)
    pdf.set_draw_color(MUTED)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        align=Align.L,
        v_align="MIDDLE",
        text_align=Align.L,
        line_height=_line_mm(TABLE_PT),
        padding=(CELL_PADDING_MM["vertical"], CELL_PADDING_MM["horizontal"]),
        headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=HEADER_FILL),
        cell_fill_mode=TableCellFillMode.NONE,
        repeat_headings=1,
        first_row_as_headings=True,
    ) as table:
        for cells in grid:
            row = table.row()
            for cell in cells:
                if cell.rag:
                    row.cell(cell.text, style=FontFace(emphasis="BOLD", color=BADGE_INK,
                                                       fill_color=RAG_COLOURS[cell.rag]))
                elif cell.bold:
                    row.cell(cell.text, style=FontFace(emphasis="BOLD"))
                else:
                    row.cell(cell.text)
    pdf.set_draw_color(0)
    if block.caption:
        _write_caption(pdf, block.caption)
    else:
        pdf.ln(3)


def _column_widths_mm(pdf: FPDF, block: TableBlock) -> list[float]:
    """The block's relative widths over the text width, each column wide enough for its longest word (a word
    may break after a "/")."""
    def widest_word(texts: list[str], bold: bool) -> float:
        pdf.set_font(FONT, "B" if bold else "", TABLE_PT)
        return max((pdf.get_string_width(word) for text in texts for word in WORD_BREAKS.split(text) if word),
                   default=0.0)

    floors = []
    for index, heading in enumerate(block.columns):
        plain = [row[index] for n, row in enumerate(block.rows) if index < len(row) and n not in block.bold_rows
                 and (n, index) not in block.rag_cells]
        bold = [heading, *(row[index] or _shaded_word(block.rag_cells.get((n, index)))
                           for n, row in enumerate(block.rows) if index < len(row)
                           and (n in block.bold_rows or (n, index) in block.rag_cells))]
        floors.append(max(widest_word(plain, False), widest_word(bold, True))
                      + 2 * CELL_PADDING_MM["horizontal"] + 0.5)
    return fit_column_widths(block.widths, floors, pdf.epw, len(block.columns))


def _write_caption(pdf: FPDF, caption: str, align: Align = Align.L) -> None:
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", CAPTION_PT)
    pdf.set_text_color(MUTED)
    pdf.multi_cell(0, _line_mm(CAPTION_PT), caption, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(INK)
    pdf.ln(3)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("a Figure must hold PNG bytes")
    return struct.unpack(">II", png[16:24])


def _figure_layout(pdf: FPDF, block: Figure) -> tuple[float, float, float]:
    """Width and height of the picture and the height its caption needs, in mm: a page at most, in proportion."""
    pixels_wide, pixels_high = _png_size(block.png)
    caption_mm = _text_height(pdf, block.caption, CAPTION_PT, "B") + 6
    width = min(block.width_cm * MM_PER_CM, pdf.epw)
    height = width * pixels_high / pixels_wide
    if height + caption_mm > _body_height(pdf):
        height = _body_height(pdf) - caption_mm
        width = height * pixels_wide / pixels_high
    return width, height, caption_mm


def _write_figure(pdf: FPDF, block: Figure) -> None:
    width, height, caption_mm = _figure_layout(pdf, block)
    if _room_left(pdf) < height + caption_mm:
        pdf.add_page()
    pdf.ln(1)
    x = pdf.l_margin + (pdf.epw - width) / 2
    pdf.image(io.BytesIO(block.png), x=x, y=pdf.get_y(), w=width, h=height, alt_text=block.alt_text)
    pdf.set_y(pdf.get_y() + height)
    _write_caption(pdf, block.caption, Align.C)
