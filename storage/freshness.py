"""How old a figure is on the day it is read, and the one line that says so when it is older than expected."""
from __future__ import annotations

from datetime import date

from storage.periods import Month, Period, period_end

# A figure is stale once its period ended (or, with `as_at`, it stood) more than this many months before
# the day it is read: monthly figures arrive the month after, quarterly ones within a quarter, annual
# ones (surveys) once a year.
STALE_AFTER_MONTHS = {"monthly": 2, "quarterly": 6, "annual": 15}

STALE_FIGURES = "Latest figures are for {period}, {age} ago."
NO_FIGURES = "No figures loaded yet."


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (30 Sep 2025 to 1 Dec 2026 is 14)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day and not _is_month_end(earlier, later):
        months -= 1
    return max(months, 0)


def _is_month_end(earlier: date, later: date) -> bool:
    # 31 Aug to 30 Sep is a whole month: the later month simply has no 31st.
    return earlier.day == Month.of(earlier).last_day.day and later.day == Month.of(later).last_day.day


def age_text(earlier: date, later: date) -> str:
    """'14 months ago' style wording, without the 'ago'."""
    months = months_between(earlier, later)
    if months >= 24:
        years = months // 12
        return f"{years} years"
    if months >= 1:
        return "1 month" if months == 1 else f"{months} months"
    days = (later - earlier).days
    return "1 day" if days == 1 else f"{days} days"


def period_title(period: Period) -> str:
    """A period as a reader writes it: Sep 2025, 2025/26 Q1, 2025/26."""
    return period.title if isinstance(period, Month) else period.label


def stands_at(period: Period, as_at: date | None = None) -> date:
    """The date a figure counts from: its own `as_at`, else the end of its period."""
    return as_at or period_end(period)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a month's last day stays its month's last day (30 Sep + 2 = 30 Nov)."""
    target = Month.of(day).shift(months)
    if day == Month.of(day).last_day:
        return target.last_day
    return date(target.year, target.month, min(day.day, target.last_day.day))


def is_stale(period: Period, frequency: str, as_of: date, as_at: date | None = None) -> bool:
    """Older than its frequency allows: more than STALE_AFTER_MONTHS between standing date and `as_of`."""
    limit = STALE_AFTER_MONTHS.get(frequency, STALE_AFTER_MONTHS["monthly"])
    return as_of > add_months(stands_at(period, as_at), limit)


def staleness_note(period: Period | None, frequency: str, as_of: date, as_at: date | None = None) -> str | None:
    """One line when the latest figure is older than its frequency allows on `as_of`; None when it is fresh."""
    if period is None:
        return None
    if not is_stale(period, frequency, as_of, as_at):
        return None
    return STALE_FIGURES.format(period=period_title(period), age=age_text(stands_at(period, as_at), as_of))
