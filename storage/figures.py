"""Figures written as the Panel papers write them: 58%, +54pp, 13.3 days, 104, £126,566.47, 10.02 per 1,000."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.catalog import MetricDefinition

NOT_AVAILABLE = "N/A"
PER_1000 = " per 1,000"
MONTHLY_AVERAGE = " a month on average"
MONTHLY_AVERAGE_SHORT = " a month"

# Decimal places each unit is published to. The Plan dashboard's arrow compares figures at this precision,
# so the arrow and the figure beside it always agree.
PLACES = {"percent": 1, "days": 1, "hours": 1, "count": 1, "rate_per_1000": 4, "currency": 2, "yes_no": 0}

RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "No RAG"}
DIRECTION_WORDS = {"up": "Up", "down": "Down", "flat": "Flat", "none": NOT_AVAILABLE}


def _round(value: float | Decimal, places: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(10) ** -places, rounding=ROUND_HALF_UP)


def published(unit: str, value: float | Decimal) -> Decimal:
    """A figure rounded as it is published (half up): 80.04% is 80.0, a rate 0.00084 is 0.0008."""
    if unit not in PLACES:
        raise ValueError(f"unknown unit {unit!r}")
    return _round(value, PLACES[unit])


def _one_decimal(value: float) -> str:
    """One decimal place with thousands separators, a trailing .0 dropped, -0 shown as 0."""
    text = f"{_round(value, 1):,.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _count(value: float) -> str:
    rounded = _round(value, 1)
    if rounded == rounded.to_integral_value():
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


def _rate(value: float) -> str:
    text = f"{_round(value, PLACES['rate_per_1000']).normalize():f}"
    return "0" if text == "-0" else text


def format_money(value: float | Decimal) -> str:
    amount = _round(value, 2)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def format_value(unit: str, value: float | Decimal | None) -> str:
    """A figure in its unit, or N/A."""
    if value is None:
        return NOT_AVAILABLE
    if unit == "percent":
        return f"{_one_decimal(value)}%"
    if unit in ("days", "hours"):
        number = _one_decimal(value)
        # 1 day, 1 hour; 0 days, 1.5 hours, -1 days stay plural as people write them.
        return f"{number} {unit[:-1] if number == '1' else unit}"
    if unit == "count":
        return _count(value)
    if unit == "rate_per_1000":
        return _rate(value) + PER_1000
    if unit == "currency":
        return format_money(value)
    if unit == "yes_no":
        return "Y" if value >= 0.5 else "N"
    raise ValueError(f"unknown unit {unit!r}")


def format_difference(unit: str, value: float | Decimal | None) -> str:
    """A signed difference: +54pp for percents, -2.3 days, +2; 'no change' when it rounds to zero."""
    if value is None:
        return NOT_AVAILABLE
    # A yes/no measure moves in whole steps, written as a count: +1.
    unit = "count" if unit == "yes_no" else unit
    if published(unit, abs(value)) == 0:
        return "no change"
    body = _one_decimal(abs(value)) + "pp" if unit == "percent" else format_value(unit, abs(value))
    return ("+" if value > 0 else "-") + body


def _averaged_over_months(metric: MetricDefinition) -> bool:
    return metric.unit == "count" and metric.aggregate == "mean" and metric.frequency == "monthly"


def format_figure(metric: MetricDefinition, value: float | Decimal | None, *, one_period: bool = False,
                  compact: bool = False) -> str:
    """A metric's figure as people read it: a count averaged over months says so (10 a month on average).

    `one_period` is a single month's figure (the latest month), which is not an average; `compact` keeps a
    table cell short (10 a month).
    """
    text = format_value(metric.unit, value)
    if value is None or one_period or not _averaged_over_months(metric):
        return text
    return text + (MONTHLY_AVERAGE_SHORT if compact else MONTHLY_AVERAGE)


def format_figure_difference(metric: MetricDefinition, value: float | Decimal | None, *,
                             compact: bool = False) -> str:
    """A difference between two of a metric's figures, in the same words: +2 a month on average."""
    text = format_difference(metric.unit, value)
    if value is None or text == "no change" or not _averaged_over_months(metric):
        return text
    return text + (MONTHLY_AVERAGE_SHORT if compact else MONTHLY_AVERAGE)


def rag_word(rag: str) -> str:
    """Green / Amber / Red, or No RAG for a metric that is not judged (or has nothing to judge yet)."""
    return RAG_WORDS[rag]


def direction_word(direction: str) -> str:
    """Up / Down / Flat, or N/A when one side of the comparison is missing."""
    return DIRECTION_WORDS[direction]


def format_day(day: date) -> str:
    """A date as the papers write it: 30 Sep 2025."""
    return f"{day.day} {day:%b} {day.year}"
