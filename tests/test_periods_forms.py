"""Every accepted way of writing a month, quarter, financial year and date, pinned by hand (storage/periods.py)."""
from __future__ import annotations

from datetime import date

import pytest

from storage.periods import (
    FinancialYear,
    Month,
    PeriodError,
    Quarter,
    current_quarter,
    month_span,
    parse_date,
    parse_financial_year,
    parse_month,
    parse_period,
    parse_period_label,
    parse_period_text,
    parse_relative_period,
    parse_when,
    period_end,
    period_kind,
    period_start,
)

TODAY = date(2025, 10, 27)   # the Panel day, in 2025/26 Q3


# --- financial years -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2025/26", "2025/2026", "2025-26", "2025-2026", "2025 / 26", "FY2025/26",
                                  "fy 2025/2026", " 2025/26 "])
def test_financial_year_forms(text):
    assert parse_financial_year(text) == FinancialYear(2025)


def test_financial_year_across_a_century():
    assert parse_financial_year("2099/00") == FinancialYear(2099)
    assert FinancialYear(2099).label == "2099/00"


@pytest.mark.parametrize("text", ["2025/27", "2025/2027", "2025/25", "2025/3026", "2025/1926"])
def test_financial_year_must_run_into_the_next_year(text):
    with pytest.raises(PeriodError, match="a financial year runs from one year into the next, like 2025/26"):
        parse_financial_year(text)


@pytest.mark.parametrize("text", ["2025", "26/27", "2025/6", "Q2 2025/26", "twenty25"])
def test_not_a_financial_year(text):
    with pytest.raises(PeriodError, match=r"is not a financial year; write it like 2025/26"):
        parse_financial_year(text)


# --- months ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2025-09", "2025-9", "2025-09-01", "Sep 2025", "Sept 2025", "September 2025",
                                  "sep 2025", "SEPT 2025", "Sep-25", "Sept-25", "Sep 25", "Sep. 2025", "Sep, 2025",
                                  "Sep'25", "  Sep 2025  ", "Sept-2025"])
def test_september_2025_forms(text):
    assert parse_month(text) == Month(2025, 9)
    assert parse_period(text) == Month(2025, 9)


@pytest.mark.parametrize("text, expected", [
    ("Jan 2026", Month(2026, 1)), ("Janu 2026", Month(2026, 1)), ("February 2026", Month(2026, 2)),
    ("Mar 2026", Month(2026, 3)), ("May 2025", Month(2025, 5)), ("June 2025", Month(2025, 6)),
    ("Jun 2025", Month(2025, 6)), ("Jul 2025", Month(2025, 7)), ("Aug 2025", Month(2025, 8)),
    ("Oct 2025", Month(2025, 10)), ("Nov 2025", Month(2025, 11)), ("Dec-24", Month(2024, 12)),
    ("Apr 99", Month(2099, 4)),
])
def test_month_names_and_abbreviations(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["Septe 2025", "Septem 2025", "Ju 2025", "Mayo 2025", "2025-13", "2025-00",
                                  "2025-09-02", "Sep", "2025"])
def test_not_a_month(text):
    with pytest.raises(PeriodError):
        parse_month(text)


def test_not_a_month_says_how_to_write_one():
    with pytest.raises(PeriodError, match=r"^'Septem 2025' is not a month; write it as YYYY-MM, e.g. 2025-09$"):
        parse_month("Septem 2025")


def test_month_thirteen_says_which_months_exist():
    with pytest.raises(PeriodError, match="month 13 is not between 1 and 12"):
        parse_month("2025-13")
    with pytest.raises(PeriodError, match="month 0 is not between 1 and 12"):
        Month(2025, 0)


# --- periods: months, quarters, years ----------------------------------------------------------

@pytest.mark.parametrize("text", ["2025/26 Q2", "Q2 2025/26", "2025/26 q2", "2025/26Q2", "q2 2025/2026",
                                  "2025/2026 Q2", "2025-26 Q2", "2025/26   Q2", "Q2  2025-2026"])
def test_quarter_forms(text):
    assert parse_period(text) == Quarter(2025, 2)


@pytest.mark.parametrize("text", ["2025/26", "2025/2026", "2025-26", "FY 2025/26"])
def test_financial_year_as_a_period(text):
    assert parse_period(text) == FinancialYear(2025)


def test_an_iso_month_is_a_month_not_a_year():
    # 2025-12 is December 2025; 2025-26 can only be the year
    assert parse_period("2025-12") == Month(2025, 12)
    assert parse_period("2025-04") == Month(2025, 4)
    assert parse_period("2025-26") == FinancialYear(2025)


def test_a_slashed_year_that_does_not_run_on_says_so():
    with pytest.raises(PeriodError, match="runs from one year into the next"):
        parse_period("2025/2027")


def test_a_dashed_pair_that_is_neither_month_nor_year_lists_the_forms():
    with pytest.raises(PeriodError, match=r"^'2025-27' is not a period; use a month \(2025-09\), a quarter "
                                          r"\(2025/26 Q2\) or a financial year \(2025/26\)$"):
        parse_period("2025-27")


def test_a_quarter_of_a_year_that_does_not_run_on_is_refused():
    with pytest.raises(PeriodError, match="runs from one year into the next"):
        parse_period("2025/27 Q2")


@pytest.mark.parametrize("text", ["2025/26 Q0", "Q5 2025/26"])
def test_quarters_run_from_one_to_four(text):
    with pytest.raises(PeriodError, match="quarters are Q1 to Q4"):
        parse_period(text)


def test_stored_labels_parse_back():
    assert parse_period_label("2025-09") == Month(2025, 9)
    assert parse_period_label("2025/26 Q1") == Quarter(2025, 1)
    assert parse_period_label("2024/25") == FinancialYear(2024)
    assert parse_period_label(Quarter(2025, 1).label) == Quarter(2025, 1)


# --- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2025-09-30", "30/09/2025", "30/09/25", "30-09-2025", "30.09.2025", "30 Sep 2025",
                                  "30 Sept 2025", "30 September 2025", "30th Sep 2025", "30-Sep-2025", "30 Sep, 2025",
                                  "30 Sep 25", "30 sept. 2025", "30TH SEPTEMBER 2025"])
def test_30_september_2025_forms(text):
    assert parse_date(text) == date(2025, 9, 30)


@pytest.mark.parametrize("text, expected", [
    ("1st Oct 2025", date(2025, 10, 1)), ("2nd Oct 2025", date(2025, 10, 2)), ("3rd Oct 2025", date(2025, 10, 3)),
    ("01/10/2025", date(2025, 10, 1)), ("1/4/2025", date(2025, 4, 1)), ("29 Feb 2028", date(2028, 2, 29)),
])
def test_other_days(text, expected):
    assert parse_date(text) == expected


def test_a_day_that_is_not_in_the_calendar_says_so():
    with pytest.raises(PeriodError, match=r"^'31 Sep 2025' is not a day of the calendar$"):
        parse_date("31 Sep 2025")
    with pytest.raises(PeriodError, match="is not a day of the calendar"):
        parse_date("29 Feb 2025")


@pytest.mark.parametrize("text", ["30 Foo 2025", "31/09/2025", "Sep 2025", "2025-09"])
def test_not_a_date_lists_the_forms(text):
    with pytest.raises(PeriodError, match=r"is not a date; write it like 2025-09-30, 30/09/2025 or 30 Sep 2025$"):
        parse_date(text)


# --- relative periods: Q2, last month, last quarter ---------------------------------------------

@pytest.mark.parametrize("text, today, expected", [
    ("Q2", TODAY, Quarter(2025, 2)),
    ("q3", TODAY, Quarter(2025, 3)),
    # in January the financial year is the one that began the April before
    ("Q4", date(2026, 1, 15), Quarter(2025, 4)),
    ("Q1", date(2026, 3, 31), Quarter(2025, 1)),
    ("Q1", date(2026, 4, 1), Quarter(2026, 1)),
    ("last month", TODAY, Month(2025, 9)),
    ("previous month", TODAY, Month(2025, 9)),
    ("last month", date(2026, 1, 5), Month(2025, 12)),
    ("this month", TODAY, Month(2025, 10)),
    ("current month", TODAY, Month(2025, 10)),
    ("last quarter", TODAY, Quarter(2025, 2)),
    ("last quarter", date(2025, 5, 1), Quarter(2024, 4)),
    ("this quarter", TODAY, Quarter(2025, 3)),
    ("previous quarter", date(2026, 2, 1), Quarter(2025, 3)),
    ("this year", TODAY, FinancialYear(2025)),
    ("last year", TODAY, FinancialYear(2024)),
    ("last year", date(2025, 3, 31), FinancialYear(2023)),
    ("last financial year", TODAY, FinancialYear(2024)),
    ("current financial  year", TODAY, FinancialYear(2025)),
    ("  Last   Month ", TODAY, Month(2025, 9)),
])
def test_relative_periods(text, today, expected):
    assert parse_relative_period(text, today) == expected
    assert parse_period_text(text, today) == expected


@pytest.mark.parametrize("text", ["yesterday", "next month", "last week", "Q2 2025/26", "2025-09", "Q12"])
def test_not_a_relative_period(text):
    assert parse_relative_period(text, TODAY) is None


def test_period_text_falls_back_to_a_written_period():
    assert parse_period_text("2025/26 Q2", TODAY) == Quarter(2025, 2)
    assert parse_period_text("Sept 2025", TODAY) == Month(2025, 9)
    with pytest.raises(PeriodError, match="is not a period"):
        parse_period_text("next month", TODAY)


def test_current_quarter():
    assert current_quarter(TODAY) == Quarter(2025, 3)
    assert current_quarter(date(2026, 3, 31)) == Quarter(2025, 4)


# --- as of: every form stands for a day -----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("30/09/2025", date(2025, 9, 30)),
    ("15 Sept 2025", date(2025, 9, 15)),
    ("Sept 2025", date(2025, 9, 30)),
    ("2025-02", date(2025, 2, 28)),
    ("2024-02", date(2024, 2, 29)),
    ("2025/2026 Q1", date(2025, 6, 30)),
    ("2025/2026", date(2026, 3, 31)),
    ("Q2", date(2025, 9, 30)),
    ("last month", date(2025, 9, 30)),
    ("last quarter", date(2025, 9, 30)),
    ("this month", date(2025, 10, 31)),
])
def test_as_of_forms(text, expected):
    assert parse_when(text, TODAY) == expected


def test_as_of_nonsense_lists_every_form():
    with pytest.raises(PeriodError, match=r"^'whenever' is not a date; write it as one of 2025-09-30, 30/09/2025, "
                                          r"30 Sep 2025, Sep 2025, 2025/26 Q2, Q2, last month or last quarter$"):
        parse_when("whenever", TODAY)


# --- periods' days, kinds and spans ----------------------------------------------------------------

@pytest.mark.parametrize("period, kind, start, end", [
    (Month(2025, 9), "month", date(2025, 9, 1), date(2025, 9, 30)),
    (Month(2024, 2), "month", date(2024, 2, 1), date(2024, 2, 29)),
    (Month(2025, 12), "month", date(2025, 12, 1), date(2025, 12, 31)),
    (Quarter(2025, 2), "quarter", date(2025, 7, 1), date(2025, 9, 30)),
    (Quarter(2025, 4), "quarter", date(2026, 1, 1), date(2026, 3, 31)),
    (FinancialYear(2024), "year", date(2024, 4, 1), date(2025, 3, 31)),
])
def test_period_days_and_kind(period, kind, start, end):
    assert period_kind(period) == kind
    assert period_start(period) == start
    assert period_end(period) == end


def test_month_arithmetic_across_years():
    assert Month(2025, 1).shift(-1) == Month(2024, 12)
    assert Month(2024, 12).shift(1) == Month(2025, 1)
    assert Month(2025, 9).shift(-12) == Month(2024, 9)
    assert Month(2025, 9).index == 2025 * 12 + 8
    assert Month.from_index(2025 * 12) == Month(2025, 1)
    assert Month.of(date(2025, 9, 15)) == Month(2025, 9)


def test_months_are_written_both_ways():
    assert Month(2025, 9).title == "Sep 2025"
    assert Month(2026, 1).label == "2026-01"
    assert Month(999, 1).label == "0999-01"


def test_quarters_and_years_are_written_as_the_papers_write_them():
    assert Quarter(2025, 2).label == "2025/26 Q2"
    assert str(Quarter(2025, 2)) == "2025/26 Q2"
    assert str(FinancialYear(2025)) == "2025/26"
    assert FinancialYear(2009).label == "2009/10"
    assert Quarter(2025, 4).span == "Jan-Mar 2026"
    assert Quarter(2025, 3).financial_year == FinancialYear(2025)
    assert FinancialYear(2025).first_month == Month(2025, 4)


def test_previous_quarter():
    assert Quarter(2025, 1).previous() == Quarter(2024, 4)
    assert Quarter(2025, 3).previous() == Quarter(2025, 2)
    assert Quarter(2025, 4).previous() == Quarter(2025, 3)


def test_spans():
    assert month_span(Month(2025, 9), Month(2025, 9)) == "Sep 2025"
    assert month_span(Month(2025, 1), Month(2025, 3)) == "Jan-Mar 2025"
    assert month_span(Month(2025, 12), Month(2026, 2)) == "Dec 2025-Feb 2026"


def test_periods_order_by_time():
    assert Month(2025, 8) < Month(2025, 9) < Month(2026, 1)
    assert Quarter(2025, 4) < Quarter(2026, 1)
    assert FinancialYear(2024) < FinancialYear(2025)


# --- the words of the refusals name what was typed ---------------------------------------------

def test_a_year_that_does_not_run_on_is_quoted_back():
    with pytest.raises(PeriodError, match=r"^'2025/27': a financial year runs from one year into the next"):
        parse_financial_year("2025/27")
    with pytest.raises(PeriodError, match=r"^'2025/27 Q2': a financial year runs from one year into the next"):
        parse_period("2025/27 Q2")


def test_a_four_digit_second_year_must_be_the_next_year():
    # 1099/1000 ends in 00 as 1100 does, but 1000 is not 1100
    with pytest.raises(PeriodError, match="runs from one year into the next"):
        parse_financial_year("1099/1000")


def test_a_four_digit_year_is_taken_as_written():
    # only a two-digit year means 20xx: Sep 0100 is the year 100, not 2100
    assert parse_month("Sep 0100") == Month(100, 9)
    assert parse_date("30 Sep 0100") == date(100, 9, 30)
    assert parse_month("Sep 99") == Month(2099, 9)
    assert parse_date("30 Sep 99") == date(2099, 9, 30)
