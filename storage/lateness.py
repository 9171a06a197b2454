"""Late figures: the working day each period's figures are due by, and which metrics' next figures are overdue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from storage.catalog import Catalog, MetricDefinition
from storage.periods import FinancialYear, Month, Period, Quarter, period_end
from storage.working_days import first_working_day_after, is_working_day


@dataclass(frozen=True)
class Late:
    """A metric whose figures for `period` were due on `due` and are not loaded, `days_late` working days on."""

    metric: MetricDefinition
    period: Period
    due: date
    days_late: int


def nth_working_day_after(day: date, n: int) -> date:
    """The `n`th working day after `day` (1: the first working day after it)."""
    for _ in range(n):
        day = first_working_day_after(day)
    return day


def working_days_between(earlier: date, later: date) -> int:
    """Working days after `earlier`, up to and including `later`."""
    count, day = 0, earlier + timedelta(days=1)
    while day <= later:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def due_date(metric: MetricDefinition, period: Period) -> date | None:
    """The day `period`'s figures are due by: the metric's due working day after the period ends; None when
    the metric has no due day."""
    if metric.due_working_day is None:
        return None
    return nth_working_day_after(period_end(period), metric.due_working_day)


def period_of(metric: MetricDefinition, start: date) -> Period:
    """The period of the metric's frequency that starts on `start` (an observation's period start)."""
    month = Month.of(start)
    if metric.frequency == "quarterly":
        return month.quarter
    if metric.frequency == "annual":
        return month.financial_year
    return month


def next_period(period: Period) -> Period:
    if isinstance(period, Month):
        return period.shift(1)
    if isinstance(period, Quarter):
        return Quarter(period.start_year, period.number + 1) if period.number < 4 else Quarter(period.start_year + 1, 1)
    return FinancialYear(period.start_year + 1)


def latest_periods(catalog: Catalog, starts_by_slug: dict[str, date]) -> dict[str, Period]:
    """Each catalogued metric's latest loaded period, from the start days the database gives."""
    return {m.slug: period_of(m, starts_by_slug[m.slug]) for m in catalog.metrics if m.slug in starts_by_slug}


def late_figures(catalog: Catalog, latest_periods_by_slug: dict[str, Period], today: date) -> list[Late]:
    """Each metric with a due day whose figures for the period after its latest loaded one are overdue on
    `today`, in catalog order. Late means at least one working day has begun since the due day ended. A metric
    with nothing loaded is left out: there is no period to be after."""
    late = []
    for metric in catalog.metrics:
        latest = latest_periods_by_slug.get(metric.slug)
        if latest is None or metric.due_working_day is None:
            continue
        missing = next_period(latest)
        due = due_date(metric, missing)
        days_late = working_days_between(due, today)
        if days_late >= 1:
            late.append(Late(metric, missing, due, days_late))
    return late
