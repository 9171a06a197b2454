"""Complaint review answers shared by /reviews and the digests: this month and last, the overdue and nearly due cases, a quarter's table."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from answers.context import CommandContext
from answers.response import Fact, Response, Table
from storage.figures import format_day, format_value
from storage.freshness import age_text
from storage.periods import (
    Month, Quarter,
)
from storage.repository import review_log_span
from storage.review_queries import DueSoonReview, month_review_measures, quarter_review_table, review_deadlines

LOG_ENDS = "The review log's latest entry is {day}, {age} ago: cases received or completed since are not loaded yet."


EMPTY_LOG = "No complaint reviews are loaded yet: load the case log with `kpibot import reviews FILE`."


FUTURE = "{given} is after today, so this answers as of today ({today})."


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


def day_text(day: date) -> str:
    return format_day(day)


def counting_day(session: Session, context: CommandContext, explicit: date | None) -> tuple[date, list[str]]:
    """The date to count on: an explicit date (never after today), else today; with a line when the log has
    gone quiet by then, for cases may be missing from it."""
    today = context.today()
    if explicit is not None and explicit > today:
        return today, [FUTURE.format(given=day_text(explicit), today=day_text(today)),
                       *log_notes(session, today, today)]
    day = explicit or today
    return day, log_notes(session, day, today)


def log_notes(session: Session, day: date, today: date) -> list[str]:
    """A line when the log is empty, or when its latest entry is over a month before `day` (its age told
    from today)."""
    _, latest = review_log_span(session)
    if latest is None:
        return [EMPTY_LOG]
    if (day - latest).days > LOG_FRESH_DAYS:
        return [LOG_ENDS.format(day=day_text(latest), age=age_text(latest, today))]
    return []


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


def overdue_answer(session: Session, context: CommandContext, explicit: date | None) -> Response:
    """Overdue cases, oldest first; the cases due in the next few days follow as a second part."""
    as_of, notes = counting_day(session, context, explicit)
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
    return Response(title=DUE_SOON_TITLE.format(days=SOON_DAYS), table=due_soon_table(due_soon, SOON_DAYS))


def due_soon_table(due_soon: list[DueSoonReview], days: int) -> Table:
    """The cases falling due within `days`, as /reviews overdue and the morning review alert list them."""
    more = len(due_soon) - MAX_ROWS
    return Table(["Reference", "Received", "Due", "Days left"],
                 [[case.reference, day_text(case.received), day_text(case.due), str(case.days_left)]
                  for case in due_soon[:MAX_ROWS]],
                 caption=MORE_DUE_SOON.format(count=more, days=days) if more > 0 else None, lists_cases=True)


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
