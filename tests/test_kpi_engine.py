"""The KPI engine: the Panel comparison, RAG and direction, checked against DESIGN.md's rules by hand."""
from __future__ import annotations

import json

import pytest

from storage.kpi import (
    Point,
    monthly_baseline,
    panel_comparison,
    three_month_figure,
)
from storage.periods import Month

from tests.kpi_points import BASELINE_YEAR, by_month, metric, run


# --- mean metric: volunteer hours ----------------------------------------------------------

VOLUNTEER_HOURS = metric("volunteer-hours", unit="hours")
# 2024/25: twelve months averaging 75 ((70 + 80) / 2); 2025/26 Apr-Jun 76, 75, 76 and Jul-Sep 48, 52, 52
VOLUNTEER_HOURS_POINTS = run("2024-04", [70, 80] * 6) + run("2025-04", [76, 75, 76, 48, 52, 52])


def test_mean_metric_last_three_months_is_the_mean():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS)
    assert result.period == Month(2025, 9)
    assert result.latest == 52
    # (48 + 52 + 52) / 3 = 50.666...
    assert result.last3 == pytest.approx(152 / 3)
    assert result.last3_span == "Jul-Sep 2025"


def test_mean_metric_previous_three_months_is_the_mean():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS)
    # (76 + 75 + 76) / 3 = 75.666...
    assert result.previous3 == pytest.approx(227 / 3)
    assert result.previous3_span == "Apr-Jun 2025"


def test_mean_metric_change_against_previous_three_months():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS)
    # 50.666... - 75.666... = -25
    assert result.change_vs_previous3 == pytest.approx(-25.0)


def test_mean_metric_baseline_is_the_mean_of_the_baseline_year():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS)
    assert result.baseline == pytest.approx(75.0)
    assert result.baseline_year == "2024/25"
    # 50.666... - 75 = -24.333...
    assert result.change_vs_baseline == pytest.approx(-73 / 3)


def test_mean_metric_well_below_baseline_is_red_and_down():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS)
    # no target; tolerance 5% of 75 = 3.75; -24.3 is worse by more than that
    assert result.tolerance == pytest.approx(3.75)
    assert result.rag == "red"
    assert result.direction == "down"


# --- sum metric: public line calls ---------------------------------------------------------

PUBLIC_LINE_CALLS = metric("public-line-calls", unit="count", aggregate="sum", polarity="neutral")


def test_sum_metric_last_three_months_is_the_total():
    points = run("2025-07", [38, 31, 35])
    # 38 + 31 + 35 = 104
    assert three_month_figure(PUBLIC_LINE_CALLS, by_month(points), Month(2025, 9)) == 104


def test_sum_metric_baseline_is_a_quarter_of_the_annual_total():
    points = run("2024-04", [5, 15] * 6)
    # annual total 120 / 4 = 30
    assert monthly_baseline(PUBLIC_LINE_CALLS, by_month(points), BASELINE_YEAR) == pytest.approx(30.0)


def test_sum_metric_baseline_scales_from_eight_months():
    points = run("2024-04", [2, 8] * 4)
    # 8 months totalling 40: mean 5 a month x 3 = 15
    assert monthly_baseline(PUBLIC_LINE_CALLS, by_month(points), BASELINE_YEAR) == pytest.approx(15.0)


def test_sum_metric_baseline_needs_six_months():
    points = run("2024-04", [10, 10, 10, 10, 10])
    assert monthly_baseline(PUBLIC_LINE_CALLS, by_month(points), BASELINE_YEAR) is None


def test_sum_metric_panel_comparison():
    points = run("2024-04", [10] * 12) + run("2025-04", [30, 30, 30, 38, 31, 35])
    result = panel_comparison(PUBLIC_LINE_CALLS, points)
    assert result.last3 == 104
    assert result.previous3 == 90  # 30 + 30 + 30
    assert result.change_vs_previous3 == pytest.approx(14.0)  # 104 - 90
    assert result.baseline == pytest.approx(30.0)  # 120 / 4
    assert result.change_vs_baseline == pytest.approx(74.0)  # 104 - 30
    # neutral: no RAG
    assert result.rag == "none"
    # tolerance 5% of 30 = 1.5; +14 is beyond it
    assert result.direction == "up"


# --- percent from numerators and denominators ----------------------------------------------

CALLS_UNDER_25S = metric("calls-under-25s", unit="percent")


def test_percent_three_months_from_counts_is_pooled_not_mean_of_percents():
    points = [
        Point(Month(2025, 7), 90.0, numerator=45, denominator=50),
        Point(Month(2025, 8), 50.0, numerator=10, denominator=20),
        Point(Month(2025, 9), 100.0, numerator=30, denominator=30),
    ]
    # (45 + 10 + 30) / (50 + 20 + 30) x 100 = 85 (the mean of 90, 50, 100 would be 80)
    assert three_month_figure(CALLS_UNDER_25S, by_month(points), Month(2025, 9)) == pytest.approx(85.0)


def test_percent_without_counts_in_every_month_falls_back_to_mean_of_values():
    points = [
        Point(Month(2025, 7), 90.0, numerator=45, denominator=50),
        Point(Month(2025, 8), 50.0, numerator=10, denominator=20),
        Point(Month(2025, 9), 100.0),
    ]
    # counts are pooled only when every month has them: (90 + 50 + 100) / 3 = 80
    assert three_month_figure(CALLS_UNDER_25S, by_month(points), Month(2025, 9)) == pytest.approx(80.0)


def test_percent_previous_three_months_and_baseline_from_counts():
    baseline_year = (
        [Point(Month(2024, 4).shift(i), 50.0, numerator=1, denominator=2) for i in range(3)]
        + [Point(Month(2024, 7).shift(i), 90.0, numerator=9, denominator=10) for i in range(3)]
    )
    recent = [
        Point(Month(2025, 4), 40.0, numerator=4, denominator=10),
        Point(Month(2025, 5), 100.0, numerator=2, denominator=2),
        Point(Month(2025, 6), 50.0, numerator=4, denominator=8),
        Point(Month(2025, 7), 90.0, numerator=45, denominator=50),
        Point(Month(2025, 8), 50.0, numerator=10, denominator=20),
        Point(Month(2025, 9), 100.0, numerator=30, denominator=30),
    ]
    result = panel_comparison(CALLS_UNDER_25S, baseline_year + recent)
    assert result.last3 == pytest.approx(85.0)
    # (4 + 2 + 4) / (10 + 2 + 8) x 100 = 50 (mean of percents would be 63.3)
    assert result.previous3 == pytest.approx(50.0)
    # (3 x 1 + 3 x 9) / (3 x 2 + 3 x 10) x 100 = 30 / 36 x 100 = 83.333... (mean of percents would be 70)
    assert result.baseline == pytest.approx(250 / 3)
    assert result.change_vs_previous3 == pytest.approx(35.0)  # 85 - 50


# --- partial windows -----------------------------------------------------------------------

def test_missing_month_in_last_three_gives_n_a_not_a_partial_figure():
    # Apr-Jun complete, Jul and Sep present, Aug missing
    points = run("2024-04", [75] * 12) + run("2025-04", [76, 75, 76, 48]) + [Point(Month(2025, 9), 52)]
    result = panel_comparison(VOLUNTEER_HOURS, points)
    assert result.period == Month(2025, 9)
    assert result.last3 is None
    assert result.previous3 == pytest.approx(227 / 3)
    assert result.change_vs_previous3 is None
    assert result.change_vs_baseline is None
    assert result.direction == "none"
    assert result.rag == "none"


def test_sum_metric_with_missing_month_is_n_a_not_a_two_month_total():
    points = [Point(Month(2025, 7), 38), Point(Month(2025, 9), 35)]
    assert three_month_figure(PUBLIC_LINE_CALLS, by_month(points), Month(2025, 9)) is None


def test_month_loaded_without_a_value_makes_the_window_n_a():
    points = run("2025-07", [48, None, 52])
    assert three_month_figure(VOLUNTEER_HOURS, by_month(points), Month(2025, 9)) is None


def test_missing_previous_three_months_gives_n_a_change():
    points = run("2025-07", [48, 52, 52])
    result = panel_comparison(VOLUNTEER_HOURS, points)
    assert result.last3 == pytest.approx(152 / 3)
    assert result.previous3 is None
    assert result.change_vs_previous3 is None
    assert result.direction == "none"


# --- baseline needs six months -------------------------------------------------------------

def test_mean_baseline_with_five_months_is_n_a():
    points = run("2024-04", [70, 80, 70, 80, 70])
    assert monthly_baseline(VOLUNTEER_HOURS, by_month(points), BASELINE_YEAR) is None


def test_mean_baseline_with_six_months_is_their_mean():
    points = run("2024-04", [70, 80, 70, 80, 70, 80])
    assert monthly_baseline(VOLUNTEER_HOURS, by_month(points), BASELINE_YEAR) == pytest.approx(75.0)


def test_baseline_ignores_months_outside_the_baseline_year():
    # Jan-Mar 2024 belong to 2023/24; Apr-Sep 2025 to 2025/26; only Apr-Sep 2024 count (mean 20)
    points = run("2024-01", [100, 100, 100] + [20] * 6) + run("2025-04", [500] * 6)
    assert monthly_baseline(VOLUNTEER_HOURS, by_month(points), BASELINE_YEAR) == pytest.approx(20.0)


# --- as of ---------------------------------------------------------------------------------

def test_as_of_picks_latest_month_on_or_before_it():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS, as_of=Month(2025, 8))
    assert result.period == Month(2025, 8)
    assert result.latest == 52
    # Jun-Aug: (76 + 48 + 52) / 3 = 58.666...
    assert result.last3 == pytest.approx(176 / 3)
    assert result.last3_span == "Jun-Aug 2025"
    # Mar-May: (80 + 76 + 75) / 3 = 77
    assert result.previous3 == pytest.approx(77.0)


def test_as_of_after_the_data_uses_the_latest_loaded_month():
    result = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS, as_of=Month(2025, 12))
    assert result.period == Month(2025, 9)


def test_as_of_before_any_data_gives_no_figures():
    result = panel_comparison(VOLUNTEER_HOURS, run("2025-04", [76, 75, 76]), as_of=Month(2025, 3))
    assert result.period is None
    assert result.latest is None
    assert result.last3 is None
    assert result.rag == "none"
    assert result.direction == "none"


# --- as_json -------------------------------------------------------------------------------

JSON_KEYS = ["slug", "name", "unit", "period", "latest", "last3", "previous3", "change_vs_previous3",
             "baseline", "change_vs_baseline", "target", "rag", "direction"]


def test_as_json_has_exactly_the_published_keys():
    data = panel_comparison(VOLUNTEER_HOURS, VOLUNTEER_HOURS_POINTS).as_json()
    assert list(data) == JSON_KEYS
    assert data["slug"] == "volunteer-hours"
    assert data["unit"] == "hours"
    assert data["period"] == "2025-09"
    assert data["latest"] == 52
    assert data["last3"] == pytest.approx(152 / 3, abs=1e-6)
    assert data["change_vs_previous3"] == pytest.approx(-25.0, abs=1e-6)
    assert data["baseline"] == pytest.approx(75.0)
    assert data["target"] is None
    assert data["rag"] == "red"
    assert data["direction"] == "down"


def test_as_json_uses_null_for_n_a():
    data = panel_comparison(VOLUNTEER_HOURS, run("2025-07", [48, 52, 52])).as_json()
    assert data["previous3"] is None
    assert data["change_vs_previous3"] is None
    assert data["baseline"] is None
    assert data["change_vs_baseline"] is None
    assert data["target"] is None
    assert '"previous3": null' in json.dumps(data)
