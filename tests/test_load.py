"""Load on loopback: 50 signed slash commands a second for 60 seconds in HTTP mode against PostgreSQL.

Bounded in count and time, loopback only. Zero errors, and every acknowledgement inside Slack's 3 seconds.
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from bot.app import build_registry
from bot.slack.http_server import SlackHTTPServer
from bot.settings import Settings
from bot.slack.app import build_slack_app
from tests.fake_slack import FakeSlack
from tests.slack_signing import post_signed, slash_command_body

SECRET = "load-test-secret"
RATE_PER_SECOND = 50
SECONDS = int(os.environ.get("KPIBOT_LOAD_SECONDS", "60"))
COMMANDS = [("/kpi", "calls-under-25s"), ("/kpi", "volunteer-hours"), ("/csp", ""), ("/kpi", "public interaction"),
            ("/reviews", ""), ("/kpi", "neighbourhood officers"), ("/digest", "list"), ("/kpi", "help")]


def test_fifty_commands_a_second_for_a_minute(demo_db):
    if not demo_db.url.startswith("postgresql"):
        pytest.skip("the load test runs against PostgreSQL")
    with FakeSlack() as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token="xoxb-load", slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, _env_file=None)
        registry = build_registry(settings, demo_db,
                                  clock=lambda: datetime(2025, 10, 27, 9, tzinfo=timezone.utc))
        server = SlackHTTPServer(build_slack_app(settings, registry), "127.0.0.1", 0)
        server.start_in_thread()
        url = f"http://127.0.0.1:{server.port}/slack/events"
        results: list[tuple[int, float]] = []
        lock = threading.Lock()

        def one(index: int) -> None:
            command, text = COMMANDS[index % len(COMMANDS)]
            body = slash_command_body(command, text, response_url=fake.response_url(f"load{index}"))
            try:
                answer = post_signed(url, body, SECRET, timeout=10)
                outcome = (answer.status, answer.elapsed)
            except OSError as exc:  # refused, reset or timed out: an error all the same
                outcome = (type(exc).__name__, 10.0)
            with lock:
                results.append(outcome)

        try:
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for index in range(RATE_PER_SECOND * SECONDS):
                    # Open-loop: send on schedule whatever the answers are doing.
                    delay = started + index / RATE_PER_SECOND - time.monotonic()
                    if delay > 0:
                        threading.Event().wait(delay)
                    pool.submit(one, index)
        finally:
            server.shutdown()
            server.server_close()
    statuses = [status for status, _ in results]
    latencies = sorted(elapsed for _, elapsed in results)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert len(results) == RATE_PER_SECOND * SECONDS
    assert statuses.count(200) == len(statuses), {s: statuses.count(s) for s in set(statuses)}
    # Every command acknowledged inside Slack's 3 s deadline. How fast, on a given machine, is the
    # benchmark's business (`make bench`: HTTP p99 with 1 and 20 clients), not a timed unit test's.
    assert p99 < 3.0, f"p99 {p99:.3f}s, median {statistics.median(latencies):.3f}s"
