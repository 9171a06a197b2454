"""The KPI engine on Plan metrics: quarterly and annual figures, expectation text, arrows and baselines, by hand."""
from __future__ import annotations


import pytest

from storage.catalog import expectation_rule, parse_catalog
from storage.kpi import (
    Point,
    direction_of,
    panel_comparison,
    rag_status,
    three_month_figure,
    tolerance_for,
)
from storage.periods import FinancialYear, Month, Quarter

from tests.kpi_points import ICV_ON_TARGET, by_month, metric, run


# --- Plan dashboard metrics (quarterly, target/expectation text) ---------------------------

@pytest.mark.parametrize("text, polarity, target", [
    ("Increase", "higher_better", None),
    ("Increase or maintain", "higher_better", None),
    ("Decrease", "lower_better", None),
    ("Reduce", "lower_better", None),
    ("Increase (over 80%)", "higher_better", 80.0),
    ("Completed Y/N", "higher_better", 1.0),
])
def test_expectation_text_maps_to_polarity_and_target(text, polarity, target):
    assert expectation_rule(text) == (polarity, target)


def plan(unit="count", polarity="higher_better", expectation="Increase", target=None, aggregate="mean"):
    return metric("plan-metric", unit=unit, polarity=polarity, expectation=expectation, target=target,
                  frequency="quarterly", aggregate=aggregate, kind="plan")


def test_increase_or_maintain_holding_above_baseline_is_green():
    points = [Point(FinancialYear(2024), 664), Point(Quarter(2025, 1), 666)]
    result = panel_comparison(plan(expectation="Increase or maintain"), points)
    assert result.period == Quarter(2025, 1)
    assert result.latest == 666
    assert result.baseline == 664
    # maintain: the baseline is the target
    assert result.target == 664
    assert result.rag == "green"


def test_increase_or_maintain_exactly_at_baseline_is_green():
    points = [Point(FinancialYear(2024), 664), Point(Quarter(2025, 1), 664)]
    assert panel_comparison(plan(expectation="Increase or maintain"), points).rag == "green"


def test_increase_or_maintain_slipping_within_tolerance_is_amber():
    # tolerance 5% of 664 = 33.2; 650 misses by 14
    points = [Point(FinancialYear(2024), 664), Point(Quarter(2025, 1), 650)]
    assert panel_comparison(plan(expectation="Increase or maintain"), points).rag == "amber"


def test_decrease_small_fall_within_tolerance_is_amber_and_its_arrow_down():
    points = [Point(FinancialYear(2024), 11545), Point(Quarter(2025, 1), 11077)]
    result = panel_comparison(plan(polarity="lower_better", expectation="Decrease"), points)
    # tolerance 5% of 11545 = 577.25; 11077 - 11545 = -468, better but within it: amber. The arrow has no
    # tolerance: 11,077 is below 11,545, down, as the Q1 2025/26 dashboard shows it.
    assert result.tolerance == pytest.approx(577.25)
    assert result.change_vs_baseline == pytest.approx(-468.0)
    assert result.rag == "amber"
    assert result.direction == "down"


def test_plan_arrow_compares_with_the_baseline_not_the_previous_quarter():
    # Q1 10,000, Q2 11,077: up on the quarter before, still down on the 11,545 baseline
    points = [Point(FinancialYear(2024), 11545), Point(Quarter(2025, 1), 10000), Point(Quarter(2025, 2), 11077)]
    result = panel_comparison(plan(polarity="lower_better", expectation="Decrease"), points)
    assert result.period == Quarter(2025, 2)
    assert result.previous3 == 10000
    assert result.change_vs_previous3 == pytest.approx(1077.0)   # 11077 - 10000
    assert result.change_vs_baseline == pytest.approx(-468.0)    # 11077 - 11545
    assert result.direction == "down"


def test_plan_arrow_without_a_baseline_compares_with_the_previous_quarter():
    # no 2024/25 figure: Q1 14 places, Q2 12 -> down on the quarter before
    points = [Point(Quarter(2025, 1), 14), Point(Quarter(2025, 2), 12)]
    result = panel_comparison(plan(), points)
    assert result.baseline is None
    assert result.previous3 == 14
    assert result.change_vs_previous3 == pytest.approx(-2.0)
    assert result.direction == "down"


def test_plan_arrow_with_neither_baseline_nor_previous_period_is_none():
    result = panel_comparison(plan(), [Point(Quarter(2025, 1), 14)])
    assert result.previous3 is None
    assert result.direction == "none"


def test_decrease_against_previous_quarter_moves_down():
    points = [Point(FinancialYear(2024), 11545), Point(Quarter(2025, 1), 11077), Point(Quarter(2025, 2), 10000)]
    result = panel_comparison(plan(polarity="lower_better", expectation="Decrease"), points)
    assert result.period == Quarter(2025, 2)
    assert result.previous3 == 11077
    # 10000 - 11077 = -1077
    assert result.change_vs_previous3 == pytest.approx(-1077.0)
    assert result.direction == "down"
    # 11545 - 10000 = 1545 better than baseline, beyond 577.25
    assert result.rag == "green"


def test_previous_quarter_of_a_first_quarter_is_the_last_quarter_of_the_year_before():
    # 2025/26 Q1 follows 2024/25 Q4 (Jan-Mar 2025)
    points = [Point(Quarter(2024, 3), 30), Point(Quarter(2024, 4), 50), Point(Quarter(2025, 1), 56)]
    result = panel_comparison(plan(), points)
    assert result.period == Quarter(2025, 1)
    assert result.previous3 == 50
    assert result.change_vs_previous3 == pytest.approx(6.0)


def test_increase_over_80_percent_short_of_target_is_red():
    points = [Point(FinancialYear(2024), 46), Point(Quarter(2025, 1), 63)]
    result = panel_comparison(plan(unit="percent", expectation="Increase (over 80%)", target=80.0), points)
    # target 80, tolerance 2pp; 63 misses by 17
    assert result.target == 80.0
    assert result.tolerance == 2.0
    assert result.rag == "red"
    assert result.change_vs_baseline == pytest.approx(17.0)  # 63 - 46


def test_increase_over_80_percent_from_catalog_entry_is_red():
    catalog = parse_catalog({"metrics": [{
        "slug": "plan-percent", "name": "Plan percent", "definition": "A Plan percentage.",
        "section": "Plan", "kind": "plan", "unit": "percent", "frequency": "quarterly",
        "aggregate": "mean", "expectation": "Increase (over 80%)",
    }]}, "test")
    defined = catalog.get("plan-percent")
    result = panel_comparison(defined, [Point(FinancialYear(2024), 46), Point(Quarter(2025, 1), 63)])
    assert result.target == 80.0
    assert result.rag == "red"


@pytest.mark.parametrize("value, expected", [(1, "green"), (0, "red")])
def test_completed_yes_no(value, expected):
    done = plan(unit="yes_no", expectation="Completed Y/N", target=1.0)
    result = panel_comparison(done, [Point(Quarter(2025, 1), value)])
    assert result.rag == expected


def test_quarterly_sum_baseline_is_a_quarter_of_the_year():
    points = [Point(FinancialYear(2024), 400), Point(Quarter(2025, 1), 120)]
    result = panel_comparison(plan(aggregate="sum"), points)
    # 400 / 4 = 100; 120 - 100 = 20
    assert result.baseline == pytest.approx(100.0)
    assert result.change_vs_baseline == pytest.approx(20.0)


def test_quarterly_as_of_picks_latest_quarter_ending_on_or_before_it():
    points = [Point(FinancialYear(2024), 664), Point(Quarter(2025, 1), 666), Point(Quarter(2025, 2), 700)]
    result = panel_comparison(plan(expectation="Increase or maintain"), points, as_of=Month(2025, 6))
    assert result.period == Quarter(2025, 1)
    assert result.latest == 666


# --- annual Plan metrics: the year before, the baseline year ---------------------------------

def annual(unit="percent", expectation="Increase (over 80%)", target=80.0, aggregate="mean"):
    return metric("staff-survey", unit=unit, expectation=expectation, target=target, frequency="annual",
                  aggregate=aggregate, kind="plan")


def test_annual_metric_compares_with_the_year_before():
    # 2024/25 baseline 46%, 2025/26 63%, 2026/27 70%: the year before 2026/27 is 2025/26
    points = [Point(FinancialYear(2024), 46), Point(FinancialYear(2025), 63), Point(FinancialYear(2026), 70)]
    result = panel_comparison(annual(), points)
    assert result.period == FinancialYear(2026)
    assert result.latest == 70
    assert result.previous3 == 63
    assert result.change_vs_previous3 == pytest.approx(7.0)     # 70 - 63
    assert result.baseline == 46
    assert result.change_vs_baseline == pytest.approx(24.0)     # 70 - 46
    assert result.direction == "up"
    # target 80: 10pp short, beyond 2pp
    assert result.rag == "red"


def test_annual_metric_in_its_first_year_after_the_baseline_compares_with_the_baseline_year():
    # the Q1 2025/26 dashboard: OPCC staff satisfaction 46% -> 63%
    result = panel_comparison(annual(), [Point(FinancialYear(2024), 46), Point(FinancialYear(2025), 63)])
    assert result.period == FinancialYear(2025)
    assert result.previous3 == 46
    assert result.change_vs_previous3 == pytest.approx(17.0)
    assert result.change_vs_baseline == pytest.approx(17.0)
    assert result.direction == "up"


def test_annual_baseline_year_alone_is_no_latest_figure():
    result = panel_comparison(annual(), [Point(FinancialYear(2024), 46)])
    assert result.period is None
    assert result.baseline == 46
    assert result.direction == "none"


def test_annual_sum_baseline_is_the_whole_year():
    # an annual total compares with the baseline year's total, not a quarter of it
    points = [Point(FinancialYear(2024), 400), Point(FinancialYear(2025), 440)]
    result = panel_comparison(annual(unit="count", expectation="Increase", target=None, aggregate="sum"), points)
    assert result.baseline == pytest.approx(400.0)
    assert result.change_vs_baseline == pytest.approx(40.0)


def test_annual_metric_ignores_quarters_and_months_loaded_for_it():
    points = [Point(FinancialYear(2024), 46), Point(Quarter(2025, 1), 99), Point(Month(2025, 9), 99),
              Point(FinancialYear(2025), 63)]
    result = panel_comparison(annual(), points)
    assert result.period == FinancialYear(2025)
    assert result.latest == 63


# --- a quarterly baseline built from the baseline year's quarters -------------------------------

def test_quarterly_baseline_is_the_mean_of_the_baseline_quarters():
    # no 2024/25 row: Q1-Q4 2024/25 are 10, 20, 30, 40 -> mean 25
    points = [Point(Quarter(2024, n), 10 * n) for n in range(1, 5)] + [Point(Quarter(2025, 1), 26)]
    result = panel_comparison(plan(), points)
    assert result.baseline == pytest.approx(25.0)
    assert result.change_vs_baseline == pytest.approx(1.0)
    assert result.direction == "up"


def test_quarterly_baseline_from_two_quarters():
    # Q3 and Q4 2024/25 only: (30 + 50) / 2 = 40
    points = [Point(Quarter(2024, 3), 30), Point(Quarter(2024, 4), 50), Point(Quarter(2025, 1), 40)]
    result = panel_comparison(plan(), points)
    assert result.baseline == pytest.approx(40.0)
    assert result.direction == "flat"


def test_quarterly_baseline_needs_two_quarters():
    points = [Point(Quarter(2024, 4), 50), Point(Quarter(2025, 1), 56)]
    result = panel_comparison(plan(), points)
    assert result.baseline is None
    # no baseline: the arrow compares with 2024/25 Q4
    assert result.direction == "up"


def test_quarterly_baseline_ignores_quarters_of_other_years_and_quarters_without_a_value():
    # 2023/24 Q4 and 2025/26 Q1 are not in 2024/25; Q2 2024/25 has no value: (10 + 30) / 2 = 20
    points = [Point(Quarter(2023, 4), 500), Point(Quarter(2024, 1), 10), Point(Quarter(2024, 2), None),
              Point(Quarter(2024, 3), 30), Point(Quarter(2025, 1), 500)]
    assert panel_comparison(plan(), points).baseline == pytest.approx(20.0)


def test_baseline_year_row_wins_over_its_quarters():
    points = [Point(FinancialYear(2024), 664)] + [Point(Quarter(2024, n), 600) for n in range(1, 5)] \
        + [Point(Quarter(2025, 1), 666)]
    result = panel_comparison(plan(), points)
    assert result.baseline == 664


def test_quarterly_sum_baseline_from_quarters_is_a_quarter_s_worth():
    # quarters of 90, 110: mean 100 a quarter (not 200, not 50)
    points = [Point(Quarter(2024, 1), 90), Point(Quarter(2024, 2), 110), Point(Quarter(2025, 1), 120)]
    assert panel_comparison(plan(aggregate="sum"), points).baseline == pytest.approx(100.0)


def test_mean_baseline_row_of_a_quarterly_metric_is_taken_as_it_is():
    # a mean (e.g. 664 officers) is not divided by 4
    points = [Point(FinancialYear(2024), 664), Point(Quarter(2025, 1), 666)]
    assert panel_comparison(plan(), points).baseline == 664


def test_baseline_row_without_a_value_falls_back_to_the_quarters():
    points = [Point(FinancialYear(2024), None), Point(Quarter(2024, 1), 10), Point(Quarter(2024, 2), 30),
              Point(Quarter(2025, 1), 20)]
    assert panel_comparison(plan(), points).baseline == pytest.approx(20.0)


def test_plan_rag_is_judged_on_the_latest_period():
    # Increase: latest 30 against baseline 20 is green though the previous quarter was 40
    points = [Point(FinancialYear(2024), 20), Point(Quarter(2025, 1), 40), Point(Quarter(2025, 2), 30)]
    result = panel_comparison(plan(), points)
    assert result.rag == "green"
    assert result.change_vs_previous3 == pytest.approx(-10.0)


def test_plan_metric_with_only_a_baseline_has_no_figure():
    result = panel_comparison(plan(), [Point(FinancialYear(2024), 345)])
    assert result.period is None
    assert result.latest is None
    assert result.baseline == 345
    assert (result.rag, result.direction) == ("none", "none")


# --- edges the Panel rules name ------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (8.5, "amber"),   # better by exactly the tolerance 0.5: not "more than" it
    (8.51, "green"),
    (7.5, "amber"),   # worse by exactly 0.5: still within it
    (7.49, "red"),
])
def test_rag_against_baseline_at_exactly_the_tolerance(value, expected):
    assert rag_status(metric(unit="count"), value, 8.0, None, 0.5) == expected


@pytest.mark.parametrize("value, expected", [(7.5, "amber"), (8.5, "amber"), (7.49, "green"), (8.51, "red")])
def test_lower_better_rag_against_baseline_at_exactly_the_tolerance(value, expected):
    assert rag_status(metric(unit="days", polarity="lower_better"), value, 8.0, None, 0.5) == expected


@pytest.mark.parametrize("change, expected", [(-1.2, "flat"), (-1.21, "down"), (1.2, "flat"), (1.21, "up")])
def test_direction_at_exactly_the_tolerance_is_flat(change, expected):
    assert direction_of(change, 1.2) == expected


def test_yes_no_tolerance_is_zero_whatever_the_baseline():
    assert tolerance_for(metric(unit="yes_no"), 1.0, 1.0) == 0.0


def test_monthly_tolerance_falls_back_to_the_target():
    # days to respond, target 10, no baseline year: tolerance 5% of 10 = 0.5; 10.2 -> 10.6 is +0.4, flat
    days = metric(unit="days", polarity="lower_better", target=10.0)
    result = panel_comparison(days, run("2025-04", [10.2, 10.2, 10.2, 10.6, 10.6, 10.6]))
    assert result.baseline is None
    assert result.tolerance == pytest.approx(0.5)
    assert result.direction == "flat"
    # 0.6 over the target, beyond 0.5
    assert result.rag == "red"


def test_plan_tolerance_falls_back_to_the_target():
    # a count with a target of 100 and no baseline: 5% of 100 = 5; 96 misses by 4, amber
    result = panel_comparison(plan(target=100.0), [Point(Quarter(2025, 1), 96)])
    assert result.tolerance == pytest.approx(5.0)
    assert result.rag == "amber"


def test_three_months_with_counts_but_nothing_counted_is_n_a():
    # three months with no completed reviews: 0 days over 0 reviews is no average, not a division by zero
    reviews_days = metric("reviews-avg-days-to-complete", unit="days", polarity="lower_better")
    points = [Point(Month(2025, m), None, numerator=0.0, denominator=0.0) for m in (7, 8, 9)]
    assert three_month_figure(reviews_days, by_month(points), Month(2025, 9)) is None


def test_no_figures_still_says_what_would_be_judged():
    result = panel_comparison(ICV_ON_TARGET, [])
    assert result.metric is ICV_ON_TARGET
    assert (result.period, result.latest, result.baseline) == (None, None, None)
    assert result.baseline_year == "2024/25"
    assert result.target == 100.0
    assert result.tolerance == 2.0
    assert (result.rag, result.direction) == ("none", "none")


def test_baseline_alone_of_an_increase_or_maintain_metric_is_its_target():
    result = panel_comparison(plan(expectation="Increase or maintain"), [Point(FinancialYear(2024), 664)])
    assert result.period is None
    assert result.target == 664
    assert result.tolerance == pytest.approx(33.2)   # 5% of 664


def test_as_json_with_every_figure():
    # ICV on target: 2024/25 at 95, Apr-Jun 97, Jul-Sep 99.9, 100, 100 (target 100)
    points = run("2024-04", [95] * 12) + run("2025-04", [97, 97, 97, 99.9, 100, 100])
    data = panel_comparison(ICV_ON_TARGET, points).as_json()
    assert data["period"] == "2025-09"
    assert data["last3"] == 99.966667                 # 299.9 / 3, to 6 places
    assert data["previous3"] == 97
    assert data["change_vs_previous3"] == 2.966667
    assert data["baseline"] == 95
    assert data["change_vs_baseline"] == 4.966667
    assert data["target"] == 100
    assert data["rag"] == "amber"                     # 0.03 short of 100, within 2pp
    assert data["direction"] == "up"                  # +2.97pp, beyond 2pp


def test_as_json_without_figures():
    data = panel_comparison(ICV_ON_TARGET, []).as_json()
    assert data["period"] is None
    assert data["latest"] is None
    assert data["target"] == 100
