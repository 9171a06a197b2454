"""A control character never breaks a quarter's paper: refused when a note is stored, dropped when text stored
earlier (by an older version, or straight into the database) is written into Word and PDF."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from digests.document import Document, Figure, Heading, Paragraph, TableBlock
from digests.docx_writer import write_docx
from digests.pdf_writer import write_pdf
from storage.commentary import CommentRefused, add_comment, latest_comments
from storage.models import CommentaryRow, CspAllocationRow, CspSpendRow, MetricRow, ReviewRow

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))
Q2 = "2025/26 Q2"
NOTE = "Visits resumed{c} in August"
CLEAN_NOTE = "Visits resumed in August"
# "Visits resumed" is 14 characters: the character after it is the 15th of the note, and the 42nd of the text
# after /kpi ("icv-visits note 2025/26 Q2 " is 27 characters before it).
REFUSED_NOTE = ("The note contains U+0007 (BEL) at character 15, which I can't store or show. Remove it and send the "
                "text again (it usually comes with text pasted from another program).")
REFUSED_COMMAND = "The text after /kpi contains U+0007 (BEL) at character 42, which I can't store or show."
# What an older version could store: PostgreSQL takes a bell and a form feed, SQLite a NUL as well.
STORED = {"BEL": "\x07", "form feed": "\x0c", "NUL": "\x00"}
# Every character both writers must survive; a lone surrogate cannot reach a database, only a Document.
UNWRITABLE = {**STORED, "ESC": "\x1b", "DEL": "\x7f", "lone surrogate": "\ud800", "U+FFFE": "\ufffe"}


def _commentary_count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(CommentaryRow))


# --- refused on entry -------------------------------------------------------------------------------------

def test_storage_refuses_a_note_with_a_control_character_whatever_path_it_came_by(demo_db):
    with demo_db.session() as session, pytest.raises(CommentRefused) as refused:
        add_comment(session, "icv-visits", Q2, "observation", NOTE.format(c="\x07"), "U0EDITOR", PANEL_DAY)
    assert str(refused.value) == REFUSED_NOTE
    assert _commentary_count(demo_db) == 0
    with demo_db.session() as session:
        add_comment(session, "icv-visits", Q2, "observation", "Visits resumed\tin August\n(two sites)", "U0EDITOR",
                    PANEL_DAY)  # tabs and line breaks are text
    assert _commentary_count(demo_db) == 1


def test_the_note_command_refuses_it_and_stores_nothing(demo_db, registry_at):
    answer = registry_at(PANEL_DAY).run_line(f"/kpi icv-visits note {Q2} " + NOTE.format(c="\x07"))
    assert answer.is_error and answer.title == REFUSED_COMMAND
    assert _commentary_count(demo_db) == 0


# --- stored earlier, written now ----------------------------------------------------------------------------

def _store_as_an_older_version_would(db, character: str) -> None:
    """A note, a CSP area's name and a case reference holding `character`, written past every check."""
    with db.session() as session:
        metric_id = session.scalar(select(MetricRow.id).where(MetricRow.slug == "icv-visits"))
        session.add(CommentaryRow(metric_id=metric_id, quarter=Q2, kind="observation",
                                  text=NOTE.format(c=character), author="U0OLD", created_at=PANEL_DAY))
        for table in (CspAllocationRow, CspSpendRow):
            session.execute(update(table).where(table.area == "Blaby").values(area=f"Bla{character}by"))
        session.execute(update(ReviewRow).where(ReviewRow.reference == "CR-2025-0058")
                        .values(reference=f"CR-2025{character}-0058"))


def _stored_characters(db) -> list[str]:
    if db.url.startswith("postgresql"):
        return [name for name in STORED if name != "NUL"]  # PostgreSQL cannot hold a NUL at all
    return list(STORED)


def _observation_paragraph(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    headings = [i for i, p in enumerate(document.paragraphs) if p.text == "Independent custody visits"]
    assert headings, "no detail section for the custody visits"
    return next(p.text for p in document.paragraphs[headings[0]:] if p.text.startswith("Observation: "))


def _docx_cells(content: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(content))
    return [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _assert_written_without(character: str, word: bytes, pdf: bytes) -> None:
    assert word[:2] == b"PK" and pdf[:5] == b"%PDF-"
    assert _observation_paragraph(word) == f"Observation: {CLEAN_NOTE}"
    cells = _docx_cells(word)
    assert "Blaby" in cells and not any(character in cell for cell in cells)
    text = _pdf_text(pdf)
    assert CLEAN_NOTE in text and "Blaby" in text and character not in text


def test_a_stored_control_character_still_gives_both_files_from_the_cli(demo_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env["KPIBOT_DATABASE_URL"] = demo_db.url
    for name in _stored_characters(demo_db):
        with demo_db.session() as session:
            session.execute(CommentaryRow.__table__.delete())
        _store_as_an_older_version_would(demo_db, STORED[name])
        word_path, pdf_path = tmp_path / f"{name}.docx", tmp_path / f"{name}.pdf"
        done = subprocess.run([KPIBOT, "snapshot", Q2, "--out", str(word_path), "--out", str(pdf_path)], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
        assert "XML compatible" not in done.stderr and "unexpected error" not in done.stderr
        _assert_written_without(STORED[name], word_path.read_bytes(), pdf_path.read_bytes())
        _restore_names(demo_db, STORED[name])


def _restore_names(db, character: str) -> None:
    with db.session() as session:
        for table in (CspAllocationRow, CspSpendRow):
            session.execute(update(table).where(table.area == f"Bla{character}by").values(area="Blaby"))
        session.execute(update(ReviewRow).where(ReviewRow.reference == f"CR-2025{character}-0058")
                        .values(reference="CR-2025-0058"))


def test_a_stored_bell_still_gives_both_files_through_the_snapshot_command(demo_db, registry_at):
    _store_as_an_older_version_would(demo_db, "\x07")
    with demo_db.session() as session:
        assert latest_comments(session, Q2)[("icv-visits", "observation")].text == NOTE.format(c="\x07")
    answer = registry_at(PANEL_DAY).run_line(f"/snapshot {Q2}")
    assert not answer.is_error, answer.title
    files = {f.filename.rsplit(".", 1)[1]: f.content for f in answer.files}
    assert sorted(files) == ["docx", "pdf"]
    _assert_written_without("\x07", files["docx"], files["pdf"])


# --- the writers, for every text a Document carries ----------------------------------------------------------

def _tiny_png() -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(2, 1), dpi=50)
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _document_holding(c: str) -> Document:
    return Document(
        title=f"OPCC performance{c} snapshot", subtitle=f"{Q2}{c} (Jul-Sep 2025)", classification=f"OFFICIAL{c}",
        cover_lines=[f"Produced{c} 27 Oct 2025"],
        blocks=[Heading(f"Office{c} performance", 1),
                Paragraph(NOTE.format(c=c), label=f"Observation{c}"),
                TableBlock([f"CSP{c} area", "Remaining"], [[f"Bla{c}by", f"£24,705.26{c}"]], caption=f"CSP{c} balances"),
                Figure(_tiny_png(), alt_text=f"Bar chart{c}", caption=f"CSP allocation{c} and spend")])


@pytest.mark.parametrize("name", sorted(UNWRITABLE))
def test_both_writers_drop_the_character_from_every_text_they_write(name):
    c = UNWRITABLE[name]
    word = docx.Document(io.BytesIO(write_docx(_document_holding(c))))
    paragraphs = [p.text for p in word.paragraphs]
    assert paragraphs[:4] == ["OPCC performance snapshot", f"{Q2} (Jul-Sep 2025)", "Produced 27 Oct 2025",
                              "Office performance"]
    assert f"Observation: {CLEAN_NOTE}" in paragraphs and "CSP balances" in paragraphs
    assert [cell.text for row in word.tables[0].rows for cell in row.cells] == ["CSP area", "Remaining", "Blaby",
                                                                               "£24,705.26"]
    assert word.sections[0].header.paragraphs[0].text == "OFFICIAL"
    assert word.core_properties.title == "OPCC performance snapshot"
    described = word.inline_shapes[0]._inline.docPr
    assert (described.get("descr"), described.get("title")) == ("Bar chart", "CSP allocation and spend")
    text = _pdf_text(write_pdf(_document_holding(c)))
    for expected in ("OPCC performance snapshot", "Office performance", f"Observation: {CLEAN_NOTE}", "Blaby",
                     "CSP balances", "OFFICIAL", "CSP allocation and spend"):
        assert expected in text
    assert c not in text


def test_the_console_answer_carries_no_control_character_stored_earlier(demo_db, registry_at):
    from bot.render_text import render_text

    with demo_db.session() as session:
        for table in (CspAllocationRow, CspSpendRow):
            session.execute(update(table).where(table.area == "Blaby").values(area="Bla\x1b[2Jby"))
    text = render_text(registry_at(PANEL_DAY).run_line("/csp"))
    assert "\x1b" not in text   # an ESC sequence would clear the terminal `kpibot ask` prints to
    # The area column keeps its width: "Hinckley and Bosworth" (21) is the longest name, "Bla[2Jby" is 8.
    assert "\nBla[2Jby               £52,665.76   £27,960.50   £24,705.26   53.1%\n" in text
