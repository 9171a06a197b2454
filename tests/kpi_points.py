"""Building blocks for the KPI engine's tests: a metric definition with defaults, and runs of monthly points."""
from __future__ import annotations



from storage.catalog import MetricDefinition
from storage.kpi import (
    Point,
)
from storage.periods import FinancialYear, Month


BASELINE_YEAR = FinancialYear(2024)  # 2024/25


def metric(slug="test-metric", unit="count", aggregate="mean", polarity="higher_better", target=None,
           frequency="monthly", expectation=None, tolerance=None, kind="office") -> MetricDefinition:
    return MetricDefinition(
        slug=slug, name=slug.replace("-", " ").title(), definition="A test metric.", section="Test",
        kind=kind, unit=unit, frequency=frequency, aggregate=aggregate, polarity=polarity,
        target=target, expectation=expectation, tolerance=tolerance,
    )


def run(first: str, values) -> list[Point]:
    """Monthly points from `first` (YYYY-MM) onwards, one per value."""
    year, month = (int(part) for part in first.split("-"))
    start = Month(year, month)
    return [Point(start.shift(i), value) for i, value in enumerate(values)]


def by_month(points):
    return {p.period: p for p in points}




ICV_ON_TARGET = metric("icv-visits-on-target", unit="percent", target=100.0)
