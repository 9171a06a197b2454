"""Figures written as the Panel papers write them: 58%, +54pp, 13.3 days, 104, £126,566.47."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NOT_AVAILABLE = "N/A"


def _round(value: float, places: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _one_decimal(value: float) -> str:
    """One decimal place with thousands separators, a trailing .0 dropped, -0 shown as 0."""
    text = f"{_round(value, 1):,.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text in {"-0", "-0.0"} else text


def _count(value: float) -> str:
    rounded = _round(value, 1)
    if rounded == rounded.to_integral_value():
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


def _rate(value: float) -> str:
    text = f"{_round(value, 4):f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


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
    if unit == "days":
        return f"{_one_decimal(value)} days"
    if unit == "hours":
        return f"{_one_decimal(value)} hours"
    if unit == "count":
        return _count(value)
    if unit == "rate_per_1000":
        return _rate(value)
    if unit == "currency":
        return format_money(value)
    if unit == "yes_no":
        return "Y" if value >= 0.5 else "N"
    raise ValueError(f"unknown unit {unit!r}")


def format_difference(unit: str, value: float | Decimal | None) -> str:
    """A signed difference: +54pp for percents, -2.3 days, +2; 'no change' when it rounds to zero."""
    if value is None:
        return NOT_AVAILABLE
    if unit == "percent":
        body = _one_decimal(abs(value)) + "pp"
    elif unit == "currency":
        body = format_money(abs(value))
    elif unit == "rate_per_1000":
        body = _rate(abs(value))
    elif unit == "yes_no":
        body = _count(abs(value))
    else:
        body = format_value(unit, abs(value))
    if body.lstrip("£").split(" ")[0].rstrip("p") in {"0", "0.00"}:
        return "no change"
    return ("+" if value > 0 else "-") + body


def format_day(day: date) -> str:
    """A date as the papers write it: 30 Sep 2025."""
    return f"{day.day} {day:%b} {day.year}"
