"""/kpi: a metric's Panel comparison, a section's table, or the list of sections and metrics."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from answers.context import CommandContext
from storage.filenames import period_stem
from answers.kpi import MISS, NO_MATCH_HINT, choices_answer, metric_answer, miss_answer, section_answer
from commands.options import OptionError, TypedPeriod, split_options, split_period
from commands.registry import CommandRegistry, CommandRequest
from answers.response import Chart, Response, Table, error, shorten
from storage.catalog import Catalog, MetricDefinition, Section
from storage.catalog_names import Lookup, lookup
from storage.figures import format_day
from storage.freshness import period_title
from storage.kpi import PanelComparison
from storage.periods import period_end
from storage.repository import metric_by_slug, metric_comparison, metric_history, read_catalog

HELP = """/kpi <metric> - the current figure with its Panel comparison (e.g. /kpi calls-under-25s)
/kpi <metric> definition - the same, with what the metric measures
/kpi <metric> chart - a chart of the last 13 months with target and baseline
/kpi <metric> note <quarter> <text> - the observation printed in the Panel snapshot (action for the planned action)
/kpi <section> - a table of a section's metrics (e.g. /kpi public interaction, /kpi vawg)
/kpi or /kpi help - sections and their metrics
Add `Q2`, `2025/26 Q2`, `last month` or `as of 30/09/2025` to answer as things stood then; `public` posts in the channel."""

AS_OF_EXAMPLE = "Example: /kpi calls-under-25s as of 30/09/2025"

ANSWERED_FOR_PERIOD = "Answered as of the end of {period} ({day})."
ANSWERED_FOR_DAY = "Answered as of {day}."
NOT_OVER = "{period} is not over yet, so this answers as of today ({day})."
ONLY_A_PERIOD = "{text!r} is a date or period: say which metric or section it is for."
ONLY_A_PERIOD_EXAMPLE = "Example: /kpi calls-under-25s {text}, or /kpi public interaction {text}"
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
    today = context.today()
    try:
        options = split_options(request.text, request.as_of, today)
    except OptionError as exc:
        return error(str(exc), AS_OF_EXAMPLE)
    text = options.text
    with context.db.session() as session:
        if text.lower() in ("", "help", "list", "sections"):
            return _with_public(catalog_overview(read_catalog(session)), options.public)
        text, wants_definition = _strip_word(text, "definition")
        text, chart = _strip_word(text, "chart")
        as_of, notes = options.as_of, []
        found = _lookup(session, text)
        typed = None if found.found else split_period(text, today)
        if typed is not None and not typed.rest:
            return error(ONLY_A_PERIOD.format(text=shorten(text)), ONLY_A_PERIOD_EXAMPLE.format(text=shorten(text)))
        if typed is not None and typed.rest and (again := _lookup(session, typed.rest)).found:
            # `calls-under-25s Q2`: the figures as they stood at the end of that period.
            found, text = again, typed.rest
            as_of, notes = _as_of_typed(typed, as_of, today)
        if found.metric is not None:
            answer = _metric_form(session, context, found.metric, as_of, notes, wants_definition, chart)
        elif found.section is not None:
            answer = _section_form(session, context, found.section, as_of, notes)
        elif found.choices:
            words = (" definition" if wants_definition else "") + (" chart" if chart else "")
            return choices_answer(text, found.choices, words + (f" as of {as_of.isoformat()}" if as_of else ""))
        else:
            return miss_answer(read_catalog(session), text)
    return _with_public(answer, options.public)


def _lookup(session, text: str) -> Lookup:
    # A slug as typed is one indexed row: a one-shot `kpibot ask` need not read the whole catalog.
    metric = metric_by_slug(session, text.strip().lower())
    return Lookup(metric=metric) if metric is not None else lookup(read_catalog(session), text)


def _as_of_typed(typed: TypedPeriod, explicit: date | None, today: date) -> tuple[date, list[str]]:
    """The day a period typed after the name stands for (its last day, never after today), and a line saying so."""
    if isinstance(typed.when, date):
        day, named = typed.when, format_day(typed.when)
    else:
        day, named = period_end(typed.when), period_title(typed.when)
    if explicit is not None:
        day = min(day, explicit)
    if day > today:
        return today, [NOT_OVER.format(period=named, day=format_day(today))]
    if isinstance(typed.when, date):
        return day, [ANSWERED_FOR_DAY.format(day=named)]
    return day, [ANSWERED_FOR_PERIOD.format(period=named, day=format_day(day))]


def _comparison(session, context: CommandContext, metric: MetricDefinition, as_of: date | None) -> PanelComparison:
    return metric_comparison(session, metric, as_of, context.today(), context.review_due_days)


def _metric_form(session, context: CommandContext, metric: MetricDefinition, as_of: date | None, notes: list[str],
                 wants_definition: bool, chart: bool) -> Response:
    comparison = _comparison(session, context, metric, as_of)
    answer = metric_answer(comparison, wants_definition, as_of=_reading_day(as_of, context.today()), notes=notes,
                           known_by=as_of)
    if not chart:
        return answer
    drawn = None
    if comparison.period is not None:
        history = metric_history(session, metric, as_of, CHART_MONTHS, context.today(), context.review_due_days)
        drawn = _chart(metric, history, comparison)
    if drawn is None:
        return replace(answer, notes=[*answer.notes, NO_CHART])
    return replace(answer, charts=[drawn])


def _section_form(session, context: CommandContext, section: Section, as_of: date | None,
                  notes: list[str]) -> Response:
    catalog = read_catalog(session)
    comparisons = [_comparison(session, context, m, as_of) for m in catalog.in_section(section.name)]
    return section_answer(section.name, comparisons, as_of=_reading_day(as_of, context.today()), notes=notes)


def _reading_day(as_of: date | None, today: date) -> date:
    """The day an answer is read on, for saying how old its figures are: the as-of date, never after today."""
    return min(as_of, today) if as_of else today


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
            return error(MISS.format(text=shorten(metric_text)), NO_MATCH_HINT)
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
                 filename=f"{metric.slug}-{period_stem(comparison.period.label)}.png")


# --- answers ---------------------------------------------------------------------------------------------

def catalog_overview(catalog: Catalog) -> Response:
    rows = [[section.name, ", ".join(m.slug for m in catalog.in_section(section.name))]
            for section in catalog.sections if catalog.in_section(section.name)]
    return Response(
        title="Sections and metrics",
        table=Table(["Section", "Metrics"], rows),
        notes=[line for line in HELP.splitlines()],
    )
