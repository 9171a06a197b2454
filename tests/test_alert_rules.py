"""The rules alerts follow, worked by hand: RAG turns, thresholds, exactly-once keys and the review morning."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from storage.alert_rules import (
    CLEARED, CROSSED, RECOVERED, WORSE, ThresholdSubscription, Turn, alert_key, alert_message_lines,
    comparison_facts, due_alerts, rag_turns, review_alert_due, threshold_state, threshold_turns, told_to,
)
from storage.kpi import Point, panel_comparison
from storage.periods import Month, Quarter
from storage.working_days import bank_holidays, is_working_day
from tests.kpi_points import metric, run

UTC = timezone.utc
SEP = Month(2025, 9)
ORDER = ("volunteer-hours", "icv-visits", "complaints-upheld")
NAMES = {"volunteer-hours": "Volunteer hours", "icv-visits": "ICV visits", "complaints-upheld": "Complaints upheld"}


# Turns of RAG

@pytest.mark.parametrize("old, new, kind", [
    ("green", "amber", WORSE), ("green", "red", WORSE), ("amber", "red", WORSE),
    ("red", "amber", RECOVERED), ("red", "green", RECOVERED), ("amber", "green", RECOVERED),
])
def test_a_rag_that_changes_turns_worse_or_recovers(old, new, kind):
    assert rag_turns({"icv-visits": old}, {"icv-visits": new}, ORDER) == [Turn("icv-visits", old, new, kind)]


@pytest.mark.parametrize("old, new", [
    ("red", "red"), ("green", "green"), (None, "red"), ("green", None), (None, None),
])
def test_no_turn_when_unchanged_or_without_rag_on_either_side(old, new):
    assert rag_turns({"icv-visits": old}, {"icv-visits": new}, ORDER) == []


def test_a_metric_new_in_the_load_has_not_turned():
    assert rag_turns({}, {"icv-visits": "red"}, ORDER) == []


def test_turns_come_in_catalog_order_and_unlisted_metrics_last():
    before = {"complaints-upheld": "green", "zz-extra": "green", "volunteer-hours": "green", "aa-extra": "red"}
    after = {"complaints-upheld": "red", "zz-extra": "amber", "volunteer-hours": "amber", "aa-extra": "green"}
    assert [t.slug for t in rag_turns(before, after, ORDER)] == [
        "volunteer-hours", "complaints-upheld", "aa-extra", "zz-extra"]


def test_a_turn_carries_the_period_and_figure_given():
    turns = rag_turns({"volunteer-hours": "green"}, {"volunteer-hours": "red"}, ORDER,
                      periods={"volunteer-hours": SEP}, figures={"volunteer-hours": "48 hours in Sep 2025"})
    assert turns == [Turn("volunteer-hours", "green", "red", WORSE, SEP, "48 hours in Sep 2025")]


def test_facts_from_panel_comparisons():
    # 40 + 50 + 48 = 138 hours in Jul-Sep against a target of 150: short by 12, more than 5% of 150 (7.5): red.
    hours = metric("volunteer-hours", unit="hours", aggregate="sum", target=150.0)
    # A quarter at 60% against 70%: short by 10 points, more than 2: red.
    visits = metric("icv-visits", unit="percent", frequency="quarterly", target=70.0)
    neutral = metric("complaints-upheld", polarity="neutral")
    facts = comparison_facts([
        panel_comparison(hours, run("2025-07", [40.0, 50.0, 48.0])),
        panel_comparison(visits, [Point(Quarter(2025, 2), 60.0)]),
        panel_comparison(neutral, run("2025-09", [3.0])),
    ])
    assert facts.rags == {"volunteer-hours": "red", "icv-visits": "red", "complaints-upheld": None}
    assert facts.values == {"volunteer-hours": 138.0, "icv-visits": 60.0, "complaints-upheld": None}
    assert facts.periods == {"volunteer-hours": SEP, "icv-visits": Quarter(2025, 2), "complaints-upheld": SEP}
    assert facts.figures == {"volunteer-hours": "138 hours in Jul-Sep 2025", "icv-visits": "60% in 2025/26 Q2",
                             "complaints-upheld": None}


# Thresholds

@pytest.mark.parametrize("value, direction, limit, expected", [
    (48.0, "below", 50.0, "crossed"), (52.0, "below", 50.0, "clear"), (50.0, "below", 50.0, "clear"),
    (11.0, "above", 10.0, "crossed"), (9.0, "above", 10.0, "clear"), (10.0, "above", 10.0, "clear"),
    (None, "below", 50.0, None),
])
def test_threshold_state_and_equal_to_the_limit_is_not_crossed(value, direction, limit, expected):
    assert threshold_state(value, direction, limit) == expected


def test_an_unknown_threshold_direction_is_refused():
    with pytest.raises(ValueError, match="below or above"):
        threshold_state(1.0, "under", 2.0)
    with pytest.raises(ValueError, match="below or above"):
        ThresholdSubscription(1, "icv-visits", "under", 2.0)


def test_threshold_turns_cross_and_clear():
    subscriptions = [ThresholdSubscription(7, "volunteer-hours", "below", 50.0),
                     ThresholdSubscription(3, "icv-visits", "above", 10.0),
                     ThresholdSubscription(4, "complaints-upheld", "above", 2.0)]
    before = {"volunteer-hours": 52.0, "icv-visits": 12.0, "complaints-upheld": 1.0}
    after = {"volunteer-hours": 48.0, "icv-visits": 10.0, "complaints-upheld": 2.0}
    turns = threshold_turns(before, after, subscriptions, ORDER, periods={"volunteer-hours": SEP},
                            units={"volunteer-hours": "hours", "icv-visits": "percent"})
    assert turns == [
        Turn("volunteer-hours", "clear", "crossed", CROSSED, SEP, None, 7, "below", "50 hours"),
        # 10% is equal to the line, so back on the right side of it.
        Turn("icv-visits", "crossed", "clear", CLEARED, None, None, 3, "above", "10%"),
    ]


def test_no_threshold_turn_without_a_value_on_either_side():
    subscription = ThresholdSubscription(1, "volunteer-hours", "below", 50.0)
    assert threshold_turns({}, {"volunteer-hours": 40.0}, [subscription]) == []
    assert threshold_turns({"volunteer-hours": 40.0}, {"volunteer-hours": None}, [subscription]) == []


# Exactly once, and re-arming

def _worse(new="red", old="green", period=SEP):
    return Turn("volunteer-hours", old, new, WORSE, period, subscription_id=5)


def _recovered(new="green", old="red", period=SEP):
    return Turn("volunteer-hours", old, new, RECOVERED, period, subscription_id=5)


def test_alert_key_is_short_stable_and_tells_its_parts_apart():
    key = alert_key(5, "volunteer-hours", SEP, "red")
    assert key == alert_key(5, "volunteer-hours", "2025-09", "red")
    assert key.startswith("alert:") and len(key) == 16   # a delivery ledger period holds 16 characters
    others = {alert_key(6, "volunteer-hours", SEP, "red"), alert_key(5, "icv-visits", SEP, "red"),
              alert_key(5, "volunteer-hours", Month(2025, 10), "red"), alert_key(5, "volunteer-hours", SEP, "amber"),
              alert_key(5, "volunteer-hours", SEP, "red", 1)}
    assert key not in others and len(others) == 5


def test_a_turn_is_told_once():
    first = due_alerts([_worse()], set())
    assert first == [type(first[0])(alert_key(5, "volunteer-hours", SEP, "red"), _worse())]
    assert due_alerts([_worse()], {first[0].key}) == []


def test_due_alerts_leaves_the_ledger_keys_given_alone():
    sent: set[str] = set()
    due_alerts([_worse()], sent)
    assert sent == set()


def test_the_same_figures_loaded_again_give_nothing_new():
    before = {"volunteer-hours": "green"}
    after = {"volunteer-hours": "red"}
    periods = {"volunteer-hours": SEP}
    sent = {a.key for a in due_alerts(told_to(rag_turns(before, after, ORDER, periods=periods), 5), set())}
    assert len(sent) == 1
    # Loading the same file again: before and after are both red, no turn, nothing due.
    assert due_alerts(told_to(rag_turns(after, after, ORDER, periods=periods), 5), sent) == []


def test_a_recovery_re_arms_and_a_later_turn_for_the_worse_is_told_again():
    sent: set[str] = set()
    steps = [_worse(), _recovered(), _worse(), _recovered()]
    keys = []
    for turn in steps:
        due = due_alerts([turn], sent)
        assert [a.turn for a in due] == [turn]
        keys.append(due[0].key)
        sent |= {due[0].key}
        # The same turn worked out again (a retry) is not told twice.
        assert due_alerts([turn], sent) == []
    assert keys == [alert_key(5, "volunteer-hours", SEP, "red"), alert_key(5, "volunteer-hours", SEP, "recovered"),
                    alert_key(5, "volunteer-hours", SEP, "red", 1),
                    alert_key(5, "volunteer-hours", SEP, "recovered", 1)]


def test_one_recovery_is_told_per_turn_for_the_worse():
    sent = {a.key for a in due_alerts([_worse("amber"), _worse("red", "amber"), _recovered("amber")], set())}
    assert len(sent) == 3
    assert due_alerts([_recovered("green", "amber")], sent) == []
    assert [a.turn for a in due_alerts([_worse("red", "amber")], sent)] == [_worse("red", "amber")]


def test_a_new_period_is_a_new_alert():
    sent = {a.key for a in due_alerts([_worse()], set())}
    october = _worse(period=Month(2025, 10))
    assert [a.turn for a in due_alerts([october], sent)] == [october]


def test_each_subscription_hears_once():
    turns = rag_turns({"volunteer-hours": "green"}, {"volunteer-hours": "red"}, ORDER, periods={"volunteer-hours": SEP})
    first, second = due_alerts(told_to(turns, 1), set()), due_alerts(told_to(turns, 2), set())
    assert first[0].key != second[0].key


# Message

def test_a_load_that_turns_many_metrics_is_one_message_worse_first():
    hours_red = Turn("volunteer-hours", "green", "red", WORSE, SEP, "48 hours in Sep 2025")
    visits_back = Turn("icv-visits", "red", "green", RECOVERED, Quarter(2025, 2), "82% in 2025/26 Q2")
    upheld_amber = Turn("complaints-upheld", "green", "amber", WORSE, SEP)
    hours_low = Turn("volunteer-hours", "clear", "crossed", CROSSED, SEP, "48 hours in Sep 2025", 7, "below",
                     "50 hours")
    visits_clear = Turn("icv-visits", "crossed", "clear", CLEARED, None, "82% in 2025/26 Q2", 8, "below", "80%")
    lines = alert_message_lines([visits_back, hours_red, visits_clear, upheld_amber, hours_low], NAMES)
    assert lines == [
        "Volunteer hours turned Red (was Green): 48 hours in Sep 2025",
        "Complaints upheld turned Amber (was Green)",
        "Volunteer hours fell below 50 hours: 48 hours in Sep 2025",
        "ICV visits recovered to Green (was Red): 82% in 2025/26 Q2",
        "ICV visits is no longer below 80%: 82% in 2025/26 Q2",
    ]


def test_twenty_metrics_turning_give_twenty_lines_of_one_message():
    slugs = [f"metric-{n:02d}" for n in range(20)]
    turns = rag_turns(dict.fromkeys(slugs, "green"), dict.fromkeys(slugs, "red"), slugs)
    lines = alert_message_lines(turns, {})
    assert len(lines) == 20
    assert lines[0] == "metric-00 turned Red (was Green)"


def test_a_threshold_above_is_worded_as_rising():
    turn = Turn("complaints-upheld", "clear", "crossed", CROSSED, SEP, "3 in Sep 2025", 4, "above", "2")
    assert alert_message_lines([turn], NAMES) == ["Complaints upheld rose above 2: 3 in Sep 2025"]


# The review deadline alert, each working morning at 09:00 local

def test_the_calendar_moved_below_digests_keeps_its_days():
    assert date(2026, 4, 6) in bank_holidays(2026) and date(2026, 8, 31) in bank_holidays(2026)
    assert is_working_day(date(2026, 4, 7)) and not is_working_day(date(2026, 4, 3))


@pytest.mark.parametrize("moment, expected", [
    # Monday 12 Oct 2026 (summer time: 09:00 local is 08:00 UTC).
    (datetime(2026, 10, 12, 7, 59, tzinfo=UTC), None),
    (datetime(2026, 10, 12, 8, 0, tzinfo=UTC), date(2026, 10, 12)),
    (datetime(2026, 10, 12, 12, 0, tzinfo=UTC), date(2026, 10, 12)),
    (datetime(2026, 10, 12, 22, 59, tzinfo=UTC), date(2026, 10, 12)),
    # 23:00 UTC is midnight on Tuesday in London, before that morning's 09:00.
    (datetime(2026, 10, 12, 23, 0, tzinfo=UTC), None),
    # Saturday 10 Oct 2026.
    (datetime(2026, 10, 10, 10, 0, tzinfo=UTC), None),
    # Easter Monday, 6 Apr 2026, and the day after.
    (datetime(2026, 4, 6, 10, 0, tzinfo=UTC), None),
    (datetime(2026, 4, 7, 10, 0, tzinfo=UTC), date(2026, 4, 7)),
    # The late August bank holiday, Monday 31 Aug 2026.
    (datetime(2026, 8, 31, 10, 0, tzinfo=UTC), None),
])
def test_review_alert_due_on_working_mornings(moment, expected):
    assert review_alert_due(moment) == expected


@pytest.mark.parametrize("moment, expected", [
    # Friday 27 Mar 2026 is still winter time: 09:00 local is 09:00 UTC.
    (datetime(2026, 3, 27, 8, 59, tzinfo=UTC), None),
    (datetime(2026, 3, 27, 9, 0, tzinfo=UTC), date(2026, 3, 27)),
    # Sunday 29 Mar 2026, the clocks go forward: no alert at any hour.
    (datetime(2026, 3, 29, 8, 0, tzinfo=UTC), None),
    (datetime(2026, 3, 29, 9, 0, tzinfo=UTC), None),
    # Monday 30 Mar 2026 is summer time: 09:00 local is 08:00 UTC.
    (datetime(2026, 3, 30, 7, 59, tzinfo=UTC), None),
    (datetime(2026, 3, 30, 8, 0, tzinfo=UTC), date(2026, 3, 30)),
    # Friday 23 Oct 2026, summer time still.
    (datetime(2026, 10, 23, 8, 0, tzinfo=UTC), date(2026, 10, 23)),
    # Sunday 25 Oct 2026, the clocks go back.
    (datetime(2026, 10, 25, 9, 0, tzinfo=UTC), None),
    # Monday 26 Oct 2026 is winter time: at 08:30 UTC it is 08:30 local, not yet 09:00.
    (datetime(2026, 10, 26, 8, 30, tzinfo=UTC), None),
    (datetime(2026, 10, 26, 9, 0, tzinfo=UTC), date(2026, 10, 26)),
])
def test_review_alert_due_around_the_clock_changes(moment, expected):
    assert review_alert_due(moment) == expected


def test_asking_every_few_minutes_gives_one_day_per_morning():
    moments = [datetime(2026, 10, 12, 7, 0, tzinfo=UTC).replace(minute=m) for m in range(0, 60, 5)]
    moments += [datetime(2026, 10, 12, 8, 0, tzinfo=UTC).replace(minute=m) for m in range(0, 60, 5)]
    days = {review_alert_due(moment) for moment in moments} - {None}
    assert days == {date(2026, 10, 12)}


def test_review_alert_hour_and_zone_can_be_set():
    assert review_alert_due(datetime(2026, 10, 12, 6, 30, tzinfo=UTC), hour=7) == date(2026, 10, 12)
    assert review_alert_due(datetime(2026, 10, 12, 6, 30, tzinfo=UTC), timezone="UTC", hour=7) is None


def test_review_alert_refuses_a_moment_without_its_zone():
    with pytest.raises(ValueError, match="time zone"):
        review_alert_due(datetime(2026, 10, 12, 9, 0))
