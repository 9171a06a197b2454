"""Charts in one house style: phone-readable PNGs, colour-blind-safe colours, RAG by colour and by word, deterministic bytes."""
from __future__ import annotations

import io
from dataclasses import dataclass

from storage.catalog import MetricDefinition
from storage.figures import format_value
from storage.kpi import PanelComparison, Point
from storage.periods import Month

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
INK = "#222222"
SERIES = "#0072B2"
TARGET = "#009E73"
BASELINE = "#555555"
RAG_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "none": "#777777"}
RAG_LABELS = {"green": "GREEN", "amber": "AMBER", "red": "RED", "none": "NO RAG"}
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 150  # 1200 x 675 px
FONT_SIZE = 13


@dataclass(frozen=True)
class ChartImage:
    png: bytes
    alt_text: str


def _pyplot():
    """matplotlib, imported only when a chart is drawn, on the Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.family": "DejaVu Sans", "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 3,
        "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
        "axes.edgecolor": INK, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
        "svg.hashsalt": "kpibot", "path.simplify": True,
    })
    return plt


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    # No software/date metadata: the same data gives the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def _label(period) -> str:
    if isinstance(period, Month):
        return period.title.replace(" 20", " '")
    return period.label


def _tick(period, first: bool) -> str:
    """Month ticks as 'Sep' with the year under the first month and every January."""
    if isinstance(period, Month):
        name = period.title.split()[0]
        return f"{name}\n{period.year}" if first or period.month == 1 else name
    return period.label.replace(" ", "\n")


def trend_chart(metric: MetricDefinition, points: list[Point], comparison: PanelComparison,
                source: str = "kpibot database") -> ChartImage:
    """A metric's recent values as a line, with its target and baseline as labelled lines and its RAG in words."""
    plt = _pyplot()
    shown = [p for p in points if p.value is not None]
    figure, axes = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    xs = list(range(len(shown)))
    ys = [p.value for p in shown]
    axes.plot(xs, ys, color=SERIES, linewidth=3, marker="o", markersize=6, label=metric.name)
    if shown:
        axes.annotate(format_value(metric.unit, ys[-1]), (xs[-1], ys[-1]), textcoords="offset points",
                      xytext=(0, 10), ha="center", fontsize=FONT_SIZE, color=SERIES, fontweight="bold")
    lines = [(comparison.baseline, BASELINE, ":", f"Baseline {comparison.baseline_year}")]
    if comparison.target is not None and comparison.target != comparison.baseline:
        lines.insert(0, (comparison.target, TARGET, "--", "Target"))
    for value, colour, style, name in lines:
        if value is not None:
            axes.axhline(value, color=colour, linestyle=style, linewidth=2)
            axes.text(0, value, f"{name} {format_value(metric.unit, value)}", color=colour, va="bottom",
                      ha="left", fontsize=FONT_SIZE - 2,
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    axes.set_xticks(xs)
    axes.set_xticklabels([_tick(p.period, i == 0) for i, p in enumerate(shown)])
    if metric.unit == "percent":
        axes.set_ylim(0, 105)
    else:
        low = min([0.0, *ys, *(v for v in (comparison.target, comparison.baseline) if v is not None)])
        high = max([1.0, *ys, *(v for v in (comparison.target, comparison.baseline) if v is not None)])
        axes.set_ylim(low, high * 1.15)
    axes.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    axes.set_axisbelow(True)
    rag = comparison.rag
    axes.set_title(metric.name, loc="left")
    axes.text(1.0, 1.02, RAG_LABELS[rag], transform=axes.transAxes, ha="right", va="bottom",
              fontsize=FONT_SIZE, fontweight="bold", color="white",
              bbox={"boxstyle": "round,pad=0.3", "facecolor": RAG_COLOURS[rag], "edgecolor": RAG_COLOURS[rag]})
    span = f"{_label(shown[0].period)} to {_label(shown[-1].period)}" if shown else "no figures"
    figure.text(0.01, 0.01, f"{span} · Source: {source}", fontsize=FONT_SIZE - 3, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    alt = (f"Line chart of {metric.name}, {span}. Latest {format_value(metric.unit, ys[-1]) if ys else 'N/A'}"
           + (f", target {format_value(metric.unit, comparison.target)}" if comparison.target is not None else "")
           + (f", baseline {format_value(metric.unit, comparison.baseline)}" if comparison.baseline is not None else "")
           + f". RAG {RAG_LABELS[rag].lower()}.")
    return ChartImage(_png(figure), alt)
