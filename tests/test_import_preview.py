"""A preview runs the import itself and writes nothing: new and replaced figures, RAG changes, cases, CSP lines."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storage.importers.common import ImportRejected
from storage.importers.preview import preview
from storage.models import Base
from tests.conftest import TODAY

WHO = "ann"


def _counts(db) -> dict[str, int]:
    """Rows in every table, the audit log among them."""
    with db.session() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def _observations(db) -> list[tuple]:
    from storage.models import ObservationRow

    with db.session() as session:
        return sorted(session.execute(select(ObservationRow.metric_id, ObservationRow.period, ObservationRow.value,
                                             ObservationRow.loaded_at)).all())


def test_a_september_figure_replaced_turns_volunteers_red_and_nothing_is_written(demo_db, write_file):
    # Demo: volunteers Jul-Sep 2025 are 26, 26, 26 against a 2024/25 baseline of 24 (tolerance 1.2): Green.
    # Sep at 14 makes the last 3 months (26 + 26 + 14) / 3 = 22, 2 below the baseline: Red.
    # Volunteer hours Jul-Sep 48, 52, 52 against 75 are Red; Sep at 140 makes 80, above 75 + 3.75: Green.
    path = write_file("september.csv", "metric,period,value\n"
                                       "volunteers,2025-09,14\n"
                                       "volunteer-hours,2025-09,140\n"
                                       "foi-requests,2025-09,2\n")
    before, figures = _counts(demo_db), _observations(demo_db)
    result = preview(demo_db, path, WHO, TODAY)
    assert _counts(demo_db) == before
    assert _observations(demo_db) == figures
    assert result.kind == "observations"
    assert (result.rows, result.result.inserted, result.result.replaced, result.result.unchanged) == (3, 0, 2, 1)
    assert [(f.metric.slug, f.period, f.old, f.new) for f in result.replaced_values] == [
        ("volunteer-hours", "2025-09", 52.0, 140.0), ("volunteers", "2025-09", 26.0, 14.0)]
    assert result.new_values == ()
    assert result.periods == ("2025-09",)
    assert [(c.metric.slug, c.before, c.after) for c in result.rag_changes] == [
        ("volunteer-hours", "red", "green"), ("volunteers", "green", "red")]
    assert result.summary_lines() == [
        "september.csv: 3 rows of figures; 0 new, 2 replaced, 1 unchanged.",
        "Changes Volunteer hours, Number of volunteers, Sep 2025.",
        "Volunteer hours, Sep 2025: 52 hours -> 140 hours",
        "Number of volunteers, Sep 2025: 26 -> 14",
        "Volunteer hours turns Green (was Red)",
        "Number of volunteers turns Red (was Green)",
    ]


def test_a_new_month_is_a_new_value_and_a_rag_that_stays_is_not_listed(demo_db, write_file):
    # Volunteer hours Aug-Oct 52, 52, 60 average 54.7, still Red against 75.
    path = write_file("october.csv", "metric,period,value\nvolunteer-hours,2025-10,60\n")
    result = preview(demo_db, path, WHO, TODAY)
    assert [(f.metric.slug, f.period, f.old, f.new) for f in result.new_values] == [
        ("volunteer-hours", "2025-10", None, 60.0)]
    assert result.rag_changes == ()
    assert "Volunteer hours, Oct 2025: 60 hours (new)" in result.summary_lines()


def test_a_bad_row_is_refused_as_the_import_refuses_it_and_nothing_is_written(demo_db, write_file):
    path = write_file("bad.csv", "metric,period,value\nvolunteers,2025-09,14\nvolunteer-hours,2025-08,lots\n")
    before = _counts(demo_db)
    with pytest.raises(ImportRejected) as caught:
        preview(demo_db, path, WHO, TODAY)
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "value")]
    assert "bad.csv, row 3, column value: 'lots' is not" in str(caught.value)
    assert _counts(demo_db) == before


def test_the_wide_form(demo_db, write_file):
    path = write_file("wide.csv", "Metric,Jul-25,Aug-25,Sep-25\nvolunteers,26,26,14\n")
    result = preview(demo_db, path, WHO, TODAY)
    assert (result.rows, result.result.replaced, result.result.unchanged) == (3, 1, 2)
    assert [(f.period, f.old, f.new) for f in result.figures] == [("2025-09", 26.0, 14.0)]
    assert [(c.metric.slug, c.before, c.after) for c in result.rag_changes] == [("volunteers", "green", "red")]


def test_a_reviews_file_lists_its_cases_only_when_asked(demo_db, write_file):
    path = write_file("log.csv", "reference,received,completed,outcome,learning\n"
                                 "CR-2025-0001,2025-07-01,2025-08-25,not upheld,yes\n"
                                 "CR-2025-0002,2025-07-02,2025-09-11,upheld,no\n"
                                 "CR-2025-0900,2025-10-02,,,\n")
    before = _counts(demo_db)
    result = preview(demo_db, path, WHO, TODAY)
    assert _counts(demo_db) == before
    assert (result.kind, result.rows, result.result.inserted, result.result.replaced) == ("reviews", 3, 1, 1)
    assert result.summary_lines() == [
        "log.csv: 3 rows of the review log; 1 new, 1 replaced, 1 unchanged.",
        "Cases: 1 new, 1 updated.",
        "The case references are listed where case lists may be shown.",
    ]
    shown = result.summary_lines(show_cases=True)
    assert ("CR-2025-0001: received 2025-07-01, completed 2025-08-25, upheld -> "
            "received 2025-07-01, completed 2025-08-25, not upheld, with learning") in shown
    assert "CR-2025-0900: new, received 2025-10-02, open" in shown


def test_a_csp_spend_file_adds_lines_by_area(demo_db, write_file):
    path = write_file("spend.csv", "date,area,project,amount\n"
                                   "2025-10-01,Leicester,NTE Ambulance St John,100.50\n"
                                   "2025-10-02,Leicester,NTE Ambulance St John,10\n"
                                   "2025-10-02,Blaby,Youth Diversion,\"£1,000.00\"\n")
    before = _counts(demo_db)
    result = preview(demo_db, path, WHO, TODAY)
    assert _counts(demo_db) == before
    assert [(s.area, s.lines, s.total) for s in result.spend] == [
        ("Blaby", 1, Decimal("1000.00")), ("Leicester", 2, Decimal("110.50"))]
    assert result.summary_lines()[1:] == ["Adds 3 spend lines, £1,110.50 in all.", "Blaby: 1 line, £1,000.00",
                                          "Leicester: 2 lines, £110.50"]
    # A preview leaves no trace: the same file can still be imported once.
    from storage.importers.load import load

    with demo_db.session() as session:
        assert load(session, "csp-spend", path, WHO, TODAY).inserted == 3
    with pytest.raises(ImportRejected, match="already imported"):
        preview(demo_db, path, WHO, TODAY)


def test_csp_allocations_new_and_replaced(demo_db, write_file):
    path = write_file("alloc.csv", "area,year,allocation\nLeicester,2025/26,271000.00\nRutland,2026/27,100\n")
    result = preview(demo_db, path, WHO, TODAY)
    assert [(a.area, a.year, a.old, a.new) for a in result.allocations] == [
        ("Leicester", "2025/26", Decimal("271818.47"), Decimal("271000.00")),
        ("Rutland", "2026/27", None, Decimal("100.00"))]
    assert result.summary_lines()[1:] == ["Leicester 2025/26 allocation: £271,818.47 -> £271,000.00",
                                          "Rutland 2026/27 allocation: £100.00 (new)"]


def test_an_unknown_header_is_refused_before_anything_runs(demo_db, write_file):
    before = _counts(demo_db)
    with pytest.raises(ImportRejected, match="matches no kind of import"):
        preview(demo_db, write_file("mystery.csv", "name,team\nAnn,Office\n"), WHO, TODAY)
    assert _counts(demo_db) == before


def test_a_preview_then_the_import_gives_what_the_preview_said(demo_db, write_file):
    path = write_file("september.csv", "metric,period,value\nvolunteers,2025-09,14\n")
    result = preview(demo_db, path, WHO, TODAY)
    from storage.importers.load import load
    from storage.repository import metric_by_slug, metric_comparison

    with demo_db.session() as session:
        imported = load(session, "observations", path, WHO, TODAY)
    assert imported == result.result
    with demo_db.session() as session:
        assert metric_comparison(session, metric_by_slug(session, "volunteers"), None, TODAY.date()).rag == "red"
