"""The bundled dataset reproduces the published Panel papers, on every database backend."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storage.figures import format_difference, format_money, format_value
from storage.periods import FinancialYear, Month
from storage.repository import csp_balances_for, metric_comparison, read_catalog, reviews_touching
from storage.reviews import average_days_to_complete, monthly_measures

SEPTEMBER_2025 = Month(2025, 9)
TODAY = date(2025, 10, 27)


def _comparison(db, slug, as_of=SEPTEMBER_2025):
    with db.session() as session:
        metric = read_catalog(session).get(slug)
        return metric_comparison(session, metric, as_of, TODAY)


def _panel_row(comparison):
    """(baseline comparison, last 3 months, difference to previous 3 months) as the paper writes them."""
    unit = comparison.metric.unit
    return (
        format_difference(unit, comparison.change_vs_baseline),
        format_value(unit, comparison.last3),
        format_difference(unit, comparison.change_vs_previous3),
    )


# Sept 2025 office performance report: Baseline comparison / Last 3 months / Difference to previous 3 months.
@pytest.mark.parametrize("slug, expected", [
    ("correspondence-within-28-days", ("+65pp", "100%", "+54pp")),
    ("avg-days-to-respond", ("N/A", "13.3 days", "-2.3 days")),
    ("calls-under-25s", ("N/A", "58%", "N/A")),
    ("public-line-calls", ("N/A", "104", "N/A")),
    ("icv-visits-on-target", ("no change", "100%", "no change")),
    ("aws-visits-on-target", ("no change", "100%", "no change")),
    ("volunteer-hours", ("-24.3 hours", "50.7 hours", "-25 hours")),
    ("volunteers", ("+2", "26", "-1")),
    ("foi-requests", ("+2", "3", "+3")),
    ("sar-requests", ("+1", "1", "+1")),
])
def test_office_kpis_reproduce_the_september_2025_report(demo_db, slug, expected):
    assert _panel_row(_comparison(demo_db, slug)) == expected


@pytest.mark.parametrize("slug, baseline, last3, change", [
    # The report's boxes show the baseline itself for these: 8 / 10 / +2, 1 / 1 / no change, 75hrs / 50.7hrs / -25hrs.
    ("icv-visits", "8", "10", "+2"),
    ("aws-visits", "1", "1", "no change"),
    ("volunteer-hours", "75 hours", "50.7 hours", "-25 hours"),
    ("volunteers", "24", "26", "-1"),
    ("foi-requests", "1", "3", "+3"),
    ("sar-requests", "0", "1", "+1"),
])
def test_baselines_as_published(demo_db, slug, baseline, last3, change):
    comparison = _comparison(demo_db, slug)
    unit = comparison.metric.unit
    assert format_value(unit, comparison.baseline) == baseline
    assert format_value(unit, comparison.last3) == last3
    assert format_difference(unit, comparison.change_vs_previous3) == change


def test_calls_under_25s_answer_in_full(demo_db):
    comparison = _comparison(demo_db, "calls-under-25s", as_of=None)
    assert comparison.as_json() == {
        "slug": "calls-under-25s", "name": comparison.metric.name, "unit": "percent", "period": "2025-09",
        "latest": comparison.latest, "last3": 58.0, "previous3": None, "change_vs_previous3": None,
        "baseline": None, "change_vs_baseline": None, "target": None, "rag": "none", "direction": "none",
    }
    assert comparison.last3_span == "Jul-Sep 2025"


@pytest.mark.parametrize("slug, rag, direction", [
    ("correspondence-within-28-days", "green", "up"),   # 100 vs baseline 35: better by far more than 2pp
    ("volunteer-hours", "red", "down"),                  # 50.7 vs 75: worse by more than 5% of 75 (3.75)
    ("icv-visits-on-target", "green", "flat"),           # meets its 100% target
    ("volunteers", "green", "flat"),                     # 26 vs 24 beats 5% of 24 (1.2); -1 is within 1.2
    ("public-line-calls", "none", "none"),               # neutral count, no previous quarter
])
def test_rag_and_direction(demo_db, slug, rag, direction):
    comparison = _comparison(demo_db, slug)
    assert (comparison.rag, comparison.direction) == (rag, direction)


def test_complaint_reviews_table_of_the_q2_update(demo_db):
    # Commissioner's update to the 27 Oct 2025 Panel: received / not upheld / within 28 days / not within 28 days / learning.
    with demo_db.session() as session:
        reviews = reviews_touching(session, date(2025, 7, 1), date(2025, 9, 30))
    rows = [monthly_measures(reviews, Month(2025, m), date(2025, 9, 30)) for m in (7, 8, 9)]
    assert [(r.received, r.not_upheld, r.completed_within_28_days, r.not_completed_within_28_days, r.learning)
            for r in rows] == [(18, 0, 2, 16, 0), (24, 0, 12, 12, 0), (24, 0, 15, 0, 0)]
    assert sum(r.received for r in rows) == 66
    closed = [r for r in reviews if r.completed is not None and r.completed <= date(2025, 9, 30)]
    assert len(closed) == 57
    assert average_days_to_complete(reviews, date(2025, 7, 1), date(2025, 9, 30)) == pytest.approx(35.0)


def test_review_measures_through_the_kpi_engine(demo_db):
    assert format_value("count", _comparison(demo_db, "reviews-received").last3) == "66"
    assert format_value("days", _comparison(demo_db, "reviews-avg-days-to-complete").last3) == "35 days"
    assert format_value("count", _comparison(demo_db, "reviews-not-completed-within-28-days").last3) == "28"


def test_csp_balances_to_the_penny(demo_db):
    with demo_db.session() as session:
        balances = csp_balances_for(session, FinancialYear(2025), date(2025, 10, 1), 25.0)
    remaining = {a.area: format_money(a.remaining) for a in balances.areas}
    assert remaining == {
        "Leicester": "£126,566.47", "Charnwood": "£0.00", "SNWLP": "£53,776.10", "Blaby": "£24,705.26",
        "Hinckley and Bosworth": "£14,874.55", "Harborough": "£37,479.75", "Oadby and Wigston": "£32,554.58",
        "Melton Mowbray": "£0.00", "Rutland": "£3,942.80",
    }
    # Totals: allocations 639,675.00; spend 345,775.49; remaining 293,899.51 (sums of the published columns).
    assert balances.total_allocation == Decimal("639675.00")
    assert balances.total_spent == Decimal("345775.49")
    assert balances.total_remaining == Decimal("293899.51")
    assert balances.lagging_areas == ["SNWLP", "Harborough", "Oadby and Wigston"]


@pytest.mark.parametrize("slug, baseline, latest, rag", [
    ("neighbourhood-officers", "664", "666", "green"),          # Increase or maintain: at or above 664
    ("pcso-length-of-service", "9.5", "10.9", "green"),         # +1.4 beats 5% of 9.5 (0.475)
    ("staff-satisfaction-opcc", "46%", "63%", "red"),           # Increase (over 80%): 17pp short
    ("neighbourhood-crime-offences", "11,545", "11,077", "amber"),  # -468 is within 5% of 11,545 (577.25)
    ("ksi-casualties", "100.1", "108", "red"),                  # Reduce: +7.9 is worse by more than 5.005
    ("mtfs-published", "Y", "Y", "green"),                      # Completed Y/N
])
def test_plan_dashboard_rows(demo_db, slug, baseline, latest, rag):
    comparison = _comparison(demo_db, slug, as_of=None)
    unit = comparison.metric.unit
    assert (format_value(unit, comparison.baseline), format_value(unit, comparison.latest), comparison.rag) == \
        (baseline, latest, rag)
