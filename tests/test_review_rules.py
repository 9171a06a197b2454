"""Complaint reviews: due 28 calendar days after receipt; overdue = open and past due on the as-of date."""
from __future__ import annotations

from datetime import date

import pytest

from storage.periods import Month
from storage.reviews import Review, average_days_to_complete, monthly_measures, overdue_reviews

JULY = Month(2025, 7)
AS_OF = date(2025, 8, 20)


def test_review_is_due_28_days_after_receipt():
    # 1 Jul + 28 days = 29 Jul
    assert Review("R1", date(2025, 7, 1)).due(28) == date(2025, 7, 29)


def test_completed_on_day_28_counts_as_within():
    # received 1 Jul, due 29 Jul, completed 29 Jul
    review = Review("R1", date(2025, 7, 1), date(2025, 7, 29), "not upheld")
    row = monthly_measures([review], JULY, AS_OF)
    assert row.completed_within_28_days == 1
    assert row.not_completed_within_28_days == 0


def test_completed_on_day_29_is_not_within():
    # received 1 Jul, due 29 Jul, completed 30 Jul
    review = Review("R1", date(2025, 7, 1), date(2025, 7, 30), "not upheld")
    row = monthly_measures([review], JULY, AS_OF)
    assert row.completed_within_28_days == 0
    assert row.not_completed_within_28_days == 1


def test_open_past_due_is_not_completed_within_and_overdue():
    # received 10 Jul, due 7 Aug; still open on 20 Aug: 13 days overdue
    review = Review("R3", date(2025, 7, 10))
    row = monthly_measures([review], JULY, AS_OF)
    assert row.completed_within_28_days == 0
    assert row.not_completed_within_28_days == 1
    overdue = overdue_reviews([review], AS_OF)
    assert len(overdue) == 1
    assert overdue[0].reference == "R3"
    assert overdue[0].received == date(2025, 7, 10)
    assert overdue[0].due == date(2025, 8, 7)
    assert overdue[0].days_overdue == 13


def test_open_not_yet_due_counts_in_neither():
    # received 25 Jul, due 22 Aug; open on 20 Aug
    review = Review("R4", date(2025, 7, 25))
    row = monthly_measures([review], JULY, AS_OF)
    assert row.received == 1
    assert row.completed_within_28_days == 0
    assert row.not_completed_within_28_days == 0
    assert overdue_reviews([review], AS_OF) == []


def test_open_on_its_due_date_is_not_yet_overdue():
    # received 23 Jul, due 20 Aug = as-of date: not past due
    review = Review("R5", date(2025, 7, 23))
    assert overdue_reviews([review], AS_OF) == []
    assert monthly_measures([review], JULY, AS_OF).not_completed_within_28_days == 0


def test_open_one_day_past_due_is_one_day_overdue():
    # received 22 Jul, due 19 Aug; 20 Aug is one day past
    review = Review("R6", date(2025, 7, 22))
    assert [row.days_overdue for row in overdue_reviews([review], AS_OF)] == [1]


def test_completed_after_the_as_of_date_is_still_open_then():
    # received 15 Jul, due 12 Aug, completed 25 Aug; on 20 Aug it was open and 8 days overdue
    review = Review("R7", date(2025, 7, 15), date(2025, 8, 25), "upheld", learning=True)
    row = monthly_measures([review], JULY, AS_OF)
    assert row.not_completed_within_28_days == 1
    assert row.completed_within_28_days == 0
    assert [r.days_overdue for r in overdue_reviews([review], AS_OF)] == [8]


def test_completed_late_is_not_overdue():
    review = Review("R1", date(2025, 7, 1), date(2025, 8, 5), "upheld")
    assert overdue_reviews([review], AS_OF) == []


def test_cohort_is_by_month_of_receipt():
    reviews = [
        Review("JUN", date(2025, 6, 30), date(2025, 7, 5), "upheld"),
        Review("JUL-1", date(2025, 7, 1), date(2025, 7, 20), "upheld"),
        Review("JUL-31", date(2025, 7, 31)),
        Review("AUG", date(2025, 8, 1)),
    ]
    assert monthly_measures(reviews, JULY, AS_OF).received == 2
    assert monthly_measures(reviews, Month(2025, 6), AS_OF).received == 1
    assert monthly_measures(reviews, Month(2025, 8), AS_OF).received == 1


def test_reviews_received_after_the_as_of_date_are_not_counted():
    reviews = [Review("A", date(2025, 8, 10)), Review("B", date(2025, 8, 25))]
    assert monthly_measures(reviews, Month(2025, 8), AS_OF).received == 1


def test_outcomes_counted_only_once_completed_by_as_of():
    reviews = [
        Review("A", date(2025, 7, 1), date(2025, 7, 20), "upheld", learning=True),
        Review("B", date(2025, 7, 2), date(2025, 7, 25), "not upheld"),
        Review("C", date(2025, 7, 3), date(2025, 8, 10), "not upheld"),
        # completed after the as-of date: its outcome is not known on 20 Aug
        Review("D", date(2025, 7, 4), date(2025, 8, 25), "upheld", learning=True),
        Review("E", date(2025, 7, 5)),
    ]
    row = monthly_measures(reviews, JULY, AS_OF)
    assert row.received == 5
    assert row.upheld == 1
    assert row.not_upheld == 2
    assert row.learning == 1


def test_july_row_as_it_stood_on_20_august():
    reviews = [
        Review("R1", date(2025, 7, 1), date(2025, 7, 29), "upheld"),      # day 28: within
        Review("R2", date(2025, 7, 2), date(2025, 7, 31), "not upheld"),  # day 29: not within
        Review("R3", date(2025, 7, 10)),                                   # due 7 Aug: open, past due
        Review("R4", date(2025, 7, 25)),                                   # due 22 Aug: not yet due
    ]
    row = monthly_measures(reviews, JULY, AS_OF)
    assert row.month == JULY
    assert row.received == 4
    assert row.completed_within_28_days == 1
    assert row.not_completed_within_28_days == 2
    assert row.upheld == 1
    assert row.not_upheld == 1


def test_average_days_over_reviews_completed_in_the_month():
    reviews = [
        Review("A", date(2025, 6, 30), date(2025, 7, 5), "upheld"),       # 5 days, completed in July
        Review("B", date(2025, 7, 1), date(2025, 7, 29), "upheld"),       # 28 days
        Review("C", date(2025, 7, 2), date(2025, 7, 31), "not upheld"),   # 29 days
        Review("D", date(2025, 7, 3), date(2025, 8, 4), "not upheld"),    # completed in August: not July
        Review("E", date(2025, 7, 4)),                                     # open
    ]
    row = monthly_measures(reviews, JULY, AS_OF)
    # (5 + 28 + 29) / 3 = 20.666...
    assert row.completed_in_month == 3
    assert row.avg_days_to_complete == pytest.approx(62 / 3)


def test_average_days_ignores_completions_after_as_of():
    reviews = [
        Review("A", date(2025, 8, 1), date(2025, 8, 11), "upheld"),  # 10 days
        Review("B", date(2025, 8, 1), date(2025, 8, 25), "upheld"),  # completed after 20 Aug
    ]
    row = monthly_measures(reviews, Month(2025, 8), AS_OF)
    assert row.avg_days_to_complete == pytest.approx(10.0)


def test_average_days_with_nothing_completed_is_n_a():
    row = monthly_measures([Review("A", date(2025, 7, 1))], JULY, AS_OF)
    assert row.avg_days_to_complete is None


def test_average_days_to_complete_between_dates():
    reviews = [
        Review("A", date(2025, 6, 30), date(2025, 7, 5), "upheld"),      # 5 days
        Review("B", date(2025, 7, 1), date(2025, 7, 29), "upheld"),      # 28 days
        Review("C", date(2025, 7, 3), date(2025, 8, 4), "not upheld"),   # outside July
        Review("D", date(2025, 7, 4)),
    ]
    # (5 + 28) / 2 = 16.5
    assert average_days_to_complete(reviews, date(2025, 7, 1), date(2025, 7, 31)) == pytest.approx(16.5)
    assert average_days_to_complete(reviews, date(2025, 9, 1), date(2025, 9, 30)) is None


def test_overdue_list_is_oldest_first():
    reviews = [
        Review("NEWER", date(2025, 7, 15)),   # due 12 Aug: 8 days overdue
        Review("NOT-DUE", date(2025, 8, 1)),  # due 29 Aug
        Review("OLDEST", date(2025, 6, 1)),   # due 29 Jun: 1 + 31 + 20 = 52 days overdue
        Review("MIDDLE", date(2025, 7, 10)),  # due 7 Aug: 13 days overdue
        Review("DONE", date(2025, 6, 2), date(2025, 6, 20), "upheld"),
    ]
    rows = overdue_reviews(reviews, AS_OF)
    assert [r.reference for r in rows] == ["OLDEST", "MIDDLE", "NEWER"]
    assert [r.days_overdue for r in rows] == [52, 13, 8]


def test_due_days_is_configurable():
    # received 1 Jul, completed 25 Jul = 24 days: within 28, not within 20
    review = Review("A", date(2025, 7, 1), date(2025, 7, 25), "upheld")
    assert monthly_measures([review], JULY, AS_OF, due_days=28).completed_within_28_days == 1
    assert monthly_measures([review], JULY, AS_OF, due_days=20).completed_within_28_days == 0
    # open since 1 Aug with a 10-day limit: due 11 Aug, 9 days overdue on 20 Aug
    open_review = Review("B", date(2025, 8, 1))
    assert [r.days_overdue for r in overdue_reviews([open_review], AS_OF, due_days=10)] == [9]
