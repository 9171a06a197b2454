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

# A `sum` metric's target and baseline are a quarter's worth, to compare with a 3-month total; its points on a
# monthly chart are single months, so the lines drawn among them are the monthly mean, a third of that.
MONTHS_IN_THREE = 3
MONTHLY_MEAN_LABEL = "{name}\n(monthly mean)"
MONTHLY_MEAN_LABEL_NARROW = "{name}\n(monthly\nmean)"  # beside a small panel's line, where width is short
DRAWN_AS_MONTHLY_MEAN = "{reference} over 3 months, drawn as its monthly mean of {monthly}"
MONTHLY_MEAN_FOOTNOTE = "{names} drawn as {its} monthly mean ({values} over 3 months, divided by 3)."


def drawn_monthly(metric: MetricDefinition) -> bool:
    """Whether the chart draws the metric's target and baseline as monthly means (a monthly `sum` metric)."""
    return metric.frequency == "monthly" and metric.aggregate == "sum"


def as_drawn(metric: MetricDefinition, value: float) -> float:
    """A target or baseline at the height it is drawn: the monthly mean for a monthly `sum` metric."""
    return value / MONTHS_IN_THREE if drawn_monthly(metric) else value


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


def _reference(metric: MetricDefinition, words: str, value: float) -> str:
    """'a baseline of 1', or for a monthly sum metric 'a baseline of 1 over 3 months, drawn as its monthly mean
    of 0.3': the alt text says what the line drawn stands at."""
    unit = metric.unit
    text = f"{words} of {format_value(unit, value)}"
    if not drawn_monthly(metric):
        return text
    return DRAWN_AS_MONTHLY_MEAN.format(reference=text, monthly=format_value(unit, as_drawn(metric, value)))


def reference_phrase(comparison: PanelComparison) -> str:
    metric = comparison.metric
    parts = []
    if comparison.target is not None:
        parts.append(_reference(metric, "a target", comparison.target))
    if comparison.baseline is not None:
        parts.append(_reference(metric, f"a {comparison.baseline_year} baseline", comparison.baseline))
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
    """(value as drawn, colour, line style, label) of the target and baseline lines; one line when they are
    equal. A monthly `sum` metric's lines are its monthly means, and labelled so."""
    metric, target, baseline = comparison.metric, comparison.target, comparison.baseline
    if target is not None and baseline is not None and abs(target - baseline) < 1e-9:
        lines = [(target, TARGET, "--", "Target and\nbaseline")]
    else:
        lines = []
        if target is not None:
            lines.append((target, TARGET, "--", "Target"))
        if baseline is not None:
            lines.append((baseline, BASELINE, ":", "Baseline"))
    return [(as_drawn(metric, value), colour, style, line_label(metric, name)) for value, colour, style, name in lines]


def line_label(metric: MetricDefinition, name: str, narrow: bool = False) -> str:
    """A target or baseline line's label: 'Baseline', or 'Baseline (monthly mean)' where it is drawn so."""
    if not drawn_monthly(metric):
        return name
    return (MONTHLY_MEAN_LABEL_NARROW if narrow else MONTHLY_MEAN_LABEL).format(name=name.replace("\n", " "))


def monthly_mean_footnote(comparison: PanelComparison) -> str:
    """The footnote sentence saying the lines are monthly means; empty when they are drawn as they are."""
    metric = comparison.metric
    drawn = [(name, value) for name, value in (("Target", comparison.target), ("Baseline", comparison.baseline))
             if value is not None]
    if not drawn_monthly(metric) or not drawn:
        return ""
    names = " and ".join(name if i == 0 else name.lower() for i, (name, _) in enumerate(drawn))
    values = " and ".join(format_value(metric.unit, value) for _, value in drawn)
    return " " + MONTHLY_MEAN_FOOTNOTE.format(names=names, its="their" if len(drawn) > 1 else "its", values=values)

