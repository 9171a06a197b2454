"""Working days in England and Wales: not a weekend, not a bank holiday (by rule)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from storage.periods import Month


def _easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _substitute(day: date, taken: set[date]) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


def _first_weekday(year: int, month: int, weekday: int, last: bool = False) -> date:
    if last:
        day = Month(year, month).last_day
        return day - timedelta(days=(day.weekday() - weekday) % 7)
    day = date(year, month, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays by rule (one-off extra holidays are not included)."""
    easter = _easter(year)
    days: set[date] = {
        _substitute(date(year, 1, 1), set()),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _first_weekday(year, 5, 0),
        _first_weekday(year, 5, 0, last=True),
        _first_weekday(year, 8, 0, last=True),
    }
    christmas = _substitute(date(year, 12, 25), set())
    boxing = _substitute(date(year, 12, 26), {christmas})
    days |= {christmas, boxing}
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def first_working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
