"""`kill -9` of a process in the middle of posting a digest, then another run: the digest is in the channel once,
whether Slack's clock agrees with the server's or runs a day behind it. (The same crash on a platform that can
or cannot look a message up, in-process: test_ledger_memory.py.)"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from storage import digest_store
from storage.addresses import Address
from tests.fake_slack import FakeSlack

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
CHANNEL = "C0CRASH"


def _states(db) -> list[str]:
    """The ledger's states for the channel, under whatever workspace the Slack adapter names."""
    return [r.state for r in digest_store.deliveries(db) if r.address == Address("slack", CHANNEL, r.address.workspace)]


def _digests(fake):
    return [m for m in fake.messages(CHANNEL) if (m.get("metadata") or {}).get("event_type") == "kpibot_digest"]


def _killed_then_resumed(db, fake: FakeSlack, as_of: str) -> subprocess.CompletedProcess:
    """Run the digest, kill -9 it once Slack has the message and before it hears back, then run it again."""
    args = ["digest", "run", "weekly", "--channel", CHANNEL, "--as-of", as_of]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update({"KPIBOT_DATABASE_URL": db.url, "SLACK_BOT_TOKEN": "xoxb-crash", "KPIBOT_SLACK_API_URL": fake.api_url})
    # Slack takes the message, but its answer is late: the process dies before it can record the post.
    fake.hold_answer("chat.postMessage", 60)
    doomed = subprocess.Popen([KPIBOT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        fake.wait_for(lambda: _digests(fake), timeout=120)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(30)
    assert _states(db) == ["claimed"]
    # The next run (here with a short stale-claim time) takes the abandoned claim over, finds the
    # message by its metadata, records it, and posts nothing more.
    return subprocess.run([KPIBOT, *args], env={**env, "KPIBOT_DIGEST_STALE_CLAIM_MINUTES": "0.001"},
                          capture_output=True, text=True, timeout=180)


def test_killed_mid_delivery_then_resumed_posts_once(demo_db):
    with FakeSlack() as fake:
        resumed = _killed_then_resumed(demo_db, fake, "2025-10-06")
        assert resumed.returncode == 0, resumed.stderr
        assert "already posted" in resumed.stdout
        assert len(_digests(fake)) == 1
        assert _states(demo_db) == ["posted"]


@pytest.mark.parametrize("behind", [timedelta(hours=2), timedelta(days=1)], ids=["two-hours", "a-day"])
def test_killed_mid_delivery_with_slacks_clock_behind_posts_once(demo_db, behind):
    """Next week's digest, run by hand today: claimed now, and stamped by Slack a day (or two hours) before
    the server's now. The server's times say nothing about Slack's, so the look-up does not use them."""
    next_week = (date.today() + timedelta(days=7)).isoformat()
    with FakeSlack() as fake:
        fake.clock_offset = -behind.total_seconds()
        resumed = _killed_then_resumed(demo_db, fake, next_week)
        assert resumed.returncode == 0, resumed.stderr
        assert "already posted" in resumed.stdout
        [posted] = _digests(fake)
        assert f"({posted['ts']})" in resumed.stdout
        assert _states(demo_db) == ["posted"]
