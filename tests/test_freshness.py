"""How old a figure is, and when it is old enough to say so (DESIGN.md 'Time: what now means')."""
from __future__ import annotations

from datetime import date

import pytest

from storage.freshness import add_months, age_text, is_stale, months_between, staleness_note
from storage.periods import FinancialYear, Month, Quarter


def test_months_between_counts_whole_months():
    assert months_between(date(2025, 9, 30), date(2026, 12, 1)) == 14
    assert months_between(date(2025, 9, 30), date(2025, 11, 30)) == 2
    assert months_between(date(2025, 8, 31), date(2025, 9, 30)) == 1
    assert months_between(date(2025, 9, 30), date(2025, 10, 29)) == 0


def test_add_months_keeps_month_ends():
    assert add_months(date(2025, 9, 30), 2) == date(2025, 11, 30)
    assert add_months(date(2025, 8, 31), 1) == date(2025, 9, 30)
    assert add_months(date(2025, 1, 15), 15) == date(2026, 4, 15)


@pytest.mark.parametrize("as_of, stale", [
    (date(2025, 11, 30), False),   # Sep figures two months on: still the latest to expect
    (date(2025, 12, 1), True),
    (date(2026, 12, 1), True),
])
def test_a_monthly_figure_is_stale_more_than_two_months_after_its_month(as_of, stale):
    assert is_stale(Month(2025, 9), "monthly", as_of) is stale


def test_quarterly_and_annual_limits():
    q1 = Quarter(2025, 1)  # ends 30 Jun 2025
    assert is_stale(q1, "quarterly", date(2025, 12, 31)) is False
    assert is_stale(q1, "quarterly", date(2026, 1, 1)) is True
    year = FinancialYear(2024)  # ends 31 Mar 2025; annual figures may be 15 months old
    assert is_stale(year, "annual", date(2026, 6, 30)) is False
    assert is_stale(year, "annual", date(2026, 7, 1)) is True


def test_as_at_counts_from_the_date_the_figure_stands_at():
    survey = FinancialYear(2025)  # a 2025/26 survey that stood on 30 Jun 2025
    assert is_stale(survey, "annual", date(2026, 12, 1)) is False          # from 31 Mar 2026: 8 months
    assert is_stale(survey, "annual", date(2026, 12, 1), date(2025, 6, 30)) is True  # from Jun 2025: 17


def test_the_note_names_the_period_and_its_age():
    assert staleness_note(Month(2025, 9), "monthly", date(2026, 12, 1)) == \
        "Latest figures are for Sep 2025, 14 months ago."
    assert staleness_note(Quarter(2025, 1), "quarterly", date(2026, 12, 1)) == \
        "Latest figures are for 2025/26 Q1, 17 months ago."
    assert staleness_note(Month(2025, 9), "monthly", date(2025, 10, 31)) is None
    assert staleness_note(None, "monthly", date(2026, 12, 1)) is None


def test_age_in_years_past_two_years():
    assert age_text(date(2023, 3, 31), date(2026, 12, 1)) == "3 years"
    assert age_text(date(2026, 11, 20), date(2026, 12, 1)) == "11 days"
