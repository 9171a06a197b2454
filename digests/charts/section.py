"""A section's small multiples: one panel per metric with its latest figure, recent line, baseline and RAG."""
from __future__ import annotations

from dataclasses import dataclass

from digests.charts.layout import (
    Page, axis_number, draw_badge, draw_footnote, draw_margin_labels, draw_title, footnote_lines, house_style,
    line_height, measure, span_text, title_height, value_range, wrap,
)
from digests.charts.series import as_drawn, drawn_monthly, last_value, line_label, metric_sentence, own_points
from digests.charts.style import (
    BASELINE, BIG_PT, BODY_PT, GRID, MUTED, NO_FIGURES_PANEL, NOTHING_TO_DRAW, PAD, RAG_LABELS, SECTION_COLUMNS,
    SERIES, SMALL_PT, SOURCE, TITLE_PT, WHY_NO_METRICS, WHY_NO_POINTS, WIDTH_PX, ChartError, ChartImage,
)
from storage.catalog import MetricDefinition
from storage.figures import format_value
from storage.freshness import period_title
from storage.kpi import PanelComparison, Point

BASELINE_NOTE = {
    False: "the dotted line is each metric's baseline.",
    True: "the dotted line is each metric's baseline, drawn as a monthly mean where months add up to the "
          "3-month figure.",
}
MONTHLY_BASELINE = " ({value} a month)"

PANEL_HEADER_GAP = 14
PANEL_SPARK_HEIGHT = 150
PANEL_GAP_X = 48
PANEL_GAP_Y = 40


def section_chart(section_name: str, items: list[tuple[MetricDefinition, list[Point], PanelComparison]],
                  source: str = SOURCE) -> ChartImage:
    """One small panel per metric of a section: name, latest value, recent line with its baseline, RAG word."""
    if not items:
        raise ChartError(NOTHING_TO_DRAW.format(what=section_name, why=WHY_NO_METRICS))
    panels = [(metric, own_points(metric, points, comparison), comparison) for metric, points, comparison in items]
    if not any(p.value is not None for _, shown, _ in panels for p in shown):
        raise ChartError(NOTHING_TO_DRAW.format(what=section_name, why=WHY_NO_POINTS))
    with house_style():
        columns = 1 if len(panels) == 1 else SECTION_COLUMNS
        panel_width = (WIDTH_PX - 2 * PAD - PANEL_GAP_X * (columns - 1)) / columns
        badge_room = max(measure(RAG_LABELS[c.rag], SMALL_PT, "bold")[0] for _, _, c in panels) + 28
        names = [wrap(m.name, panel_width - badge_room, BODY_PT, "bold") for m, _, _ in panels]
        details = [wrap(_panel_detail(m, c), panel_width, SMALL_PT) for m, _, c in panels]
        layout = _PanelLayout(
            width=panel_width,
            value_top=line_height(BODY_PT) * max(len(lines) for lines in names) + PANEL_HEADER_GAP,
            detail_lines=max(len(lines) for lines in details),
        )
        panel_height = layout.spark_top + PANEL_SPARK_HEIGHT + line_height(SMALL_PT) + 12
        rows = -(-len(panels) // columns)
        title = wrap(section_name, WIDTH_PX - 2 * PAD, TITLE_PT, "bold")
        periods = [p.period for _, shown, _ in panels for p in shown]
        rag_counts = _rag_counts([c.rag for _, _, c in panels])
        each = "its latest figure" if len(panels) == 1 else "the latest figure of each"
        subtitle = wrap(f"{_metrics_count(len(panels))}{rag_counts}: {each}, with its recent line and baseline.",
                        WIDTH_PX - 2 * PAD)
        span = span_text(periods)
        monthly = any(drawn_monthly(m) and c.baseline is not None for m, _, c in panels)
        footnote, footnote_height = footnote_lines(
            f"Figures {span}; {BASELINE_NOTE[monthly]} Source: {source}.")
        top = PAD + title_height(title, subtitle) + 28
        page = Page(top + rows * panel_height + (rows - 1) * PANEL_GAP_Y + 20 + footnote_height + PAD)
        draw_title(page, title, subtitle)
        draw_footnote(page, footnote)
        for index, (metric, shown, comparison) in enumerate(panels):
            row, column = divmod(index, columns)
            x = PAD + column * (panel_width + PANEL_GAP_X)
            y = top + row * (panel_height + PANEL_GAP_Y)
            _panel(page, x, y, layout, names[index], details[index], metric, shown, comparison)
        alt = f"{section_name}, {_metrics_count(len(panels))}{rag_counts}. " + " ".join(
            metric_sentence(metric, shown, comparison) for metric, shown, comparison in panels)
        return ChartImage(page.png(), alt, span)


@dataclass(frozen=True)
class _PanelLayout:
    """Offsets (px) inside a panel, the same for every panel so values and lines sit level across a row."""

    width: float
    value_top: float
    detail_lines: int

    @property
    def detail_top(self) -> float:
        return self.value_top + line_height(BIG_PT)

    @property
    def spark_top(self) -> float:
        return self.detail_top + line_height(SMALL_PT) * self.detail_lines + 28


def _metrics_count(count: int) -> str:
    return "1 metric" if count == 1 else f"{count} metrics"


def _rag_counts(rags: list[str]) -> str:
    counts = [f"{rags.count(rag)} {rag}" for rag in ("red", "amber", "green") if rags.count(rag)]
    return f" ({', '.join(counts)})" if counts else ""


def _panel(page: Page, x: float, y: float, layout: _PanelLayout, name_lines: list[str], detail_lines: list[str],
           metric: MetricDefinition, shown: list[Point], comparison: PanelComparison) -> None:
    unit, width = metric.unit, layout.width
    page.line([x, x + width], [y - 12, y - 12], colour=GRID, width=1.5)
    page.text(x, y, "\n".join(name_lines), weight="bold")
    draw_badge(page, x + width, y, comparison.rag, size=SMALL_PT)
    value_top = y + layout.value_top
    values = [p.value for p in shown if p.value is not None]
    if not values:
        page.text(x, value_top, NO_FIGURES_PANEL, size=BIG_PT, weight="bold", colour=MUTED)
        page.text(x, y + layout.detail_top, "\n".join(detail_lines), size=SMALL_PT, colour=MUTED)
        return
    latest = format_value(unit, last_value(shown))
    page.text(x, value_top, latest, size=BIG_PT, weight="bold", colour=SERIES)
    latest_width = measure(latest, BIG_PT, "bold")[0]
    page.text(x + latest_width + 10, value_top + line_height(BIG_PT) * 0.55,
              f"latest, {period_title(shown[-1].period)}", size=SMALL_PT, colour=MUTED, va="center")
    page.text(x, y + layout.detail_top, "\n".join(detail_lines), size=SMALL_PT, colour=MUTED)

    references = [] if comparison.baseline is None else \
        [(as_drawn(metric, comparison.baseline), BASELINE, ":", line_label(metric, "Baseline", narrow=True))]
    low, high, ticks = value_range(unit, [*values, *(r[0] for r in references)])
    ticks = [ticks[0], ticks[-1]] if unit != "yes_no" else ticks
    tick_labels = [axis_number(unit, t) for t in ticks]
    margin = [(label, value, BASELINE, "normal") for value, _, _, label in references]
    right = max((measure(label, SMALL_PT)[0] + 20 for label, _, _, _ in margin), default=8)
    left = max(measure(t, SMALL_PT)[0] for t in tick_labels) + 10
    top = y + layout.spark_top
    axes = page.axes(x + left, top, width - left - right, PANEL_SPARK_HEIGHT)
    xs = list(range(len(shown)))
    for value, colour, style, _ in references:
        axes.axhline(value, color=colour, linestyle=style, linewidth=2, zorder=2)
    axes.plot(xs, [float("nan") if p.value is None else p.value for p in shown], color=SERIES, linewidth=2.6,
              marker="o", markersize=5 if len(shown) > 1 else 8, zorder=3, clip_on=False)
    axes.set_xlim(-0.5, len(shown) - 0.5)
    axes.set_ylim(low, high)
    axes.set_yticks(ticks, tick_labels, fontsize=SMALL_PT)
    ends = sorted({0, len(shown) - 1})
    axes.set_xticks(ends, [period_title(shown[i].period) for i in ends], fontsize=SMALL_PT)
    if len(ends) == 2:
        axes.get_xticklabels()[0].set_horizontalalignment("left")
        axes.get_xticklabels()[-1].set_horizontalalignment("right")
        axes.set_xlim(0, len(shown) - 1)
    axes.tick_params(axis="x", length=0)
    axes.grid(axis="y", color=GRID, linewidth=1)
    if margin:
        draw_margin_labels(page, (x + left, top, x + width - right, top + PANEL_SPARK_HEIGHT), low, high, margin)


def _panel_detail(metric: MetricDefinition, comparison: PanelComparison) -> str:
    unit = metric.unit
    parts = []
    if metric.frequency == "monthly":
        parts.append(f"3 months {format_value(unit, comparison.last3)}")
    target, baseline = comparison.target, comparison.baseline
    if target is not None and baseline is not None and abs(target - baseline) < 1e-9:
        parts.append(f"target and baseline {format_value(unit, target)}")
    else:
        if target is not None:
            parts.append(f"target {format_value(unit, target)}")
        if baseline is not None:
            parts.append(f"baseline {format_value(unit, baseline)}")
            if drawn_monthly(metric):
                parts[-1] += MONTHLY_BASELINE.format(value=format_value(unit, as_drawn(metric, baseline)))
    return " · ".join(parts) if parts else "no target or baseline"

