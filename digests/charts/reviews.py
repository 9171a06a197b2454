"""Complaint reviews by month of receipt: received, completed within 28 days and not, side by side."""
from __future__ import annotations

from digests.charts.layout import (
    Page, axis_number, draw_footnote, draw_legend_row, draw_title, footnote_lines, house_style, line_height, measure,
    span_text, tick_label, title_height, value_range, wrap,
)
from digests.charts.style import (
    BODY_PT, GRID, INK, NOTHING_TO_DRAW, PAD, REVIEW_COLOURS, SMALL_PT, SOURCE, TITLE_PT, WHY_NO_MONTHS,
    WHY_NO_REVIEWS, ChartError, ChartImage,
)
from storage.reviews import MonthlyReviewMeasures

REVIEW_SERIES = {
    "received": "Received",
    "completed_within_28_days": "Completed within 28 days",
    "not_completed_within_28_days": "Not completed within 28 days",
}
REVIEWS_TITLE = "Complaint reviews by month of receipt"
REVIEWS_NOTE = "Reviews received but in neither other bar are still open and not yet due."

REVIEWS_HEIGHT = 720


def reviews_chart(rows: list[MonthlyReviewMeasures], source: str = SOURCE) -> ChartImage:
    """Reviews received each month beside those completed within 28 days and those that missed it."""
    if not rows:
        raise ChartError(NOTHING_TO_DRAW.format(what=REVIEWS_TITLE, why=WHY_NO_MONTHS))
    rows = sorted(rows, key=lambda r: r.month)
    fields = list(REVIEW_SERIES)
    if not any(getattr(r, f) for r in rows for f in fields):
        raise ChartError(NOTHING_TO_DRAW.format(what=REVIEWS_TITLE, why=WHY_NO_REVIEWS))
    with house_style():
        page = Page(REVIEWS_HEIGHT)
        months = [r.month for r in rows]
        span = span_text(months)
        totals = {f: sum(getattr(r, f) for r in rows) for f in fields}
        title = wrap(REVIEWS_TITLE, page.width - 2 * PAD, TITLE_PT, "bold")
        subtitle = wrap(f"{span}: {totals['received']} received, {totals['completed_within_28_days']} completed "
                        f"within 28 days, {totals['not_completed_within_28_days']} not completed within 28 days.",
                        page.width - 2 * PAD)
        draw_title(page, title, subtitle)
        footnote, footnote_height = footnote_lines(
            f"Cases by month received, {span}. {REVIEWS_NOTE} Source: {source}.")
        draw_footnote(page, footnote)
        legend_top = PAD + title_height(title, subtitle) + 18
        legend_height = draw_legend_row(page, PAD, legend_top, [(REVIEW_SERIES[f], REVIEW_COLOURS[f]) for f in fields])
        top = legend_top + legend_height + 40
        bottom = footnote_height + PAD + 2 * line_height(BODY_PT) + 24
        low, high, ticks = value_range("count", [float(getattr(r, f)) for r in rows for f in fields])
        tick_labels = [axis_number("count", t) for t in ticks]
        left = PAD + max(measure(t)[0] for t in tick_labels) + 14
        axes = page.axes(left, top, page.width - left - PAD, page.height - top - bottom)
        width = 0.26
        slot_px = (page.width - left - PAD) / len(rows) * width
        label_width = max(measure(str(getattr(r, f)), SMALL_PT, "bold")[0] for r in rows for f in fields)
        rotation = 0 if label_width < slot_px - 4 else 90
        for offset, field in zip((-width, 0.0, width), fields):
            xs = [i + offset for i in range(len(rows))]
            heights = [getattr(r, field) for r in rows]
            bars = axes.bar(xs, heights, width=width * 0.92, color=REVIEW_COLOURS[field], zorder=2)
            axes.bar_label(bars, labels=[str(h) for h in heights], padding=4, fontsize=SMALL_PT, fontweight="bold",
                           color=INK, rotation=rotation)
        axes.set_ylim(low, high)
        axes.set_yticks(ticks, tick_labels)
        axes.set_xlim(-0.6, len(rows) - 0.4)
        axes.set_xticks(range(len(rows)), [tick_label(m, i == 0) for i, m in enumerate(months)])
        axes.tick_params(axis="x", length=0)
        axes.grid(axis="y", color=GRID, linewidth=1)
        alt = f"Bar chart of complaint reviews by month received, {span}: " + "; ".join(
            f"{r.month.title} {r.received} received, {r.completed_within_28_days} completed within 28 days, "
            f"{r.not_completed_within_28_days} not completed within 28 days" for r in rows) + "."
        return ChartImage(page.png(), alt, span)

