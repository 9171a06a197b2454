"""What the weekly and quarterly digests say: built from the same storage queries and answers as the commands."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from zoneinfo import ZoneInfo

from answers.access import AccessPolicy
from answers.context import CommandContext
from answers.csp import balances_answer
from answers.kpi import section_answer
from answers.response import Chart, Fact, Response, Table, counts_only
from answers.reviews import overdue_answer, quarter_answer
from digests.figure_words import current_figure, current_period, rag_change, staleness_lines
from digests.late_words import LATE_TITLE, late_part
from storage.figures import format_day, format_figure, format_value, rag_word
from storage.kpi import PanelComparison
from storage.lateness import Late, late_figures, latest_periods
from storage.periods import Month, Quarter
from storage.repository import (
    csp_balances_for, csp_years, figures_loaded_between, latest_period_starts, metric_comparison, metric_history,
    read_catalog, reviews_touching,
)
from storage.reviews import monthly_measures

WEEKLY_TITLE = "Weekly performance digest: week of {day}"
QUARTERLY_TITLE = "Quarterly performance digest: {quarter} ({span})"
CHANGED_TITLE = "What changed since last week"
NOTHING_LOADED = "No figures were loaded in the week to {day}."
LOADED = "{count} loaded in the week to {day}: {metrics}."
FIGURES = {True: "1 figure", False: "{count} figures"}
NO_RAG_CHANGES = "No RAG changes among the metrics with new figures."
WATCH_TITLE = "Red and amber metrics"
ALL_CLEAR = "No metric is red or amber."
PLAN_TITLE = "Police and Crime Plan headline metrics"
OFFICE_TITLE = "Office KPIs: {span}"
CSP_LAGGING_TITLE = "CSP areas lagging the year"
NO_CSP = "No CSP allocations loaded."
NO_CSP_THIS_YEAR = "No CSP allocations loaded for {year}, this financial year; the latest year with allocations is {latest}."
HELD_NO_FIGURES = "no figures for {period}: nothing loaded for the office KPIs up to {day}"
AS_OF_NOTE = "Figures as of {day}. Ask for more with /kpi, /reviews and /csp."
QUARTER_NOTE = "Office KPIs compare {span} with the previous 3 months and the baseline year."
CHART_TITLE = "{what}, {span}"
REVIEWS_CHART = "Complaint reviews by month"
CSP_CHART = "CSP allocation and spend by area"
CHART_SOURCE = "OPCC performance data (kpibot)"
MAX_CHARTS = 4
COUNTS_ONLY_CHANNEL = ("Counts only in this channel: the case list is posted only to {channels}; editors and "
                       "admins can also see it with /reviews overdue in a direct message with me.")
# Which digest lists cases where they may be seen: the weekly one (its overdue reviews); the quarterly one counts.
LISTS_CASES = {"weekly": True, "quarterly": False}


@dataclass(frozen=True)
class Digest:
    """A digest ready to send: the message, its charts, and why it must be held back, if it must.

    `access` is the policy it was built under: which channels may see the case list it carries. Built without
    one, no channel may (every channel gets counts only). `late` are the figures overdue when it was built,
    listed naming their owners on `platform`."""

    kind: str
    period: str
    as_of: date
    message: Response
    held_reason: str | None = None
    access: AccessPolicy = field(default_factory=AccessPolicy)
    late: tuple[Late, ...] = ()
    platform: str | None = None

    @property
    def charts(self) -> list[Chart]:
        return self.message.charts

    def for_channel(self, channel_id: str) -> "Digest":
        """The digest as `channel_id` may see it: whole in an allowed channel, counts only anywhere else."""
        return self if self.access.channel_sees_cases(channel_id) else self.without_case_list

    def for_platform(self, name: str) -> "Digest":
        """The digest as it reads on platform `name`: late figures name their owners there, not elsewhere.
        Made once per platform, like `without_case_list`, so each platform's channels share one."""
        if not self.late or name == self.platform:
            return self
        made = self.__dict__.setdefault("_by_platform", {})
        if name not in made:
            owned = late_part(list(self.late), name)
            parts = [owned if part.title == LATE_TITLE else part for part in self.message.parts]
            made[name] = replace(self, message=replace(self.message, parts=parts), platform=name)
        return made[name]

    @cached_property
    def without_case_list(self) -> "Digest":
        """Made once, so that every channel getting counts only gets the same digest (rendered once)."""
        note = COUNTS_ONLY_CHANNEL.format(channels=self.access.case_channels_text())
        return replace(self, message=counts_only(self.message, note))


def _comparisons(session, catalog, context: CommandContext, as_of: date | Month, kinds: tuple[str, ...],
                 as_of_day: date | None = None) -> list[PanelComparison]:
    """Each metric of `kinds` with what was known on `as_of` (a day, or a quarter's last month)."""
    return [metric_comparison(session, m, as_of, context.today(), context.review_due_days, as_of_day)
            for m in catalog.metrics if m.kind in kinds]


def _reference(c: PanelComparison) -> str:
    """What the RAG is judged against: the Plan's expectation, the target, or the baseline."""
    if c.metric.expectation:
        return c.metric.expectation
    if c.target is not None:
        return format_figure(c.metric, c.target, compact=True)
    return f"baseline {format_figure(c.metric, c.baseline, compact=True)}"


def _watch_list(comparisons: list[PanelComparison]) -> Response:
    flagged = [c for c in comparisons if c.rag in ("red", "amber")]
    kind_order = {"office": 0, "reviews": 1, "plan": 2}
    flagged.sort(key=lambda c: (c.rag != "red", kind_order.get(c.metric.kind, 3), c.metric.section, c.metric.name))
    rows = [[c.metric.name, current_period(c), current_figure(c), _reference(c), rag_word(c.rag)] for c in flagged]
    return Response(title=WATCH_TITLE, table=Table(["Metric", "Period", "Current", "Target or baseline", "RAG"], rows)
                    if rows else None, notes=[] if rows else [ALL_CLEAR])


def _chart(draw, what: str, filename: str) -> Chart | None:
    """Draw one chart, titled with what it shows and the periods it actually drew; a chart with nothing to
    show is left out, never posted blank."""
    from digests.charts import ChartError

    try:
        image = draw()
    except ChartError:
        return None
    return Chart(title=CHART_TITLE.format(what=what, span=image.span), png=image.png, alt_text=image.alt_text,
                 filename=filename)


def _trend(session, context, comparison: PanelComparison, as_of: date) -> Chart | None:
    from digests.charts import trend_chart

    metric = comparison.metric
    history = metric_history(session, metric, as_of, 13, context.today(), context.review_due_days)
    return _chart(lambda: trend_chart(metric, history, comparison, CHART_SOURCE),
                  metric.name, f"{metric.slug}-trend.png")


def _reviews_chart(session, context, months: list[Month], as_of: date) -> Chart | None:
    from digests.charts import reviews_chart

    reviews = reviews_touching(session, months[0].first_day, as_of)
    rows = [monthly_measures(reviews, m, as_of, context.review_due_days) for m in months]
    if not any(r.received for r in rows):
        return None
    return _chart(lambda: reviews_chart(rows, CHART_SOURCE), REVIEWS_CHART, "complaint-reviews.png")


def _recent_review_months(session, as_of: date) -> list[Month]:
    """The last three complete months, and this month too once it has cases."""
    this_month = Month.of(as_of)
    months = [this_month.shift(i) for i in (-3, -2, -1)]
    if any(r.received >= this_month.first_day for r in reviews_touching(session, this_month.first_day, as_of)):
        months.append(this_month)
    return months


def _csp(session, context, as_of: date):
    """The balances of the financial year `as_of` is in, or None when it has no allocations."""
    year = Month.of(as_of).financial_year
    if year.label not in csp_years(session):
        return None
    return csp_balances_for(session, year, as_of, context.csp_lag_margin_pp)


def _no_csp(session, as_of: date) -> str:
    """Why there are no balances: nothing loaded at all, or nothing yet for this year (naming the latest that has)."""
    years = csp_years(session)
    if not years:
        return NO_CSP
    return NO_CSP_THIS_YEAR.format(year=Month.of(as_of).financial_year.label, latest=years[-1])


def _csp_chart(balances) -> Chart | None:
    from digests.charts import csp_chart

    return _chart(lambda: csp_chart(balances, CHART_SOURCE), CSP_CHART, "csp-balances.png")


def build_weekly(context: CommandContext, as_of: date, period: str, platform: str | None = None) -> Digest:
    """Monday's digest: what changed, which figures are late, what is red or amber, what is overdue, which CSP
    areas lag. Late figures name their owners on `platform` (the process's chat platform unless given)."""
    platform = platform or context.chat_platform
    db = context.db
    day = format_day(as_of)
    with db.session() as session:
        catalog = read_catalog(session)
        comparisons = _comparisons(session, catalog, context, as_of, ("office", "reviews", "plan"))
        if not any(c.period for c in comparisons if c.metric.kind == "office"):
            return Digest("weekly", period, as_of, Response(title=WEEKLY_TITLE.format(day=day)),
                          HELD_NO_FIGURES.format(period=period, day=day), context.access)
        loaded = figures_loaded_between(session, *_office_week(context, as_of))
        changed = _what_changed(session, catalog, context, as_of, loaded)
        late = late_figures(catalog, latest_periods(catalog, latest_period_starts(session, as_of)), as_of)
        watch = _watch_list(comparisons)
        overdue = overdue_answer(session, context, as_of)
        balances = _csp(session, context, as_of)
        lagging = _lagging(balances, _no_csp(session, as_of))
        charts = [c for c in (_trend(session, context, c, as_of)
                              for c in comparisons if c.rag == "red" and c.metric.kind == "office") if c][:2]
        charts.append(_reviews_chart(session, context, _recent_review_months(session, as_of), as_of))
        if balances is not None:
            charts.append(_csp_chart(balances))
    message = Response(
        title=WEEKLY_TITLE.format(day=day),
        notes=[AS_OF_NOTE.format(day=day), *staleness_lines(comparisons, as_of)],
        parts=[p for p in (changed, late_part(late, platform), watch,
                           replace(overdue, title=f"Complaint reviews: {overdue.title}"), lagging) if p is not None],
        charts=[c for c in charts if c][:MAX_CHARTS],
    )
    return Digest("weekly", period, as_of, message, access=context.access, late=tuple(late), platform=platform)


def _office_week(context: CommandContext, as_of: date) -> tuple[datetime, datetime]:
    """The week to `as_of` in the office's time zone: local midnight seven days before to local midnight on the
    day, in UTC as the database holds times (a figure loaded at 00:30 on a Monday in summer is that Monday's)."""
    zone = ZoneInfo(context.timezone)
    return tuple(datetime.combine(day, time.min, zone).astimezone(timezone.utc)
                 for day in (as_of - timedelta(days=7), as_of))


def _what_changed(session, catalog, context, as_of: date, loaded: list[tuple[str, str]]) -> Response:
    day = format_day(as_of)
    if not loaded:
        return Response(title=CHANGED_TITLE, notes=[NOTHING_LOADED.format(day=day)])
    slugs = list(dict.fromkeys(slug for slug, _ in loaded))
    changes = []
    for slug in slugs:
        metric = catalog.get(slug)
        now = metric_comparison(session, metric, as_of, context.today(), context.review_due_days)
        if now.period is None or not isinstance(now.period, Month):
            continue
        before = metric_comparison(session, metric, now.period.shift(-1), context.today(), context.review_due_days)
        if before.rag != now.rag:
            changes.append(rag_change(metric.name, before.rag, now.rag))
    names = ", ".join(catalog.get(s).name for s in slugs[:8]) + (" and more" if len(slugs) > 8 else "")
    count = FIGURES[len(loaded) == 1].format(count=len(loaded))
    return Response(title=CHANGED_TITLE, notes=[LOADED.format(count=count, day=day, metrics=names),
                                                *(changes or [NO_RAG_CHANGES])])


def _lagging(balances, missing: str) -> Response:
    if balances is None:
        return Response(title=CSP_LAGGING_TITLE, notes=[missing])
    rows = [[a.area, format_value("percent", a.percent_spent), format_value("currency", a.remaining)]
            for a in balances.areas if a.lagging]
    elapsed = format_value("percent", balances.year_elapsed_percent)
    return Response(
        title=CSP_LAGGING_TITLE,
        facts=[Fact("Year elapsed", elapsed), Fact("Spent overall", format_value("percent", balances.total_percent_spent))],
        table=Table(["Area", "% spent", "Remaining"], rows) if rows else None,
        notes=[] if rows else [f"No area lags the year ({elapsed} elapsed)."],
    )


def build_quarterly(context: CommandContext, quarter: Quarter, as_of: date) -> Digest:
    """After a quarter: its Panel comparison for every office KPI, the Plan RAG counts, reviews and CSP."""
    db = context.db
    end = quarter.months[-1]
    counted = min(end.last_day, context.today())
    with db.session() as session:
        catalog = read_catalog(session)
        office = _comparisons(session, catalog, context, end, ("office",))
        if not any(c.period == end for c in office):
            title = QUARTERLY_TITLE.format(quarter=quarter.label, span=quarter.span)
            return Digest("quarterly", quarter.label, as_of, Response(title=title),
                          HELD_NO_FIGURES.format(period=quarter.label, day=format_day(end.last_day)), context.access)
        plan = _comparisons(session, catalog, context, end, ("plan",))
        sections = [s.name for s in catalog.sections if s.kind == "office"]
        office_parts = [section_answer(name, [c for c in office if c.metric.section == name], as_of=as_of)
                        for name in sections]
        reviews = quarter_answer(session, context, quarter, counted, [])
        balances = _csp(session, context, counted)
        csp_part = balances_answer(balances, [], context.csp_lag_margin_pp) if balances else \
            Response(title=CSP_LAGGING_TITLE, notes=[_no_csp(session, counted)])
        charts = [_section_chart(session, context, name, [c for c in office if c.metric.section == name], end)
                  for name in sections]
        charts.append(_reviews_chart(session, context, quarter.months, counted))
        if balances is not None:
            charts.append(_csp_chart(balances))
    message = Response(
        title=QUARTERLY_TITLE.format(quarter=quarter.label, span=quarter.span),
        notes=[QUARTER_NOTE.format(span=quarter.span), *staleness_lines(plan, as_of)],
        parts=[*office_parts, _plan_counts(plan), reviews, csp_part],
        charts=[c for c in charts if c][:MAX_CHARTS + 1],
    )
    return Digest("quarterly", quarter.label, as_of, message, access=context.access)


def _plan_counts(plan: list[PanelComparison]) -> Response:
    counts = {rag: sum(c.rag == rag for c in plan) for rag in ("green", "amber", "red", "none")}
    reds = [c.metric.name for c in plan if c.rag == "red"]
    return Response(
        title=PLAN_TITLE,
        facts=[Fact(rag_word(rag), str(n)) for rag, n in counts.items()],
        notes=[f"Red: {', '.join(reds)}."] if reds else [],
    )


def _section_chart(session, context, name: str, comparisons: list[PanelComparison], month: Month) -> Chart | None:
    from digests.charts import section_chart

    items = [(c.metric, metric_history(session, c.metric, month, 13, context.today(), context.review_due_days), c)
             for c in comparisons if c.period is not None]
    if not items:
        return None
    from storage.filenames import safe_stem

    slug = safe_stem(name.lower(), fallback="section")
    return _chart(lambda: section_chart(name, items, CHART_SOURCE), name, f"{slug}.png")


def digest_builder(context: CommandContext):
    """The function the delivery code calls to build the digest an occurrence asks for."""
    from storage.periods import parse_period

    def build(occurrence) -> Digest:
        if occurrence.kind == "weekly":
            return build_weekly(context, occurrence.as_of, occurrence.period)
        return build_quarterly(context, parse_period(occurrence.period), occurrence.as_of)

    return build
