"""Months, quarters and financial years (1 April to 31 March), as DESIGN.md 'Domain rules' defines them."""
from __future__ import annotations

from datetime import date

import pytest

from storage.periods import (
    FinancialYear,
    Month,
    PeriodError,
    Quarter,
    month_span,
    parse_date,
    parse_period_text,
    parse_when,
    parse_month,
    parse_period,
    year_elapsed_share,
)


# --- financial year and quarter of a month -------------------------------------------------

def test_march_is_the_last_quarter_of_the_year_that_started_the_april_before():
    march = Month(2025, 3)
    assert march.financial_year == FinancialYear(2024)
    assert march.financial_year.label == "2024/25"
    assert march.quarter == Quarter(2024, 4)
    assert march.quarter.label == "2024/25 Q4"


def test_april_starts_a_new_financial_year_in_q1():
    april = Month(2025, 4)
    assert april.financial_year.label == "2025/26"
    assert april.quarter == Quarter(2025, 1)
    assert april.quarter.label == "2025/26 Q1"


def test_december_is_q3_of_the_year_that_started_in_april():
    december = Month(2025, 12)
    assert december.financial_year.label == "2025/26"
    assert december.quarter == Quarter(2025, 3)


def test_january_is_q4_of_the_previous_calendar_years_financial_year():
    january = Month(2026, 1)
    assert january.financial_year.label == "2025/26"
    assert january.quarter == Quarter(2025, 4)


@pytest.mark.parametrize("month, quarter_number", [
    (6, 1), (7, 2), (9, 2), (10, 3), (2, 4),
])
def test_quarter_boundaries(month, quarter_number):
    # Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar
    assert Month(2025, month).quarter.number == quarter_number


def test_quarter_months():
    assert Quarter(2025, 1).months == [Month(2025, 4), Month(2025, 5), Month(2025, 6)]
    assert Quarter(2025, 2).months == [Month(2025, 7), Month(2025, 8), Month(2025, 9)]
    assert Quarter(2025, 3).months == [Month(2025, 10), Month(2025, 11), Month(2025, 12)]
    # Q4 of 2025/26 is Jan-Mar 2026
    assert Quarter(2025, 4).months == [Month(2026, 1), Month(2026, 2), Month(2026, 3)]


def test_financial_year_runs_april_to_march():
    year = FinancialYear(2025)
    assert year.label == "2025/26"
    assert year.first_day == date(2025, 4, 1)
    assert year.last_day == date(2026, 3, 31)
    assert year.months[0] == Month(2025, 4)
    assert year.months[-1] == Month(2026, 3)
    assert len(year.months) == 12


def test_month_is_written_yyyy_mm():
    assert Month(2025, 9).label == "2025-09"
    assert str(Month(2025, 9)) == "2025-09"


# --- parsing -------------------------------------------------------------------------------

def test_parse_iso_month():
    assert parse_period("2025-09") == Month(2025, 9)


def test_parse_quarter_year_first():
    assert parse_period("2025/26 Q2") == Quarter(2025, 2)


def test_parse_quarter_quarter_first():
    assert parse_period("Q2 2025/26") == Quarter(2025, 2)


def test_parse_financial_year():
    assert parse_period("2025/26") == FinancialYear(2025)


def test_parse_abbreviated_month_with_two_digit_year():
    assert parse_period("Apr-25") == Month(2025, 4)
    assert parse_month("Apr-25") == Month(2025, 4)


def test_parse_month_name_and_year():
    assert parse_period("April 2025") == Month(2025, 4)
    assert parse_month("April 2025") == Month(2025, 4)


def test_parse_month_iso():
    assert parse_month("2025-09") == Month(2025, 9)


def test_parse_date():
    assert parse_date("2025-09-30") == date(2025, 9, 30)


@pytest.mark.parametrize("text", ["2025-09-30", "30/09/2025", "30/09/25", "30 Sep 2025", "30 Sept 2025",
                                  "30 September 2025", "30th Sep 2025", " 30  sep  2025 "])
def test_parse_date_takes_the_forms_people_in_england_write(text):
    assert parse_date(text) == date(2025, 9, 30)


@pytest.mark.parametrize("text", ["09/30/2025", "31/02/2025", "30 Sepember 2025", "yesterday", "2025-13-01"])
def test_parse_date_rejects_other_forms_and_shows_the_forms_that_work(text):
    with pytest.raises(PeriodError, match="30/09/2025"):
        parse_date(text)


TODAY = date(2026, 12, 1)  # in 2026/27 Q3


@pytest.mark.parametrize("text, expected", [
    ("2025-09-30", date(2025, 9, 30)),
    ("30/09/2025", date(2025, 9, 30)),
    ("30 Sep 2025", date(2025, 9, 30)),
    ("Sep 2025", date(2025, 9, 30)),
    ("2025-06", date(2025, 6, 30)),
    ("2025/26 Q2", date(2025, 9, 30)),
    ("2025/26", date(2026, 3, 31)),
    ("Q2", date(2026, 9, 30)),
    ("q4", date(2027, 3, 31)),
    ("last month", date(2026, 11, 30)),
    ("Last Quarter", date(2026, 9, 30)),
    ("this quarter", date(2026, 12, 31)),
    ("last year", date(2026, 3, 31)),
])
def test_as_of_dates_in_every_form_of_the_design(text, expected):
    assert parse_when(text, TODAY) == expected


def test_last_month_and_quarter_cross_the_year_boundary():
    assert parse_period_text("last month", date(2026, 1, 15)) == Month(2025, 12)
    assert parse_period_text("last quarter", date(2026, 4, 2)) == Quarter(2025, 4)
    assert parse_period_text("Q1", date(2026, 3, 31)) == Quarter(2025, 1)


def test_parse_when_names_the_forms_that_work():
    with pytest.raises(PeriodError, match="last quarter"):
        parse_when("the other day", TODAY)


def test_financial_year_must_run_into_the_next_year():
    with pytest.raises(PeriodError, match="2025/26"):
        parse_period("2025/27")


def test_there_is_no_fifth_quarter():
    with pytest.raises(PeriodError, match="Q1 to Q4"):
        parse_period("2025/26 Q5")


def test_nonsense_is_rejected_with_the_forms_that_work():
    with pytest.raises(PeriodError) as caught:
        parse_period("hello")
    message = str(caught.value)
    assert "2025-09" in message
    assert "2025/26 Q2" in message
    assert "2025/26" in message


def test_month_thirteen_is_rejected_with_the_forms_that_work():
    with pytest.raises(PeriodError) as caught:
        parse_period("2025-13")
    assert "2025-09" in str(caught.value)


def test_parse_month_rejects_nonsense_with_the_form_that_works():
    with pytest.raises(PeriodError, match="YYYY-MM"):
        parse_month("hello")


def test_period_error_is_a_value_error():
    assert issubclass(PeriodError, ValueError)


# --- month spans ---------------------------------------------------------------------------

def test_month_span_within_a_calendar_year():
    assert month_span(Month(2025, 7), Month(2025, 9)) == "Jul-Sep 2025"


def test_month_span_across_calendar_years():
    assert month_span(Month(2024, 11), Month(2025, 1)) == "Nov 2024-Jan 2025"


def test_quarter_span():
    assert Quarter(2025, 2).span == "Jul-Sep 2025"


# --- share of the year elapsed -------------------------------------------------------------

def test_year_elapsed_share_on_first_of_october():
    # Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 30 = 183 days, + 1 Oct = 184; 2025/26 has 365 days
    assert year_elapsed_share(FinancialYear(2025), date(2025, 10, 1)) == pytest.approx(184 / 365)


def test_year_elapsed_share_on_first_day_counts_that_day():
    assert year_elapsed_share(FinancialYear(2025), date(2025, 4, 1)) == pytest.approx(1 / 365)


def test_year_elapsed_share_before_the_year_is_zero():
    assert year_elapsed_share(FinancialYear(2025), date(2025, 3, 31)) == 0.0


def test_year_elapsed_share_after_the_year_is_one():
    assert year_elapsed_share(FinancialYear(2025), date(2026, 4, 1)) == 1.0
    assert year_elapsed_share(FinancialYear(2025), date(2026, 3, 31)) == 1.0


def test_year_elapsed_share_in_a_leap_financial_year():
    # 2027/28 includes 29 Feb 2028: 366 days
    assert year_elapsed_share(FinancialYear(2027), date(2027, 4, 1)) == pytest.approx(1 / 366)


def test_month_thirteen_cannot_be_built():
    with pytest.raises(PeriodError):
        Month(2025, 13)


@pytest.mark.parametrize("day, quarter", [
    (date(2025, 9, 30), Quarter(2025, 2)),   # the quarter's own last day counts it as ended
    (date(2025, 9, 29), Quarter(2025, 1)),
    (date(2026, 3, 31), Quarter(2025, 4)),
    (date(2026, 4, 1), Quarter(2025, 4)),
    (date(2025, 4, 1), Quarter(2024, 4)),
])
def test_last_complete_quarter_ended_by_the_end_of_the_day(day, quarter):
    from storage.periods import last_complete_quarter

    assert last_complete_quarter(day) == quarter
