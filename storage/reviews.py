"""Complaint reviews: the 28-day deadline, overdue cases and the monthly measures the Commissioner's update reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean
from typing import Iterable

from storage.periods import Month

OUTCOMES = ("upheld", "not upheld")


@dataclass(frozen=True)
class Review:
    reference: str
    received: date
    completed: date | None = None
    outcome: str | None = None
    learning: bool = False

    def due(self, due_days: int) -> date:
        return self.received + timedelta(days=due_days)

    def open_on(self, as_of: date) -> bool:
        return self.completed is None or self.completed > as_of

    def completed_within(self, due_days: int, as_of: date) -> bool:
        return not self.open_on(as_of) and self.completed <= self.due(due_days)

    def missed_deadline(self, due_days: int, as_of: date) -> bool:
        """Past its due date on `as_of` without having been completed by then."""
        due = self.due(due_days)
        return due < as_of and (self.open_on(as_of) or self.completed > due)

    def days_to_complete(self) -> int | None:
        return None if self.completed is None else (self.completed - self.received).days


@dataclass(frozen=True)
class MonthlyReviewMeasures:
    """One row of the reviews table: cases received in `month`, as they stood on `as_of`."""

    month: Month
    received: int
    completed_within_28_days: int
    not_completed_within_28_days: int
    upheld: int
    not_upheld: int
    learning: int
    completed_in_month: int
    avg_days_to_complete: float | None


def monthly_measures(reviews: Iterable[Review], month: Month, as_of: date, due_days: int = 28) -> MonthlyReviewMeasures:
    """Counts by month of receipt; average days over the reviews completed in the month."""
    reviews = list(reviews)
    cohort = [r for r in reviews if Month.of(r.received) == month and r.received <= as_of]
    closed = [r for r in cohort if not r.open_on(as_of)]
    finished_in_month = [
        r for r in reviews
        if r.completed is not None and r.completed <= as_of and Month.of(r.completed) == month
    ]
    return MonthlyReviewMeasures(
        month=month,
        received=len(cohort),
        completed_within_28_days=sum(r.completed_within(due_days, as_of) for r in cohort),
        not_completed_within_28_days=sum(r.missed_deadline(due_days, as_of) for r in cohort),
        upheld=sum(r.outcome == "upheld" for r in closed),
        not_upheld=sum(r.outcome == "not upheld" for r in closed),
        learning=sum(r.learning for r in closed),
        completed_in_month=len(finished_in_month),
        avg_days_to_complete=fmean(r.days_to_complete() for r in finished_in_month) if finished_in_month else None,
    )


def average_days_to_complete(reviews: Iterable[Review], first: date, last: date) -> float | None:
    days = [r.days_to_complete() for r in reviews if r.completed is not None and first <= r.completed <= last]
    return fmean(days) if days else None


@dataclass(frozen=True)
class OverdueReview:
    reference: str
    received: date
    due: date
    days_overdue: int


def overdue_reviews(reviews: Iterable[Review], as_of: date, due_days: int = 28) -> list[OverdueReview]:
    """Open reviews past their due date on `as_of`, oldest first."""
    rows = [
        OverdueReview(r.reference, r.received, r.due(due_days), (as_of - r.due(due_days)).days)
        for r in reviews if r.open_on(as_of) and r.received <= as_of and r.due(due_days) < as_of
    ]
    return sorted(rows, key=lambda row: (row.due, row.reference))


# Measures by slug, as the catalog names them; each reads one field of MonthlyReviewMeasures.
MEASURE_FIELDS = {
    "reviews-received": "received",
    "reviews-completed-within-28-days": "completed_within_28_days",
    "reviews-not-completed-within-28-days": "not_completed_within_28_days",
    "reviews-upheld": "upheld",
    "reviews-not-upheld": "not_upheld",
    "reviews-learning": "learning",
    "reviews-avg-days-to-complete": "avg_days_to_complete",
}
