"""The Panel snapshot: the performance section of a Police and Crime Panel paper for one quarter, as a Document.

Every figure comes from the same storage functions the commands use. The figures printed are also
collected as plain data, fingerprinted with SHA-256 and kept with the snapshot record, so a
published paper can be reproduced after the data is corrected.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from answers.context import CommandContext
from digests.document import Document, Figure, Heading, PageBreak, Paragraph, TableBlock
from digests.figure_words import FIGURE_WITH_PERIOD, latest_figure
from storage.commentary import latest_comments
from storage.figures import NOT_AVAILABLE, format_day, format_figure, format_figure_difference, format_money, format_value, rag_word
from storage.kpi import PanelComparison
from storage.freshness import period_title
from storage.periods import Month, Quarter, period_end
from storage.repository import (
    csp_balances_for, csp_years, latest_period_starts, metric_comparison, metric_history, quarter_notes, read_catalog,
)
from storage.review_queries import quarter_review_table

TITLE = "OPCC performance snapshot"
SUBTITLE = "{quarter} ({span})"
PRODUCED = "Produced {when}"
DATA_AS_OF = "Data as of {day}"
FINGERPRINT = "Figures fingerprint (SHA-256):"
OFFICE_INTRO = ("Each office KPI compares the last 3 months ({span}) with the previous 3 months and with the "
                "{baseline} baseline. Differences in percentages are percentage points (pp).")
PLAN_INTRO = ("Headline metrics of the Police and Crime Plan, with the target or expectation that sets their RAG "
              "status, the {baseline} baseline and the latest figure.")
REVIEWS_INTRO = "Complaint reviews by month of receipt, as the cases stood on {day}; a review is due {days} days after receipt."
AVERAGE_DAYS = "{days} on average, over the {count} review{s} completed in the quarter."
NONE_COMPLETED = "No reviews were completed in the quarter, so there is no average."
CSP_INTRO = "Community Safety Partnership allocations and expenditure for {year}, as of {day}."
NO_COMMENT = "Nothing recorded for this quarter."
RETIRED = "Not shown: {count} office measure{s} with no figure since {day}, still in the catalog with {its} history."
DIRECTION_ARROWS = {"up": "↑", "down": "↓", "flat": "↔", "none": "–"}
OFFICE_COLUMNS = ["Metric", "Baseline comparison", "Last 3 months", "Difference to previous 3 months",
                  "Trend/outlook", "RAG"]
CHART_SOURCE = "OPCC performance data (kpibot)"


@dataclass(frozen=True)
class Snapshot:
    document: Document
    figures: dict
    sha256: str
    data_as_of: date


def outlook(c: PanelComparison) -> str:
    """The Panel's trend/outlook word, in the metric's own direction of good."""
    if c.direction == "none":
        return "N/A"
    if c.direction == "flat":
        return "Stable"
    if c.metric.polarity == "neutral":
        return "Rising" if c.direction == "up" else "Falling"
    better = (c.direction == "up") == (c.metric.polarity == "higher_better")
    return "Improving" if better else "Declining"


def _baseline_comparison(c: PanelComparison) -> str:
    if c.baseline is None:
        return "N/A"
    difference = format_figure_difference(c.metric, c.change_vs_baseline, compact=True)
    return f"{difference} (baseline {format_figure(c.metric, c.baseline, compact=True)})"


def _last3(c: PanelComparison, quarter: Quarter) -> str:
    """The 3-month figure, with its months where they are not the quarter's (a measure not yet loaded to its end)."""
    figure = format_figure(c.metric, c.last3, compact=True)
    if c.last3 is None or c.last3_span in (None, quarter.span):
        return figure
    return FIGURE_WITH_PERIOD.format(figure=figure, period=c.last3_span)


def _office_row(c: PanelComparison, quarter: Quarter) -> list[str]:
    return [_baseline_comparison(c), _last3(c, quarter),
            format_figure_difference(c.metric, c.change_vs_previous3, compact=True), outlook(c), rag_word(c.rag)]


def _day(day: date) -> str:
    return format_day(day)


def fingerprint(figures: dict) -> str:
    return hashlib.sha256(json.dumps(figures, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def build_snapshot(context: CommandContext, quarter: Quarter, produced_at: datetime,
                   classification: str = "OFFICIAL") -> Snapshot:
    from digests.charts import ChartError, csp_chart, reviews_chart, trend_chart

    end = quarter.months[-1]
    as_of = min(end.last_day, context.today())
    reported_since = end.shift(-11).first_day
    blocks: list = []
    figures: dict = {"quarter": quarter.label, "as_of": as_of.isoformat()}
    with context.db.session() as session:
        catalog = read_catalog(session)
        comments = latest_comments(session, quarter.label)
        compare = lambda metric: metric_comparison(session, metric, end, context.today(),  # noqa: E731
                                                   context.review_due_days, as_of)
        shown = []

        # Office KPIs, grouped as the office report groups them.
        office_sections = [s.name for s in catalog.sections if s.kind == "office"]
        blocks.append(Heading("Office performance", 1))
        blocks.append(Paragraph(OFFICE_INTRO.format(span=quarter.span, baseline="2024/25")))
        figures["office"] = {}
        retired: list[str] = []
        # A period starting a year before `reported_since` ended before it: no need to compare to know.
        latest_starts = latest_period_starts(session, end.last_day)
        long_ago = reported_since - timedelta(days=366)
        for section in office_sections:
            comparisons = []
            for metric in catalog.in_section(section):
                if metric.slug in latest_starts and latest_starts[metric.slug] < long_ago:
                    retired.append(metric.name)
                    continue
                c = compare(metric)
                if c.period is not None and period_end(c.period) < reported_since:
                    retired.append(metric.name)   # no figure for a year: no longer reported
                else:
                    comparisons.append(c)
            if not comparisons:
                continue
            shown += [c.metric for c in comparisons]
            blocks.append(Heading(section, 2))
            rows, rag_cells = [], {}
            for index, c in enumerate(comparisons):
                rows.append([c.metric.name, *_office_row(c, quarter)])
                if c.rag in ("green", "amber", "red"):
                    rag_cells[(index, 5)] = c.rag
                figures["office"][c.metric.slug] = c.as_json()
            blocks.append(TableBlock(OFFICE_COLUMNS, rows, caption=f"{section}, {quarter.span}",
                                     widths=(3.2, 2.2, 1.5, 1.8, 1.4, 1.0), rag_cells=rag_cells))
            for c in comparisons:
                blocks += _metric_detail(session, context, c, end, comments, quarter, trend_chart, ChartError)
        if retired:
            many = len(retired) > 1
            blocks.append(Paragraph(RETIRED.format(count=len(retired), s="s" * many, its="their" if many else "its",
                                                   day=_day(reported_since)), style="note"))
            figures["retired"] = retired
        blocks.append(PageBreak())

        # The Police and Crime Plan dashboard.
        blocks.append(Heading("Police and Crime Plan dashboard", 1))
        blocks.append(Paragraph(PLAN_INTRO.format(baseline="2024/25")))
        plan = [compare(m) for m in catalog.metrics if m.kind == "plan"]
        shown += [c.metric for c in plan]
        rows, rag_cells = [], {}
        for index, c in enumerate(plan):
            rows.append([str(c.metric.plan_ref or ""), c.metric.section, c.metric.name, c.metric.expectation or "",
                         format_figure(c.metric, c.baseline, compact=True), latest_figure(c),
                         period_title(c.period) if c.period is not None else NOT_AVAILABLE,
                         DIRECTION_ARROWS[c.direction], rag_word(c.rag)])
            if c.rag in ("green", "amber", "red"):
                rag_cells[(index, 8)] = c.rag
        figures["plan"] = {c.metric.slug: c.as_json() for c in plan}
        # The period has a column of its own: Plan figures are of different periods (quarters, years), and a
        # figure with its period in one narrow cell wrapped over five lines.
        blocks.append(TableBlock(["#", "Delivery strategy", "Metric", "Target/expectation", "Baseline 2024/25",
                                  "Latest", "Period", "Direction", "RAG"], rows, caption="Headline metrics",
                                 widths=(0.5, 1.6, 2.6, 1.4, 1.3, 1.3, 1.2, 1.0, 1.1), rag_cells=rag_cells))
        blocks.append(PageBreak())

        # Complaint reviews.
        due_days = context.review_due_days
        table = quarter_review_table(session, quarter, as_of, due_days)
        fields = ["received", "not_upheld", "completed_within_28_days", "not_completed_within_28_days", "learning"]
        count = lambda n: format_value("count", n)  # noqa: E731
        rows = [[m.month.title.split()[0], *(count(getattr(m, f)) for f in fields)] for m in table.months]
        rows.append(["Total", *(count(table.total(f)) for f in fields)])
        shown += [m for m in catalog.metrics if m.kind == "reviews"]
        figures["reviews"] = {"rows": rows, "average_days_to_complete": table.avg_days_to_complete}
        blocks.append(Heading("Complaint reviews", 1))
        blocks.append(Paragraph(REVIEWS_INTRO.format(day=_day(as_of), days=due_days)))
        blocks.append(TableBlock(["Month", "Received", "Not upheld", f"Completed within {due_days} days",
                                  f"Not completed within {due_days} days", "Learning/recommendations"], rows,
                                 caption=f"Complaint reviews, {quarter.span}", bold_rows=(len(rows) - 1,)))
        average = NONE_COMPLETED if not table.completed else AVERAGE_DAYS.format(
            days=format_value("days", table.avg_days_to_complete), count=table.completed, s="s" * (table.completed > 1))
        blocks.append(Paragraph(average, label="Average days to complete"))
        try:
            image = reviews_chart(table.months, CHART_SOURCE)
            blocks.append(Figure(image.png, image.alt_text, f"Complaint reviews by month, {image.span}", 15.0))
        except ChartError:
            pass

        # CSP balances.
        year = quarter.financial_year
        blocks.append(Heading("Community Safety Partnership balances", 1))
        if year.label in csp_years(session):
            balances = csp_balances_for(session, year, as_of, context.csp_lag_margin_pp)
            rows = [[a.area, format_money(a.allocation), format_money(a.spent), format_money(a.remaining)]
                    for a in balances.areas]
            rows.append(["Total", format_money(balances.total_allocation), format_money(balances.total_spent),
                         format_money(balances.total_remaining)])
            figures["csp"] = {"rows": rows, "year_elapsed_percent": round(balances.year_elapsed_percent, 6)}
            blocks.append(Paragraph(CSP_INTRO.format(year=year.label, day=_day(as_of))))
            blocks.append(TableBlock(["CSP area", f"{year.label} allocation", f"{year.label} expenditure",
                                      "Remaining balance"], rows, caption=f"CSP balances as of {_day(as_of)}",
                                     bold_rows=(len(rows) - 1,), widths=(2.6, 1.6, 1.6, 1.6)))
            if balances.lagging_areas:
                blocks.append(Paragraph(", ".join(balances.lagging_areas) + " trail the year "
                                        f"({format_value('percent', balances.year_elapsed_percent)} elapsed).",
                                        label="Spend lagging"))
            try:
                image = csp_chart(balances, CHART_SOURCE)
                blocks.append(Figure(image.png, image.alt_text, f"CSP allocation and spend, {year.label}", 15.0))
            except ChartError:
                pass
        else:
            figures["csp"] = None
            blocks.append(Paragraph(f"No CSP allocations are loaded for {year.label}."))

        # Glossary of every metric shown.
        blocks.append(PageBreak())
        blocks.append(Heading("Glossary", 1))
        seen = []
        for metric in shown:
            if metric not in seen:
                seen.append(metric)
        blocks.append(TableBlock(["Metric", "Definition"], [[m.name, m.definition] for m in seen],
                                 widths=(2.0, 5.0)))
    digest = fingerprint(figures)
    local = produced_at.astimezone(ZoneInfo(context.timezone))
    document = Document(
        title=TITLE,
        subtitle=SUBTITLE.format(quarter=quarter.label, span=quarter.span),
        classification=classification,
        blocks=blocks,
        cover_lines=[PRODUCED.format(when=f"{_day(local.date())} {local:%H:%M}"), DATA_AS_OF.format(day=_day(as_of)),
                     FINGERPRINT, digest],
    )
    return Snapshot(document, figures, digest, as_of)


def _metric_detail(session, context, c: PanelComparison, end: Month, comments, quarter: Quarter,
                   trend_chart, chart_error) -> list:
    metric = c.metric
    blocks = [
        Heading(metric.name, 3),
        Paragraph(metric.definition, style="note"),
        TableBlock(["Baseline comparison", "Last 3 months", "Difference to previous 3 months", "Trend/outlook", "RAG"],
                   [_office_row(c, quarter)],
                   rag_cells={(0, 4): c.rag} if c.rag in ("green", "amber", "red") else {}),
    ]
    observation = comments.get((metric.slug, "observation"))
    action = comments.get((metric.slug, "action"))
    loaded_notes = quarter_notes(session, metric.slug, quarter.months)
    blocks.append(Paragraph(observation.text if observation else ("; ".join(loaded_notes) or NO_COMMENT),
                            label="Observation"))
    blocks.append(Paragraph(action.text if action else NO_COMMENT, label="Planned action"))
    if c.period is not None:
        history = metric_history(session, metric, end, 13, context.today(), context.review_due_days)
        try:
            image = trend_chart(metric, history, c, CHART_SOURCE)
            blocks.append(Figure(image.png, image.alt_text, f"{metric.name}, {image.span}", 12.0))
        except chart_error:
            pass
    return blocks
