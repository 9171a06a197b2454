"""Three `kpibot serve` processes on one database, all starting inside a digest's window: one post."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from digests.schedule import DAY_NAMES, Schedule, latest_due
from storage import digest_store
from storage.addresses import Address
from tests.fake_slack import FakeSlack

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
ADDRESS = Address("slack", "C0REPLICA")


def _digests(fake, channel):
    return [m for m in fake.messages(channel) if (m.get("metadata") or {}).get("event_type") == "kpibot_digest"]


def test_three_replicas_post_a_due_digest_once(demo_db, tmp_path):
    # A schedule that fell due half an hour ago (out of the 01:00-02:00 hour), so the replicas' start-up
    # catch-up pass finds it due whatever the real time of the run.
    now = datetime.now(timezone.utc)
    moment = (now - timedelta(minutes=30)).astimezone(ZoneInfo("Europe/London"))
    if moment.hour == 1:
        moment -= timedelta(hours=1)
    schedule = Schedule("weekly", DAY_NAMES[moment.weekday()], moment.hour, moment.minute)
    due = latest_due(schedule, now)
    digest_store.subscribe(demo_db, ADDRESS, "weekly", schedule.day_of_week, schedule.hour, schedule.minute,
                           "Europe/London", "U0ADMIN", due.scheduled_for - timedelta(days=1))
    with FakeSlack() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
        env.update({"KPIBOT_DATABASE_URL": demo_db.url, "SLACK_BOT_TOKEN": "xoxb-replicas",
                    "SLACK_SIGNING_SECRET": "replica-secret", "KPIBOT_SLACK_API_URL": fake.api_url})
        processes = [subprocess.Popen([KPIBOT, "serve", "--port", "0", "--host", "127.0.0.1"], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                     for _ in range(3)]
        try:
            fake.wait_for(lambda: _digests(fake, "C0REPLICA"), timeout=120)
            # Give the slower replicas time to finish their own catch-up pass and find the work done.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(digest_store.deliveries(demo_db, ADDRESS)) < 1:
                time.sleep(0.2)
            time.sleep(5)
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            outputs = [process.communicate(timeout=30)[0] for process in processes]
        assert all("digest scheduler started" in output for output in outputs), outputs
        assert len(_digests(fake, "C0REPLICA")) == 1, outputs
        records = digest_store.deliveries(demo_db, ADDRESS)
        assert [(r.period, r.state) for r in records] == [(due.period, "posted")]
