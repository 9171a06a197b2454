"""The Slack HTTP app of tests/test_slow_database.py, served from a process of its own.

Slack's 3 s is measured from outside the app, so the app runs outside the test's process, as it does when
deployed: the timings then hold the app alone to the deadline, not the test runner's threads, heap and
garbage collector as well. Run as `python -m tests.slow_database_server DATABASE_URL SLACK_API_URL`; the app
prints `port N` once it listens, and stops when its standard input closes.
"""
from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone

SECRET = "slow-database-secret"
TOKEN = "xoxb-slow-database"
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)


def main(database_url: str, api_url: str) -> None:
    from bot.app import build_registry, database_health
    from bot.settings import Settings
    from bot.slack.app import build_slack_app
    from bot.slack.http_server import SlackHTTPServer
    from storage.db import Database

    db = Database(database_url)
    settings = Settings(database_url=database_url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=api_url, _env_file=None)
    registry = build_registry(settings, db, clock=lambda: PANEL_DAY)
    server = SlackHTTPServer(build_slack_app(settings, registry), "127.0.0.1", 0,
                             health_check=lambda: database_health(db))
    threading.Thread(target=server.serve_forever, name="kpibot-http", daemon=True).start()
    print(f"port {server.port}", flush=True)
    sys.stdin.read()  # until the test closes it
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
