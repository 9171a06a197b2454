"""/reviews: complaint reviews by month, the overdue and nearly due cases, and a quarter's table for the Panel."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from answers.context import CommandContext
from commands.options import OptionError, split_options
from commands.registry import CommandRegistry, CommandRequest
from answers.response import ECHO_LIMIT, Response, error, shorten
from storage.periods import (
    FinancialYear, Month, PeriodError, Quarter, last_complete_quarter, parse_period_text, parse_when,
)
from storage.repository import review_log_span
from answers.reviews import (
    FUTURE, counting_day, day_text, log_notes, months_answer, overdue_answer, quarter_answer,
)

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

LOG_LATEST_QUARTER = "The latest quarter in the log is {quarter}: /reviews {quarter}"
PARTIAL_QUARTER = "{quarter} is not over: counted as of {day}."


_LOOKS_LIKE_PERIOD = re.compile(r"\d{4}\s*[/-]|\bq\s*\d|\bfy\b", re.I)
_STRAY_AS_OF = re.compile(r"\bas\s+of\b", re.I)


def register(registry: CommandRegistry) -> None:
    # Lists of cases (by reference) are sensitive; counts are not. The case tables are marked as listing cases,
    # and the registry answers with counts only wherever the asker may not see them.
    registry.add("/reviews", reviews_command, HELP)


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
    as_of, notes = counting_day(session, context, explicit)
    return months_answer(session, context, as_of, notes)


# --- overdue and nearly due -----------------------------------------------------------------------------


# --- a quarter's table ----------------------------------------------------------------------------------

def _quarter_form(session: Session, context: CommandContext, text: str, explicit: date | None,
                  bare: bool = False) -> Response:
    if not text and not bare:
        as_of, notes = counting_day(session, context, explicit)
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
        as_of, notes = counting_day(session, context, min(period.last_day, explicit) if explicit else period.last_day)
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
    notes += [*log_notes(session, count_day, today), *_latest_quarter_hint(session, period)]
    return quarter_answer(session, context, period, count_day, notes)


def _latest_quarter_hint(session: Session, quarter: Quarter) -> list[str]:
    """Where the log ends before `quarter` begins, the quarter its latest entry falls in: one that has cases."""
    _, latest = review_log_span(session)
    if latest is None or latest >= quarter.months[0].first_day:
        return []
    return [LOG_LATEST_QUARTER.format(quarter=Month.of(latest).quarter.label)]


