"""CSP spend against allocation: one bar per area, the share of the year elapsed marked on every bar."""
from __future__ import annotations

from digests.charts.layout import (
    CAP_HEIGHT, Page, draw_footnote, draw_title, footnote_lines, house_style, line_height, measure, title_height,
    wrap,
)
from digests.charts.style import (
    ALLOCATION, BADGE_INK, BODY_PT, DPI, INK, LAGGING, MUTED, NOTHING_TO_DRAW, PAD, SMALL_PT, SOURCE, SPENT,
    TITLE_PT, WHY_NO_AREAS, WIDTH_PX, YEAR_ELAPSED, ChartError, ChartImage,
)
from storage.csp import AreaBalance, CspBalances
from storage.figures import format_money, format_value
from storage.periods import MONTH_ABBR

CSP_TITLE = "CSP spend against allocation, {year}"
CSP_LEGEND = ("Spent", "Allocation (100%)", "Year elapsed ({elapsed})")

CSP_ROW_BAR = 34
CSP_ROW_GAP = 22


def csp_chart(balances: CspBalances, source: str = SOURCE) -> ChartImage:
    """Each area's spend as a share of its allocation, with the share of the year elapsed marked on every bar."""
    year = balances.year.label
    areas = [a for a in balances.areas if a.allocation > 0]
    if not areas:
        raise ChartError(NOTHING_TO_DRAW.format(what=f"CSP balances {year}", why=WHY_NO_AREAS))
    with house_style():
        elapsed = balances.year_elapsed_percent
        elapsed_text = format_value("percent", elapsed)
        day = f"{balances.as_of.day} {MONTH_ABBR[balances.as_of.month - 1]} {balances.as_of.year}"
        lagging = [a.area for a in areas if a.lagging]
        title = wrap(CSP_TITLE.format(year=year), WIDTH_PX - 2 * PAD, TITLE_PT, "bold")
        total_percent = balances.total_percent_spent
        subtitle = wrap(
            f"{format_money(balances.total_spent)} of {format_money(balances.total_allocation)} spent "
            f"({format_value('percent', total_percent)}) with {elapsed_text} of the year gone. "
            + (f"Lagging: {', '.join(lagging)}." if lagging else "No area lags the year."),
            WIDTH_PX - 2 * PAD)
        footnote, footnote_height = footnote_lines(
            f"Spend 1 Apr {balances.year.start_year} to {day}; bars are % of each area's allocation. "
            f"Source: {source}.")
        line = line_height(BODY_PT)
        row = line + 4 + CSP_ROW_BAR + 10 + line_height(SMALL_PT) + CSP_ROW_GAP
        legend_height = line + 16
        top = PAD + title_height(title, subtitle) + 20 + legend_height
        plot_height = row * len(areas)
        page = Page(top + plot_height + footnote_height + PAD)
        draw_title(page, title, subtitle)
        draw_footnote(page, footnote)
        left, right = PAD, page.width - PAD - 30
        scale_max = max(100.0, *(min(a.percent_spent or 0, 150.0) for a in areas))
        _csp_legend(page, PAD, top - legend_height, elapsed_text)

        axes = page.axes(left, top, right - left, plot_height)
        axes.set_xlim(0, scale_max)
        axes.set_ylim(plot_height, 0)  # y in px from the top of the plot, so rows are laid out like the page
        for index, area in enumerate(areas):
            y = index * row
            bar_top = y + line + 4
            centre = bar_top + CSP_ROW_BAR / 2
            axes.barh(centre, 100, height=CSP_ROW_BAR, color=ALLOCATION, zorder=1)
            axes.barh(centre, min(area.percent_spent or 0, scale_max), height=CSP_ROW_BAR, color=SPENT, zorder=2)
            for colour, width in (("white", 6), (YEAR_ELAPSED, 3)):  # a white edge keeps it clear on dark bars
                axes.plot([elapsed, elapsed], [bar_top - 4, bar_top + CSP_ROW_BAR + 4], color=colour,
                          linewidth=width, zorder=3, solid_capstyle="butt")
            _csp_row_text(page, left, right, scale_max, top + y, top + bar_top + CSP_ROW_BAR + 10, area)
        axes.set_axis_off()
        alt = _csp_alt(balances, areas, day, elapsed_text, lagging)
        return ChartImage(page.png(), alt, f"1 Apr {balances.year.start_year} to {day}")


def _csp_legend(page: Page, x: float, y: float, elapsed_text: str) -> None:
    from matplotlib.patches import Rectangle

    labels = [CSP_LEGEND[0], CSP_LEGEND[1], CSP_LEGEND[2].format(elapsed=elapsed_text)]
    box = 22
    for label, colour in zip(labels, (SPENT, ALLOCATION, YEAR_ELAPSED)):
        centre = y + line_height(BODY_PT) / 2
        if colour is YEAR_ELAPSED:
            page.line([x + box / 2, x + box / 2], [centre - box / 2 - 3, centre + box / 2 + 3], YEAR_ELAPSED, 3)
        else:
            page.figure.add_artist(Rectangle((page.fx(x), page.fy(centre + box / 2)), box / page.width,
                                             box / page.height, color=colour, transform=page.figure.transFigure))
        page.text(x + box + 8, centre + CAP_HEIGHT * BODY_PT * DPI / 72 / 2, label, va="baseline")
        x += box + 8 + measure(label)[0] + 30


def _csp_row_text(page: Page, left: float, right: float, scale_max: float, name_top: float, figures_top: float,
                  area: AreaBalance) -> None:
    page.text(left, name_top, area.area, weight="bold")
    name_width = measure(area.area, BODY_PT, "bold")[0]
    if area.lagging:
        page.text(left + name_width + 16, name_top + 3, "LAGGING", size=SMALL_PT, weight="bold", colour=BADGE_INK,
                  bbox={"boxstyle": "round,pad=0.25", "facecolor": LAGGING, "edgecolor": "none"})
    percent = f"{format_value('percent', area.percent_spent)} spent"
    page.text(left + (right - left) * 100 / scale_max, name_top, percent, weight="bold",
              colour=LAGGING if area.lagging else INK, ha="right")
    page.text(left, figures_top, f"{format_money(area.spent)} spent of {format_money(area.allocation)} · "
                                 f"{format_money(area.remaining)} remaining", size=SMALL_PT, colour=MUTED)


def _csp_alt(balances: CspBalances, areas: list[AreaBalance], day: str, elapsed_text: str,
             lagging: list[str]) -> str:
    rows = "; ".join(
        f"{a.area} {format_value('percent', a.percent_spent)} spent, {format_money(a.spent)} of "
        f"{format_money(a.allocation)}, {format_money(a.remaining)} remaining" + (", LAGGING" if a.lagging else "")
        for a in areas)
    lag = f"Lagging: {', '.join(lagging)}." if lagging else "No area lags the year."
    return (f"Bar chart of CSP spend as a share of allocation by area, {balances.year.label}, as of {day}, "
            f"with {elapsed_text} of the year elapsed. Total {format_money(balances.total_spent)} of "
            f"{format_money(balances.total_allocation)} spent, {format_money(balances.total_remaining)} remaining. "
            f"{rows}. {lag}")

