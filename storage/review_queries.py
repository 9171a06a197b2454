"""Complaint review tables from the case log: months, a quarter as the Panel update prints it, and due dates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from sqlalchemy.orm import Session

from storage.periods import Month, Quarter
from storage.repository import open_reviews, reviews_touching
from storage.reviews import (
    MonthlyReviewMeasures, OverdueReview, Review, average_days_to_complete, monthly_measures, overdue_reviews,
)


@dataclass(frozen=True)
class DueSoonReview:
    reference: str
    received: date
    due: date
    days_left: int


def due_soon_reviews(reviews: Iterable[Review], as_of: date, within_days: int = 7,
                     due_days: int = 28) -> list[DueSoonReview]:
    """Open reviews not yet past due on `as_of` whose due date falls within the next `within_days` days."""
    last = as_of + timedelta(days=within_days)
    rows = [
        DueSoonReview(r.reference, r.received, r.due(due_days), (r.due(due_days) - as_of).days)
        for r in reviews if r.open_on(as_of) and r.received <= as_of and as_of <= r.due(due_days) <= last
    ]
    return sorted(rows, key=lambda row: (row.due, row.reference))


@dataclass(frozen=True)
class ReviewDeadlines:
    """Where the open cases stand on `as_of`."""

    as_of: date
    open_count: int
    overdue: list[OverdueReview]
    due_soon: list[DueSoonReview]


def review_deadlines(session: Session, as_of: date, due_days: int = 28, within_days: int = 7) -> ReviewDeadlines:
    cases = open_reviews(session, as_of)
    return ReviewDeadlines(as_of, len(cases), overdue_reviews(cases, as_of, due_days),
                           due_soon_reviews(cases, as_of, within_days, due_days))


def month_review_measures(session: Session, months: list[Month], as_of: date,
                          due_days: int = 28) -> list[MonthlyReviewMeasures]:
    """Each month's measures, all counted as they stood on `as_of`."""
    if not months:
        return []
    reviews = reviews_touching(session, min(months).first_day, as_of)
    return [monthly_measures(reviews, month, as_of, due_days) for month in months]


@dataclass(frozen=True)
class QuarterReviewTable:
    """The complaint reviews table of a quarter, counted on `as_of`, with its total row."""

    quarter: Quarter
    as_of: date
    months: list[MonthlyReviewMeasures]
    completed: int
    avg_days_to_complete: float | None

    def total(self, field: str) -> int:
        return sum(getattr(m, field) for m in self.months)


def quarter_review_table(session: Session, quarter: Quarter, as_of: date, due_days: int = 28) -> QuarterReviewTable:
    """Counts by month of receipt; the average days over every review completed in the quarter up to `as_of`."""
    first = quarter.months[0].first_day
    last = min(quarter.months[-1].last_day, as_of)
    reviews = reviews_touching(session, first, last)
    completed = [r for r in reviews if r.completed is not None and first <= r.completed <= last]
    return QuarterReviewTable(
        quarter=quarter,
        as_of=last,
        months=[monthly_measures(reviews, month, last, due_days) for month in quarter.months],
        completed=len(completed),
        avg_days_to_complete=average_days_to_complete(reviews, first, last),
    )
