"""The KPI engine's judgement: tolerance, RAG against a target or the baseline, and the direction of a move, by hand."""
from __future__ import annotations


import pytest

from storage.kpi import (
    direction_of,
    panel_comparison,
    rag_status,
    tolerance_for,
)

from tests.kpi_points import ICV_ON_TARGET, metric, run


# --- tolerance -----------------------------------------------------------------------------

def test_percent_tolerance_is_two_points():
    assert tolerance_for(metric(unit="percent"), 60.0, None) == 2.0


def test_other_units_tolerance_is_five_percent_of_baseline():
    # 5% of 8 = 0.4
    assert tolerance_for(metric(unit="days"), 8.0, 10.0) == pytest.approx(0.4)


def test_tolerance_falls_back_to_five_percent_of_target_without_baseline():
    # 5% of 10 = 0.5
    assert tolerance_for(metric(unit="days"), None, 10.0) == pytest.approx(0.5)


def test_tolerance_is_zero_without_baseline_or_target():
    assert tolerance_for(metric(unit="count"), None, None) == 0.0


def test_tolerance_set_on_the_metric_wins():
    assert tolerance_for(metric(unit="percent", tolerance=5.0), 60.0, None) == 5.0


# --- RAG with a target ---------------------------------------------------------------------



@pytest.mark.parametrize("monthly_value, expected", [
    (100.0, "green"),  # meets 100
    (98.5, "amber"),   # misses by 1.5 <= 2
    (98.0, "amber"),   # misses by exactly 2
    (97.9, "red"),     # misses by 2.1 > 2
])
def test_percent_target_rag(monthly_value, expected):
    points = run("2025-07", [monthly_value] * 3)
    result = panel_comparison(ICV_ON_TARGET, points)
    assert result.last3 == pytest.approx(monthly_value)
    assert result.target == 100.0
    assert result.rag == expected


def test_higher_better_above_target_is_green():
    assert rag_status(metric(unit="percent", target=80.0), 95.0, None, 80.0, 2.0) == "green"


@pytest.mark.parametrize("value, expected", [
    (9.5, "green"),   # under the 10-day target
    (10.0, "green"),  # meets it exactly
    (10.3, "amber"),  # 0.3 over, within 0.4
    (10.5, "red"),    # 0.5 over, beyond 0.4
])
def test_lower_better_target_rag(value, expected):
    days = metric(unit="days", polarity="lower_better", target=10.0)
    # baseline 8 -> tolerance 5% of 8 = 0.4
    assert rag_status(days, value, 8.0, 10.0, 0.4) == expected


def test_lower_better_target_in_panel_comparison():
    days = metric("avg-days-to-respond", unit="days", polarity="lower_better", target=10.0)
    points = run("2024-04", [8.0] * 12) + run("2025-07", [10.3] * 3)
    result = panel_comparison(days, points)
    assert result.tolerance == pytest.approx(0.4)  # 5% of baseline 8
    assert result.rag == "amber"


# --- RAG against the baseline --------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (8.5, "green"),  # better by 0.5 > 0.4
    (8.3, "amber"),  # better by 0.3, within
    (7.7, "amber"),  # worse by 0.3, within
    (7.5, "red"),    # worse by 0.5 > 0.4
])
def test_higher_better_without_target_compares_with_baseline(value, expected):
    # baseline 8, tolerance 0.4
    assert rag_status(metric(unit="count"), value, 8.0, None, 0.4) == expected


@pytest.mark.parametrize("value, expected", [
    (7.5, "green"),  # lower by 0.5 > 0.4
    (8.2, "amber"),  # higher by 0.2, within
    (8.5, "red"),    # higher by 0.5 > 0.4
])
def test_lower_better_without_target_compares_with_baseline(value, expected):
    days = metric(unit="days", polarity="lower_better")
    assert rag_status(days, value, 8.0, None, 0.4) == expected


def test_baseline_rag_in_panel_comparison():
    points = run("2024-04", [8.0] * 12) + run("2025-07", [8.5] * 3)
    result = panel_comparison(metric(unit="count"), points)
    # baseline 8, tolerance 0.4, last3 8.5 better by 0.5
    assert result.baseline == pytest.approx(8.0)
    assert result.tolerance == pytest.approx(0.4)
    assert result.rag == "green"


def test_neutral_metric_has_no_rag():
    neutral = metric(polarity="neutral")
    assert rag_status(neutral, 100.0, 8.0, None, 0.4) == "none"
    assert rag_status(neutral, 100.0, None, 50.0, 0.4) == "none"


def test_no_target_and_no_baseline_has_no_rag():
    assert rag_status(metric(), 100.0, None, None, 0.0) == "none"
    result = panel_comparison(metric(), run("2025-07", [5, 6, 7]))
    assert result.baseline is None
    assert result.rag == "none"


def test_no_figure_has_no_rag():
    assert rag_status(ICV_ON_TARGET, None, None, 100.0, 2.0) == "none"


# --- direction -----------------------------------------------------------------------------

VOLUNTEERS = metric("volunteers", unit="count")


def test_direction_within_tolerance_is_flat():
    # baseline 24 -> tolerance 5% = 1.2; Apr-Jun 25 -> Jul-Sep 24 is -1
    points = run("2024-04", [24] * 12) + run("2025-04", [25, 25, 25, 24, 24, 24])
    result = panel_comparison(VOLUNTEERS, points)
    assert result.tolerance == pytest.approx(1.2)
    assert result.change_vs_previous3 == pytest.approx(-1.0)
    assert result.direction == "flat"


def test_direction_beyond_tolerance_is_down():
    # -2 is beyond 1.2
    points = run("2024-04", [24] * 12) + run("2025-04", [25, 25, 25, 23, 23, 23])
    assert panel_comparison(VOLUNTEERS, points).direction == "down"


def test_direction_beyond_tolerance_is_up():
    # +1.5 is beyond 1.2
    points = run("2024-04", [24] * 12) + run("2025-04", [24, 24, 24, 25.5, 25.5, 25.5])
    assert panel_comparison(VOLUNTEERS, points).direction == "up"


@pytest.mark.parametrize("change, tolerance, expected", [
    (-1.0, 1.2, "flat"),
    (1.2, 1.2, "flat"),
    (1.3, 1.2, "up"),
    (-1.3, 1.2, "down"),
    (None, 1.2, "none"),
    (0.0, 0.0, "flat"),
    (0.1, 0.0, "up"),   # zero tolerance: any movement counts
])
def test_direction_of(change, tolerance, expected):
    assert direction_of(change, tolerance) == expected


def test_zero_tolerance_without_baseline_or_target_makes_any_move_count():
    # no baseline year data, no target: tolerance 0; 10 -> 10.1 is up
    points = run("2025-04", [10, 10, 10, 10.1, 10.1, 10.1])
    result = panel_comparison(VOLUNTEERS, points)
    assert result.tolerance == 0.0
    assert result.direction == "up"
