"""A Document written as a Word (.docx) file: built-in heading styles, real tables and pictures with alt text.

Headings use Word's own "Title" and "Heading 1-3" styles and tables "Table Grid", so the office can restyle the
paper from its own template. RAG cells are shaded in the charts' colours and keep their word: colour is never
the only carrier of the rating. Identical input gives identical bytes: the core properties carry a fixed date
and the package is re-zipped with fixed entry timestamps.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from docx import Document as new_word_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.image.image import Image as WordImage
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from digests.charts.style import BADGE_INK, MUTED, RAG_COLOURS
from digests.document import Document, Figure, Heading, PageBreak, Paragraph, TableBlock, printable
from storage.figures import rag_word

PAGE_WIDTH_CM = 21.0
PAGE_HEIGHT_CM = 29.7
MARGIN_CM = 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
FIGURE_CAPTION_ROOM_CM = 2.0
BODY_FONT = "Arial"  # the sans-serif most council papers are set in; a style, so the office can change it
BODY_PT = 11
NOTE_PT = 9
TABLE_PT = 9.5
COVER_LINE_PT = 9
# Cell padding in twentieths of a point (Word's default is 0 above and below, 108 at the sides).
CELL_PADDING_TWIPS = {"top": 45, "bottom": 45, "left": 85, "right": 85}
MEASURING_PT = 100  # words are measured at this size and scaled, so rounding to whole pixels does not matter
HEADER_FILL = "D9E2F3"  # a pale blue header row: black text on it is over 15:1
FIXED_DATE = datetime(2000, 1, 1)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
PAGE_OF = ("Page ", "PAGE", " of ", "NUMPAGES")
# The RAG ratings a cell is shaded for (and given its word, storage.figures.rag_word, when it has no text).
SHADED_RAGS = ("green", "amber", "red")


def write_docx(document: Document) -> bytes:
    """The document as .docx bytes: A4 portrait, 2 cm margins, classification in every header and footer.

    Control characters in the text (Word's XML cannot hold them) are dropped, not a reason to fail."""
    document = printable(document)
    word = new_word_document()
    _set_up_page(word, document.classification)
    _set_properties(word, document)
    _write_cover(word, document)
    previous = None
    for block in document.blocks:
        if isinstance(block, Heading):
            word.add_heading(block.text, level=min(max(block.level, 1), 3))
        elif isinstance(block, Paragraph):
            # The paragraph under a heading (a metric's definition, a section's introduction) stays with what
            # follows, as the heading styles already do, so neither ends a page on its own.
            paragraph = _write_paragraph(word, block)
            if isinstance(previous, Heading):
                paragraph.paragraph_format.keep_with_next = True
        elif isinstance(block, TableBlock):
            _write_table(word, block)
        elif isinstance(block, Figure):
            _write_figure(word, block)
        elif isinstance(block, PageBreak):
            # At the end of the last paragraph, not in a paragraph of its own that would leave a blank line
            # at the top of the next page. Every table is followed by a paragraph, so there always is one.
            word.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        else:
            raise TypeError(f"not a document block: {block!r}")
        previous = block
    out = io.BytesIO()
    word.save(out)
    return _with_fixed_zip_dates(out.getvalue())


def _set_up_page(word, classification: str) -> None:
    styles = word.styles
    styles["Normal"].font.name = BODY_FONT
    styles["Normal"].font.size = Pt(BODY_PT)
    for name in ("Header", "Footer"):  # the template's tab stops are set for US Letter
        tabs = styles[name].paragraph_format.tab_stops
        tabs.clear_all()
        tabs.add_tab_stop(Cm(TEXT_WIDTH_CM / 2), WD_TAB_ALIGNMENT.CENTER)
        tabs.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    for section in word.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Cm(PAGE_WIDTH_CM)
        section.page_height = Cm(PAGE_HEIGHT_CM)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(MARGIN_CM))
        section.header_distance = Cm(1.0)
        section.footer_distance = Cm(1.0)

        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _small_bold_run(header, classification)

        footer = section.footer.paragraphs[0]
        _small_bold_run(footer, classification)
        footer.add_run("\t\t")
        for index, piece in enumerate(PAGE_OF):
            if index % 2:
                _add_field(footer, piece)
            else:
                footer.add_run(piece).font.size = Pt(NOTE_PT)


def _small_bold_run(paragraph, text: str) -> None:
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(NOTE_PT)


def _add_field(paragraph, instruction: str) -> None:
    """A complex field (begin, instruction, separate, placeholder, end) that Word and LibreOffice both update."""
    def run_with(element):
        run = paragraph.add_run()
        run.font.size = Pt(NOTE_PT)
        run._r.append(element)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} \\* MERGEFORMAT "
    run_with(text)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    placeholder = paragraph.add_run("1")
    placeholder.font.size = Pt(NOTE_PT)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _set_properties(word, document: Document) -> None:
    props = word.core_properties
    props.title = document.title
    props.subject = document.subtitle
    props.author = "kpibot"
    props.last_modified_by = "kpibot"
    props.comments = ""
    props.keywords = document.classification
    props.revision = 1
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_printed = FIXED_DATE


def _write_cover(word, document: Document) -> None:
    word.add_paragraph(document.title, style="Title")
    if document.subtitle:
        word.add_paragraph(document.subtitle, style="Subtitle")
    for line in document.cover_lines:
        paragraph = word.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(2)
        run = paragraph.add_run(line)
        run.font.size = Pt(COVER_LINE_PT)
        run.font.color.rgb = _rgb(MUTED)


def _write_paragraph(word, block: Paragraph):
    paragraph = word.add_paragraph()
    if block.label:
        label = paragraph.add_run(block.label.rstrip(":") + ": ")
        label.bold = True
    run = paragraph.add_run(block.text)
    if block.style == "label" and not block.label:
        run.bold = True
    if block.style == "note":
        for each in paragraph.runs:
            each.font.size = Pt(NOTE_PT)
            each.font.color.rgb = _rgb(MUTED)
    return paragraph


def _write_table(word, block: TableBlock) -> None:
    table = word.add_table(rows=1 + len(block.rows), cols=len(block.columns))
    table.style = word.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _pad_cells(table)
    widths = _column_widths_cm(block)
    for index, column in enumerate(table.columns):
        column.width = Cm(widths[index])

    header = table.rows[0]
    _mark_as_header(header)
    for index, text in enumerate(block.columns):
        cell = header.cells[index]
        _set_cell_text(cell, text, bold=True)
        cell.paragraphs[0].paragraph_format.keep_with_next = True  # never a header row alone at a page's foot
        _shade(cell, HEADER_FILL)

    for row_index, values in enumerate(block.rows):
        row = table.rows[row_index + 1]
        _keep_row_together(row)
        bold = row_index in block.bold_rows
        for column_index, text in enumerate(values):
            cell = row.cells[column_index]
            rag = block.rag_cells.get((row_index, column_index))
            if rag in RAG_COLOURS and rag != "none":
                _set_cell_text(cell, text or rag_word(rag), bold=True, colour=BADGE_INK)
                _shade(cell, RAG_COLOURS[rag])
            else:
                _set_cell_text(cell, text, bold=bold)

    for row in table.rows:
        for index, cell in enumerate(row.cells):
            cell.width = Cm(widths[index])

    if block.caption:
        word.add_paragraph(block.caption, style="Caption").paragraph_format.space_before = Pt(3)
    else:
        word.add_paragraph().paragraph_format.space_after = Pt(0)


def _column_widths_cm(block: TableBlock) -> list[float]:
    padding_cm = (CELL_PADDING_TWIPS["left"] + CELL_PADDING_TWIPS["right"]) / 567 + 0.1
    floors = []
    for index, heading in enumerate(block.columns):
        texts = [heading, *(row[index] for row in block.rows if index < len(row))]
        # Word and LibreOffice may break a line after "/", so "Target/expectation" needs only "expectation".
        words = [word for text in texts for word in re.split(r"\s+|(?<=/)", text) if word]
        floors.append(max((_bold_width_cm(word) for word in words), default=0.0) + padding_cm)
    return fit_column_widths(block.widths, floors, TEXT_WIDTH_CM, len(block.columns))


def _bold_width_cm(word: str) -> float:
    """The word's width in bold DejaVu Sans at table size: wider than Arial or Calibri, so a safe floor whichever
    font Word or LibreOffice ends up using."""
    return _measuring_font().getlength(word) * TABLE_PT / MEASURING_PT / 72 * 2.54


@lru_cache(maxsize=1)
def _measuring_font():
    import matplotlib
    from PIL import ImageFont

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(path), MEASURING_PT)


def fit_column_widths(weights: tuple[float, ...] | None, floors: list[float], total: float,
                      count: int) -> list[float]:
    """Widths in proportion to weights (equal if None), none narrower than its floor, together `total` wide.

    A floor is the room a column's longest word needs, so a narrow RAG or "Direction" column is widened rather
    than broken mid-word; the other columns give up the difference in proportion to their weights.
    """
    weights = list(weights) if weights and len(weights) == count else [1.0] * count
    if sum(floors) >= total:
        return [total * floor / sum(floors) for floor in floors]
    fixed: dict[int, float] = {}
    shares: dict[int, float] = {}
    while True:
        free = [i for i in range(count) if i not in fixed]
        weight = sum(weights[i] for i in free)
        if not free or weight <= 0:
            break
        room = total - sum(fixed.values())
        shares = {i: room * weights[i] / weight for i in free}
        short = [i for i in free if shares[i] < floors[i]]
        if not short:
            break
        fixed.update({i: floors[i] for i in short})
    return [fixed[i] if i in fixed else shares.get(i, floors[i]) for i in range(count)]


def _pad_cells(table) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_PADDING_TWIPS[side]))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # tblCellMar comes before tblLook in the schema
    if look is not None:
        look.addprevious(margins)
    else:
        properties.append(margins)


def _set_cell_text(cell, text: str, bold: bool = False, colour: str | None = None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(TABLE_PT)
    if colour:
        run.font.color.rgb = _rgb(colour)


def _mark_as_header(row) -> None:
    """w:tblHeader: Word repeats the row at the top of each page and screen readers announce it as headers."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)
    _keep_row_together(row)


def _keep_row_together(row) -> None:
    properties = row._tr.get_or_add_trPr()
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    properties.insert(0, cant_split)


def _shade(cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill.lstrip("#").upper())
    properties.append(shading)


def _write_figure(word, block: Figure) -> None:
    image = WordImage.from_blob(block.png)
    width_cm = min(block.width_cm, TEXT_WIDTH_CM)
    tallest_cm = PAGE_HEIGHT_CM - 2 * MARGIN_CM - FIGURE_CAPTION_ROOM_CM
    if width_cm * image.px_height / image.px_width > tallest_cm:  # a page at most, keeping the aspect
        width_cm = tallest_cm * image.px_width / image.px_height
    word.add_picture(io.BytesIO(block.png), width=Cm(width_cm))
    picture_paragraph = word.paragraphs[-1]
    picture_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture_paragraph.paragraph_format.keep_with_next = True  # the caption stays with its chart
    for properties in picture_paragraph._p.xpath(".//wp:docPr"):
        properties.set("descr", block.alt_text)
        properties.set("title", block.caption)
    word.add_paragraph(block.caption, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _with_fixed_zip_dates(package: bytes) -> bytes:
    """The same package with every entry dated ZIP_DATE, so the bytes depend on the content alone."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()
