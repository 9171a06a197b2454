"""Figures written the way the Panel papers write them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storage.catalog import MetricDefinition
from storage.figures import (
    direction_word,
    format_day,
    format_difference,
    format_figure,
    format_figure_difference,
    format_money,
    format_value,
    published,
    rag_word,
)


# --- percents ------------------------------------------------------------------------------

def test_whole_percent_drops_the_trailing_zero():
    assert format_value("percent", 58.0) == "58%"


def test_percent_to_one_decimal():
    # 57.69 -> 57.7
    assert format_value("percent", 57.69) == "57.7%"


def test_percent_difference_in_points_with_sign():
    assert format_difference("percent", 54.0) == "+54pp"
    assert format_difference("percent", 65.0) == "+65pp"


def test_negative_percent_difference():
    # -3.26 -> -3.3
    assert format_difference("percent", -3.26) == "-3.3pp"


def test_percent_rounds_half_up():
    # 0.05 -> 0.1, not banker's 0.0
    assert format_value("percent", 0.05) == "0.1%"


def test_percent_rounds_half_up_for_binary_unfriendly_values():
    # 0.15 is stored as 0.1499999...; the paper still writes 0.2
    assert format_value("percent", 0.15) == "0.2%"


# --- days and hours ------------------------------------------------------------------------

def test_days_to_one_decimal():
    # 13.3333 -> 13.3
    assert format_value("days", 13.3333) == "13.3 days"


def test_days_difference():
    # -2.2667 -> -2.3
    assert format_difference("days", -2.2667) == "-2.3 days"


def test_days_round_half_up():
    # 2.25 -> 2.3
    assert format_value("days", 2.25) == "2.3 days"


def test_hours_to_one_decimal():
    # 152 / 3 = 50.666... -> 50.7
    assert format_value("hours", 152 / 3) == "50.7 hours"


def test_whole_hours_difference_drops_trailing_zero():
    assert format_difference("hours", -25.0) == "-25 hours"


# --- counts --------------------------------------------------------------------------------

def test_whole_count_has_no_decimals():
    assert format_value("count", 104) == "104"
    assert format_value("count", 10.0) == "10"


def test_count_difference_with_sign():
    assert format_difference("count", 2) == "+2"


# --- money ---------------------------------------------------------------------------------

def test_money_with_thousands_separator_and_pence():
    assert format_money(Decimal("126566.47")) == "£126,566.47"


def test_money_zero():
    assert format_money(Decimal("0")) == "£0.00"


def test_currency_value_is_money():
    assert format_value("currency", Decimal("126566.47")) == "£126,566.47"


# --- no change and N/A ---------------------------------------------------------------------

def test_zero_difference_is_no_change():
    assert format_difference("percent", 0.0) == "no change"
    assert format_difference("count", 0) == "no change"
    assert format_difference("days", 0.0) == "no change"


def test_difference_that_rounds_to_zero_is_no_change():
    # -0.04pp rounds to 0.0pp
    assert format_difference("percent", -0.04) == "no change"


def test_difference_that_rounds_away_from_zero_is_a_change():
    # 0.05pp rounds half up to 0.1pp
    assert format_difference("percent", 0.05) == "+0.1pp"


@pytest.mark.parametrize("unit", ["percent", "days", "hours", "count", "currency"])
def test_missing_value_is_n_a(unit):
    assert format_value(unit, None) == "N/A"


@pytest.mark.parametrize("unit", ["percent", "days", "hours", "count", "currency"])
def test_missing_difference_is_n_a(unit):
    assert format_difference(unit, None) == "N/A"


# --- rates per 1,000 population -----------------------------------------------------------

def test_rate_per_1000_says_per_1000():
    # Stalking and harassment, 2025/26 Q1 on the Plan dashboard: 10.02
    assert format_value("rate_per_1000", 10.02) == "10.02 per 1,000"


def test_rate_per_1000_keeps_four_decimal_places():
    # Homicides, 2025/26 Q1: 0.0008; 0.00084 rounds to 0.0008, 0.00085 half up to 0.0009
    assert format_value("rate_per_1000", 0.0008) == "0.0008 per 1,000"
    assert format_value("rate_per_1000", 0.00084) == "0.0008 per 1,000"
    assert format_value("rate_per_1000", 0.00085) == "0.0009 per 1,000"


def test_rate_per_1000_drops_trailing_zeros():
    # shoplifting 8 (not 8.0000), serious violence 0.7, VAWG 18.6
    assert format_value("rate_per_1000", 8.0) == "8 per 1,000"
    assert format_value("rate_per_1000", 0.70) == "0.7 per 1,000"
    assert format_value("rate_per_1000", 18.60) == "18.6 per 1,000"


def test_rate_per_1000_of_nothing_is_zero():
    # drug-related homicides 2025/26 Q1: 0; a rate that rounds away (0.00004) is 0 too, never -0
    assert format_value("rate_per_1000", 0) == "0 per 1,000"
    assert format_value("rate_per_1000", 0.00004) == "0 per 1,000"
    assert format_value("rate_per_1000", -0.00004) == "0 per 1,000"


def test_rate_per_1000_difference():
    # stalking 10.02 - 9.3 = +0.72; shoplifting 8 - 7.6 = +0.4; homicide 0.0008 - 0.004 = -0.0032
    assert format_difference("rate_per_1000", 10.02 - 9.3) == "+0.72 per 1,000"
    assert format_difference("rate_per_1000", 8 - 7.6) == "+0.4 per 1,000"
    assert format_difference("rate_per_1000", 0.0008 - 0.004) == "-0.0032 per 1,000"


def test_rate_per_1000_difference_below_the_fourth_place_is_no_change():
    assert format_difference("rate_per_1000", 0.00004) == "no change"
    assert format_difference("rate_per_1000", 0.0) == "no change"


# --- yes/no --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [(1, "Y"), (1.0, "Y"), (0.5, "Y"), (0.49, "N"), (0, "N"), (0.0, "N")])
def test_yes_no(value, expected):
    # Medium Term Financial Strategy published: Y; 0.5 is the line between
    assert format_value("yes_no", value) == expected


def test_yes_no_change():
    assert format_difference("yes_no", 1) == "+1"
    assert format_difference("yes_no", -1) == "-1"
    assert format_difference("yes_no", 0) == "no change"


# --- other values and differences ----------------------------------------------------------

def test_count_to_one_decimal_with_thousands():
    # KSI baseline 100.1; 11,545 neighbourhood crimes; 100.04 rounds to 100
    assert format_value("count", 100.1) == "100.1"
    assert format_value("count", 11545) == "11,545"
    assert format_value("count", 100.04) == "100"
    assert format_value("count", 1234.56) == "1,234.6"


def test_percent_with_thousands_and_negative_zero():
    assert format_value("percent", 1234.5) == "1,234.5%"
    assert format_value("percent", -0.04) == "0%"


def test_negative_money():
    assert format_money(Decimal("-1446")) == "-£1,446.00"
    assert format_money(Decimal("-0.004")) == "£0.00"


def test_money_rounds_half_up_to_pence():
    assert format_money(2.675) == "£2.68"


def test_currency_difference():
    assert format_difference("currency", Decimal("-3400")) == "-£3,400.00"
    assert format_difference("currency", Decimal("1446")) == "+£1,446.00"
    assert format_difference("currency", Decimal("0.001")) == "no change"


def test_days_and_hours_differences_with_their_unit():
    assert format_difference("days", 0.05) == "+0.1 days"
    assert format_difference("hours", 2.0) == "+2 hours"
    assert format_difference("count", -468) == "-468"


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown unit 'furlongs'"):
        format_value("furlongs", 1)
    with pytest.raises(ValueError, match="unknown unit 'furlongs'"):
        published("furlongs", 1)


def test_missing_rate_and_yes_no_are_n_a():
    assert format_value("rate_per_1000", None) == "N/A"
    assert format_value("yes_no", None) == "N/A"
    assert format_difference("rate_per_1000", None) == "N/A"


def test_day_as_the_papers_write_it():
    assert format_day(date(2025, 9, 30)) == "30 Sep 2025"
    assert format_day(date(2025, 10, 1)) == "1 Oct 2025"


# --- the precision a figure is published to ------------------------------------------------

@pytest.mark.parametrize("unit, value, expected", [
    ("percent", 80.04, "80.0"),
    ("percent", 80.05, "80.1"),
    ("count", 664.04, "664.0"),
    ("count", 100.15, "100.2"),
    ("days", 13.25, "13.3"),
    ("hours", 50.66, "50.7"),
    ("rate_per_1000", 0.00084, "0.0008"),
    ("rate_per_1000", 0.00085, "0.0009"),
    ("currency", 2.675, "2.68"),
    ("yes_no", 0.5, "1"),
    ("yes_no", 0.49, "0"),
])
def test_published_precision(unit, value, expected):
    assert published(unit, value) == Decimal(expected)


# --- a metric's figure in words ------------------------------------------------------------

def metric(unit="count", aggregate="mean", frequency="monthly") -> MetricDefinition:
    return MetricDefinition(slug="icv-visits", name="ICV visits", definition="Visits.", section="Scrutiny Functions",
                            kind="office", unit=unit, frequency=frequency, aggregate=aggregate,
                            polarity="higher_better")


def test_count_averaged_over_months_says_so():
    # ICV visits Jul-Sep 2025: a mean of 10 a month
    assert format_figure(metric(), 10.0) == "10 a month on average"
    assert format_figure(metric(), 10.0, compact=True) == "10 a month"


def test_one_month_of_an_averaged_count_is_not_an_average():
    assert format_figure(metric(), 11.0, one_period=True) == "11"


def test_summed_and_quarterly_counts_are_plain():
    # public line calls: 104 in the quarter; neighbourhood officers 666 at 2025/26 Q1
    assert format_figure(metric(aggregate="sum"), 104) == "104"
    assert format_figure(metric(frequency="quarterly"), 666) == "666"


def test_other_units_keep_their_own_words():
    assert format_figure(metric(unit="hours"), 152 / 3) == "50.7 hours"
    assert format_figure(metric(unit="rate_per_1000", frequency="quarterly"), 10.02) == "10.02 per 1,000"
    assert format_figure(metric(unit="percent"), 58.0) == "58%"


def test_missing_figure_is_n_a_without_words():
    assert format_figure(metric(), None) == "N/A"
    assert format_figure_difference(metric(), None) == "N/A"


def test_difference_of_an_averaged_count_says_so():
    # ICV visits: 10 against 8 the quarter before
    assert format_figure_difference(metric(), 2.0) == "+2 a month on average"
    assert format_figure_difference(metric(), -1.0, compact=True) == "-1 a month"
    assert format_figure_difference(metric(), 0.0) == "no change"
    assert format_figure_difference(metric(aggregate="sum"), 3.0) == "+3"


# --- RAG and direction words ---------------------------------------------------------------

@pytest.mark.parametrize("rag, word", [("green", "Green"), ("amber", "Amber"), ("red", "Red"), ("none", "No RAG")])
def test_rag_word(rag, word):
    assert rag_word(rag) == word


@pytest.mark.parametrize("direction, word", [("up", "Up"), ("down", "Down"), ("flat", "Flat"), ("none", "N/A")])
def test_direction_word(direction, word):
    assert direction_word(direction) == word


def test_one_day_and_one_hour_are_singular():
    assert format_value("days", 1) == "1 day"
    assert format_value("hours", 1.04) == "1 hour"
    assert format_value("hours", 1.5) == "1.5 hours"
    assert format_value("days", 0) == "0 days"
    assert format_difference("hours", 1) == "+1 hour"
    assert format_difference("days", -2.3) == "-2.3 days"
