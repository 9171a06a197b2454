"""/reviews: complaint reviews by month, the overdue and nearly due cases, and a quarter's table for the Panel."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from commands.context import CommandContext
from commands.options import OptionError, split_options
from commands.registry import CommandRegistry, CommandRequest
from commands.response import ECHO_LIMIT, Fact, Response, Table, error, shorten
from storage.figures import format_day, format_value
from storage.freshness import age_text
from storage.periods import (
    FinancialYear, Month, PeriodError, Quarter, last_complete_quarter, parse_period_text, parse_when,
)
from storage.repository import review_log_span
from storage.review_queries import DueSoonReview, month_review_measures, quarter_review_table, review_deadlines

HELP = """/reviews or /reviews month [Sep 2025] - this month (or that one) and the one before: received, on time, late, upheld
/reviews last month - last month and the one before it
/reviews overdue - open reviews past their due date today, then those due in the next 7 days
/reviews 2025/26 Q2 (or Q2, last quarter) - a quarter's table for the Panel; /reviews quarter: the last complete one
Add `as of 30/09/2025` to answer for a past date, `public` to post in the channel."""

NOT_UNDERSTOOD = "I didn't understand {text!r} after /reviews."
BAD_PERIOD = "I can't read {text!r} as a quarter: {problem}."
YEAR_NOT_QUARTER = "{year} is a financial year; /reviews answers for a quarter or a month."
MONTH_EXAMPLE = "Example: /reviews month 2025-09, or /reviews last month"
QUARTER_EXAMPLE = "Example: /reviews 2025/26 Q2 (quarters are Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar)."
AS_OF_MISPLACED = "`as of` goes at the end, followed by a date (30/09/2025, 2025-09-30) or a month (Sep 2025)."
AS_OF_EXAMPLE = "Example: /reviews overdue as of 2025-10-27 (or 27/10/2025)"
NOT_STARTED = "{quarter} had not begun on {day}."
NOT_STARTED_HINT = "The last complete quarter then was {quarter}: /reviews {quarter}"

LOG_ENDS = "The review log's latest entry is {day}, {age} ago: cases received or completed since are not loaded yet."
LOG_LATEST_QUARTER = "The latest quarter in the log is {quarter}: /reviews {quarter}"
EMPTY_LOG = "No complaint reviews are loaded yet: load the case log with `kpibot import reviews FILE`."
FUTURE = "{given} is after today, so this answers as of today ({today})."
PARTIAL_QUARTER = "{quarter} is not over: counted as of {day}."

MONTHS_TITLE = "Complaint reviews as of {day}"
MONTHS_NOTE = ("Counted by month of receipt, as the cases stood on {day}; "
               "the average is over reviews completed in the month.")
MONTHS_HINT = "/reviews overdue lists the overdue cases; /reviews quarter gives the Panel table."

OVERDUE_TITLE = "{count} complaint reviews overdue on {day}"
OVERDUE_TITLE_ONE = "1 complaint review overdue on {day}"
NONE_OVERDUE_TITLE = "No complaint reviews overdue on {day}"
DUE_SOON_TITLE = "Due in the next {days} days"
NONE_DUE_SOON = "None due in the next {days} days."
NONE_OPEN = "No reviews were open on {day}."
MORE_OVERDUE = "and {count} more overdue, not shown"
MORE_DUE_SOON = "and {count} more due in the next {days} days, not shown"
DEADLINE_NOTE = "A review is due {due_days} days after it is received."

QUARTER_TITLE = "Complaint reviews {quarter} ({span}), as of {day}"
QUARTER_NOTE = "Counted by month of receipt, as the cases stood on {day}."
AVERAGE_NOTE = "Average days to complete: over the {count} reviews completed between {first} and {last}."
NONE_COMPLETED = "No reviews were completed between {first} and {last}."

SOON_DAYS = 7
MAX_ROWS = 25
LOG_FRESH_DAYS = 31
_LOOKS_LIKE_PERIOD = re.compile(r"\d{4}\s*[/-]|\bq\s*\d|\bfy\b", re.I)
_STRAY_AS_OF = re.compile(r"\bas\s+of\b", re.I)


def register(registry: CommandRegistry) -> None:
    # Lists of cases (by reference) are sensitive; counts are not. The case tables are marked as listing cases,
    # and the registry answers with counts only wherever the asker may not see them.
    registry.add("/reviews", reviews_command, HELP)


def day_text(day: date) -> str:
    return format_day(day)


def _usage_error(message: str, *hints: str) -> Response:
    return error(message, *hints, *HELP.splitlines())


def reviews_command(request: CommandRequest, context: CommandContext) -> Response:
    try:
        options = split_options(request.text, request.as_of, context.today())
    except OptionError as exc:
        return error(str(exc), AS_OF_EXAMPLE)
    if _STRAY_AS_OF.search(options.text):
        return error(AS_OF_MISPLACED, AS_OF_EXAMPLE)
    words = options.text.split()
    kind = words[0].lower() if words else "month"
    rest = " ".join(words[1:])
    if kind == "help":
        return Response(title="/reviews", notes=HELP.splitlines())
    with context.db.session() as session:
        if kind == "month":
            answer = _month_form(session, context, rest, options.as_of)
        elif kind == "overdue":
            explicit = options.as_of
            if rest:
                try:
                    day = parse_when(rest, context.today())
                except PeriodError:
                    return _usage_error(NOT_UNDERSTOOD.format(text=shorten(rest)))
                explicit = min(day, explicit) if explicit else day
            answer = overdue_answer(session, context, explicit)
        elif kind == "quarter":
            answer = _quarter_form(session, context, rest, options.as_of)
        else:
            answer = _quarter_form(session, context, options.text, options.as_of, bare=True)
    return replace(answer, public=True) if options.public and not answer.is_error else answer


def _as_of(session: Session, context: CommandContext, explicit: date | None) -> tuple[date, list[str]]:
    """The date to count on: an explicit date (never after today), else today; with a line when the log has
    gone quiet by then, for cases may be missing from it."""
    today = context.today()
    if explicit is not None and explicit > today:
        return today, [FUTURE.format(given=day_text(explicit), today=day_text(today)),
                       *_log_notes(session, today, today)]
    day = explicit or today
    return day, _log_notes(session, day, today)


def _log_notes(session: Session, day: date, today: date) -> list[str]:
    """A line when the log is empty, or when its latest entry is over a month before `day` (its age told
    from today)."""
    _, latest = review_log_span(session)
    if latest is None:
        return [EMPTY_LOG]
    if (day - latest).days > LOG_FRESH_DAYS:
        return [LOG_ENDS.format(day=day_text(latest), age=age_text(latest, today))]
    return []


# --- this month and last month --------------------------------------------------------------------------

def _month_form(session: Session, context: CommandContext, text: str, explicit: date | None) -> Response:
    if text:
        try:
            month = parse_period_text(text, context.today())
        except PeriodError:
            month = None
        if not isinstance(month, Month):
            return _usage_error(NOT_UNDERSTOOD.format(text=shorten(f"month {text}")), MONTH_EXAMPLE)
        explicit = min(month.last_day, explicit) if explicit else month.last_day
    as_of, notes = _as_of(session, context, explicit)
    return months_answer(session, context, as_of, notes)


def months_answer(session: Session, context: CommandContext, as_of: date, notes: list[str]) -> Response:
    due_days = context.review_due_days
    this_month = Month.of(as_of)
    rows = month_review_measures(session, [this_month.shift(-1), this_month], as_of, due_days)
    deadlines = review_deadlines(session, as_of, due_days, SOON_DAYS)
    table = Table(
        ["Month", "Received", f"Completed within {due_days} days", f"Not completed within {due_days} days",
         "Upheld", "Avg days to complete"],
        [[m.month.title, format_value("count", m.received), format_value("count", m.completed_within_28_days),
          format_value("count", m.not_completed_within_28_days), format_value("count", m.upheld),
          format_value("days", m.avg_days_to_complete)] for m in rows],
    )
    facts = [
        Fact(f"Open on {day_text(as_of)}", format_value("count", deadlines.open_count)),
        Fact("Overdue", format_value("count", len(deadlines.overdue))),
        Fact(f"Due in the next {SOON_DAYS} days", format_value("count", len(deadlines.due_soon))),
    ]
    return Response(
        title=MONTHS_TITLE.format(day=day_text(as_of)), facts=facts, table=table,
        notes=[*notes, MONTHS_NOTE.format(day=day_text(as_of)), MONTHS_HINT],
    )


# --- overdue and nearly due -----------------------------------------------------------------------------

def overdue_answer(session: Session, context: CommandContext, explicit: date | None) -> Response:
    """Overdue cases, oldest first; the cases due in the next few days follow as a second part."""
    as_of, notes = _as_of(session, context, explicit)
    due_days = context.review_due_days
    deadlines = review_deadlines(session, as_of, due_days, SOON_DAYS)
    overdue, due_soon = deadlines.overdue, deadlines.due_soon
    day = day_text(as_of)
    if not overdue:
        title = NONE_OVERDUE_TITLE.format(day=day)
    else:
        title = (OVERDUE_TITLE_ONE if len(overdue) == 1 else OVERDUE_TITLE).format(count=len(overdue), day=day)
    facts = [
        Fact(f"Open on {day}", format_value("count", deadlines.open_count)),
        Fact("Overdue", format_value("count", len(overdue))),
        Fact(f"Due in the next {SOON_DAYS} days", format_value("count", len(due_soon))),
    ]
    table = None
    if overdue:
        more = len(overdue) - MAX_ROWS
        table = Table(["Reference", "Received", "Due", "Days overdue"],
                      [[case.reference, day_text(case.received), day_text(case.due), str(case.days_overdue)]
                       for case in overdue[:MAX_ROWS]],
                      caption=MORE_OVERDUE.format(count=more) if more > 0 else None, lists_cases=True)
    if not deadlines.open_count:
        notes.append(NONE_OPEN.format(day=day))
    notes.append(DEADLINE_NOTE.format(due_days=due_days))
    return Response(title=title, facts=facts, table=table, notes=notes, parts=[_due_soon_part(due_soon)])


def _due_soon_part(due_soon: list[DueSoonReview]) -> Response:
    if not due_soon:
        return Response(title=NONE_DUE_SOON.format(days=SOON_DAYS))
    more = len(due_soon) - MAX_ROWS
    return Response(
        title=DUE_SOON_TITLE.format(days=SOON_DAYS),
        table=Table(["Reference", "Received", "Due", "Days left"],
                    [[case.reference, day_text(case.received), day_text(case.due), str(case.days_left)]
                     for case in due_soon[:MAX_ROWS]],
                    caption=MORE_DUE_SOON.format(count=more, days=SOON_DAYS) if more > 0 else None,
                    lists_cases=True),
    )


# --- a quarter's table ----------------------------------------------------------------------------------

def _quarter_form(session: Session, context: CommandContext, text: str, explicit: date | None,
                  bare: bool = False) -> Response:
    if not text and not bare:
        as_of, notes = _as_of(session, context, explicit)
        quarter = last_complete_quarter(as_of)
        return quarter_answer(session, context, quarter, quarter.months[-1].last_day,
                              [*notes, *_latest_quarter_hint(session, quarter)])
    try:
        period = parse_period_text(text, context.today())
    except PeriodError as exc:
        if bare and not _LOOKS_LIKE_PERIOD.search(text):
            return _usage_error(NOT_UNDERSTOOD.format(text=shorten(text)))
        # The problem names the text again: once in the message is enough (and a long text is not echoed).
        # Period errors echo the text already shortened: name it "it" in either form.
        problem = str(exc).replace(repr(shorten(text)), "it").replace(repr(text), "it").rstrip(".")
        problem = shorten(problem, 2 * ECHO_LIMIT)
        return _usage_error(BAD_PERIOD.format(text=shorten(text), problem=problem), QUARTER_EXAMPLE)
    if isinstance(period, Month):
        as_of, notes = _as_of(session, context, min(period.last_day, explicit) if explicit else period.last_day)
        return months_answer(session, context, as_of, notes)
    if isinstance(period, FinancialYear):
        return _usage_error(YEAR_NOT_QUARTER.format(year=period.label), QUARTER_EXAMPLE)
    today = context.today()
    notes = []
    if explicit is not None and explicit > today:
        notes.append(FUTURE.format(given=day_text(explicit), today=day_text(today)))
    count_day = min(period.months[-1].last_day, explicit or date.max, today)
    if count_day < period.months[0].first_day:
        return error(NOT_STARTED.format(quarter=period.label, day=day_text(count_day)),
                     NOT_STARTED_HINT.format(quarter=last_complete_quarter(count_day).label))
    if count_day < period.months[-1].last_day:
        notes.append(PARTIAL_QUARTER.format(quarter=period.label, day=day_text(count_day)))
    notes += [*_log_notes(session, count_day, today), *_latest_quarter_hint(session, period)]
    return quarter_answer(session, context, period, count_day, notes)


def _latest_quarter_hint(session: Session, quarter: Quarter) -> list[str]:
    """Where the log ends before `quarter` begins, the quarter its latest entry falls in: one that has cases."""
    _, latest = review_log_span(session)
    if latest is None or latest >= quarter.months[0].first_day:
        return []
    return [LOG_LATEST_QUARTER.format(quarter=Month.of(latest).quarter.label)]


def quarter_answer(session: Session, context: CommandContext, quarter: Quarter, as_of: date,
                   notes: list[str]) -> Response:
    due_days = context.review_due_days
    table = quarter_review_table(session, quarter, as_of, due_days)
    count = lambda n: format_value("count", n)  # noqa: E731
    fields = ["received", "not_upheld", "completed_within_28_days", "not_completed_within_28_days", "learning"]
    rows = [[m.month.title, *(count(getattr(m, f)) for f in fields)] for m in table.months]
    rows.append(["Total", *(count(table.total(f)) for f in fields)])
    first = quarter.months[0].first_day
    day = day_text(table.as_of)
    facts = [
        Fact("Received", count(table.total("received"))),
        Fact("Completed in the quarter", count(table.completed)),
        Fact("Average days to complete", format_value("days", table.avg_days_to_complete)),
        Fact("Counted as of", day),
    ]
    return Response(
        title=QUARTER_TITLE.format(quarter=quarter.label, span=quarter.span, day=day),
        facts=facts,
        table=Table(["Month", "Received", "Not upheld", f"Completed within {due_days} days",
                     f"Not completed within {due_days} days", "Learning/recommendations"], rows),
        notes=[*notes, QUARTER_NOTE.format(day=day),
               (AVERAGE_NOTE if table.completed else NONE_COMPLETED).format(
                   count=table.completed, first=day_text(first), last=day)],
    )
