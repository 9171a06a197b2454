"""CSP balances: remaining = allocation - spend to date, % spent, year elapsed, and areas whose spend lags."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storage.csp import csp_balances
from storage.periods import FinancialYear

YEAR = FinancialYear(2025)  # 2025/26
FIRST_OF_OCTOBER = date(2025, 10, 1)  # 184 of 365 days gone: 50.4%

ALLOCATIONS = {
    "Northshire": Decimal("271818.47"),
    "Eastborough": Decimal("100000.00"),
    "Westvale": Decimal("50000.00"),
}
SPEND = [
    ("Northshire", Decimal("100000.00")),
    ("Westvale", Decimal("4000.00")),
    ("Northshire", Decimal("45252.00")),
    ("Westvale", Decimal("6000.00")),
]


def _areas(balances):
    return {a.area: a for a in balances.areas}


def test_every_allocated_area_appears():
    balances = csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER)
    assert set(_areas(balances)) == {"Northshire", "Eastborough", "Westvale"}


def test_remaining_is_allocation_less_spend_to_the_penny():
    north = _areas(csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER))["Northshire"]
    # 100,000.00 + 45,252.00 = 145,252.00; 271,818.47 - 145,252.00 = 126,566.47
    assert north.allocation == Decimal("271818.47")
    assert north.spent == Decimal("145252.00")
    assert north.remaining == Decimal("126566.47")
    assert isinstance(north.remaining, Decimal)


def test_percent_spent():
    areas = _areas(csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER))
    # 145,252.00 / 271,818.47 = 53.437%
    assert areas["Northshire"].percent_spent == pytest.approx(53.437134, abs=1e-5)
    # 10,000 / 50,000 = 20%
    assert areas["Westvale"].percent_spent == pytest.approx(20.0)
    assert areas["Eastborough"].percent_spent == pytest.approx(0.0)


def test_area_with_allocation_but_no_spend_lines_has_spent_nothing():
    east = _areas(csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER))["Eastborough"]
    assert east.spent == Decimal("0.00")
    assert east.remaining == Decimal("100000.00")


def test_totals():
    balances = csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER)
    # 271,818.47 + 100,000.00 + 50,000.00 = 421,818.47
    assert balances.total_allocation == Decimal("421818.47")
    # 145,252.00 + 0 + 10,000.00 = 155,252.00
    assert balances.total_spent == Decimal("155252.00")
    # 421,818.47 - 155,252.00 = 266,566.47
    assert balances.total_remaining == Decimal("266566.47")
    # 155,252.00 / 421,818.47 = 36.805%
    assert balances.total_percent_spent == pytest.approx(36.805406, abs=1e-5)


def test_year_elapsed_on_first_of_october():
    balances = csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER)
    # 184 / 365 = 50.41%
    assert balances.year_elapsed_percent == pytest.approx(50.410959, abs=1e-5)


def test_nil_spend_by_october_lags():
    east = _areas(csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER))["Eastborough"]
    assert east.lagging is True


def test_spend_ahead_of_the_year_does_not_lag():
    # 53.4% spent with 50.4% of the year gone
    north = _areas(csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER))["Northshire"]
    assert north.lagging is False


def test_spend_trailing_the_year_by_more_than_the_margin_lags():
    # 20% spent, 50.4% elapsed: trails by 30.4pp > 25pp
    west = _areas(csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER))["Westvale"]
    assert west.lagging is True


def test_spend_trailing_the_year_within_the_margin_does_not_lag():
    # 30% spent, 50.4% elapsed: trails by 20.4pp <= 25pp
    balances = csp_balances({"Southby": Decimal("10000.00")}, [("Southby", Decimal("3000.00"))], YEAR,
                            FIRST_OF_OCTOBER)
    assert balances.areas[0].lagging is False


def test_lag_margin_is_adjustable():
    # 30% spent, 50.4% elapsed: trails by 20.4pp > 10pp
    balances = csp_balances({"Southby": Decimal("10000.00")}, [("Southby", Decimal("3000.00"))], YEAR,
                            FIRST_OF_OCTOBER, lag_margin_pp=10.0)
    assert balances.areas[0].lagging is True


def test_nil_spend_early_in_the_year_does_not_lag():
    # 1 May: 31 / 365 = 8.5% elapsed; nil spend trails by 8.5pp, within 25pp
    balances = csp_balances(ALLOCATIONS, [], YEAR, date(2025, 5, 1))
    assert balances.year_elapsed_percent == pytest.approx(8.493151, abs=1e-5)
    assert balances.lagging_areas == []


def test_lagging_areas_lists_the_lagging_ones():
    balances = csp_balances(ALLOCATIONS, SPEND, YEAR, FIRST_OF_OCTOBER)
    assert sorted(balances.lagging_areas) == ["Eastborough", "Westvale"]


def test_pennies_add_exactly():
    # 0.10 + 0.20 + 0.01 = 0.31 exactly; 1.00 - 0.31 = 0.69
    spend = [("Tiny", Decimal("0.10")), ("Tiny", Decimal("0.20")), ("Tiny", Decimal("0.01"))]
    tiny = csp_balances({"Tiny": Decimal("1.00")}, spend, YEAR, date(2025, 5, 1)).areas[0]
    assert tiny.spent == Decimal("0.31")
    assert tiny.remaining == Decimal("0.69")
