"""What a metric's chart draws and says: its own points, its target and baseline lines, and its figures in words."""
from __future__ import annotations

from typing import Sequence

from digests.charts.layout import span_text
from digests.charts.style import BASELINE, TARGET, TREND_MONTHS
from storage.catalog import MetricDefinition
from storage.figures import format_difference, format_value
from storage.freshness import period_title
from storage.kpi import PanelComparison, Point
from storage.periods import FinancialYear, Month, Quarter, period_end

def own_points(metric: MetricDefinition, points: Sequence[Point], comparison: PanelComparison) -> list[Point]:
    """The points the chart draws: the metric's own kind of period (a Plan metric's baseline-year row is drawn
    as the baseline line, not as a point), up to the period the comparison reports, so picture and figures agree."""
    kind = {"monthly": Month, "quarterly": Quarter, "annual": FinancialYear}.get(metric.frequency, Month)
    if comparison.period is None:
        return []
    end = period_end(comparison.period)
    own = sorted((p for p in points if type(p.period) is kind and period_end(p.period) <= end),
                 key=lambda p: period_end(p.period))
    return own[-TREND_MONTHS:] if kind is Month else own



def reference_phrase(comparison: PanelComparison) -> str:
    unit = comparison.metric.unit
    parts = []
    if comparison.target is not None:
        parts.append(f"a target of {format_value(unit, comparison.target)}")
    if comparison.baseline is not None:
        parts.append(f"a {comparison.baseline_year} baseline of {format_value(unit, comparison.baseline)}")
    return f" against {' and '.join(parts)}" if parts else "; no target or baseline"


def rag_phrase(rag: str) -> str:
    return f"RAG {rag}" if rag != "none" else "no RAG rating"


def metric_sentence(metric: MetricDefinition, shown: list[Point], comparison: PanelComparison) -> str:
    """'Volunteer hours, Sep 2024 to Sep 2025: latest 52 hours; last 3 months 50.7 hours against a 2024/25
    baseline of 75 hours; RAG red.'"""
    unit = metric.unit
    if not shown:
        return f"{metric.name}: no current figure{reference_phrase(comparison)}; {rag_phrase(comparison.rag)}."
    latest = format_value(unit, last_value(shown))
    if metric.frequency == "monthly":
        judged = f"last 3 months {format_value(unit, comparison.last3)}"
        return (f"{metric.name}, {span_text([p.period for p in shown])}: latest {latest}; {judged}"
                f"{reference_phrase(comparison)}; {rag_phrase(comparison.rag)}.")
    return (f"{metric.name}, {span_text([p.period for p in shown])}: latest {latest}"
            f"{reference_phrase(comparison)}; {rag_phrase(comparison.rag)}.")


def last_value(shown: list[Point]) -> float | None:
    return next((p.value for p in reversed(shown) if p.value is not None), None)


def headline_text(metric: MetricDefinition, comparison: PanelComparison, shown: list[Point]) -> str:
    """The judged figure and how it stands against the baseline: the line under a trend chart's title."""
    unit = metric.unit
    if metric.frequency == "monthly":
        text = f"Last 3 months, {comparison.last3_span}: {format_value(unit, comparison.last3)}"
    else:
        text = f"Latest ({period_title(shown[-1].period)}): {format_value(unit, last_value(shown))}"
    if comparison.change_vs_baseline is not None:
        text += f", {against(unit, comparison.change_vs_baseline)} {comparison.baseline_year} baseline"
    elif comparison.baseline is not None:
        text += f"; {comparison.baseline_year} baseline {format_value(unit, comparison.baseline)}"
    return text


def against(unit: str, change: float) -> str:
    """'24.3 hours below', '54pp above', 'level with': a difference in words, without judging it."""
    difference = format_difference(unit, change)
    if difference == "no change":
        return "level with"
    return f"{difference[1:]} {'above' if change > 0 else 'below'}"



def reference_lines(comparison: PanelComparison) -> list[tuple[float, str, str, str]]:
    """(value, colour, line style, label) of the target and baseline lines; one line when they are equal."""
    target, baseline = comparison.target, comparison.baseline
    if target is not None and baseline is not None and abs(target - baseline) < 1e-9:
        return [(target, TARGET, "--", "Target and\nbaseline")]
    lines = []
    if target is not None:
        lines.append((target, TARGET, "--", "Target"))
    if baseline is not None:
        lines.append((baseline, BASELINE, ":", "Baseline"))
    return lines

