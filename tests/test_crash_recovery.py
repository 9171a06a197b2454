"""`kill -9` of a process in the middle of posting a digest, then another run: the digest is in the channel once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from storage import digest_store
from tests.fake_slack import FakeSlack

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
ARGS = ["digest", "run", "weekly", "--channel", "C0CRASH", "--as-of", "2025-10-06"]


def _digests(fake):
    return [m for m in fake.messages("C0CRASH") if (m.get("metadata") or {}).get("event_type") == "kpibot_digest"]


def test_killed_mid_delivery_then_resumed_posts_once(demo_db):
    with FakeSlack() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
        env.update({"KPIBOT_DATABASE_URL": demo_db.url, "SLACK_BOT_TOKEN": "xoxb-crash",
                    "KPIBOT_SLACK_API_URL": fake.api_url})
        # Slack takes the message, but its answer is late: the process dies before it can record the post.
        fake.hold_answer("chat.postMessage", 60)
        doomed = subprocess.Popen([KPIBOT, *ARGS], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            fake.wait_for(lambda: _digests(fake), timeout=120)
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(30)
        assert [r.state for r in digest_store.deliveries(demo_db, "C0CRASH")] == ["claimed"]
        # The next run (here with a short stale-claim time) takes the abandoned claim over, finds the
        # message by its metadata, records it, and posts nothing more.
        resumed = subprocess.run([KPIBOT, *ARGS], env={**env, "KPIBOT_DIGEST_STALE_CLAIM_MINUTES": "0.001"},
                                 capture_output=True, text=True, timeout=180)
        assert resumed.returncode == 0, resumed.stderr
        assert "already posted" in resumed.stdout
        assert len(_digests(fake)) == 1
        assert [r.state for r in digest_store.deliveries(demo_db, "C0CRASH")] == ["posted"]
