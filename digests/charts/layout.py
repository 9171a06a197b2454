"""The layout engine: a page laid out in pixels, text measured as drawn, word wrap, badges, footnotes, margin
labels that never overlap, legends, axis ticks and ranges. matplotlib is imported only when a chart is drawn."""
from __future__ import annotations

import functools
import io
import threading
from contextlib import contextmanager
from typing import Iterator, Sequence

from digests.charts.style import (
    BADGE_INK, BODY_PT, DPI, INK, LINE_SPACING, MUTED, PAD, RAG_COLOURS, RAG_LABELS, SMALL_PT, STYLE, TITLE_PT,
    WIDTH_PX,
)
from storage.freshness import period_title
from storage.text_rules import without_control_characters
from storage.periods import MONTH_ABBR, Month, Period, Quarter, period_end

# --- drawing machinery -----------------------------------------------------------------------------------

# matplotlib's rcParams are process-wide: one chart at a time, so scheduler threads never mix styles.
_RENDER_LOCK = threading.RLock()


@contextmanager
def house_style() -> Iterator[None]:
    import matplotlib

    with _RENDER_LOCK, matplotlib.rc_context(STYLE):
        yield


class Page:
    """A figure laid out in pixels measured from the top-left corner, so labels can be placed where they fit."""

    def __init__(self, height_px: float, width_px: float = WIDTH_PX):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.width, self.height = float(width_px), float(round(height_px))
        self.figure = Figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI)
        FigureCanvasAgg(self.figure)

    def fx(self, x: float) -> float:
        return x / self.width

    def fy(self, y: float) -> float:
        return 1 - y / self.height

    def text(self, x: float, y: float, text: str, size: float = BODY_PT, weight: str = "normal",
             colour: str = INK, ha: str = "left", va: str = "top", **kwargs):
        """Text from data drawn as it is written: `$...$` is not mathematics (it is measured as plain text too,
        and a stray `$` in an area's name would stop the chart), and control characters are dropped."""
        return self.figure.text(self.fx(x), self.fy(y), without_control_characters(text), fontsize=size,
                                fontweight=weight, color=colour, ha=ha, va=va, linespacing=LINE_SPACING,
                                parse_math=False, **kwargs)

    def axes(self, left: float, top: float, width: float, height: float):
        return self.figure.add_axes((self.fx(left), self.fy(top + height), width / self.width, height / self.height))

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str, width: float = 1.2) -> None:
        from matplotlib.lines import Line2D

        self.figure.add_artist(Line2D([self.fx(x) for x in xs], [self.fy(y) for y in ys], color=colour,
                                      linewidth=width, solid_capstyle="butt"))

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # No Software (matplotlib version) metadata and no date: the same data gives the same bytes.
        # zlib level 3 rather than 6: a quarter quicker to encode, 4% larger (flat colours compress well anyway).
        self.figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
        return buffer.getvalue()


_MEASURER = None


def measure(text: str, size: float = BODY_PT, weight: str = "normal") -> tuple[float, float]:
    """Width and height in px of text as drawn at DPI (multi-line text: widest line, all lines)."""
    lines = without_control_characters(text).split("\n")
    return max(_line_width(line or " ", size, weight) for line in lines), line_height(size) * len(lines)


@functools.lru_cache(maxsize=8192)
def _line_width(line: str, size: float, weight: str) -> float:
    """One line's width in px. Cached: layout measures the same labels, ticks and words chart after chart."""
    global _MEASURER
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    with _RENDER_LOCK:
        if _MEASURER is None:
            _MEASURER = RendererAgg(10, 10, DPI)
        font = FontProperties(family="DejaVu Sans", size=size, weight=weight)
        return _MEASURER.get_text_width_height_descent(line, font, ismath=False)[0]


# DejaVu Sans capitals stand 0.73 em high: legend text sits on a baseline that centres capitals on the swatch,
# whatever descenders the words happen to have.
CAP_HEIGHT = 0.73


def line_height(size: float) -> float:
    return size * DPI / 72 * LINE_SPACING


def wrap(text: str, max_px: float, size: float = BODY_PT, weight: str = "normal") -> list[str]:
    """Greedy word wrap by measured width; a single word wider than the space keeps its own line."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}", size, weight)[0] <= max_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def draw_badge(page: Page, right: float, top: float, rag: str, size: float = BODY_PT) -> float:
    """The RAG word on its colour, right-aligned at (right, top); returns the badge's width in px."""
    word = RAG_LABELS[rag]
    pad_pt = 4
    page.text(right - pad_pt * DPI / 72, top + pad_pt * DPI / 72, word, size=size, weight="bold", colour=BADGE_INK,
              ha="right", va="top",
              bbox={"boxstyle": f"round,pad={pad_pt / size:.3f}", "facecolor": RAG_COLOURS[rag], "edgecolor": "none"})
    return measure(word, size, "bold")[0] + 2 * pad_pt * DPI / 72


def draw_footnote(page: Page, text: str) -> None:
    page.text(PAD, page.height - PAD, text, size=SMALL_PT, colour=MUTED, va="bottom")


def footnote_lines(text: str) -> tuple[str, float]:
    lines = wrap(text, WIDTH_PX - 2 * PAD, SMALL_PT)
    return "\n".join(lines), line_height(SMALL_PT) * len(lines)


def draw_title(page: Page, title_lines: list[str], subtitle_lines: list[str]) -> None:
    page.text(PAD, PAD, "\n".join(title_lines), size=TITLE_PT, weight="bold")
    if subtitle_lines:
        page.text(PAD, PAD + line_height(TITLE_PT) * len(title_lines) + 4, "\n".join(subtitle_lines),
                  size=BODY_PT, colour=MUTED)


def title_height(title_lines: list[str], subtitle_lines: list[str]) -> float:
    height = line_height(TITLE_PT) * len(title_lines)
    return height + (4 + line_height(BODY_PT) * len(subtitle_lines) if subtitle_lines else 0)


def spread(wanted: list[float], heights: list[float], low: float, high: float, gap: float = 4) -> list[float]:
    """Centres (px, growing downwards) as near the wanted ones as possible without two labels overlapping,
    kept between low and high where they fit."""
    order = sorted(range(len(wanted)), key=lambda i: (round(wanted[i], 3), i))
    placed = {i: wanted[i] for i in order}
    for before, after in zip(order, order[1:]):
        least = placed[before] + (heights[before] + heights[after]) / 2 + gap
        placed[after] = max(placed[after], least)
    if order and placed[order[-1]] + heights[order[-1]] / 2 > high:
        placed[order[-1]] = high - heights[order[-1]] / 2
        for after, before in zip(order[::-1], order[::-1][1:]):
            most = placed[after] - (heights[before] + heights[after]) / 2 - gap
            placed[before] = min(placed[before], most)
    if order and placed[order[0]] - heights[order[0]] / 2 < low:
        shift = low - (placed[order[0]] - heights[order[0]] / 2)
        placed = {i: y + shift for i, y in placed.items()}
    return [placed[i] for i in range(len(wanted))]


# --- figures and periods in words ------------------------------------------------------------------------

def span_text(periods: Sequence[Period]) -> str:
    if not periods:
        return ""
    first, last = min(periods, key=period_end), max(periods, key=period_end)
    return period_title(last) if first == last else f"{period_title(first)} to {period_title(last)}"


def tick_label(period: Period, first: bool) -> str:
    """'Sep' with the year under the first month and every January; 'Q2' with its year under the first and Q1."""
    if isinstance(period, Month):
        name = MONTH_ABBR[period.month - 1]
        return f"{name}\n{period.year}" if first or period.month == 1 else name
    if isinstance(period, Quarter):
        return f"Q{period.number}\n{period.financial_year.label}" if first or period.number == 1 else f"Q{period.number}"
    return period.label


def axis_number(unit: str, value: float) -> str:
    if unit == "yes_no":
        return "Y" if value >= 0.5 else "N"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"
    if unit == "percent":
        return f"{text}%"
    if unit == "currency":
        return f"£{text}"
    return text


def value_range(unit: str, values: list[float]) -> tuple[float, float, list[float]]:
    """y limits and ticks: from zero (so bars and lines are not exaggerated), up to a round number above the data."""
    from matplotlib.ticker import MaxNLocator

    if unit == "yes_no":
        return -0.15, 1.2, [0.0, 1.0]
    low = min([0.0, *values])
    high = max(values, default=low)
    if high <= low:  # all zero (or one negative figure): still a readable axis, not one of width zero
        high = low + 1
    if unit == "percent" and 60 < high <= 100 and low >= 0:
        return 0.0, 100.0, [0.0, 25.0, 50.0, 75.0, 100.0]
    locator = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], integer=unit == "count" and high >= 1)
    ticks = [float(t) for t in locator.tick_values(low, high * 1.08)]
    ticks = [t for t in ticks if t >= low - 1e-12]
    return low, ticks[-1], [t for t in ticks if t <= ticks[-1]]


def draw_margin_labels(page: Page, axes_box: tuple[float, float, float, float], low: float, high: float,
                       labels: list[tuple[str, float, str, str]]) -> None:
    """Labels in the right margin at the height of their line or point, nudged apart, with a leader when moved."""
    left, top, right, bottom = axes_box

    def to_px(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    wanted = [to_px(value) for _, value, _, _ in labels]
    heights = [measure(text, SMALL_PT, weight)[1] for text, _, _, weight in labels]
    placed = spread(wanted, heights, low=top - 20, high=bottom + 20)
    x = right + 16
    for (text, _, colour, weight), y_line, y_text in zip(labels, wanted, placed):
        page.text(x, y_text, text, size=SMALL_PT, weight=weight, colour=colour, va="center")
        if abs(y_text - y_line) > 3:
            page.line([right + 2, x - 4], [y_line, y_text], colour=colour, width=1.2)



def draw_legend_row(page: Page, x: float, y: float, entries: list[tuple[str, str]]) -> float:
    """Colour swatches with their names in one row (two if they do not fit); returns the height used."""
    from matplotlib.patches import Rectangle

    box, line = 22, line_height(BODY_PT)
    start, used = x, line
    for label, colour in entries:
        width = box + 8 + measure(label)[0]
        if x > start and x + width > page.width - PAD:
            x, y, used = start, y + line + 6, used + line + 6
        centre = y + line / 2
        page.figure.add_artist(Rectangle((page.fx(x), page.fy(centre + box / 2)), box / page.width,
                                         box / page.height, color=colour, transform=page.figure.transFigure))
        page.text(x + box + 8, centre + CAP_HEIGHT * BODY_PT * DPI / 72 / 2, label, va="baseline")
        x += width + 30
    return used
