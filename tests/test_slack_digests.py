"""Digests through Slack: the transport posts a message carrying its ledger key in Slack's metadata and its
charts as files, finds it again in the channel's history, rides out rate limits and server errors, and tells
the subscriber in Slack's words; `kpibot digest run` against the fake Slack."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from slack_sdk import WebClient

from answers.platform import Capabilities
from bot.app import build_registry
from bot.slack.app import web_client
from bot.slack.transport import DIGEST_EVENT, SlackDigestTransport
from digests.content import digest_builder
from digests.delivery import DeliveryPolicy, Target, deliver, run_due
from digests.schedule import Schedule, weekly_occurrence
from storage import digest_store
from storage.addresses import Address
from tests.fake_slack import FakeSlack

MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))


@pytest.fixture
def registry(demo_db, settings):
    return build_registry(settings, demo_db, clock=lambda: MONDAY_6_OCT + timedelta(minutes=5))


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running


def _weekly(registry, day=date(2025, 10, 6)):
    occurrence = replace(weekly_occurrence(Schedule("weekly"), day), as_of=day)
    return digest_builder(registry.context)(occurrence), occurrence


def _client(fake, settings):
    return web_client(settings.model_copy(update={"slack_bot_token": "xoxb-test", "slack_api_url": fake.api_url}))


def _transport(fake, settings):
    return SlackDigestTransport(_client(fake, settings))


def _to(channel):
    return Target(Address("slack", channel))


def _digest_messages(fake, channel):
    return [m for m in fake.messages(channel) if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT]


def test_the_transport_says_what_slack_can_do():
    transport = SlackDigestTransport(client=None)
    assert transport.name == "slack"
    assert transport.capabilities == Capabilities(finds_posted=True, files_in_channels=True, private_replies=True)


def test_weekly_digest_posts_once_with_its_charts(registry, fake, settings):
    digest, occurrence = _weekly(registry)
    transport = _transport(fake, settings)
    clock = lambda: MONDAY_6_OCT + timedelta(minutes=1)  # noqa: E731
    first = deliver(registry.context.db, transport, _to("C0LEAD"), occurrence, lambda: digest, clock,
                    DeliveryPolicy(), "test")
    second = deliver(registry.context.db, transport, _to("C0LEAD"), occurrence, lambda: digest, clock,
                     DeliveryPolicy(), "test")
    assert (first.state, second.state) == ("posted", "already")
    messages = _digest_messages(fake, "C0LEAD")
    assert len(messages) == 1
    assert messages[0]["metadata"]["event_payload"]["key"] == "C0LEAD:weekly:2025-W41"
    assert first.message_ref == messages[0]["ts"]
    uploads = [u for u in fake.uploads() if u["channel"] == "C0LEAD"]
    assert len(uploads) == len(digest.charts) >= 2
    assert all(u["bytes"][:4] == b"\x89PNG" and u["alt_txt"] for u in uploads)


def test_a_claim_left_by_a_crashed_process_is_found_by_its_metadata(registry, fake, settings):
    digest, occurrence = _weekly(registry)
    db = registry.context.db
    claim = digest_store.claim(db, Address("slack", "C0LEAD"), "weekly", occurrence.period, occurrence.scheduled_for,
                               None, "dead:1", "schedule", MONDAY_6_OCT, timedelta(minutes=10), 5)
    _client(fake, settings).chat_postMessage(channel="C0LEAD", text="digest", metadata={
        "event_type": DIGEST_EVENT, "event_payload": {"key": claim.key}})
    later = lambda: MONDAY_6_OCT + timedelta(minutes=30)  # noqa: E731
    outcome = deliver(db, _transport(fake, settings), _to("C0LEAD"), occurrence, lambda: digest, later,
                      DeliveryPolicy(), "catch-up")
    assert outcome.state == "reconciled"
    assert len(_digest_messages(fake, "C0LEAD")) == 1


def test_rate_limited_then_accepted_posts_once(registry, fake, settings, monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", lambda seconds: slept.append(seconds))
    digest, occurrence = _weekly(registry)
    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    outcome = deliver(registry.context.db, _transport(fake, settings), _to("C0LEAD"), occurrence,
                      lambda: digest, lambda: MONDAY_6_OCT, DeliveryPolicy(), "t")
    assert outcome.state == "posted"
    assert len(fake.calls("chat.postMessage")) == 2
    assert len(_digest_messages(fake, "C0LEAD")) == 1
    assert any(7 <= s <= 8 for s in slept)  # Retry-After honoured (plus up to a second of jitter)


def test_server_errors_are_retried_then_left_for_the_next_pass(registry, fake, settings, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    digest, occurrence = _weekly(registry)
    fake.fail_next("chat.postMessage", status=500, times=10)
    db = registry.context.db
    outcome = deliver(db, _transport(fake, settings), _to("C0LEAD"), occurrence, lambda: digest,
                      lambda: MONDAY_6_OCT, DeliveryPolicy(), "t")
    assert outcome.state == "failed"
    fake.reset()
    retry = deliver(db, _transport(fake, settings), _to("C0LEAD"), occurrence, lambda: digest,
                    lambda: MONDAY_6_OCT + timedelta(minutes=5), DeliveryPolicy(), "t")
    assert retry.state == "posted"
    assert len(_digest_messages(fake, "C0LEAD")) == 1


def test_not_in_channel_is_told_to_the_subscriber_once_in_slacks_words(registry, fake, settings):
    db = registry.context.db
    digest_store.subscribe(db, Address("slack", "C0GONE"), "weekly", "mon", 8, 0, "Europe/London", "U0ADMIN",
                           MONDAY_6_OCT - timedelta(days=30))
    fake.leave_channel("C0GONE")
    transport = _transport(fake, settings)
    build = digest_builder(registry.context)
    assert [o.state for o in run_due(db, transport, build, lambda: MONDAY_6_OCT + timedelta(minutes=1),
                                     DeliveryPolicy())] == ["failed"]
    assert [o.state for o in run_due(db, {"slack": transport}, build, lambda: MONDAY_6_OCT + timedelta(days=7),
                                     DeliveryPolicy())] == ["failed"]
    [dm] = fake.messages("U0ADMIN")
    assert dm["text"] == ("The weekly digest for <#C0GONE> (2025-W41) could not be posted: not_in_channel. "
                          "Invite me with `/invite @kpibot` in that channel; the next digest will be posted.")


def test_a_timed_out_post_is_reconciled_not_reposted(registry, fake, settings):
    """Slack took the message but answered too late: the next pass finds it by its metadata."""
    digest, occurrence = _weekly(registry)
    impatient = SlackDigestTransport(WebClient(token="xoxb-test", base_url=fake.api_url, timeout=1))
    fake.hold_answer("chat.postMessage", 3)
    db = registry.context.db
    first = deliver(db, impatient, _to("C0SLOW"), occurrence, lambda: digest, lambda: MONDAY_6_OCT,
                    DeliveryPolicy(), "t")
    assert first.state == "failed" and "connection" in first.error
    second = deliver(db, _transport(fake, settings), _to("C0SLOW"), occurrence, lambda: digest,
                     lambda: MONDAY_6_OCT + timedelta(minutes=5), DeliveryPolicy(), "catch-up")
    assert second.state == "reconciled"
    assert len(_digest_messages(fake, "C0SLOW")) == 1


def test_one_digest_is_rendered_once_for_every_channel(registry, fake, settings):
    digest, occurrence = _weekly(registry)
    transport = _transport(fake, settings)
    for channel in ("C0ONE", "C0TWO"):
        assert deliver(registry.context.db, transport, _to(channel), occurrence, lambda: digest,
                       lambda: MONDAY_6_OCT, DeliveryPolicy(), "t").state == "posted"
    assert len(transport._rendered) == 1
    one, two = (_digest_messages(fake, c)[0] for c in ("C0ONE", "C0TWO"))
    assert one["blocks"] == two["blocks"]


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
    assert [(r.address.platform, r.address.conversation, r.state) for r in digest_store.deliveries(demo_db)] == [
        ("slack", "C0CLI", "posted")]
