"""Digests answer for the day they are built on: the period beside every current figure, and a line saying how
old the figures are once they are older than DESIGN.md allows."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.app import build_registry
from digests.content import digest_builder
from digests.figure_words import rag_change, staleness_lines
from digests.schedule import occurrence_for
from storage.catalog import builtin_catalog
from storage.kpi import panel_comparison, Point
from storage.periods import Month, Quarter

# The machine's real date when the issue was filed; the bundled figures end Sep 2025.
TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)


def _weekly(db, settings, when: datetime):
    registry = build_registry(settings, db, clock=lambda: when)
    day = registry.context.today()
    occurrence = replace(occurrence_for("weekly", day), as_of=day)  # as /digest preview weekly builds it
    return digest_builder(registry.context)(occurrence)


def _part(digest, title):
    return next(p for p in digest.message.parts if p.title == title)


def test_the_weekly_digest_today_says_its_figures_are_old(demo_db, settings):
    digest = _weekly(demo_db, settings, TODAY)
    assert digest.held_reason is None
    assert digest.message.title == "Weekly performance digest: week of 1 Dec 2026"
    # 30 Sep 2025 to 1 Dec 2026 is 14 whole months; 2025/26 Q1 ended 30 Jun 2025, 17 months before.
    assert digest.message.notes[1:] == [
        "Office KPIs: latest figures are for Sep 2025, 14 months ago.",
        "Police and Crime Plan, quarterly measures: latest figures are for 2025/26 Q1, 17 months ago.",
    ]


def test_the_weekly_digest_on_the_panel_week_has_no_staleness_line(demo_db, settings):
    digest = _weekly(demo_db, settings, MONDAY_6_OCT)
    assert digest.message.notes == ["Figures as of 6 Oct 2025. Ask for more with /kpi, /reviews and /csp."]


def test_every_current_figure_has_its_period_and_its_unit(demo_db, settings):
    watch = _part(_weekly(demo_db, settings, TODAY), "Red and amber metrics")
    assert watch.table.columns == ["Metric", "Period", "Current", "Target or baseline", "RAG"]
    rows = {row[0]: row[1:] for row in watch.table.rows}
    # The Q1 2025/26 Plan dashboard: stalking and harassment 10.02 per 1,000, neighbourhood crime 11,077.
    assert rows["Stalking and harassment offences"] == ["2025/26 Q1", "10.02 per 1,000", "Decrease", "Red"]
    assert rows["Neighbourhood crime offences"] == ["2025/26 Q1", "11,077", "Decrease", "Amber"]
    # The Sept 2025 report: volunteer hours 50.7 over Jul-Sep against a 75-hour baseline.
    assert rows["Volunteer hours"] == ["Jul-Sep 2025", "50.7 hours", "baseline 75 hours", "Red"]
    # Animal Welfare Scheme visits are a count averaged over the months: 1 a month, baseline 1 a month.
    assert rows["Animal Welfare Scheme visits"] == ["Jul-Sep 2025", "1 a month", "baseline 1 a month", "Amber"]
    assert all(row[1] != "N/A" for row in watch.table.rows)


def test_the_overdue_reviews_are_counted_today(demo_db, settings):
    digest = _weekly(demo_db, settings, TODAY)
    overdue = next(p for p in digest.message.parts if p.title.startswith("Complaint reviews:"))
    # The bundled log's 9 open cases, received 19-30 Sep 2025, are all overdue on 1 Dec 2026.
    assert overdue.title == "Complaint reviews: 9 complaint reviews overdue on 1 Dec 2026"


def test_csp_without_this_years_allocations_names_the_latest_year(demo_db, settings):
    lagging = _part(_weekly(demo_db, settings, TODAY), "CSP areas lagging the year")
    assert lagging.notes == ["No CSP allocations loaded for 2026/27, this financial year; the latest year with "
                             "allocations is 2025/26."]


def test_chart_titles_say_the_months_drawn(demo_db, settings):
    titles = [c.title for c in _weekly(demo_db, settings, MONDAY_6_OCT).charts]
    assert "Volunteer hours, Sep 2024 to Sep 2025" in titles
    assert "Complaint reviews by month, Jul 2025 to Sep 2025" in titles


def test_the_quarterly_digest_shows_periods_and_no_python_words(demo_db, settings):
    registry = build_registry(settings, demo_db, clock=lambda: datetime(2025, 10, 1, 7, 5, tzinfo=timezone.utc))
    digest = digest_builder(registry.context)(occurrence_for("quarterly", date(2025, 10, 1)))
    statutory = _part(digest, "Statutory Duties")
    rows = {row[0]: row[1:] for row in statutory.table.rows}
    assert rows["Freedom of Information requests received"][:3] == ["Jul-Sep 2025", "3", "1"]
    plan = _part(digest, "Police and Crime Plan headline metrics")
    assert [f.label for f in plan.facts] == ["Green", "Amber", "Red", "No RAG"]
    words = [w for p in digest.message.parts for w in (
        p.title, *p.notes, *(text for f in p.facts for text in (f.label, f.value)),
        *(cell for row in (p.table.rows if p.table else []) for cell in row))]
    assert not [w for w in words if "None" in w]
    assert [c.title for c in digest.charts][:3] == ["Public Interaction, Sep 2024 to Sep 2025",
                                                   "Scrutiny Functions, Sep 2024 to Sep 2025",
                                                   "Statutory Duties, Sep 2024 to Sep 2025"]


def test_a_rag_change_reads_as_words():
    assert rag_change("Volunteer hours", "none", "red") == "Volunteer hours: no RAG before, now Red"
    assert rag_change("Volunteer hours", "amber", "red") == "Volunteer hours: Amber to Red"
    assert rag_change("Volunteer hours", "green", "none") == "Volunteer hours: Green before, no RAG now"


def test_what_changed_names_a_first_rag_in_words(db, settings, write_file):
    """Volunteer hours loaded for the baseline year and Jul-Sep 2025 during the week: red now, and nothing to judge
    the month before (June missing), so no RAG before."""
    from storage.importers.observations import import_observations
    from storage.repository import read_catalog

    months = [Month(2024, 4).shift(i) for i in range(12)] + [Month(2025, 7), Month(2025, 8), Month(2025, 9)]
    rows = "".join(f"volunteer-hours,{m.label},{75 if m.year == 2024 or m.month < 4 else 50}\n" for m in months)
    with db.session() as session:
        import_observations(session, write_file("hours.csv", "metric,period,value\n" + rows), read_catalog(session),
                            "analyst", MONDAY_6_OCT - timedelta(days=2))
    changed = _part(_weekly(db, settings, MONDAY_6_OCT), "What changed since last week")
    assert "Volunteer hours: no RAG before, now Red" in changed.notes
    assert not any("None" in note for note in changed.notes)


@pytest.mark.parametrize("as_of, expected", [
    (date(2025, 11, 30), []),   # Sep 2025 ended 2 months before: still expected
    (date(2025, 12, 1), ["Office KPIs: latest figures are for Sep 2025, 2 months ago."]),
])
def test_office_figures_go_stale_after_two_months(as_of, expected):
    metric = builtin_catalog().get("volunteer-hours")
    points = [Point(Month(2025, m), 50.0) for m in (7, 8, 9)]
    assert staleness_lines([panel_comparison(metric, points)], as_of) == expected


def test_quarterly_plan_figures_go_stale_after_two_quarters():
    metric = builtin_catalog().get("neighbourhood-officers")
    comparison = panel_comparison(metric, [Point(Quarter(2025, 1), 666.0)])
    assert staleness_lines([comparison], date(2025, 12, 31)) == []
    assert staleness_lines([comparison], date(2026, 1, 1)) == [
        "Police and Crime Plan, quarterly measures: latest figures are for 2025/26 Q1, 6 months ago."]


@pytest.mark.parametrize("loaded_at, counted", [
    # Monday 29 Sep 2025 00:30 in London (BST) is 23:30 UTC on the Sunday: in the office's week to 6 Oct.
    (datetime(2025, 9, 28, 23, 30, tzinfo=timezone.utc), True),
    # Monday 6 Oct 00:30 London is 23:30 UTC on Sunday 5 Oct: already the next week's.
    (datetime(2025, 10, 5, 23, 30, tzinfo=timezone.utc), False),
])
def test_what_was_loaded_this_week_is_counted_in_the_offices_days(db, settings, write_file, loaded_at, counted):
    from storage.importers.observations import import_observations
    from storage.repository import read_catalog

    with db.session() as session:
        import_observations(session, write_file("calls.csv", "metric,period,value\ncalls-under-25s,2025-09,58\n"),
                            read_catalog(session), "analyst", loaded_at)
    changed = _part(_weekly(db, settings, MONDAY_6_OCT), "What changed since last week")
    loaded = "1 figure loaded in the week to 6 Oct 2025: Calls answered under 25 seconds."
    assert (loaded in changed.notes) is counted
