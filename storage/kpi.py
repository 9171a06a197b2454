"""The KPI engine: the Panel comparison, direction and RAG of a metric, as pure functions of its observations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Iterable, Sequence

from storage.catalog import MetricDefinition
from storage.figures import published
from storage.periods import FinancialYear, Month, Period, Quarter, month_span, parse_financial_year, period_end

MIN_BASELINE_MONTHS = 6
DEFAULT_PERCENT_TOLERANCE = 2.0
DEFAULT_RELATIVE_TOLERANCE = 0.05

RAG_VALUES = ("green", "amber", "red", "none")
DIRECTIONS = ("up", "down", "flat", "none")


@dataclass(frozen=True)
class Point:
    """One observation of a metric: a period and its value, with the counts behind it if loaded.

    Counts make a ratio: a percentage (numerator/denominator x 100) or an average such as days per
    completed review (total days / reviews). A month with counts but nothing counted has value None.
    """

    period: Period
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    # The date the figure stands at, where it is not the end of its period (a survey published early).
    as_at: date | None = None

    @property
    def has_counts(self) -> bool:
        return self.numerator is not None and self.denominator is not None


RATIO_SCALE = {"percent": 100.0, "days": 1.0, "hours": 1.0}


@dataclass(frozen=True)
class PanelComparison:
    """Everything the Panel table says about one metric at one period. None means N/A."""

    metric: MetricDefinition
    period: Period | None
    latest: float | None
    last3: float | None
    last3_span: str | None
    previous3: float | None
    previous3_span: str | None
    baseline: float | None
    baseline_year: str
    change_vs_previous3: float | None
    change_vs_baseline: float | None
    target: float | None
    tolerance: float
    rag: str
    direction: str
    # The date the latest figure stands at, where it is not the end of its period (a survey published early).
    as_at: date | None = None

    @property
    def current(self) -> float | None:
        """The figure RAG is judged on: last 3 months for monthly metrics, the latest period otherwise."""
        return self.last3 if self.metric.frequency == "monthly" else self.latest

    def as_json(self) -> dict:
        return {
            "slug": self.metric.slug,
            "name": self.metric.name,
            "unit": self.metric.unit,
            "period": self.period.label if self.period else None,
            "latest": _clean(self.latest),
            "last3": _clean(self.last3),
            "previous3": _clean(self.previous3),
            "change_vs_previous3": _clean(self.change_vs_previous3),
            "baseline": _clean(self.baseline),
            "change_vs_baseline": _clean(self.change_vs_baseline),
            "target": _clean(self.target),
            "rag": self.rag,
            "direction": self.direction,
        }


def _clean(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _ratio(metric: MetricDefinition, points: Sequence[Point]) -> float | None:
    denominator = sum(p.denominator for p in points)
    return sum(p.numerator for p in points) / denominator * RATIO_SCALE[metric.unit] if denominator else None


def _uses_counts(metric: MetricDefinition, points: Sequence[Point]) -> bool:
    return metric.unit in RATIO_SCALE and metric.aggregate == "mean" and all(p.has_counts for p in points)


def _combine(metric: MetricDefinition, points: Sequence[Point]) -> float | None:
    """Aggregate a complete run of points: a ratio of summed counts where every point has them."""
    if _uses_counts(metric, points):
        return _ratio(metric, points)
    values = [p.value for p in points]
    if any(v is None for v in values):
        return None
    return sum(values) if metric.aggregate == "sum" else fmean(values)


def three_month_figure(metric: MetricDefinition, by_month: dict[Month, Point], end: Month) -> float | None:
    """The aggregate of months end-2..end; None unless all three have values."""
    window = [by_month.get(end.shift(offset)) for offset in (-2, -1, 0)]
    if any(point is None for point in window):
        return None
    return _combine(metric, window)


def monthly_baseline(metric: MetricDefinition, by_month: dict[Month, Point], year: FinancialYear) -> float | None:
    """The baseline year on the same footing as a 3-month figure; None with fewer than 6 months of values."""
    points = [by_month[m] for m in year.months if m in by_month]
    if _uses_counts(metric, points) and len(points) >= MIN_BASELINE_MONTHS:
        return _ratio(metric, points)
    points = [p for p in points if p.value is not None]
    if len(points) < MIN_BASELINE_MONTHS:
        return None
    mean = fmean(p.value for p in points)
    return mean * 3 if metric.aggregate == "sum" else mean


def tolerance_for(metric: MetricDefinition, baseline: float | None, target: float | None) -> float:
    if metric.tolerance is not None:
        return metric.tolerance
    if metric.unit == "percent":
        return DEFAULT_PERCENT_TOLERANCE
    if metric.unit == "yes_no":
        return 0.0
    reference = baseline if baseline is not None else target
    return abs(reference) * DEFAULT_RELATIVE_TOLERANCE if reference is not None else 0.0


def rag_status(metric: MetricDefinition, value: float | None, baseline: float | None,
               target: float | None, tolerance: float) -> str:
    """green / amber / red, or none for neutral metrics and those with nothing to judge against."""
    if metric.polarity == "neutral" or value is None:
        return "none"
    higher = metric.polarity == "higher_better"
    if target is not None:
        shortfall = target - value if higher else value - target
        if shortfall <= 0:
            return "green"
        return "amber" if shortfall <= tolerance else "red"
    if baseline is None:
        return "none"
    gain = value - baseline if higher else baseline - value
    if gain > tolerance:
        return "green"
    return "amber" if gain >= -tolerance else "red"


def direction_of(change: float | None, tolerance: float) -> str:
    """Office KPIs: the 3-month figure's move, flat within the metric's tolerance."""
    if change is None:
        return "none"
    if change > tolerance:
        return "up"
    return "down" if change < -tolerance else "flat"


def plan_arrow(unit: str, latest: float | None, reference: float | None) -> str:
    """The Plan dashboard's arrow: the plain sign of latest - reference at the precision both are published
    to (664 -> 666 is up, 4.4% -> 4.1% down, Y -> Y flat); no tolerance, which belongs to RAG."""
    if latest is None or reference is None:
        return "none"
    now, then = published(unit, latest), published(unit, reference)
    if now > then:
        return "up"
    return "down" if now < then else "flat"


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def cut_day(as_of: date | Month | None) -> date | None:
    """The last day an answer may use figures from: a date, or a month standing for its last day."""
    return as_of.last_day if isinstance(as_of, Month) else as_of


def known_on(point: Point) -> date:
    """The day a figure became known: its `as_at` where it has one, else the end of its period."""
    return point.as_at or period_end(point.period)


def known_by(points: Iterable[Point], day: date | None) -> list[Point]:
    """The points known on `day` (every point when there is no day)."""
    return [p for p in points if day is None or known_on(p) <= day]


def _latest_point(points: Iterable[Point]) -> Point | None:
    return max(points, key=lambda p: period_end(p.period), default=None)


def panel_comparison(metric: MetricDefinition, points: Iterable[Point],
                     as_of: date | Month | None = None) -> PanelComparison:
    """The Panel comparison of a metric with what was known on `as_of` (default: everything loaded).

    Only figures known by then count, for the latest period, the comparison periods and the baseline year
    alike: a month or quarter from its last day, a figure with `as_at` from that date.
    """
    points = known_by(points, cut_day(as_of))
    year = parse_financial_year(metric.baseline_year)
    if metric.frequency == "monthly":
        return _monthly_comparison(metric, [p for p in points if isinstance(p.period, Month)], year)
    return _periodic_comparison(metric, points, year)


def _monthly_comparison(metric, points: list[Point], year: FinancialYear) -> PanelComparison:
    latest = _latest_point(points)
    if latest is None:
        return _empty(metric, year, None)
    by_month = {p.period: p for p in points}
    baseline = monthly_baseline(metric, by_month, year)
    end: Month = latest.period
    last3 = three_month_figure(metric, by_month, end)
    previous3 = three_month_figure(metric, by_month, end.shift(-3))
    target, tolerance = _yardsticks(metric, baseline)
    return _judged(
        metric, latest, last3, month_span(end.shift(-2), end), previous3, month_span(end.shift(-5), end.shift(-3)),
        baseline, year, target, tolerance, judged=last3,
        direction=direction_of(_difference(last3, previous3), tolerance),
    )


def _previous_period(period: Quarter | FinancialYear) -> Quarter | FinancialYear:
    return period.previous() if isinstance(period, Quarter) else FinancialYear(period.start_year - 1)


def periodic_baseline(metric: MetricDefinition, by_period: dict[Period, Point], year: FinancialYear) -> float | None:
    """A Plan metric's baseline: the year's own figure (a quarter's worth of a quarterly sum), else the
    mean of at least 2 of its quarters."""
    year_point = by_period.get(year)
    if year_point is not None and year_point.value is not None:
        quarterly_sum = metric.aggregate == "sum" and metric.frequency == "quarterly"
        return year_point.value / 4 if quarterly_sum else year_point.value
    if metric.frequency != "quarterly":
        return None
    values = [by_period[q].value for q in (Quarter(year.start_year, n) for n in range(1, 5))
              if q in by_period and by_period[q].value is not None]
    return fmean(values) if len(values) >= 2 else None


def _periodic_comparison(metric, points: list[Point], year: FinancialYear) -> PanelComparison:
    """Quarterly and annual metrics (the Plan dashboard): latest period against the one before and the baseline year."""
    by_period = {p.period: p for p in points}
    baseline = periodic_baseline(metric, by_period, year)
    own_kind = Quarter if metric.frequency == "quarterly" else FinancialYear
    latest = _latest_point(p for p in points if type(p.period) is own_kind and p.period != year)
    if latest is None:
        return _empty(metric, year, baseline)
    before = by_period.get(_previous_period(latest.period))
    previous = before.value if before else None
    # The arrow compares with the baseline year, as the dashboard does; a metric with no baseline figure
    # can still show how it moved since its previous period.
    reference = baseline if baseline is not None else previous
    target, tolerance = _yardsticks(metric, baseline)
    return _judged(
        metric, latest, None, None, previous, None, baseline, year, target, tolerance,
        judged=latest.value, direction=plan_arrow(metric.unit, latest.value, reference),
    )


def _yardsticks(metric: MetricDefinition, baseline: float | None) -> tuple[float | None, float]:
    """The target RAG is judged against ('Increase or maintain': the baseline) and the metric's tolerance."""
    target = metric.target if metric.target is not None else (baseline if metric.maintain else None)
    return target, tolerance_for(metric, baseline, target)


def _judged(metric, latest: Point, last3, last3_span, previous3, previous3_span, baseline, year, target,
            tolerance, *, judged: float | None, direction: str) -> PanelComparison:
    """`judged` is the figure RAG and both differences are taken from: last 3 months, or the latest period."""
    return PanelComparison(
        metric=metric, period=latest.period, latest=latest.value,
        last3=last3, last3_span=last3_span, previous3=previous3, previous3_span=previous3_span,
        baseline=baseline, baseline_year=year.label,
        change_vs_previous3=_difference(judged, previous3),
        change_vs_baseline=_difference(judged, baseline),
        target=target, tolerance=tolerance,
        rag=rag_status(metric, judged, baseline, target, tolerance),
        direction=direction, as_at=latest.as_at,
    )


def _empty(metric: MetricDefinition, year: FinancialYear, baseline: float | None) -> PanelComparison:
    target, tolerance = _yardsticks(metric, baseline)
    return PanelComparison(
        metric=metric, period=None, latest=None, last3=None, last3_span=None, previous3=None,
        previous3_span=None, baseline=baseline, baseline_year=year.label, change_vs_previous3=None,
        change_vs_baseline=None, target=target, tolerance=tolerance, rag="none", direction="none",
    )
