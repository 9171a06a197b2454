"""Digests: schedules in local time, content from the commands' own figures, and delivery exactly once through
the platform port (the in-memory platform; Slack's own delivery is in test_slack_digests.py)."""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_registry
from digests.content import digest_builder
from digests.delivery import DeliveryPolicy, Target, deliver, run_due
from digests.schedule import (
    Schedule, ScheduleError, first_working_day_after, latest_due, next_due, occurrence_for, weekly_occurrence,
)
from digests.scheduler import DigestScheduler, cron_trigger
from storage import digest_store
from storage.db import Database
from tests.memory_platform import NOT_HERE_HINT, MemoryPlatform

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
# Monday 6 October 2025, 08:00 in London is 07:00 UTC (British Summer Time).
MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=UTC)


# --- schedules --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("after, expected_utc", [
    # Clocks go back on Sun 26 Oct 2025: 08:00 local is 07:00 UTC before, 08:00 UTC after.
    (datetime(2025, 10, 21, tzinfo=UTC), datetime(2025, 10, 27, 8, 0, tzinfo=UTC)),
    (datetime(2025, 10, 14, tzinfo=UTC), datetime(2025, 10, 20, 7, 0, tzinfo=UTC)),
    # Clocks go forward on Sun 29 Mar 2026.
    (datetime(2026, 3, 24, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
    (datetime(2026, 3, 17, tzinfo=UTC), datetime(2026, 3, 23, 8, 0, tzinfo=UTC)),
])
def test_weekly_fires_at_eight_local_either_side_of_the_clock_change(after, expected_utc):
    fire = cron_trigger(Schedule("weekly")).get_next_fire_time(None, after)
    assert fire == expected_utc
    assert fire.astimezone(LONDON).hour == 8 and fire.astimezone(LONDON).weekday() == 0
    assert next_due(Schedule("weekly"), after).scheduled_for == expected_utc


@pytest.mark.parametrize("quarter_end, expected", [
    (date(2025, 9, 30), date(2025, 10, 1)),   # a Wednesday
    (date(2025, 12, 31), date(2026, 1, 2)),   # New Year's Day is a bank holiday
    (date(2026, 6, 30), date(2026, 7, 1)),
    (date(2024, 3, 31), date(2024, 4, 2)),    # Easter Monday 1 April 2024
    (date(2027, 3, 31), date(2027, 4, 1)),
    (date(2026, 9, 30), date(2026, 10, 1)),
    (date(2027, 12, 31), date(2028, 1, 4)),   # Sat 1 Jan, so Monday 3 Jan is the substitute holiday
])
def test_quarterly_is_due_the_first_working_day_after_the_quarter(quarter_end, expected):
    assert first_working_day_after(quarter_end) == expected


def test_schedules_inside_the_clock_change_hour_are_refused():
    with pytest.raises(ScheduleError, match="01:00-02:00 is when the clocks change"):
        Schedule("weekly", hour=1, minute=30)
    with pytest.raises(ScheduleError, match="not a digest"):
        Schedule("daily")


def test_latest_due_and_periods():
    weekly = latest_due(Schedule("weekly"), datetime(2025, 10, 8, 12, tzinfo=UTC))
    assert (weekly.period, weekly.scheduled_for) == ("2025-W41", MONDAY_6_OCT)
    quarterly = latest_due(Schedule("quarterly"), datetime(2025, 10, 8, 12, tzinfo=UTC))
    assert (quarterly.period, quarterly.scheduled_for) == ("2025/26 Q2", datetime(2025, 10, 1, 7, 0, tzinfo=UTC))
    assert occurrence_for("quarterly", date(2025, 10, 6)).period == "2025/26 Q2"


# --- content ----------------------------------------------------------------------------------------------

@pytest.fixture
def registry(demo_db, settings):
    return build_registry(settings, demo_db, clock=lambda: MONDAY_6_OCT + timedelta(minutes=5))


def _weekly(registry, day=date(2025, 10, 6)):
    occurrence = replace(weekly_occurrence(Schedule("weekly"), day), as_of=day)
    return digest_builder(registry.context)(occurrence), occurrence


def test_weekly_digest_says_what_the_commands_say(registry):
    digest, _ = _weekly(registry)
    assert digest.held_reason is None
    text = json.dumps([part.__dict__ for part in digest.message.parts], default=str)
    # The watch list: volunteer hours are red, as /kpi volunteer-hours says.
    watch = next(p for p in digest.message.parts if p.title == "Red and amber metrics")
    rows = {row[0]: row for row in watch.table.rows}
    assert rows["Volunteer hours"][1:] == ["Jul-Sep 2025", "50.7 hours", "baseline 75 hours", "Red"]
    assert rows["Volunteer hours"][2] in registry.run_line("/kpi volunteer-hours").title
    # Overdue reviews as /reviews overdue counts them on the same day.
    overdue = registry.run_line("/reviews overdue as of 2025-10-06")
    assert any(overdue.title in p.title for p in digest.message.parts)
    # CSP: the areas with nil spend lag the year.
    assert "SNWLP" in text and "Harborough" in text and "Oadby and Wigston" in text
    assert 2 <= len(digest.charts) <= 4
    for chart in digest.charts:
        assert chart.png[:8] == b"\x89PNG\r\n\x1a\n" and chart.alt_text


def test_quarterly_digest_has_the_panel_comparison_and_reviews_table(registry):
    digest = digest_builder(registry.context)(occurrence_for("quarterly", date(2025, 10, 1)))
    assert digest.held_reason is None
    public = next(p for p in digest.message.parts if p.title == "Public Interaction")
    rows = {row[0]: row for row in public.table.rows}
    assert rows["Calls answered under 25 seconds"][1:3] == ["Jul-Sep 2025", "58%"]
    assert rows["Correspondence responded to within 28 working days"][4] == "+54pp"
    reviews = next(p for p in digest.message.parts if p.title.startswith("Complaint reviews 2025/26 Q2"))
    assert [r[1] for r in reviews.table.rows] == ["18", "24", "24", "66"]


def test_a_digest_with_no_figures_is_held(db, settings):
    registry = build_registry(settings, db, clock=lambda: MONDAY_6_OCT)
    digest, _ = _weekly(registry)
    assert digest.held_reason and "no figures" in digest.held_reason


# --- delivery ---------------------------------------------------------------------------------------------

@pytest.fixture
def platform():
    return MemoryPlatform()


def _policy(**kwargs):
    return DeliveryPolicy(**kwargs)


def _subscribe(db, platform, channel, kind="weekly", user="U0ADMIN", at=MONDAY_6_OCT - timedelta(days=30)):
    subscription, _ = digest_store.subscribe(db, platform.address(channel), kind, "mon", 8, 0, "Europe/London", user,
                                             at)
    return subscription


def test_weekly_digest_posts_once_with_its_charts(registry, platform):
    digest, occurrence = _weekly(registry)
    clock = lambda: MONDAY_6_OCT + timedelta(minutes=1)  # noqa: E731
    target = Target(platform.address("C0LEAD"))
    first = deliver(registry.context.db, platform, target, occurrence, lambda: digest, clock, _policy(), "test")
    second = deliver(registry.context.db, platform, target, occurrence, lambda: digest, clock, _policy(), "test")
    assert (first.state, second.state) == ("posted", "already")
    assert (first.message_ref, first.channel_id) == ("m1", "C0LEAD")
    [message] = platform.messages_to("C0LEAD")
    assert message.key == "C0LEAD:weekly:2025-W41"
    assert len(message.response.charts) == len(digest.charts) >= 2
    assert all(c.png[:4] == b"\x89PNG" and c.alt_text for c in message.response.charts)
    [record] = digest_store.deliveries(registry.context.db, platform.address("C0LEAD"))
    assert (record.address, record.state, record.message_ref, record.attempts) == (
        platform.address("C0LEAD"), "posted", "m1", 1)


def test_a_claim_left_by_a_crashed_process_is_reconciled_not_reposted(registry, platform):
    digest, occurrence = _weekly(registry)
    db = registry.context.db
    address = platform.address("C0LEAD")
    # A process claimed, posted, and died before recording the post.
    claim = digest_store.claim(db, address, "weekly", occurrence.period, occurrence.scheduled_for, None, "dead:1",
                               "schedule", MONDAY_6_OCT, timedelta(minutes=10), 5)
    platform.deliver(address, digest.message, claim.key)
    later = lambda: MONDAY_6_OCT + timedelta(minutes=30)  # noqa: E731
    outcome = deliver(db, platform, Target(address), occurrence, lambda: digest, later, _policy(), "catch-up")
    assert (outcome.state, outcome.message_ref) == ("reconciled", "m1")
    assert len(platform.messages_to("C0LEAD")) == 1
    assert [(r.state, r.message_ref) for r in digest_store.deliveries(db, address)] == [("posted", "m1")]


def test_a_stale_claim_with_nothing_posted_is_delivered_once(registry, platform):
    digest, occurrence = _weekly(registry)
    db = registry.context.db
    address = platform.address("C0LEAD")
    digest_store.claim(db, address, "weekly", occurrence.period, occurrence.scheduled_for, None, "dead:1",
                       "schedule", MONDAY_6_OCT, timedelta(minutes=10), 5)
    soon = lambda: MONDAY_6_OCT + timedelta(minutes=2)  # noqa: E731
    assert deliver(db, platform, Target(address), occurrence, lambda: digest, soon, _policy(),
                   "t").state == "already"  # the claim is fresh: its holder may still be working
    later = lambda: MONDAY_6_OCT + timedelta(minutes=30)  # noqa: E731
    assert deliver(db, platform, Target(address), occurrence, lambda: digest, later, _policy(),
                   "t").state == "posted"
    assert len(platform.messages_to("C0LEAD")) == 1
    assert platform.lookups == 1   # looked once before posting again


def test_not_a_member_is_reported_to_the_subscriber_once(registry, platform):
    db = registry.context.db
    _subscribe(db, platform, "C0GONE")
    platform.outside.add("C0GONE")
    build = digest_builder(registry.context)
    first = run_due(db, {platform.name: platform}, build, lambda: MONDAY_6_OCT + timedelta(minutes=1), _policy())
    assert [o.state for o in first] == ["failed"]
    again = run_due(db, {platform.name: platform}, build, lambda: MONDAY_6_OCT + timedelta(minutes=10), _policy())
    assert [o.state for o in again] == ["already"]  # a permanent failure is not retried
    next_week = run_due(db, {platform.name: platform}, build, lambda: MONDAY_6_OCT + timedelta(days=7, minutes=1),
                        _policy())
    assert [o.state for o in next_week] == ["failed"]
    assert platform.told == [("U0ADMIN", "The weekly digest for #C0GONE (2025-W41) could not be posted: not_here. "
                                         + NOT_HERE_HINT)]


def test_a_bot_down_over_monday_catches_up_within_the_grace_window(registry, platform, caplog):
    db = registry.context.db
    _subscribe(db, platform, "C0LEAD")
    build = digest_builder(registry.context)
    outcomes = run_due(db, platform, build, lambda: MONDAY_6_OCT + timedelta(hours=5), _policy())
    assert [o.state for o in outcomes] == ["posted"]
    # Down for the whole of the next Monday and beyond the 24 h grace: skipped, with a log line, not posted late.
    caplog.set_level(logging.WARNING)
    late = run_due(db, platform, build, lambda: MONDAY_6_OCT + timedelta(days=8, hours=2), _policy())
    assert [o.state for o in late] == ["skipped"]
    assert any("skipped the weekly digest 2025-W42" in r.getMessage() for r in caplog.records)
    assert len(platform.messages_to("C0LEAD")) == 1
    assert [(r.period, r.state) for r in digest_store.deliveries(db, platform.address("C0LEAD"))] == [
        ("2025-W41", "posted"), ("2025-W42", "skipped")]


def test_two_processes_racing_post_once(registry, platform, settings):
    """Two schedulers on one database fire at the same moment: one post."""
    url = registry.context.db.url
    _subscribe(registry.context.db, platform, "C0RACE")
    barrier = threading.Barrier(2)
    outcomes = []

    def one_process():
        db = Database(url)
        try:
            other = build_registry(settings, db, clock=lambda: MONDAY_6_OCT)
            barrier.wait()
            outcomes.extend(run_due(db, {platform.name: platform}, digest_builder(other.context),
                                    lambda: MONDAY_6_OCT + timedelta(seconds=1), _policy(), process=str(id(db))))
        finally:
            db.dispose()

    threads = [threading.Thread(target=one_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(o.state for o in outcomes) == ["already", "posted"]
    assert len(platform.messages_to("C0RACE")) == 1


def test_scheduler_builds_jobs_from_subscriptions_and_catches_up(registry, platform):
    db = registry.context.db
    sub = _subscribe(db, platform, "C0LEAD")
    scheduler = DigestScheduler(db, {platform.name: platform}, digest_builder(registry.context), _policy(),
                                clock=lambda: MONDAY_6_OCT + timedelta(minutes=3))
    jobs = scheduler.sync_jobs()
    assert list(jobs.values()) == [Schedule("weekly")]
    scheduler.check()
    scheduler.check()
    assert len(platform.messages_to("C0LEAD")) == 1
    digest_store.unsubscribe(db, platform.address("C0LEAD"), "weekly", MONDAY_6_OCT)
    assert scheduler.sync_jobs() == {}
    assert sub.address == platform.address("C0LEAD")


def test_digests_due_during_a_database_outage_go_out_once_after_it(registry, platform):
    db = registry.context.db
    _subscribe(db, platform, "C0OUTAGE")
    build = digest_builder(registry.context)
    down = Database("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    scheduler = DigestScheduler(down, platform, build, _policy(), clock=lambda: MONDAY_6_OCT + timedelta(minutes=1))
    scheduler.check()  # the database is unreachable: logged, nothing posted, the scheduler carries on
    assert platform.messages_to("C0OUTAGE") == []
    down.dispose()
    recovered = DigestScheduler(db, platform, build, _policy(), clock=lambda: MONDAY_6_OCT + timedelta(hours=3))
    recovered.check()
    recovered.check()
    assert len(platform.messages_to("C0OUTAGE")) == 1


def test_many_channels_are_posted_at_once_from_one_build(registry, platform):
    """Twelve channels, four at a time: one build, one digest message in each channel, outcomes in order."""
    db = registry.context.db
    channels = [f"C0TEAM{n:02d}" for n in range(12)]
    for channel in channels:
        _subscribe(db, platform, channel)
    platform.outside.add("C0TEAM05")
    builds = []
    build = digest_builder(registry.context)

    def counted(occurrence):
        builds.append(occurrence.period)
        return build(occurrence)

    outcomes = run_due(db, platform, counted, lambda: MONDAY_6_OCT + timedelta(minutes=1), _policy(concurrency=4))
    assert builds == ["2025-W41"]
    assert [o.channel_id for o in outcomes] == channels
    assert [o.state for o in outcomes] == ["posted"] * 5 + ["failed"] + ["posted"] * 6
    for channel in channels:
        assert len(platform.messages_to(channel)) == (0 if channel == "C0TEAM05" else 1)
    # One build, one message: every channel that sees the same digest gets the same response.
    assert len({id(m.response) for m in platform.delivered}) == 1
    again = run_due(db, platform, counted, lambda: MONDAY_6_OCT + timedelta(minutes=5), _policy(concurrency=4))
    assert {o.state for o in again} == {"already"}
