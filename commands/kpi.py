"""/kpi: a metric's Panel comparison, a section's table, or the list of sections and metrics."""
from __future__ import annotations

import re
from dataclasses import replace

from commands.context import CommandContext
from commands.options import OptionError, split_options
from commands.registry import CommandRegistry, CommandRequest
from commands.response import Chart, Fact, Response, Table, error
from storage.catalog import Catalog, MetricDefinition
from storage.figures import NOT_AVAILABLE, format_difference, format_value
from storage.kpi import PanelComparison
from storage.periods import Month
from storage.repository import metric_by_slug, metric_comparison, metric_history, read_catalog

HELP = """/kpi <metric> - the current figure with its Panel comparison (e.g. /kpi calls-under-25s)
/kpi <metric> definition - the same, with what the metric measures
/kpi <metric> chart - a chart of the last 13 months with target and baseline
/kpi <metric> note <quarter> <text> - the observation printed in the Panel snapshot (action for the planned action)
/kpi <section> - a table of a section's metrics (e.g. /kpi public interaction)
/kpi or /kpi help - sections and their metrics
Add `as of 2025-09-30` or `2025-09` to answer for a past date, `public` to post in the channel."""

RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "None"}
DIRECTION_WORDS = {"up": "Up", "down": "Down", "flat": "Flat", "none": "None"}
NO_RAG_REASON = {
    "neutral": "a count to watch, not judged",
    "nothing": "no target or baseline to judge against",
    "no-data": "no current figure",
}
MISS = "I don't know a metric or section called {text!r}."
MISS_HINT = "Closest metrics: {options}. Type /kpi help for the full list."
NO_MATCH_HINT = "Type /kpi help for the sections and metrics I know."
NO_CHART = "No chart: there are no figures to draw yet."
COMMENT_NEEDS_QUARTER = "Say which quarter the {kind} is for, then the text."
COMMENT_EXAMPLE = "Example: /kpi calls-under-25s note 2025/26 Q2 Performance concern raised with the team."
COMMENT_EMPTY = "The {kind} has no text."
COMMENT_TOO_LONG = "That is {length} characters; keep commentary under {limit}."
COMMENT_SAVED = "{what} saved for {name}, {quarter}"
COMMENT_WHERE = "It appears in the Panel snapshot for that quarter (/snapshot). A later entry replaces it."
MAX_COMMENT = 2000
CHART_MONTHS = 13


def register(registry: CommandRegistry) -> None:
    registry.add("/kpi", kpi_command, HELP, is_slow=wants_chart,
                 needs=lambda text: "editor" if _COMMENT_RE.match(" ".join(text.split())) else "viewer")


def wants_chart(text: str) -> bool:
    return "chart" in text.lower().split()


def _strip_word(text: str, word: str) -> tuple[str, bool]:
    words = text.split()
    if word in [w.lower() for w in words]:
        return " ".join(w for w in words if w.lower() != word), True
    return text, False


_COMMENT_RE = re.compile(r"^(?P<metric>.+?)\s+(?P<kind>note|action)\s+(?P<rest>.*)$", re.I | re.S)
_QUARTER_HEAD_RE = re.compile(r"^(?P<quarter>\d{4}\s*[/-]\s*\d{2}\s+q\d|q\d\s+\d{4}\s*[/-]\s*\d{2})\s*(?P<text>.*)$",
                              re.I | re.S)


def kpi_command(request: CommandRequest, context: CommandContext) -> Response:
    comment = _COMMENT_RE.match(" ".join(request.text.split()))
    if comment:
        return comment_command(request, context, comment["metric"], comment["kind"].lower(), comment["rest"])
    try:
        options = split_options(request.text, request.as_of, context.today())
    except OptionError as exc:
        return error(str(exc), "Example: /kpi calls-under-25s as of 2025-09-30")
    text = options.text
    as_of = Month.of(options.as_of) if options.as_of else None
    with context.db.session() as session:
        if text.lower() in ("", "help", "list", "sections"):
            return _with_public(catalog_overview(read_catalog(session)), options.public)
        text, wants_definition = _strip_word(text, "definition")
        text, chart = _strip_word(text, "chart")
        # A slug as typed is one indexed row: a one-shot `kpibot ask` need not read the whole catalog.
        metric = metric_by_slug(session, text.strip().lower())
        if metric is None:
            catalog = read_catalog(session)
            metric = catalog.match(text)
        if metric is not None:
            comparison = metric_comparison(session, metric, as_of, context.today(), context.review_due_days,
                                           options.as_of)
            answer = metric_answer(comparison, wants_definition)
            drawn = None
            if chart and comparison.period is not None:
                history = metric_history(session, metric, as_of, CHART_MONTHS, context.today(),
                                         context.review_due_days)
                drawn = _chart(metric, history, comparison)
            if drawn is not None:
                answer = replace(answer, charts=[drawn])
            elif chart:
                answer = replace(answer, notes=[*answer.notes, NO_CHART])
            return _with_public(answer, options.public)
        section = catalog.section(text)
        if section is not None:
            comparisons = [
                metric_comparison(session, m, as_of, context.today(), context.review_due_days, options.as_of)
                for m in catalog.in_section(section.name)
            ]
            return _with_public(section_answer(section.name, comparisons), options.public)
        suggestions = catalog.suggest(text)
    if suggestions:
        return Response(
            title=MISS.format(text=text), is_error=True,
            notes=[MISS_HINT.format(options=", ".join(m.slug for m in suggestions))],
            suggestions=[f"/kpi {m.slug}" for m in suggestions],
        )
    return error(MISS.format(text=text), NO_MATCH_HINT)


def comment_command(request: CommandRequest, context: CommandContext, metric_text: str, kind: str,
                    rest: str) -> Response:
    """Store the observation or planned action for a metric and quarter, as the Panel snapshot prints it."""
    from storage.commentary import add_comment
    from storage.periods import PeriodError, Quarter, parse_period

    head = _QUARTER_HEAD_RE.match(rest)
    if not head:
        return error(COMMENT_NEEDS_QUARTER.format(kind=kind), COMMENT_EXAMPLE)
    try:
        quarter = parse_period(head["quarter"])
    except PeriodError as exc:
        return error(str(exc), COMMENT_EXAMPLE)
    if not isinstance(quarter, Quarter):
        return error(COMMENT_NEEDS_QUARTER.format(kind=kind), COMMENT_EXAMPLE)
    text = head["text"].strip()
    if not text:
        return error(COMMENT_EMPTY.format(kind=kind), COMMENT_EXAMPLE)
    if len(text) > MAX_COMMENT:
        return error(COMMENT_TOO_LONG.format(limit=MAX_COMMENT, length=len(text)))
    with context.db.session() as session:
        metric = read_catalog(session).match(metric_text)
        if metric is None:
            return error(MISS.format(text=metric_text), NO_MATCH_HINT)
        add_comment(session, metric.slug, quarter.label, "observation" if kind == "note" else "action", text,
                    request.user_id, context.clock())
    what = "Observation" if kind == "note" else "Planned action"
    return Response(title=COMMENT_SAVED.format(what=what, name=metric.name, quarter=quarter.label),
                    notes=[text, COMMENT_WHERE])


def _with_public(response: Response, public: bool) -> Response:
    return replace(response, public=True) if public else response


def _chart(metric: MetricDefinition, history, comparison: PanelComparison) -> Chart | None:
    from digests.charts import ChartError, trend_chart  # matplotlib loads only when a chart is asked for

    try:
        image = trend_chart(metric, history, comparison)
    except ChartError:
        return None
    return Chart(title=f"{metric.name} trend", png=image.png, alt_text=image.alt_text,
                 filename=f"{metric.slug}-{comparison.period.label.replace('/', '-').replace(' ', '-')}.png")


def catalog_overview(catalog: Catalog) -> Response:
    rows = [[section.name, ", ".join(m.slug for m in catalog.in_section(section.name))]
            for section in catalog.sections if catalog.in_section(section.name)]
    return Response(
        title="Sections and metrics",
        table=Table(["Section", "Metrics"], rows),
        notes=[line for line in HELP.splitlines()],
    )


def rag_text(comparison: PanelComparison) -> str:
    if comparison.rag != "none":
        return RAG_WORDS[comparison.rag]
    if comparison.metric.polarity == "neutral":
        reason = NO_RAG_REASON["neutral"]
    elif comparison.period is None:
        reason = NO_RAG_REASON["no-data"]
    else:
        reason = NO_RAG_REASON["nothing"]
    return f"None ({reason})"


def _period_title(comparison: PanelComparison) -> str:
    period = comparison.period
    return period.title if isinstance(period, Month) else period.label


def metric_answer(comparison: PanelComparison, with_definition: bool = False) -> Response:
    metric = comparison.metric
    unit = metric.unit
    value = lambda v: format_value(unit, v)  # noqa: E731
    difference = lambda v: format_difference(unit, v)  # noqa: E731
    if comparison.period is None and comparison.baseline is None:
        notes = [f"Load figures with `kpibot import observations FILE` ({metric.slug})."]
        if with_definition:
            notes.insert(0, f"Definition: {metric.definition}")
        return Response(title=f"{metric.name}: no figures loaded yet", notes=notes)
    facts: list[Fact] = []
    if metric.frequency == "monthly":
        headline = f"{metric.name}: {value(comparison.last3)} ({comparison.last3_span})"
        facts += [
            Fact(f"Last 3 months ({comparison.last3_span})", value(comparison.last3)),
            Fact(f"Previous 3 months ({comparison.previous3_span})", value(comparison.previous3)),
            Fact("Difference to previous 3 months", difference(comparison.change_vs_previous3)),
            Fact(f"Baseline {comparison.baseline_year}", value(comparison.baseline)),
            Fact("Baseline comparison", difference(comparison.change_vs_baseline)),
            Fact(f"Latest month ({_period_title(comparison)})", value(comparison.latest)),
        ]
    elif comparison.period is None:
        headline = f"{metric.name}: no figure yet since the {comparison.baseline_year} baseline"
        facts.append(Fact("Latest", NOT_AVAILABLE))
        facts.append(Fact(f"Baseline {comparison.baseline_year}", value(comparison.baseline)))
    else:
        headline = f"{metric.name}: {value(comparison.latest)} ({_period_title(comparison)})"
        facts += [
            Fact(f"Latest ({_period_title(comparison)})", value(comparison.latest)),
            Fact("Previous period", value(comparison.previous3)),
            Fact("Difference to previous period", difference(comparison.change_vs_previous3)),
            Fact(f"Baseline {comparison.baseline_year}", value(comparison.baseline)),
            Fact("Baseline comparison", difference(comparison.change_vs_baseline)),
        ]
    target = metric.expectation or (value(comparison.target) if comparison.target is not None else "none")
    facts += [
        Fact("Target" if not metric.expectation else "Target/expectation", target),
        Fact("RAG", rag_text(comparison)),
        Fact("Direction", DIRECTION_WORDS[comparison.direction]),
    ]
    notes = [f"{metric.section} · {metric.slug} · {metric.frequency}"]
    if with_definition:
        notes.insert(0, f"Definition: {metric.definition}")
    return Response(title=headline, facts=facts, notes=notes)


def section_answer(section: str, comparisons: list[PanelComparison]) -> Response:
    rows = []
    for c in comparisons:
        unit = c.metric.unit
        current = c.last3 if c.metric.frequency == "monthly" else c.latest
        rows.append([
            c.metric.name,
            format_value(unit, current) if c.period else NOT_AVAILABLE,
            format_value(unit, c.baseline),
            format_difference(unit, c.change_vs_previous3),
            RAG_WORDS[c.rag],
        ])
    spans = {c.last3_span for c in comparisons if c.last3_span}
    caption = f"Last 3 months: {', '.join(sorted(spans))}" if spans else None
    return Response(
        title=f"{section}",
        table=Table(["Metric", "Current", "Baseline", "Diff. to previous", "RAG"], rows, caption),
        notes=["/kpi <metric> gives the full comparison for one metric."],
    )
