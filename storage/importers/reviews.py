"""Import the complaint review case log: reference,received,completed,outcome,learning."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import COMMAND_LINE, record_change
from storage.importers.common import (
    CellError, ImportRejected, ImportResult, Problem, echo, in_batches, insert_rows, is_blank, parse_day,
    require_columns, text, too_long,
)
from storage.importers.files import read_table
from storage.models import ImportRow, ReviewRow
from storage.reviews import Review

COLUMNS = ["reference", "received", "completed", "outcome", "learning"]
_OUTCOMES = {"upheld": "upheld", "not upheld": "not upheld", "not_upheld": "not upheld", "not-upheld": "not upheld"}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
COMPLETED_BEFORE_RECEIVED = "{completed} is before the date received, {received}"


def _key(reference: str) -> str:
    """A reference compared without case; the text itself when it is already upper case, so that a log of
    thousands of cases does not hold every reference twice while it is checked."""
    upper = reference.upper()
    return reference if upper == reference else upper


def read_reviews(path, today) -> tuple[object, list[Review]]:
    table = read_table(path)
    require_columns(table, ["reference", "received"], ["completed", "outcome", "learning"])
    problems: list[Problem] = []
    reviews: list[Review] = []
    seen: dict[str, int] = {}
    cell = lambda row, column: table.cell(row, column) if column in table.columns else None  # noqa: E731
    for number, row in table.numbered_rows(problems):
        reference = text(cell(row, "reference"))
        long_reference = too_long(reference, ReviewRow.reference, "reference")
        if not reference:
            problems.append(Problem(number, "reference", "no reference given"))
        elif long_reference:
            problems.append(Problem(number, "reference", long_reference))
            reference = ""
        elif _key(reference) in seen:
            problems.append(Problem(number, "reference", f"{reference} is also on row {seen[_key(reference)]}"))
        else:
            seen[_key(reference)] = number
        dates = {}
        for column in ("received", "completed"):
            raw = cell(row, column)
            if is_blank(raw):
                if column == "received":
                    problems.append(Problem(number, column, "no date given"))
                dates[column] = None
                continue
            try:
                dates[column] = parse_day(raw)
            except CellError as exc:
                problems.append(Problem(number, column, str(exc)))
                dates[column] = None
                continue
            if dates[column] > today:
                problems.append(Problem(number, column, f"{dates[column].isoformat()} is in the future"))
        received, completed = dates["received"], dates["completed"]
        if received and completed and completed < received:
            problems.append(Problem(number, "completed", COMPLETED_BEFORE_RECEIVED.format(
                completed=completed.isoformat(), received=received.isoformat())))
        outcome_text = " ".join(text(cell(row, "outcome")).lower().split())
        outcome = _OUTCOMES.get(outcome_text)
        if outcome_text and outcome is None:
            problems.append(Problem(number, "outcome", f"{echo(outcome_text)} is not an outcome; use upheld or not upheld"))
        elif completed is None and outcome:
            problems.append(Problem(number, "outcome", "an open review (no completed date) cannot have an outcome yet"))
        elif completed is not None and not outcome:
            problems.append(Problem(number, "outcome", "a completed review needs an outcome: upheld or not upheld"))
        learning_text = text(cell(row, "learning")).lower()
        if learning_text not in _YES | _NO:
            problems.append(Problem(number, "learning", f"{echo(learning_text)} is not yes or no"))
        if received and reference:
            reviews.append(Review(reference, received, completed, outcome, learning_text in _YES))
    if problems:
        raise ImportRejected(table.filename, problems)
    if not reviews:
        raise ImportRejected(table.filename, [Problem(None, None, "no reviews found under the header")])
    return table, reviews


def import_reviews(session: Session, path, loaded_by: str, now: datetime, place: str = COMMAND_LINE,
                   action: str = "import reviews") -> ImportResult:
    """Add new cases and update known references (a case closes when a later log gives its completed date);
    the change is audited in the same transaction."""
    table, reviews = read_reviews(path, now.date())
    existing = {
        row.reference.upper(): row
        for references in in_batches([r.reference for r in reviews])
        for row in session.scalars(select(ReviewRow).where(ReviewRow.reference.in_(references)))
    }
    new_rows: list[dict] = []
    inserted = replaced = unchanged = 0
    for review in reviews:
        fields = dict(received_on=review.received, completed_on=review.completed, outcome=review.outcome,
                      learning=review.learning)
        row = existing.get(review.reference.upper())
        if row is None:
            new_rows.append(dict(reference=review.reference, source=table.filename, loaded_by=loaded_by,
                                 loaded_at=now, **fields))
            inserted += 1
        elif all(getattr(row, k) == v for k, v in fields.items()):
            unchanged += 1
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.source, row.loaded_by, row.loaded_at = table.filename, loaded_by, now
            replaced += 1
    insert_rows(session, ReviewRow, new_rows)
    session.add(ImportRow(kind="reviews", filename=table.filename, sha256=table.sha256, rows=len(reviews),
                          inserted=inserted, replaced=replaced, loaded_by=loaded_by, loaded_at=now))
    result = ImportResult("reviews", table.filename, len(reviews), inserted, replaced, unchanged)
    record_change(session, now, loaded_by, place, action, result.summary())
    session.flush()
    return result
