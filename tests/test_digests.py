"""Digests: schedules in local time, content from the commands' own figures, and delivery exactly once."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_registry
from bot.slack.app import web_client
from bot.slack.transport import DIGEST_EVENT, SlackDigestTransport
from digests.content import digest_builder
from digests.delivery import DeliveryPolicy, Target, deliver, run_due
from digests.schedule import (
    Schedule, ScheduleError, first_working_day_after, latest_due, next_due, occurrence_for, weekly_occurrence,
)
from digests.scheduler import DigestScheduler, cron_trigger
from storage import digest_store
from storage.db import Database
from tests.fake_slack import FakeSlack

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
# Monday 6 October 2025, 08:00 in London is 07:00 UTC (British Summer Time).
MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=UTC)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))


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
def fake():
    with FakeSlack() as running:
        yield running


def _transport(fake, settings):
    return SlackDigestTransport(web_client(settings.model_copy(update={"slack_bot_token": "xoxb-test", "slack_api_url": fake.api_url})))


def _policy(**kwargs):
    return DeliveryPolicy(**kwargs)


def _digest_messages(fake, channel):
    return [m for m in fake.messages(channel) if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT]


def test_weekly_digest_posts_once_with_its_charts(registry, fake, settings):
    digest, occurrence = _weekly(registry)
    transport = _transport(fake, settings)
    clock = lambda: MONDAY_6_OCT + timedelta(minutes=1)  # noqa: E731
    first = deliver(registry.context.db, transport, Target("C0LEAD"), occurrence, lambda: digest, clock, _policy(),
                    "test")
    second = deliver(registry.context.db, transport, Target("C0LEAD"), occurrence, lambda: digest, clock, _policy(),
                     "test")
    assert (first.state, second.state) == ("posted", "already")
    messages = _digest_messages(fake, "C0LEAD")
    assert len(messages) == 1
    assert messages[0]["metadata"]["event_payload"]["key"] == "C0LEAD:weekly:2025-W41"
    uploads = [u for u in fake.uploads() if u["channel"] == "C0LEAD"]
    assert len(uploads) == len(digest.charts) >= 2
    assert all(u["bytes"][:4] == b"\x89PNG" and u["alt_txt"] for u in uploads)


def test_a_claim_left_by_a_crashed_process_is_reconciled_not_reposted(registry, fake, settings):
    digest, occurrence = _weekly(registry)
    db = registry.context.db
    # A process claimed, posted, and died before recording the post.
    claim = digest_store.claim(db, "C0LEAD", "weekly", occurrence.period, occurrence.scheduled_for, None, "dead:1",
                               "schedule", MONDAY_6_OCT, timedelta(minutes=10), 5)
    fake_client = web_client(settings.model_copy(update={"slack_bot_token": "xoxb-test", "slack_api_url": fake.api_url}))
    fake_client.chat_postMessage(channel="C0LEAD", text="digest", metadata={
        "event_type": DIGEST_EVENT, "event_payload": {"key": claim.key}})
    later = lambda: MONDAY_6_OCT + timedelta(minutes=30)  # noqa: E731
    outcome = deliver(db, _transport(fake, settings), Target("C0LEAD"), occurrence, lambda: digest, later,
                      _policy(), "catch-up")
    assert outcome.state == "reconciled"
    assert len(_digest_messages(fake, "C0LEAD")) == 1


def test_a_stale_claim_with_nothing_posted_is_delivered_once(registry, fake, settings):
    digest, occurrence = _weekly(registry)
    db = registry.context.db
    digest_store.claim(db, "C0LEAD", "weekly", occurrence.period, occurrence.scheduled_for, None, "dead:1",
                       "schedule", MONDAY_6_OCT, timedelta(minutes=10), 5)
    soon = lambda: MONDAY_6_OCT + timedelta(minutes=2)  # noqa: E731
    assert deliver(db, _transport(fake, settings), Target("C0LEAD"), occurrence, lambda: digest, soon, _policy(),
                   "t").state == "already"  # the claim is fresh: its holder may still be working
    later = lambda: MONDAY_6_OCT + timedelta(minutes=30)  # noqa: E731
    assert deliver(db, _transport(fake, settings), Target("C0LEAD"), occurrence, lambda: digest, later, _policy(),
                   "t").state == "posted"
    assert len(_digest_messages(fake, "C0LEAD")) == 1


def test_rate_limited_then_accepted_posts_once(registry, fake, settings, monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", lambda seconds: slept.append(seconds))
    digest, occurrence = _weekly(registry)
    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    outcome = deliver(registry.context.db, _transport(fake, settings), Target("C0LEAD"), occurrence,
                      lambda: digest, lambda: MONDAY_6_OCT, _policy(), "t")
    assert outcome.state == "posted"
    assert len(fake.calls("chat.postMessage")) == 2
    assert len(_digest_messages(fake, "C0LEAD")) == 1
    assert any(7 <= s <= 8 for s in slept)  # Retry-After honoured (plus up to a second of jitter)


def test_server_errors_are_retried_then_left_for_the_next_pass(registry, fake, settings, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    digest, occurrence = _weekly(registry)
    fake.fail_next("chat.postMessage", status=500, times=10)
    db = registry.context.db
    outcome = deliver(db, _transport(fake, settings), Target("C0LEAD"), occurrence, lambda: digest,
                      lambda: MONDAY_6_OCT, _policy(), "t")
    assert outcome.state == "failed"
    fake.reset()
    retry = deliver(db, _transport(fake, settings), Target("C0LEAD"), occurrence, lambda: digest,
                    lambda: MONDAY_6_OCT + timedelta(minutes=5), _policy(), "t")
    assert retry.state == "posted"
    assert len(_digest_messages(fake, "C0LEAD")) == 1


def _subscribe(db, channel, kind="weekly", user="U0ADMIN", at=MONDAY_6_OCT - timedelta(days=30)):
    subscription, _ = digest_store.subscribe(db, channel, kind, "mon", 8, 0, "Europe/London", user, at)
    return subscription


def test_not_in_channel_is_reported_to_the_subscriber_once(registry, fake, settings):
    db = registry.context.db
    _subscribe(db, "C0GONE")
    fake.leave_channel("C0GONE")
    transport = _transport(fake, settings)
    build = digest_builder(registry.context)
    first = run_due(db, transport, build, lambda: MONDAY_6_OCT + timedelta(minutes=1), _policy())
    assert [o.state for o in first] == ["failed"]
    again = run_due(db, transport, build, lambda: MONDAY_6_OCT + timedelta(minutes=10), _policy())
    assert [o.state for o in again] == ["already"]  # a permanent failure is not retried
    next_week = run_due(db, transport, build, lambda: MONDAY_6_OCT + timedelta(days=7, minutes=1), _policy())
    assert [o.state for o in next_week] == ["failed"]
    dms = fake.messages("U0ADMIN")
    assert len(dms) == 1
    assert "not_in_channel" in dms[0]["text"] and "/invite @kpibot" in dms[0]["text"]


def test_a_bot_down_over_monday_catches_up_within_the_grace_window(registry, fake, settings, caplog):
    db = registry.context.db
    _subscribe(db, "C0LEAD")
    build = digest_builder(registry.context)
    transport = _transport(fake, settings)
    outcomes = run_due(db, transport, build, lambda: MONDAY_6_OCT + timedelta(hours=5), _policy())
    assert [o.state for o in outcomes] == ["posted"]
    # Down for the whole of the next Monday and beyond the 24 h grace: skipped, with a log line, not posted late.
    caplog.set_level(logging.WARNING)
    late = run_due(db, transport, build, lambda: MONDAY_6_OCT + timedelta(days=8, hours=2), _policy())
    assert [o.state for o in late] == ["skipped"]
    assert any("skipped the weekly digest 2025-W42" in r.getMessage() for r in caplog.records)
    assert len(_digest_messages(fake, "C0LEAD")) == 1


def test_two_processes_racing_post_once(registry, fake, settings):
    """Two schedulers on one database fire at the same moment: one post."""
    url = registry.context.db.url
    _subscribe(registry.context.db, "C0RACE")
    barrier = threading.Barrier(2)
    outcomes = []

    def one_process():
        db = Database(url)
        try:
            other = build_registry(settings, db, clock=lambda: MONDAY_6_OCT)
            barrier.wait()
            outcomes.extend(run_due(db, _transport(fake, settings), digest_builder(other.context),
                                    lambda: MONDAY_6_OCT + timedelta(seconds=1), _policy(), process=str(id(db))))
        finally:
            db.dispose()

    threads = [threading.Thread(target=one_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(o.state for o in outcomes) == ["already", "posted"]
    assert len(_digest_messages(fake, "C0RACE")) == 1


def test_scheduler_builds_jobs_from_subscriptions_and_catches_up(registry, fake, settings):
    db = registry.context.db
    sub = _subscribe(db, "C0LEAD")
    scheduler = DigestScheduler(db, _transport(fake, settings), digest_builder(registry.context), _policy(),
                                clock=lambda: MONDAY_6_OCT + timedelta(minutes=3))
    jobs = scheduler.sync_jobs()
    assert list(jobs.values()) == [Schedule("weekly")]
    scheduler.check()
    scheduler.check()
    assert len(_digest_messages(fake, "C0LEAD")) == 1
    digest_store.unsubscribe(db, "C0LEAD", "weekly", MONDAY_6_OCT)
    assert scheduler.sync_jobs() == {}
    assert sub.channel_id == "C0LEAD"


# --- the command line, as an operator runs it ------------------------------------------------------------

def _cli(args, db_url, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update({"KPIBOT_DATABASE_URL": db_url, **(extra or {})})
    return subprocess.run([KPIBOT, *args], env=env, capture_output=True, text=True, timeout=180)


def test_dry_run_writes_the_message_and_charts(demo_db, tmp_path):
    out = tmp_path / "out"
    result = _cli(["digest", "run", "weekly", "--dry-run", "--out", str(out), "--as-of", "2025-10-06"], demo_db.url)
    assert result.returncode == 0, result.stderr
    payload = json.loads((out / "weekly-2025-W41.json").read_text())
    assert payload["held_reason"] is None
    assert len(payload["blocks"]) <= 50
    text = (out / "weekly-2025-W41.txt").read_text()
    assert "Volunteer hours" in text and "50.7 hours" in text
    pngs = sorted(out.glob("*.png"))
    assert 2 <= len(pngs) <= 4
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_cli_posts_once_against_the_fake_slack(demo_db, fake):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "KPIBOT_SLACK_API_URL": fake.api_url}
    args = ["digest", "run", "weekly", "--channel", "C0CLI", "--as-of", "2025-10-06"]
    first = _cli(args, demo_db.url, env)
    second = _cli(args, demo_db.url, env)
    assert first.returncode == 0, first.stderr
    assert "posted" in first.stdout
    assert "nothing posted" in second.stdout
    assert len(_digest_messages(fake, "C0CLI")) == 1


def test_a_timed_out_post_is_reconciled_not_reposted(registry, fake, settings):
    """Slack took the message but answered too late: the next pass finds it by its metadata."""
    from slack_sdk import WebClient

    digest, occurrence = _weekly(registry)
    impatient = SlackDigestTransport(WebClient(token="xoxb-test", base_url=fake.api_url, timeout=1))
    fake.hold_answer("chat.postMessage", 3)
    db = registry.context.db
    first = deliver(db, impatient, Target("C0SLOW"), occurrence, lambda: digest, lambda: MONDAY_6_OCT, _policy(), "t")
    assert first.state == "failed" and "connection" in first.error
    second = deliver(db, _transport(fake, settings), Target("C0SLOW"), occurrence, lambda: digest,
                     lambda: MONDAY_6_OCT + timedelta(minutes=5), _policy(), "catch-up")
    assert second.state == "reconciled"
    assert len(_digest_messages(fake, "C0SLOW")) == 1


def test_digests_due_during_a_database_outage_go_out_once_after_it(registry, fake, settings):
    db = registry.context.db
    _subscribe(db, "C0OUTAGE")
    build = digest_builder(registry.context)
    down = Database("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    scheduler = DigestScheduler(down, _transport(fake, settings), build, _policy(),
                                clock=lambda: MONDAY_6_OCT + timedelta(minutes=1))
    scheduler.check()  # the database is unreachable: logged, nothing posted, the scheduler carries on
    assert _digest_messages(fake, "C0OUTAGE") == []
    down.dispose()
    recovered = DigestScheduler(db, _transport(fake, settings), build, _policy(),
                                clock=lambda: MONDAY_6_OCT + timedelta(hours=3))
    recovered.check()
    recovered.check()
    assert len(_digest_messages(fake, "C0OUTAGE")) == 1


def test_many_channels_are_posted_at_once_from_one_build(registry, fake, settings):
    """Twelve channels, four at a time: one build, one digest message in each channel, outcomes in order."""
    db = registry.context.db
    channels = [f"C0TEAM{n:02d}" for n in range(12)]
    for channel in channels:
        _subscribe(db, channel)
    fake.leave_channel("C0TEAM05")
    builds = []
    build = digest_builder(registry.context)

    def counted(occurrence):
        builds.append(occurrence.period)
        return build(occurrence)

    outcomes = run_due(db, _transport(fake, settings), counted, lambda: MONDAY_6_OCT + timedelta(minutes=1),
                       _policy(concurrency=4))
    assert builds == ["2025-W41"]
    assert [o.channel_id for o in outcomes] == channels
    assert [o.state for o in outcomes] == ["posted"] * 5 + ["failed"] + ["posted"] * 6
    for channel in channels:
        assert len(_digest_messages(fake, channel)) == (0 if channel == "C0TEAM05" else 1)
    again = run_due(db, _transport(fake, settings), counted, lambda: MONDAY_6_OCT + timedelta(minutes=5),
                    _policy(concurrency=4))
    assert {o.state for o in again} == {"already"}
