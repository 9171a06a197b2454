"""A database that is slow rather than down: every command is still acknowledged inside Slack's 3 s, and
/healthz answers inside 1 s.

Two slow databases: a "PostgreSQL" that accepts connections and never says a word, and an SQLite file that
another process holds write-locked. 40 signed commands are sent at once, as a busy morning would; each ack
is timed from the moment its request was sent. The app runs in a process of its own, as it does when deployed,
so the timings are the app's and not also the test runner's (its threads, heap and garbage collector after a
few thousand tests). Slack's 3 s is the deadline itself, so the test holds the
app to exactly that and no tighter.
"""
from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.slack.app import STILL_WORKING
from storage.db import Database
from tests.fake_slack import FakeSlack
from tests.slow_database_server import SECRET
from tests.slack_signing import post_signed, slash_command_body

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = 40
SLACK_DEADLINE = 3.0
HEALTH_DEADLINE = 1.0


class SilentDatabase:
    """A TCP server on loopback that accepts every connection and never answers: a hung PostgreSQL."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@contextlib.contextmanager
def write_locked(path: str):
    """Another process holding the SQLite file's write lock (BEGIN EXCLUSIVE) for up to 25 s."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "time.sleep(25)\n", path],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


@contextlib.contextmanager
def serving(db: Database, fake: FakeSlack, log_dir):
    """The app in a process of its own (tests/slow_database_server.py), as Slack meets it; its log is shown
    if it does not start."""
    log = open(log_dir / "server.log", "w+")
    server = subprocess.Popen([sys.executable, "-m", "tests.slow_database_server", db.url, fake.api_url],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        started = server.stdout.readline().split()
        log.seek(0)
        assert started[:1] == ["port"], f"the app did not start: {log.read()}"
        yield f"http://127.0.0.1:{started[1]}"
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def send_at_once(base: str, fake: FakeSlack, text: str) -> list:
    """40 signed commands sent together; each answer's elapsed time runs from its own send."""
    start = threading.Barrier(COMMANDS)

    def one(index: int):
        body = slash_command_body("/kpi", text, response_url=fake.response_url(f"slow{index}"))
        start.wait()
        return post_signed(f"{base}/slack/events", body, SECRET, timeout=10)

    with ThreadPoolExecutor(max_workers=COMMANDS) as pool:
        return list(pool.map(one, range(COMMANDS)))


def health(base: str) -> tuple[int, dict, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        with refused:
            status, body = refused.code, refused.read()
    return status, json.loads(body), time.perf_counter() - started


def assert_all_acknowledged_in_time(answers: list) -> None:
    late = [round(a.elapsed, 2) for a in answers if a.status != 200 or a.elapsed >= SLACK_DEADLINE]
    assert not late, f"{len(late)} of {len(answers)} not acknowledged inside 3 s: {late}"


def assert_every_command_answered(answers: list, fake: FakeSlack, expected: str, within: float) -> None:
    """An ack that said "still working" is followed by the answer itself, through the response_url."""
    deadline = time.monotonic() + within
    for index, answer in enumerate(answers):
        text = json.loads(answer.body)["text"]
        if text == STILL_WORKING:
            followed = fake.wait_for(lambda: fake.responses(f"slow{index}"),
                                     timeout=max(0.1, deadline - time.monotonic()))
            text = followed[0]["text"]
        assert expected in text, (index, text)


def test_a_database_that_accepts_connections_and_never_answers(tmp_path):
    silent = SilentDatabase()
    db = Database(f"postgresql+psycopg://kpibot@127.0.0.1:{silent.port}/kpibot")
    try:
        with FakeSlack() as fake, serving(db, fake, tmp_path) as base:
            answers = send_at_once(base, fake, "calls-under-25s")
            assert_all_acknowledged_in_time(answers)
            status, report, elapsed = health(base)
            assert status == 503 and report["ok"] is False
            assert elapsed < HEALTH_DEADLINE, f"/healthz took {elapsed:.2f}s"
            # Every command hears "data unavailable" while the database is still silent: connection attempts
            # pause after one times out, so 40 commands do not queue 2 s each (they took 40 s). 20 s is
            # generous; the answers come in about 3 s.
            assert_every_command_answered(answers, fake, "temporarily unavailable", within=20)
    finally:
        silent.close()
        db.dispose()


def test_an_sqlite_file_write_locked_by_another_process(demo_db, tmp_path):
    if not demo_db.url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    with FakeSlack() as fake, serving(demo_db, fake, tmp_path) as base:
        with write_locked(demo_db.url.removeprefix("sqlite:///")):
            # The figures read under the lock (WAL), but each command's audit row waits for it.
            answers = send_at_once(base, fake, "calls-under-25s")
            assert_all_acknowledged_in_time(answers)
            status, report, elapsed = health(base)
            assert elapsed < HEALTH_DEADLINE, f"/healthz took {elapsed:.2f}s"
            assert status == 200 and report["database"] == "reachable"  # WAL: readers go on under the lock
        assert_every_command_answered(answers, fake, "Calls answered under 25 seconds", within=60)
