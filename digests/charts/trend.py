"""A metric's trend chart: its recent periods as a line, its target and baseline as labelled lines, its RAG in words."""
from __future__ import annotations

from digests.charts.layout import (
    Page, axis_number, draw_badge, draw_footnote, draw_margin_labels, draw_title, footnote_lines, house_style,
    line_height, measure, span_text, tick_label, title_height, value_range, wrap,
)
from digests.charts.series import (
    headline_text, last_value, metric_sentence, monthly_mean_footnote, own_points, reference_lines,
)
from digests.charts.style import (
    BODY_PT, GRID, NOTHING_TO_DRAW, PAD, RAG_LABELS, SERIES, SMALL_PT, SOURCE, TITLE_PT, WHY_NO_POINTS, ChartError,
    ChartImage,
)
from storage.catalog import MetricDefinition
from storage.figures import format_value
from storage.kpi import PanelComparison, Point

TREND_HEIGHT = 720


def trend_chart(metric: MetricDefinition, points: list[Point], comparison: PanelComparison,
                source: str = SOURCE) -> ChartImage:
    """A metric's recent periods (up to 13 months) as a line, its target and baseline as labelled lines, its RAG
    in words. The image's `span` says which periods were drawn."""
    shown = own_points(metric, points, comparison)
    values = [p.value for p in shown if p.value is not None]
    if not values:
        raise ChartError(NOTHING_TO_DRAW.format(what=metric.name, why=WHY_NO_POINTS))
    with house_style():
        page = Page(TREND_HEIGHT)
        unit = metric.unit
        badge_width = measure(RAG_LABELS[comparison.rag], BODY_PT, "bold")[0] + 30
        title = wrap(metric.name, page.width - 2 * PAD - badge_width - 20, TITLE_PT, "bold")
        subtitle = wrap(headline_text(metric, comparison, shown), page.width - 2 * PAD, BODY_PT)
        draw_title(page, title, subtitle)
        draw_badge(page, page.width - PAD, PAD, comparison.rag)
        kind = "Monthly" if metric.frequency == "monthly" else metric.frequency.capitalize()
        span = span_text([p.period for p in shown])
        footnote, footnote_height = footnote_lines(
            f"{kind} figures, {span}.{monthly_mean_footnote(comparison)} Source: {source}.")
        draw_footnote(page, footnote)

        references = reference_lines(comparison)
        low, high, ticks = value_range(unit, [*values, *(value for value, _, _, _ in references)])
        tick_labels = [axis_number(unit, t) for t in ticks]
        margin_labels = [(format_value(unit, last_value(shown)), last_value(shown), SERIES, "bold")]
        margin_labels += [(f"{name}\n{format_value(unit, value)}", value, colour, "normal")
                          for value, colour, _, name in references]
        label_width = max(measure(text, SMALL_PT, weight)[0] for text, _, _, weight in margin_labels)
        left = PAD + max(measure(t)[0] for t in tick_labels) + 14
        top = PAD + title_height(title, subtitle) + 30
        bottom = footnote_height + PAD + 2 * line_height(BODY_PT) + 26
        right = label_width + 20 + PAD
        plot_height = page.height - top - bottom
        axes = page.axes(left, top, page.width - left - right, plot_height)

        xs = list(range(len(shown)))
        ys = [float("nan") if p.value is None else p.value for p in shown]
        for value, colour, style, _ in references:
            axes.axhline(value, color=colour, linestyle=style, linewidth=2.2, zorder=2)
        axes.plot(xs, ys, color=SERIES, linewidth=3.2, marker="o", markersize=7, zorder=3, clip_on=False)
        axes.set_xlim(-0.5, len(shown) - 0.5)
        axes.set_ylim(low, high)
        axes.set_yticks(ticks, tick_labels)
        axes.set_xticks(xs, [tick_label(p.period, i == 0) for i, p in enumerate(shown)])
        axes.tick_params(axis="x", length=0)
        axes.grid(axis="y", color=GRID, linewidth=1)

        draw_margin_labels(page, axes_box=(left, top, page.width - right, top + plot_height), low=low, high=high,
                           labels=margin_labels)
        alt = metric_sentence(metric, shown, comparison)
        return ChartImage(page.png(), alt, span)

