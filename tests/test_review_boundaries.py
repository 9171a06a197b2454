"""Complaint review rules on the day itself: a case received, completed or reported on the as-of date."""
from __future__ import annotations

from datetime import date

import pytest

from storage.periods import Month
from storage.reviews import Review, average_days_to_complete, monthly_measures

SEPTEMBER = Month(2025, 9)
AS_OF = date(2025, 9, 30)


def test_a_review_completed_on_the_as_of_day_is_closed_on_it():
    review = Review("R1", date(2025, 9, 1), date(2025, 9, 30), "upheld")
    assert review.open_on(date(2025, 9, 29))
    assert not review.open_on(date(2025, 9, 30))


def test_an_open_review_has_no_days_to_complete():
    assert Review("R1", date(2025, 9, 1)).days_to_complete() is None
    # 1 Sep to 30 Sep: 29 days
    assert Review("R2", date(2025, 9, 1), date(2025, 9, 30)).days_to_complete() == 29


def test_a_review_received_on_the_as_of_day_is_counted_that_day():
    row = monthly_measures([Review("R1", date(2025, 9, 30))], SEPTEMBER, AS_OF)
    assert row.received == 1
    assert monthly_measures([Review("R1", date(2025, 9, 30))], SEPTEMBER, date(2025, 9, 29)).received == 0


def test_a_review_completed_on_the_as_of_day_counts_in_that_month():
    # received 2 Sep, completed 30 Sep: 28 days
    review = Review("R1", date(2025, 9, 2), date(2025, 9, 30), "upheld")
    row = monthly_measures([review], SEPTEMBER, AS_OF)
    assert row.completed_in_month == 1
    assert row.avg_days_to_complete == 28
    assert row.upheld == 1


def test_average_days_includes_reviews_completed_on_the_first_and_last_day():
    reviews = [
        Review("R1", date(2025, 6, 20), date(2025, 7, 1)),    # 11 days, on the first day
        Review("R2", date(2025, 9, 1), date(2025, 9, 30)),    # 29 days, on the last day
        Review("R3", date(2025, 6, 1), date(2025, 6, 30)),    # before the range
        Review("R4", date(2025, 9, 1), date(2025, 10, 1)),    # after it
        Review("R5", date(2025, 9, 1)),                       # open
    ]
    # (11 + 29) / 2 = 20
    assert average_days_to_complete(reviews, date(2025, 7, 1), date(2025, 9, 30)) == pytest.approx(20.0)
