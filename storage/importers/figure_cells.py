"""One figure's cells in an observations file: its value in the metric's unit, its counts, its as_at date,
and the check that a percent metric's figures are not fractions."""
from __future__ import annotations

from datetime import date

from storage.catalog import MetricDefinition
from storage.importers.common import CellError, Percentage, Problem, is_blank, parse_day, parse_number, text
from storage.periods import FinancialYear, Month, Period, Quarter, period_start

NOT_A_PERCENT_METRIC = "{shown} is a percentage, but {slug} is a {unit} metric; give the figure itself"
COUNT_NOT_PERCENT = "{shown} is a percentage; the {column} is a count"
FRACTIONS = ("every {slug} figure in the file lies between 0 and 1 ({figures}), which looks like fractions, "
             "not percentages: enter 95 for 95%, or format the cells as percentages (write 1% if you mean 1%)")
AS_AT_IN_FUTURE = "{day} is in the future; as_at is the date the figure stood at, on or before today"
OVER_100_PERCENT = ("{shown} is more than 100%: a cell formatted as a percentage shows 95 as 9500%; "
                    "enter 0.95 there (or 95%) for 95%, or clear the percentage format")


class FractionWatch:
    """A percent metric's figures typed as plain numbers (not 95%, not from counts), to catch a column of fractions.

    All of them between 0 and 1 and not all 0 is read as fractions (0.95 meant as 95%, 1 as 100%): an
    office's percentages are rarely all under 1%, and 1% can still be written as `1%`.
    """

    def __init__(self):
        self._seen: dict[str, list] = {}   # slug -> [first row, its column, count, largest]

    def add(self, metric: MetricDefinition, value: float, row: int, column: str) -> None:
        if metric.unit != "percent" or isinstance(value, Percentage):
            return
        seen = self._seen.get(metric.slug)
        if seen is None:
            self._seen[metric.slug] = [row, column, 1, value]
        else:
            seen[2] += 1
            seen[3] = max(seen[3], value)

    def problems(self) -> list[Problem]:
        return [
            Problem(row, column, FRACTIONS.format(slug=slug, figures=_figures(count, largest)))
            for slug, (row, column, count, largest) in self._seen.items() if 0 < largest <= 1
        ]


def _figures(count: int, largest: float) -> str:
    return f"the only one is {largest:g}" if count == 1 else f"{count:,} figures, the largest {largest:g}"


def check_period(metric: MetricDefinition, period: Period, today: date) -> str | None:
    allowed = {"monthly": (Month,), "quarterly": (Quarter, FinancialYear), "annual": (FinancialYear,)}[metric.frequency]
    if metric.frequency == "monthly" and isinstance(period, FinancialYear):
        return f"{metric.slug} is monthly; give its months (YYYY-MM), the baseline is worked out from them"
    if not isinstance(period, allowed):
        wanted = {"monthly": "a month like 2025-09", "quarterly": "a quarter like 2025/26 Q1 or a year like 2024/25",
                  "annual": "a financial year like 2025/26"}[metric.frequency]
        return f"{metric.slug} is {metric.frequency}; the period must be {wanted}, not {period.label}"
    if period_start(period) > today:
        return f"{period.label} has not started yet (today is {today.isoformat()})"
    return None


def check_value(metric: MetricDefinition, value: float) -> str | None:
    if metric.unit == "percent" and isinstance(value, Percentage) and value > 100:
        return OVER_100_PERCENT.format(shown=f"{value:g}%")
    if metric.unit == "percent" and not 0 <= value <= 100:
        return f"{value:g} is not a percentage between 0 and 100"
    if metric.unit == "yes_no" and value not in (0, 1):
        return "must be Y or N (or 1 or 0)"
    if metric.unit in ("count", "days", "hours", "currency") and value < 0:
        return f"{value:g} cannot be negative for a {metric.unit} metric"
    return None


def figure_value(metric: MetricDefinition, raw) -> float:
    if metric.unit == "yes_no" and text(raw).lower() in {"y", "yes", "n", "no"}:
        return 1.0 if text(raw).lower().startswith("y") else 0.0
    value = parse_number(raw)
    if isinstance(value, Percentage) and metric.unit != "percent":
        raise CellError(NOT_A_PERCENT_METRIC.format(shown=f"{value:g}%", slug=metric.slug, unit=metric.unit))
    return value


def count_value(raw, column: str) -> float | None:
    if is_blank(raw):
        return None
    value = parse_number(raw)
    if isinstance(value, Percentage):
        raise CellError(COUNT_NOT_PERCENT.format(shown=f"{value:g}%", column=column))
    return value


def as_at_day(raw, today: date) -> date | None:
    if is_blank(raw):
        return None
    day = parse_day(raw)
    if day > today:
        raise CellError(AS_AT_IN_FUTURE.format(day=day.isoformat()))
    return day
