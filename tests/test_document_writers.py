"""Word and PDF writers: the same Document read back from each file, byte-for-byte repeatable, pages that render."""
from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.text.paragraph import Paragraph as DocxParagraph
from pypdf import PdfReader

from digests.document import Document, Figure, Heading, PageBreak, Paragraph, TableBlock
from digests.docx_writer import write_docx
from digests.pdf_writer import write_pdf

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSIFICATION = "OFFICIAL"
ALT_TEXT = "Line chart: complaint reviews received each month, July to September 2025, rising from 10 to 14."
LONG_TABLE_ROWS = 60


def _render_script():
    spec = importlib.util.spec_from_file_location("render_pdf_pages", ROOT / "scripts" / "render_pdf_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny_chart_png() -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(4, 2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot([1, 2, 3], [10, 12, 14], color="#0072B2")
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _panel_document() -> Document:
    office = TableBlock(
        ["Metric", "Last 3 months", "Difference to previous 3 months", "RAG"],
        [["Complaints logged within 2 working days", "88%", "+4pp", "Green"],
         ["Average days to finalise a review", "43.1 days", "+1.2 days", "Amber"],
         ["FOI requests answered on time", "82%", "−6pp", "Red"],
         ["Total", "£126,566.47", "–", ""]],
        caption="Office KPIs, July to September 2025",
        bold_rows=(3,),
        widths=(3.0, 1.5, 2.0, 1.0),
        rag_cells={(0, 3): "green", (1, 3): "amber", (2, 3): "red"},
    )
    csp = TableBlock(
        ["CSP area", "Allocation", "Expenditure"],
        [[f"Area {n:02d}", f"£{10_000 + n:,}.00", f"£{5_000 + n:,}.00"] for n in range(1, LONG_TABLE_ROWS + 1)],
        caption="CSP balances as of 30 Sep 2025",
    )
    return Document(
        title="OPCC performance snapshot",
        subtitle="Q2 2025/26 (July to September 2025)",
        classification=CLASSIFICATION,
        cover_lines=["Produced 3 Oct 2025 09:15", "Data as of 30 Sep 2025"],
        blocks=[
            Heading("Office performance", 1),
            Paragraph("Each office KPI compares the last 3 months with the previous 3 months."),
            Heading("Complaints and reviews", 2),
            office,
            Paragraph("Two long reviews closed in August, so the “average” rose → expect a fall.", label="Observation"),
            Paragraph("Mean calendar days from receipt to outcome.", style="note"),
            Figure(_tiny_chart_png(), ALT_TEXT, "Complaint reviews received, July to September 2025", 12.0),
            PageBreak(),
            Heading("Community Safety Partnership balances", 1),
            Heading("Allocations and spend", 2),
            csp,
        ],
    )


@pytest.fixture(scope="module")
def document() -> Document:
    return _panel_document()


@pytest.fixture(scope="module")
def word(document):
    return docx.Document(io.BytesIO(write_docx(document)))


@pytest.fixture(scope="module")
def pdf_bytes(document) -> bytes:
    return write_pdf(document)


@pytest.fixture(scope="module")
def pdf_pages(pdf_bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


# --- Word -------------------------------------------------------------------------------------------------

def test_word_headings_use_the_builtin_styles(word):
    styled = [(p.style.name, p.text) for p in word.paragraphs if p.style.name in {"Title", "Heading 1", "Heading 2"}]
    assert styled == [
        ("Title", "OPCC performance snapshot"),
        ("Heading 1", "Office performance"),
        ("Heading 2", "Complaints and reviews"),
        ("Heading 1", "Community Safety Partnership balances"),
        ("Heading 2", "Allocations and spend"),
    ]


def test_word_cover_and_labelled_paragraph(word):
    texts = [p.text for p in word.paragraphs]
    assert "Q2 2025/26 (July to September 2025)" in texts
    assert "Data as of 30 Sep 2025" in texts
    observation = next(p for p in word.paragraphs if p.text.startswith("Observation"))
    assert observation.text == "Observation: Two long reviews closed in August, so the “average” rose → expect a fall."
    assert observation.runs[0].bold and not observation.runs[1].bold


def test_word_table_holds_the_exact_strings_under_a_repeating_header_row(word):
    table = word.tables[0]
    assert table.style.name == "Table Grid"
    assert [c.text for c in table.rows[0].cells] == ["Metric", "Last 3 months", "Difference to previous 3 months",
                                                      "RAG"]
    assert table.cell(4, 1).text == "£126,566.47"
    header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None and header.get(qn("w:val")) == "true"
    assert table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert all(run.bold for cell in table.rows[4].cells for run in cell.paragraphs[0].runs)
    assert not any(run.bold for run in table.cell(1, 0).paragraphs[0].runs)
    # Relative widths 3 : 1.5 : 2 : 1 over the 17 cm between the margins.
    assert table.columns[0].width == pytest.approx(Cm(17 * 3 / 7.5), abs=Cm(0.05))


def test_word_rag_cells_are_shaded_and_keep_their_word(word):
    table = word.tables[0]
    fills = {}
    for row in (1, 2, 3):
        cell = table.cell(row, 3)
        fills[cell.text] = cell._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))
    assert fills == {"Green": "009E73", "Amber": "E69F00", "Red": "D55E00"}
    assert table.cell(1, 2)._tc.tcPr.find(qn("w:shd")) is None


def test_word_table_caption_follows_the_table(word):
    body = list(word.element.body.iterchildren())
    table_at = body.index(word.tables[0]._tbl)
    caption = body[table_at + 1]
    assert DocxParagraph(caption, word).text == "Office KPIs, July to September 2025"


def test_word_picture_carries_the_alt_text(word):
    assert len(word.inline_shapes) == 1
    shape = word.inline_shapes[0]
    assert shape._inline.docPr.get("descr") == ALT_TEXT
    assert shape.width == Cm(12.0)
    texts = [p.text for p in word.paragraphs]
    assert texts[texts.index("Complaint reviews received, July to September 2025") - 1] == ""  # the picture


def test_word_every_section_is_a4_and_classified_top_and_bottom(word):
    for section in word.sections:
        # Word stores lengths in twentieths of a point, so a centimetre comes back a few EMU out.
        assert section.page_width == pytest.approx(Cm(21.0), abs=Cm(0.01))
        assert section.page_height == pytest.approx(Cm(29.7), abs=Cm(0.01))
        for margin in (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin):
            assert margin == pytest.approx(Cm(2.0), abs=Cm(0.01))
        assert CLASSIFICATION in section.header.paragraphs[0].text
        footer = section.footer.paragraphs[0]
        assert CLASSIFICATION in footer.text
        instructions = [t.text.split()[0] for t in footer._p.iter(qn("w:instrText"))]
        assert instructions == ["PAGE", "NUMPAGES"]
        assert re.search(r"Page \d+ of \d+", footer.text)


def test_word_properties_and_bytes_are_repeatable(document, word):
    assert word.core_properties.title == "OPCC performance snapshot"
    assert word.core_properties.subject == "Q2 2025/26 (July to September 2025)"
    assert word.core_properties.created.year == 2000
    assert write_docx(document) == write_docx(document)


# --- PDF --------------------------------------------------------------------------------------------------

def test_pdf_holds_the_headings_figures_and_rag_words(pdf_pages):
    text = "\n".join(pdf_pages)
    for expected in ["OPCC performance snapshot", "Office performance", "Complaints and reviews",
                     "Community Safety Partnership balances", "£126,566.47", "Green", "Amber", "Red",
                     "Complaint reviews received, July to September 2025", "“average” rose → expect"]:
        assert expected in text


def test_pdf_every_page_is_classified_and_numbered(pdf_pages):
    total = len(pdf_pages)
    assert total >= 3  # the cover page, the page break, and the long table running over
    for number, text in enumerate(pdf_pages, start=1):
        assert text.count(CLASSIFICATION) >= 2, f"page {number}: header and footer"
        assert f"Page {number} of {total}" in text


def test_pdf_repeats_the_table_header_after_a_page_break(pdf_pages):
    pages_with_rows = [text for text in pdf_pages if re.search(r"Area \d\d", text)]
    assert len(pages_with_rows) >= 2
    for text in pages_with_rows:
        assert "CSP area" in text and "Allocation" in text
    assert "Area 60" in pages_with_rows[-1]


def test_pdf_bookmarks_the_first_two_heading_levels(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))

    def titles(items):
        return [titles(item) if isinstance(item, list) else item.title for item in items]

    assert titles(reader.outline) == [
        "Office performance", ["Complaints and reviews"],
        "Community Safety Partnership balances", ["Allocations and spend"],
    ]
    assert reader.metadata.title == "OPCC performance snapshot"


def test_pdf_bytes_are_repeatable(document, pdf_bytes):
    assert write_pdf(document) == pdf_bytes


# --- rendering --------------------------------------------------------------------------------------------

def test_every_page_renders_to_a_real_image(pdf_bytes, pdf_pages, tmp_path):
    from matplotlib.image import imread

    paths = _render_script().render_pages(pdf_bytes, tmp_path / "pages")
    assert len(paths) == len(pdf_pages)
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        pixels = imread(path)
        assert pixels.shape[0] > pixels.shape[1] > 800  # portrait, at about 108 dpi
        assert pixels.min() < 0.2 and len({tuple(p) for p in pixels[::7, ::7].reshape(-1, pixels.shape[2])}) > 10


def test_render_script_prints_the_paths(pdf_bytes, tmp_path, capsys):
    source = tmp_path / "paper.pdf"
    source.write_bytes(pdf_bytes)
    assert _render_script().main([str(source), str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "out" / f"page-{n:02d}.png") for n in range(1, len(printed) + 1)]
    assert len(printed) >= 3


def test_column_widths_follow_the_weights_until_a_word_would_not_fit():
    from digests.docx_writer import fit_column_widths

    assert fit_column_widths((3, 1, 1), [1, 2, 1], 10, 3) == pytest.approx([6, 2, 2])
    # The two narrow columns are held at their floors; the wide one gives up the difference.
    assert fit_column_widths((8, 1, 1), [1, 2, 1], 10, 3) == pytest.approx([7, 2, 1])
    assert fit_column_widths(None, [1, 1], 4, 2) == pytest.approx([2, 2])
    # Words wider than the page between them: shrink every column in proportion to its floor.
    assert fit_column_widths((1, 1), [6, 2], 4, 2) == pytest.approx([3, 1])


def test_a_narrow_rag_column_is_widened_rather_than_breaking_the_word():
    plan = TableBlock(["#", "Delivery strategy", "Metric", "Target/expectation", "Baseline 2024/25", "Latest",
                       "Direction", "RAG"],
                      [["1", "Victims", "Victim satisfaction with the service", "Improve", "71%", "74%", "↑", "Amber"]],
                      widths=(0.5, 1.9, 3.4, 1.6, 1.2, 1.0, 0.9, 0.9), rag_cells={(0, 7): "amber"})
    document = Document("Plan", "", CLASSIFICATION, [plan])
    pdf_text = PdfReader(io.BytesIO(write_pdf(document))).pages[0].extract_text()
    assert re.search(r"\bAmber\b", pdf_text) and re.search(r"\bDirection\b", pdf_text)
    table = docx.Document(io.BytesIO(write_docx(document))).tables[0]
    assert table.columns[7].width > Cm(17 * 0.9 / 11.4)


def test_a_page_break_leaves_no_blank_line_at_the_top_of_the_next_page(word):
    texts = [p.text for p in word.paragraphs]
    before = word.paragraphs[texts.index("Community Safety Partnership balances") - 1]
    assert before.text == "Complaint reviews received, July to September 2025"  # the caption, then the break
    assert before._p.xpath('.//w:br[@w:type="page"]')


def test_a_figure_taller_than_a_page_is_shrunk_to_fit_not_cut(tmp_path):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from PIL import Image

    tall = io.BytesIO()
    Image.new("RGB", (200, 800), "#0072B2").save(tall, format="PNG")
    document = Document("Tall", "", CLASSIFICATION, [Paragraph("Text before the chart."),
                                                     Figure(tall.getvalue(), "A tall bar.", "A tall chart", 16.0)])
    pdf = pdfium.PdfDocument(write_pdf(document))
    try:
        width, height = pdf[0].get_size()
        images = [item.get_bounds() for page in pdf for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
    finally:
        pdf.close()
    assert len(images) == 1
    left, bottom, right, top = images[0]
    margin = 20 / 25.4 * 72
    assert left >= margin - 0.5 and right <= width - margin + 0.5
    assert bottom >= margin - 0.5 and top <= height - margin + 0.5
    assert (top - bottom) / (right - left) == pytest.approx(4, rel=0.01)

    shape = docx.Document(io.BytesIO(write_docx(document))).inline_shapes[0]
    assert shape.height <= Cm(29.7 - 4) and shape.height / shape.width == pytest.approx(4, rel=0.01)


def test_a_heading_never_ends_a_page_without_the_table_under_it():
    from PIL import Image

    metric = [Heading("Average days taken to respond", 3),
              Paragraph("Mean number of calendar days the public waited for a reply.", style="note"),
              TableBlock(["Baseline comparison", "Last 3 months", "Difference to previous 3 months"],
                         [["N/A", "13.3 days", "-2.3 days"]])]
    # A figure 17 cm wide and 3 mm taller each time pushes the heading down the page; between about 196 and
    # 210 mm of figure the heading and its note fit at the foot of the first page but the table does not.
    for height_mm in range(181, 226, 3):
        filler = io.BytesIO()
        Image.new("RGB", (170, height_mm), "#56B4E9").save(filler, format="PNG")
        document = Document("Keep together", "", CLASSIFICATION,
                            [Figure(filler.getvalue(), "A block of colour.", "Filler", 17.0), *metric])
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(write_pdf(document))).pages]
        heading_page = next(n for n, text in enumerate(pages) if "Average days taken to respond" in text)
        assert "13.3 days" in pages[heading_page], f"{height_mm} mm of filler: the heading was left behind"

    word = docx.Document(io.BytesIO(write_docx(document)))
    note = next(p for p in word.paragraphs if p.text.startswith("Mean number"))
    assert note.paragraph_format.keep_with_next
    assert word.tables[0].rows[0].cells[0].paragraphs[0].paragraph_format.keep_with_next
