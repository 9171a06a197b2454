"""The snapshot's quarter: by default the last complete quarter with office figures; a quarter with none is held back."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bot.app import build_registry
from commands.snapshot import choose_quarter
from digests.document import Paragraph, TableBlock
from digests.snapshot import build_snapshot
from storage.periods import Quarter
from storage.snapshot_queries import (
    last_complete_quarter, last_quarter_with_office_figures, quarter_has_office_figures,
)
from storage.snapshot_store import recent_snapshots

# The machine's real date when the issue was filed: the bundled figures end in September 2025.
TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
Q1, Q2 = Quarter(2025, 1), Quarter(2025, 2)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))


def _registry(db, settings, when=TODAY):
    return build_registry(settings, db, clock=lambda: when)


def _docx_text(content: bytes) -> tuple[str, list[list[str]]]:
    from docx import Document

    document = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    return text, [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


# --- the storage query ------------------------------------------------------------------------------------

@pytest.mark.parametrize("today, quarter", [
    (date(2025, 10, 1), Q2), (date(2025, 9, 30), Q1), (date(2026, 12, 1), Quarter(2026, 2)),
    (date(2026, 4, 1), Quarter(2025, 4)),
])
def test_last_complete_quarter(today, quarter):
    assert last_complete_quarter(today) == quarter


def test_the_default_is_the_last_quarter_with_office_figures_not_the_last_complete_one(demo_db):
    with demo_db.session() as session:
        # On 1 Dec 2026 the last complete quarter is 2026/27 Q2, which has nothing; the figures end Sep 2025.
        assert last_quarter_with_office_figures(session, date(2026, 12, 1)) == Q2
        # On 30 Sep 2025 Q2 has not ended: Q1 is the latest complete quarter, and it has figures.
        assert last_quarter_with_office_figures(session, date(2025, 9, 30)) == Q1
        assert quarter_has_office_figures(session, Q2)
        assert not quarter_has_office_figures(session, Quarter(2026, 1))


def test_nothing_loaded_means_no_default_quarter(db):
    with db.session() as session:
        assert last_quarter_with_office_figures(session, date(2026, 12, 1)) is None
        assert not quarter_has_office_figures(session, Q2)


def test_a_quarter_counts_once_its_last_month_is_loaded(db, write_file):
    """With July and August loaded but not September, the whole paper that can be written is Q1's."""
    from storage.importers.observations import import_observations
    from storage.repository import read_catalog

    rows = "".join(f"calls-under-25s,{month},60\n" for month in ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08"))
    with db.session() as session:
        import_observations(session, write_file("calls.csv", "metric,period,value\n" + rows), read_catalog(session),
                            "analyst", PANEL_DAY)
    with db.session() as session:
        assert last_quarter_with_office_figures(session, date(2025, 10, 27)) == Q1
        assert quarter_has_office_figures(session, Q2)  # asked for by name, Q2 has figures to show


def test_review_log_and_plan_figures_are_not_office_figures(demo_db):
    """Only office KPIs decide: 2025/26 Q1 of the Plan dashboard alone would not make a snapshot."""
    from sqlalchemy import delete, select

    from storage.models import MetricRow, ObservationRow

    with demo_db.session() as session:
        office = select(MetricRow.id).where(MetricRow.kind == "office")
        session.execute(delete(ObservationRow).where(ObservationRow.metric_id.in_(office)))
    with demo_db.session() as session:
        assert last_quarter_with_office_figures(session, date(2026, 12, 1)) is None
        assert not quarter_has_office_figures(session, Q1)


# --- /snapshot and kpibot snapshot choose alike -----------------------------------------------------------

def test_snapshot_without_a_quarter_writes_the_last_quarter_with_figures(demo_db, settings):
    registry = _registry(demo_db, settings)
    response = registry.run_line("/snapshot docx")
    assert not response.is_error, response.title
    assert response.title == "Panel snapshot 2025/26 Q2: opcc-performance-snapshot-2025-26-Q2.docx"
    text, cells = _docx_text(response.files[0].content)
    assert "2025/26 Q2 (Jul-Sep 2025)" in text
    calls = next(row for row in cells if row[0] == "Calls answered under 25 seconds" and len(row) == 6)
    assert calls[2] == "58%"
    assert [r.quarter for r in recent_snapshots(demo_db)] == ["2025/26 Q2"]


@pytest.mark.parametrize("text, problem", [
    ("2026/27 Q1", "No office figures for 2026/27 Q1 (Apr-Jun 2026): the snapshot is held back and nothing was "
                   "recorded."),
    ("Q2", "No office figures for 2026/27 Q2 (Jul-Sep 2026): the snapshot is held back and nothing was recorded."),
    ("last quarter", "No office figures for 2026/27 Q2 (Jul-Sep 2026): the snapshot is held back and nothing was "
                     "recorded."),
    ("this quarter", "2026/27 Q3 has not ended yet (today is 1 Dec 2026)."),
])
def test_a_quarter_with_no_figures_is_held_back_and_nothing_recorded(demo_db, settings, text, problem):
    registry = _registry(demo_db, settings)
    response = registry.run_line(f"/snapshot {text}")
    assert response.is_error and not response.files
    assert response.title == problem
    assert response.notes == ["The latest complete quarter with office figures is 2025/26 Q2."]
    assert recent_snapshots(demo_db) == []


def test_the_date_forms_of_design_name_the_quarter(demo_db, settings):
    """On the Panel day (27 Oct 2025), Q2 and last quarter both mean 2025/26 Q2."""
    registry = _registry(demo_db, settings, PANEL_DAY)
    for text in ("Q2", "last quarter", "2025/26 Q2", "q2 2025/26"):
        assert choose_quarter(registry.context, text).quarter == Q2, text
    choice = choose_quarter(registry.context, "last month")
    assert choice.quarter is None and choice.problem == "'last month' is not a quarter."


def test_an_empty_database_has_no_paper_to_write(db, settings):
    registry = _registry(db, settings)
    response = registry.run_line("/snapshot")
    assert response.is_error and not response.files
    assert response.title.startswith("No office figures are loaded for any complete quarter (up to 2026/27 Q2)")
    assert response.notes == ["Load the office's monthly figures first: kpibot import observations FILE (CSV or Excel)."]
    assert recent_snapshots(db) == []


def test_cli_snapshot_defaults_to_the_last_quarter_with_figures(demo_db, tmp_path):
    """`kpibot snapshot --out p.docx` on the machine's own clock: the bundled figures end Sep 2025, so 2025/26 Q2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env["KPIBOT_DATABASE_URL"] = demo_db.url
    result = subprocess.run([KPIBOT, "snapshot", "--out", str(tmp_path / "p.docx")], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text, cells = _docx_text((tmp_path / "p.docx").read_bytes())
    assert "2025/26 Q2 (Jul-Sep 2025)" in text
    assert any(row[0] == "Calls answered under 25 seconds" and "58%" in row for row in cells)
    held = subprocess.run([KPIBOT, "snapshot", "2020/21 Q3", "--out", str(tmp_path / "old.docx")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert held.returncode == 1
    assert "No office figures for 2020/21 Q3 (Oct-Dec 2020): the snapshot is held back" in held.stderr
    assert "2025/26 Q2" in held.stderr
    assert not (tmp_path / "old.docx").exists()
    assert [r.quarter for r in recent_snapshots(demo_db)] == ["2025/26 Q2"]


# --- what the paper says ----------------------------------------------------------------------------------

def test_plan_figures_show_their_period(demo_db, settings):
    blocks = build_snapshot(_registry(demo_db, settings, PANEL_DAY).context, Q2, PANEL_DAY).document.blocks
    plan = next(b for b in blocks if isinstance(b, TableBlock) and b.columns[0] == "#")
    rows = {row[2]: row for row in plan.rows}
    # The Q1 2025/26 dashboard: 664 neighbourhood officers in 2024/25, 666 in Q1; OPCC staff satisfaction 63%
    # in the 2025/26 survey; a rate per 1,000 says so.
    assert plan.columns[5:7] == ["Latest", "Period"]
    assert rows["Number of neighbourhood officers"][4:7] == ["664", "666", "2025/26 Q1"]
    assert rows["Staff satisfaction in the OPCC"][5:7] == ["63%", "2025/26"]
    assert rows["Stalking and harassment offences"][5:7] == ["10.02 per 1,000", "2025/26 Q1"]
    assert all("None" not in cell for row in plan.rows for cell in row)
    assert {row[8] for row in plan.rows} <= {"Green", "Amber", "Red", "No RAG"}


def test_a_quarter_with_no_completed_reviews_says_so(demo_db, settings):
    """The bundled case log starts in July 2025: 2025/26 Q1 has office figures and no reviews."""
    blocks = build_snapshot(_registry(demo_db, settings, PANEL_DAY).context, Q1, PANEL_DAY).document.blocks
    average = next(b for b in blocks if isinstance(b, Paragraph) and b.label == "Average days to complete")
    assert average.text == "No reviews were completed in the quarter, so there is no average."


def test_office_tables_say_a_count_is_a_monthly_average(demo_db, settings):
    blocks = build_snapshot(_registry(demo_db, settings, PANEL_DAY).context, Q2, PANEL_DAY).document.blocks
    scrutiny = next(b for b in blocks if isinstance(b, TableBlock) and b.caption == "Scrutiny Functions, Jul-Sep 2025")
    visits = next(row for row in scrutiny.rows if row[0] == "Independent custody visits")
    # The Sept 2025 report: 10 visits a month against a baseline of 8, up 2 on the previous 3 months.
    assert visits[1:4] == ["+2 a month (baseline 8 a month)", "10 a month", "+2 a month"]
    statutory = next(b for b in blocks if isinstance(b, TableBlock) and b.caption == "Statutory Duties, Jul-Sep 2025")
    foi = next(row for row in statutory.rows if row[0] == "Freedom of Information requests received")
    assert foi[1:4] == ["+2 (baseline 1)", "3", "+3"]  # a total over 3 months, not an average


def test_chart_captions_say_the_months_drawn(demo_db, settings):
    from digests.document import Figure

    blocks = build_snapshot(_registry(demo_db, settings, PANEL_DAY).context, Q2, PANEL_DAY).document.blocks
    captions = [b.caption for b in blocks if isinstance(b, Figure)]
    # Calls answered under 25 seconds were first recorded in July 2025: three months, not thirteen.
    assert "Calls answered under 25 seconds, Jul 2025 to Sep 2025" in captions
    assert "Volunteer hours, Sep 2024 to Sep 2025" in captions
    assert not any("13 months" in caption for caption in captions)


def test_the_paper_has_no_python_words(demo_db, settings):
    """Neither 'None' (for no RAG, no commentary) nor 'N/A on average, over the 0 reviews'."""
    from commands.snapshot import produce

    context = _registry(demo_db, settings, PANEL_DAY).context
    for quarter in (Q1, Q2):
        text, cells = _docx_text(produce(context, quarter, ["docx"], "U0GOV").files[0].content)
        words = [*text.splitlines(), *(cell for row in cells for cell in row)]
        assert not [w for w in words if "None" in w or "over the 0 reviews" in w], quarter
        assert "Nothing recorded for this quarter." in text


def test_history_lists_what_was_recorded_with_dates_as_the_papers_write_them(demo_db, settings):
    registry = _registry(demo_db, settings)
    registry.run_line("/snapshot docx")
    registry.run_line("/snapshot 2026/27 Q1")   # held back: not recorded
    history = registry.run_line("/snapshot history")
    # 1 Dec 2026 09:00 UTC is 09:00 in London (GMT in December).
    assert [row[1:5] for row in history.table.rows] == [["2025/26 Q2", "1 Dec 2026 09:00", "console", "30 Sep 2025"]]
