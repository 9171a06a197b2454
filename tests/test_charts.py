"""Charts: phone-width PNGs that are never blank, byte-for-byte repeatable, with alt text that carries the figures."""
from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from digests.charts import (
    OKABE_ITO, RAG_COLOURS, ChartError, ChartImage, csp_chart, reviews_chart, section_chart, trend_chart,
)
from digests.charts.layout import spread
from digests.charts.series import monthly_mean_footnote, reference_lines
from digests.charts.style import BASELINE, GRID, MUTED
from storage.catalog import MetricDefinition, builtin_catalog
from storage.csp import CspBalances, csp_balances
from storage.kpi import PanelComparison, Point, panel_comparison
from storage.periods import FinancialYear, Month
from storage.repository import csp_balances_for, metric_comparison, metric_history, read_catalog, reviews_touching
from storage.reviews import MonthlyReviewMeasures, monthly_measures

SEPTEMBER = Month(2025, 9)
AS_OF = date(2025, 9, 30)
LAG_MARGIN_PP = 25.0
SCRUTINY = ["icv-visits", "icv-visits-on-target", "aws-visits", "aws-visits-on-target", "volunteer-hours",
            "volunteers"]
VERMILION = tuple(int(RAG_COLOURS["red"][i:i + 2], 16) for i in (1, 3, 5))
WHITE = (255, 255, 255)
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class DemoFigures:
    """Everything the charts are drawn from, read from the published-papers dataset as of 30 Sep 2025."""

    metrics: dict[str, tuple[MetricDefinition, list[Point], PanelComparison]]
    csp: CspBalances
    reviews: list[MonthlyReviewMeasures]


@pytest.fixture
def demo(demo_db) -> DemoFigures:
    with demo_db.session() as session:
        catalog = read_catalog(session)
        metrics = {}
        for slug in [*SCRUTINY, "correspondence-within-28-days", "calls-under-25s", "sar-requests", "foi-requests"]:
            metric = catalog.get(slug)
            metrics[slug] = (metric, metric_history(session, metric, SEPTEMBER, 13, AS_OF),
                             metric_comparison(session, metric, SEPTEMBER, AS_OF))
        csp = csp_balances_for(session, FinancialYear(2025), AS_OF, LAG_MARGIN_PP)
        log = reviews_touching(session, date(2025, 7, 1), AS_OF)
        reviews = [monthly_measures(log, Month(2025, m), AS_OF) for m in (7, 8, 9)]
    return DemoFigures(metrics, csp, reviews)


def _pixels(image: ChartImage) -> Image.Image:
    return Image.open(io.BytesIO(image.png)).convert("RGB")


def _colours(picture: Image.Image) -> dict[tuple[int, int, int], int]:
    return {colour: count for count, colour in picture.getcolors(maxcolors=picture.width * picture.height)}


def assert_drawn(image: ChartImage) -> dict[tuple[int, int, int], int]:
    """A PNG 1200 px wide with plenty drawn on it: not a blank or near-blank canvas."""
    picture = _pixels(image)
    assert picture.width == 1200
    assert 500 <= picture.height <= 2400
    colours = _colours(picture)
    assert len(colours) > 100  # lines, text, fills and their anti-aliased edges
    assert colours.get(WHITE, 0) < picture.width * picture.height * 0.95
    return colours


def _metric(slug: str) -> MetricDefinition:
    return builtin_catalog().get(slug)


def _months(values: list[float | None], last: Month = SEPTEMBER) -> list[Point]:
    first = last.shift(-(len(values) - 1))
    return [Point(first.shift(i), v) for i, v in enumerate(values)]


# --- trend ---------------------------------------------------------------------------------------------

def test_trend_chart_of_a_red_metric_is_phone_width_and_shows_red(demo):
    metric, points, comparison = demo.metrics["volunteer-hours"]
    image = trend_chart(metric, points, comparison)
    colours = assert_drawn(image)
    assert colours.get(VERMILION, 0) > 500  # the RED badge


def test_trend_chart_alt_text_gives_the_figures_in_words(demo):
    metric, points, comparison = demo.metrics["volunteer-hours"]
    alt = trend_chart(metric, points, comparison).alt_text
    assert alt == ("Volunteer hours, Sep 2024 to Sep 2025: latest 52 hours; last 3 months 50.7 hours "
                   "against a 2024/25 baseline of 75 hours; RAG red.")


def test_trend_chart_alt_text_names_a_target_and_says_when_there_is_no_rag(demo):
    metric, points, comparison = demo.metrics["icv-visits-on-target"]
    assert "against a target of 100% and a 2024/25 baseline of 100%; RAG green." in \
        trend_chart(metric, points, comparison).alt_text
    metric, points, comparison = demo.metrics["calls-under-25s"]
    alt = trend_chart(metric, points, comparison).alt_text
    assert alt.endswith("latest 58%; last 3 months 58%; no target or baseline; no RAG rating.")


def test_trend_chart_is_byte_for_byte_repeatable(demo):
    metric, points, comparison = demo.metrics["volunteer-hours"]
    first = trend_chart(metric, points, comparison)
    second = trend_chart(metric, points, comparison)
    assert first.png == second.png
    assert first.alt_text == second.alt_text


def test_trend_chart_source_is_part_of_the_picture(demo):
    metric, points, comparison = demo.metrics["volunteer-hours"]
    assert trend_chart(metric, points, comparison, source="Sept 2025 report").png != \
        trend_chart(metric, points, comparison).png


def test_trend_chart_draws_at_most_thirteen_months():
    metric = _metric("volunteer-hours")
    points = _months([70.0] * 20 + [50.0])
    alt = trend_chart(metric, points, panel_comparison(metric, points)).alt_text
    assert alt.startswith("Volunteer hours, Sep 2024 to Sep 2025:")


def test_trend_chart_of_a_quarterly_plan_metric_leaves_the_baseline_year_to_the_line():
    metric = _metric("ksi-casualties")
    points = [Point(FinancialYear(2024), 400.4), Point(Month(2025, 6).quarter, 108.0)]
    image = trend_chart(metric, points, panel_comparison(metric, points))
    assert_drawn(image)
    assert image.alt_text.startswith("People killed or seriously injured on the roads, 2025/26 Q1: latest 108 ")


def test_trend_chart_with_no_figures_is_held():
    metric = _metric("volunteer-hours")
    with pytest.raises(ChartError, match="Volunteer hours: nothing to draw"):
        trend_chart(metric, [], panel_comparison(metric, []))


def test_trend_chart_with_only_blank_months_is_held():
    metric = _metric("volunteer-hours")
    points = _months([None, None, None])
    with pytest.raises(ChartError):
        trend_chart(metric, points, panel_comparison(metric, points))


def test_trend_chart_breaks_its_line_at_a_missing_month_rather_than_failing():
    metric = _metric("volunteer-hours")
    points = _months([70.0, None, 60.0, 50.0])
    assert_drawn(trend_chart(metric, points, panel_comparison(metric, points)))


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _rows_of(picture: Image.Image, colour: tuple[int, int, int], right: int) -> dict[int, int]:
    """How many pixels of `colour` each row holds left of x = `right` (the plot, not its margin labels)."""
    rows: dict[int, int] = {}
    pixels = picture.load()
    for y in range(picture.height):
        count = sum(1 for x in range(right) if pixels[x, y] == colour)
        if count:
            rows[y] = count
    return rows


def test_a_sum_metric_draws_its_baseline_as_the_monthly_mean(demo):
    # FOI requests: 4 in 2024/25, so a quarter's worth is 1 and the monthly mean 1/3. The months drawn are 0 to 2,
    # so the dotted line must sit a third of the way from the 0 axis to the gridline at 1, not on it.
    metric, points, comparison = demo.metrics["foi-requests"]
    assert comparison.baseline == pytest.approx(1.0)
    image = trend_chart(metric, points, comparison)
    picture = _pixels(image)
    plot_right = 900  # the margin labels start beyond this
    dotted = _rows_of(picture, _rgb(BASELINE), plot_right)
    baseline_row = max(dotted, key=dotted.get)
    grid_rows = sorted(y for y, n in _rows_of(picture, _rgb(GRID), plot_right).items() if n > 300)
    axis = _rows_of(picture, _rgb(MUTED), plot_right)
    zero, one = max(axis, key=axis.get), grid_rows[-1]  # the x axis, and the lowest gridline (at 1; then 2 and 3)
    assert (zero - baseline_row) / (zero - one) == pytest.approx(1 / 3, abs=0.03)
    assert "a 2024/25 baseline of 1 over 3 months, drawn as its monthly mean of 0.3" in image.alt_text


def test_a_sum_metrics_lines_are_labelled_as_monthly_means(demo):
    metric, points, comparison = demo.metrics["foi-requests"]
    assert reference_lines(comparison) == [(pytest.approx(1 / 3), BASELINE, ":", "Baseline\n(monthly mean)")]
    assert monthly_mean_footnote(comparison) == " Baseline drawn as its monthly mean (1 over 3 months, divided by 3)."
    # A mean metric's baseline is drawn where it is: volunteer hours' 75 hours.
    metric, points, comparison = demo.metrics["volunteer-hours"]
    assert reference_lines(comparison) == [(pytest.approx(75.0), BASELINE, ":", "Baseline")]
    assert monthly_mean_footnote(comparison) == ""


def test_a_sum_metrics_section_panel_says_its_baseline_a_month(demo):
    image = section_chart("Statutory Duties", [demo.metrics["foi-requests"], demo.metrics["sar-requests"]])
    assert_drawn(image)
    assert "drawn as its monthly mean of 0.3" in image.alt_text


def test_the_chart_says_which_months_it_drew(demo):
    # Calls answered under 25 seconds began in July 2025: three months drawn, and the image says so.
    metric, points, comparison = demo.metrics["calls-under-25s"]
    assert trend_chart(metric, points, comparison).span == "Jul 2025 to Sep 2025"
    metric, points, comparison = demo.metrics["volunteer-hours"]
    assert trend_chart(metric, points, comparison).span == "Sep 2024 to Sep 2025"
    six = _months([70.0, 60.0, 50.0, 55.0, 65.0, 52.0])
    volunteer = _metric("volunteer-hours")
    assert trend_chart(volunteer, six, panel_comparison(volunteer, six)).span == "Apr 2025 to Sep 2025"
    assert section_chart("Public Interaction", [demo.metrics["calls-under-25s"]]).span == "Jul 2025 to Sep 2025"
    assert reviews_chart(demo.reviews).span == "Jul 2025 to Sep 2025"
    assert csp_chart(demo.csp).span == "1 Apr 2025 to 30 Sep 2025"


# --- section small multiples ---------------------------------------------------------------------------

def test_section_chart_draws_every_metric_with_its_figures(demo):
    items = [demo.metrics[slug] for slug in SCRUTINY]
    image = section_chart("Scrutiny Functions", items)
    colours = assert_drawn(image)
    assert colours.get(VERMILION, 0) > 200  # volunteer hours' RED badge
    assert image.alt_text.startswith("Scrutiny Functions, 6 metrics (1 red, 1 amber, 4 green). ")
    assert "Volunteer hours, Sep 2024 to Sep 2025: latest 52 hours; last 3 months 50.7 hours " \
           "against a 2024/25 baseline of 75 hours; RAG red." in image.alt_text
    assert "Number of volunteers, Sep 2024 to Sep 2025: latest 26;" in image.alt_text


def test_section_chart_grows_taller_with_more_metrics(demo):
    two = _pixels(section_chart("Scrutiny Functions", [demo.metrics[s] for s in SCRUTINY[:2]]))
    six = _pixels(section_chart("Scrutiny Functions", [demo.metrics[s] for s in SCRUTINY]))
    assert two.width == six.width == 1200
    assert six.height > two.height * 2


def test_section_chart_is_byte_for_byte_repeatable(demo):
    items = [demo.metrics[slug] for slug in SCRUTINY]
    assert section_chart("Scrutiny Functions", items).png == section_chart("Scrutiny Functions", items).png


def test_section_chart_keeps_a_metric_without_figures_as_a_panel_that_says_so(demo):
    empty = _metric("staff-satisfaction-force")
    items = [demo.metrics["volunteer-hours"], (empty, [], panel_comparison(empty, []))]
    image = section_chart("Mixed", items)
    assert_drawn(image)
    assert "Staff satisfaction in the force: no current figure against a target of 80%; no RAG rating." \
        in image.alt_text


def test_section_chart_with_nothing_to_draw_is_held():
    empty = _metric("staff-satisfaction-force")
    with pytest.raises(ChartError, match="Workforce: nothing to draw"):
        section_chart("Workforce", [(empty, [], panel_comparison(empty, []))])
    with pytest.raises(ChartError, match="no metrics given"):
        section_chart("Workforce", [])


# --- CSP -----------------------------------------------------------------------------------------------

def test_csp_chart_is_phone_width_and_marks_lagging_areas(demo):
    image = csp_chart(demo.csp)
    colours = assert_drawn(image)
    assert colours.get(VERMILION, 0) > 500  # three LAGGING badges


def test_csp_chart_alt_text_gives_every_area_in_pounds(demo):
    alt = csp_chart(demo.csp).alt_text
    assert "2025/26, as of 30 Sep 2025, with 50.1% of the year elapsed" in alt
    assert "Leicester 53.4% spent, £145,252.00 of £271,818.47, £126,566.47 remaining;" in alt
    assert "SNWLP 0% spent, £0.00 of £53,776.10, £53,776.10 remaining, LAGGING;" in alt
    assert alt.endswith("Lagging: SNWLP, Harborough, Oadby and Wigston.")


def test_csp_chart_is_byte_for_byte_repeatable(demo):
    assert csp_chart(demo.csp).png == csp_chart(demo.csp).png


def test_csp_chart_draws_an_overspent_area():
    balances = csp_balances({"Northshire": Decimal("1000.00"), "Westvale": Decimal("500.00")},
                            [("Northshire", Decimal("1250.00"))], FinancialYear(2025), date(2025, 10, 1))
    image = csp_chart(balances)
    assert_drawn(image)
    assert "Northshire 125% spent, £1,250.00 of £1,000.00, -£250.00 remaining" in image.alt_text


def test_csp_chart_without_allocations_is_held():
    zero = csp_balances({"Northshire": Decimal("0.00")}, [], FinancialYear(2025), date(2025, 10, 1))
    with pytest.raises(ChartError, match="no area has an allocation"):
        csp_chart(zero)
    nothing = csp_balances({}, [], FinancialYear(2025), date(2025, 10, 1))
    with pytest.raises(ChartError):
        csp_chart(nothing)


# --- complaint reviews ---------------------------------------------------------------------------------

def test_reviews_chart_is_phone_width_and_drawn(demo):
    assert_drawn(reviews_chart(demo.reviews))


def test_reviews_chart_alt_text_gives_each_month(demo):
    alt = reviews_chart(demo.reviews).alt_text
    assert alt == ("Bar chart of complaint reviews by month received, Jul 2025 to Sep 2025: "
                   "Jul 2025 18 received, 2 completed within 28 days, 16 not completed within 28 days; "
                   "Aug 2025 24 received, 12 completed within 28 days, 12 not completed within 28 days; "
                   "Sep 2025 24 received, 15 completed within 28 days, 0 not completed within 28 days.")


def test_reviews_chart_is_byte_for_byte_repeatable_whatever_the_row_order(demo):
    assert reviews_chart(demo.reviews).png == reviews_chart(list(reversed(demo.reviews))).png


def test_reviews_chart_with_no_reviews_is_held():
    with pytest.raises(ChartError, match="no months given"):
        reviews_chart([])
    quiet = MonthlyReviewMeasures(Month(2025, 7), 0, 0, 0, 0, 0, 0, 0, None)
    with pytest.raises(ChartError, match="no reviews received"):
        reviews_chart([quiet])


# --- house rules ---------------------------------------------------------------------------------------

def test_rag_colours_come_from_the_colour_blind_safe_palette():
    assert {RAG_COLOURS[rag] for rag in ("green", "amber", "red")} <= set(OKABE_ITO.values())


def test_margin_labels_are_spread_so_none_overlap():
    # Three labels 40 px high wanted at nearly the same height, and one far away that should not move.
    placed = spread([100, 105, 110, 300], [40, 40, 40, 40], low=0, high=400)
    ordered = sorted(placed[:3])
    assert all(b - a >= 40 for a, b in zip(ordered, ordered[1:]))
    assert placed[3] == 300
    assert placed[0] == 100


def test_margin_labels_stay_inside_their_band():
    placed = spread([395, 398], [40, 40], low=0, high=400)
    assert max(placed) + 20 <= 400
    assert abs(placed[0] - placed[1]) >= 40


def test_importing_the_charts_module_does_not_load_matplotlib():
    # A text command must answer without paying for matplotlib; only drawing loads it.
    code = "import sys, digests.charts; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
