"""A Document written as a PDF with fpdf2: the same content and order as the Word file, ready to print or attach.

DejaVu Sans (shipped inside matplotlib) is embedded so "£", "–", "→" and curly quotes print. Heading 1 and 2
become bookmarks; a table's header row is repeated after every page break; RAG cells are shaded in the charts'
colours and keep their word. Identical input gives identical bytes: the creation date is fixed.
"""
from __future__ import annotations

import io
import struct
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from digests.charts import BADGE_INK, INK, MUTED, RAG_COLOURS
from digests.document import Document, Figure, Heading, PageBreak, Paragraph, TableBlock
from digests.docx_writer import fit_column_widths  # one rule for column widths in both formats

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
# Room a heading needs below it before the page's end, so it never sits alone at the foot of a page.
HEADING_KEEP_MM = 30.0
CELL_PADDING_MM = {"vertical": 1.2, "horizontal": 1.5}
HEADER_FILL = "#D9E2F3"  # a pale blue header row: black text on it is over 15:1
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}
PAGE_OF = "Page {page} of {{nb}}"
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
    """The document as PDF bytes: A4 portrait, 2 cm margins, classification on every page."""
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
    for block in document.blocks:
        if isinstance(block, Heading):
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


def _write_heading(pdf: FPDF, block: Heading) -> None:
    level = min(max(block.level, 1), 3)
    if _room_left(pdf) < HEADING_KEEP_MM:
        pdf.add_page()
    at_top = pdf.get_y() <= pdf.t_margin + 0.01
    if not at_top:
        pdf.ln({1: 5, 2: 3.5, 3: 2.5}[level])
    if level <= 2:
        pdf.start_section(block.text, level=level - 1, strict=False)
    size = HEADING_PT[level]
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(INK)
    pdf.multi_cell(0, _line_mm(size), block.text, **NEXT_LINE)
    pdf.ln(1.5)


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
    pdf.ln(2)
    pdf.set_text_color(INK)


def _write_table(pdf: FPDF, block: TableBlock) -> None:
    # A header row and a first data row at least, or start the table on the next page.
    if _room_left(pdf) < 4 * _line_mm(TABLE_PT) + 4:
        pdf.add_page()
    widths = _column_widths_mm(pdf, block)
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
        header = table.row()
        for text in block.columns:
            header.cell(text)
        for row_index, values in enumerate(block.rows):
            row = table.row()
            bold = row_index in block.bold_rows
            for column_index, text in enumerate(values):
                rag = block.rag_cells.get((row_index, column_index))
                if rag in RAG_WORDS:
                    row.cell(text or RAG_WORDS[rag],
                             style=FontFace(emphasis="BOLD", color=BADGE_INK, fill_color=RAG_COLOURS[rag]))
                elif bold:
                    row.cell(text, style=FontFace(emphasis="BOLD"))
                else:
                    row.cell(text)
    pdf.set_draw_color(0)
    if block.caption:
        _write_caption(pdf, block.caption)
    else:
        pdf.ln(3)


def _column_widths_mm(pdf: FPDF, block: TableBlock) -> list[float]:
    """The block's relative widths over the text width, each column wide enough for its longest word."""
    def widest_word(texts: list[str], bold: bool) -> float:
        pdf.set_font(FONT, "B" if bold else "", TABLE_PT)
        return max((pdf.get_string_width(word) for text in texts for word in text.split()), default=0.0)

    floors = []
    for index, heading in enumerate(block.columns):
        plain = [row[index] for n, row in enumerate(block.rows) if index < len(row) and n not in block.bold_rows
                 and (n, index) not in block.rag_cells]
        bold = [heading, *(row[index] for n, row in enumerate(block.rows) if index < len(row)
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


def _write_figure(pdf: FPDF, block: Figure) -> None:
    pixels_wide, pixels_high = _png_size(block.png)
    pdf.set_font(FONT, "B", CAPTION_PT)
    caption_mm = pdf.multi_cell(0, _line_mm(CAPTION_PT), block.caption, dry_run=True,
                                output=MethodReturnValue.HEIGHT) + 6
    body_mm = pdf.page_break_trigger - pdf.t_margin
    width = min(block.width_cm * MM_PER_CM, pdf.epw)
    height = width * pixels_high / pixels_wide
    if height + caption_mm > body_mm:  # taller than a page: shrink to fit, keeping the aspect
        height = body_mm - caption_mm
        width = height * pixels_wide / pixels_high
    if _room_left(pdf) < height + caption_mm:
        pdf.add_page()
    pdf.ln(1)
    x = pdf.l_margin + (pdf.epw - width) / 2
    pdf.image(io.BytesIO(block.png), x=x, y=pdf.get_y(), w=width, h=height, alt_text=block.alt_text)
    pdf.set_y(pdf.get_y() + height)
    _write_caption(pdf, block.caption, Align.C)
