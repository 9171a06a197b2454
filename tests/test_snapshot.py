"""The Panel snapshot on the bundled dataset: the published figures in the right cells of the Word and PDF files."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.app import build_registry
from commands.snapshot import produce
from digests.snapshot import build_snapshot
from storage.periods import Quarter
from storage.snapshot_store import recent_snapshots, snapshot_figures

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
Q2 = Quarter(2025, 2)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))


@pytest.fixture
def context(demo_db, settings):
    return build_registry(settings, demo_db, clock=lambda: PANEL_DAY).context


@pytest.fixture
def files(context):
    response = produce(context, Q2, ["docx", "pdf"], "U0GOV")
    return {f.filename.rsplit(".", 1)[1]: f.content for f in response.files}


def _docx_tables(content: bytes):
    from docx import Document

    document = Document(io.BytesIO(content))
    return document, [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def _find_table(tables, first_header: str, contains: str):
    return next(t for t in tables if t[0][0] == first_header and any(contains in " ".join(r) for r in t))


def test_word_tables_hold_the_published_figures(files):
    document, tables = _docx_tables(files["docx"])
    csp = _find_table(tables, "CSP area", "Leicester")
    rows = {row[0]: row[1:] for row in csp[1:]}
    assert rows["Leicester"] == ["£271,818.47", "£145,252.00", "£126,566.47"]
    assert rows["Total"] == ["£639,675.00", "£345,775.49", "£293,899.51"]
    reviews = _find_table(tables, "Month", "Jul")
    assert [row[1] for row in reviews[1:]] == ["18", "24", "24", "66"]
    assert reviews[1] == ["Jul", "18", "0", "2", "16", "0"]
    public = _find_table(tables, "Metric", "Calls answered under 25 seconds")
    calls = next(row for row in public if row[0] == "Calls answered under 25 seconds")
    assert calls[2] == "58%"
    correspondence = next(row for row in public if row[0].startswith("Correspondence"))
    assert correspondence[1:4] == ["+65pp (baseline 35%)", "100%", "+54pp"]


def test_word_structure_is_accessible(files):
    from docx import Document

    document = Document(io.BytesIO(files["docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings[:2] == ["Office performance", "Police and Crime Plan dashboard"] or \
        {"Office performance", "Police and Crime Plan dashboard", "Complaint reviews",
         "Community Safety Partnership balances", "Glossary"} <= set(headings)
    xml = document.element.xml
    descriptions = [d for d in xml.split('descr="')[1:]]
    assert len(descriptions) >= 12  # every chart has alt text
    section = document.sections[0]
    assert "OFFICIAL" in " ".join(p.text for p in section.header.paragraphs)
    assert "OFFICIAL" in " ".join(p.text for p in section.footer.paragraphs)


def test_pdf_text_has_the_same_figures(files):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(files["pdf"]))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for figure in ("£126,566.47", "£639,675.00", "£345,775.49", "£293,899.51", "58%", "+54pp", "+65pp"):
        assert figure in text
    assert all("OFFICIAL" in page.extract_text() for page in reader.pages)


def test_snapshot_is_recorded_with_its_figures(context, files):
    records = recent_snapshots(context.db)
    assert [(r.quarter, r.requested_by, r.formats) for r in records] == [("2025/26 Q2", "U0GOV", "docx,pdf")]
    figures = snapshot_figures(context.db, records[0].id)
    assert figures["office"]["calls-under-25s"]["last3"] == 58.0
    assert figures["csp"]["rows"][-1] == ["Total", "£639,675.00", "£345,775.49", "£293,899.51"]


def test_same_data_same_figures_and_fingerprint(context):
    first = build_snapshot(context, Q2, PANEL_DAY)
    second = build_snapshot(context, Q2, datetime(2025, 11, 3, 9, tzinfo=timezone.utc))
    assert first.sha256 == second.sha256
    assert first.document.blocks == second.document.blocks


def test_commentary_appears_in_the_snapshot(context):
    from bot.render_text import render_text  # noqa: F401 - the command's own answer is text
    from commands.registry import CommandRequest
    from commands.kpi import kpi_command

    kpi_command(CommandRequest("/kpi", "calls-under-25s note 2025/26 Q2 Q2 was 58%; raised with the team.", "U0AN"),
                context)
    kpi_command(CommandRequest("/kpi", "calls-under-25s action 2025/26 Q2 Review staffing at peak times.", "U0AN"),
                context)
    from digests.document import Paragraph

    blocks = build_snapshot(context, Q2, PANEL_DAY).document.blocks
    texts = [(b.label, b.text) for b in blocks if isinstance(b, Paragraph) and b.label]
    assert ("Observation", "Q2 was 58%; raised with the team.") in texts
    assert ("Planned action", "Review staffing at peak times.") in texts


def test_cli_writes_the_paper(demo_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env["KPIBOT_DATABASE_URL"] = demo_db.url
    result = subprocess.run([KPIBOT, "snapshot", "2025/26 Q2", "--out", str(tmp_path / "paper.docx"),
                             "--out", str(tmp_path / "paper.pdf")], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "paper.docx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "paper.pdf").read_bytes()[:5] == b"%PDF-"
    bad = subprocess.run([KPIBOT, "snapshot", "2025/26", "--out", str(tmp_path / "x.docx")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "is not a quarter" in bad.stderr


def test_measures_no_longer_reported_are_left_out_and_counted(context, tmp_path):
    """A measure whose last figure is older than the year to the quarter's end stays in the catalog, not the paper."""
    from digests.document import Heading, Paragraph
    from storage.catalog import parse_catalog
    from storage.importers.observations import import_observations
    from storage.repository import read_catalog, sync_catalog

    entry = dict(kind="office", unit="count", frequency="monthly", aggregate="sum", polarity="higher_better",
                 definition="A measure the office used to report.")
    catalog = parse_catalog({"sections": [{"name": "Archived Measures", "kind": "office"}], "metrics": [
        dict(entry, slug="letters-by-fax", name="Letters received by fax", section="Archived Measures"),
        dict(entry, slug="walk-in-visits", name="Walk-in visits", section="Archived Measures"),
    ]}, "archived.yaml")
    figures = tmp_path / "archived.csv"
    figures.write_text("metric,period,value\nletters-by-fax,2024-08,3\nletters-by-fax,2024-09,2\n"
                       "walk-in-visits,2024-09,40\nwalk-in-visits,2024-10,38\n", encoding="utf-8")
    with context.db.session() as session:
        sync_catalog(session, catalog, "archived.yaml", PANEL_DAY)
    with context.db.session() as session:
        import_observations(session, figures, read_catalog(session), "analyst", PANEL_DAY)
    blocks = build_snapshot(context, Q2, PANEL_DAY).document.blocks
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    # Q2 ends in September 2025: a figure for October 2024 or later keeps a measure in the paper.
    assert "Walk-in visits" in headings and "Archived Measures" in headings
    assert "Letters received by fax" not in headings
    notes = [b.text for b in blocks if isinstance(b, Paragraph) and b.text.startswith("Not shown")]
    assert notes == ["Not shown: 1 office measure with no figure since 1 Oct 2024, still in the catalog with its history."]
    glossary = blocks[-1]
    assert "Letters received by fax" not in [row[0] for row in glossary.rows]
