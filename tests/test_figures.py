"""Figures written the way the Panel papers write them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from storage.figures import format_difference, format_money, format_value


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
