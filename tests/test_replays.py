"""Replays: a signed state-changing request sent again within Slack's 5-minute window is carried out once.

The same signed note, byte for byte, is sent three times: one note is stored, one audit row records the
change, and the second and third copies are answered "already done". It holds across two app processes on
one database, since the record of seen requests is in the database. A note signed afresh (a new
timestamp) is a new request; read-only commands are never looked up.
"""
from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.app import build_registry
from bot.slack.http_server import SlackHTTPServer
from bot.settings import Settings
from bot.slack.app import build_slack_app
from commands.registry import ALREADY_DONE
from storage.audit import entries
from storage.models import CommentaryRow, SeenRequestRow
from storage.replays import first_time
from tests.fake_slack import FakeSlack
from tests.slack_signing import post_signed, slash_command_body

SECRET = "replay-test-secret"
TOKEN = "xoxb-replay-test"
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
EDITOR = "U0EDITOR"
NOTE = "calls-under-25s note 2025/26 Q2 Raised with the call centre manager."


@contextlib.contextmanager
def replicas(db, fake, count: int = 2):
    """`count` Bolt apps on their own ports over one database, as replicas behind a load balancer."""
    settings = Settings(database_url=db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=fake.api_url, editor_user_ids=EDITOR, _env_file=None)
    servers = [SlackHTTPServer(build_slack_app(settings, build_registry(settings, db, clock=lambda: PANEL_DAY)),
                               "127.0.0.1", 0) for _ in range(count)]
    for server in servers:
        server.start_in_thread()
    try:
        yield [f"http://127.0.0.1:{server.port}/slack/events" for server in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def notes_stored(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(CommentaryRow))


def texts(answers) -> list[str]:
    return [json.loads(answer.body)["text"] for answer in answers]


def test_the_same_signed_note_three_times_is_saved_once(demo_db):
    with FakeSlack() as fake, replicas(demo_db, fake, count=1) as (events,):
        body = slash_command_body("/kpi", NOTE, user_id=EDITOR, response_url=fake.response_url("note"))
        signed_at = int(time.time())
        answers = [post_signed(events, body, SECRET, timestamp=signed_at) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    first, second, third = texts(answers)
    assert "Observation saved" in first
    assert ALREADY_DONE in second and ALREADY_DONE in third
    assert notes_stored(demo_db) == 1
    changes = [e for e in entries(demo_db) if e.action == "/kpi" and e.outcome == "ok" and "call centre" in e.detail]
    assert len(changes) == 1
    assert [e.outcome for e in entries(demo_db) if e.action == "/kpi"].count("replayed") == 2


def test_a_replay_to_another_replica_is_caught_too(demo_db):
    with FakeSlack() as fake, replicas(demo_db, fake) as (one, other):
        body = slash_command_body("/kpi", NOTE, user_id=EDITOR, response_url=fake.response_url("note"))
        signed_at = int(time.time())
        first = post_signed(one, body, SECRET, timestamp=signed_at)
        again = post_signed(other, body, SECRET, timestamp=signed_at)
    assert "Observation saved" in texts([first])[0]
    assert ALREADY_DONE in texts([again])[0]
    assert notes_stored(demo_db) == 1


def test_the_same_note_signed_afresh_is_a_new_request(demo_db):
    with FakeSlack() as fake, replicas(demo_db, fake, count=1) as (events,):
        body = slash_command_body("/kpi", NOTE, user_id=EDITOR, response_url=fake.response_url("note"))
        signed_at = int(time.time())
        answers = [post_signed(events, body, SECRET, timestamp=signed_at - 1),
                   post_signed(events, body, SECRET, timestamp=signed_at)]
    assert all("Observation saved" in text for text in texts(answers))
    assert notes_stored(demo_db) == 2


def test_read_only_commands_are_answered_every_time_without_a_record(demo_db):
    with FakeSlack() as fake, replicas(demo_db, fake, count=1) as (events,):
        body = slash_command_body("/kpi", "calls-under-25s", user_id=EDITOR, response_url=fake.response_url("read"))
        signed_at = int(time.time())
        answers = [post_signed(events, body, SECRET, timestamp=signed_at) for _ in range(3)]
    assert all("Calls answered under 25 seconds: 58%" in text for text in texts(answers))
    with demo_db.session() as session:
        assert session.scalar(select(func.count()).select_from(SeenRequestRow)) == 0


def test_a_note_refused_for_its_role_is_not_recorded(demo_db):
    """A viewer's note is refused on every copy, with the refusal, not "already done"."""
    with FakeSlack() as fake, replicas(demo_db, fake, count=1) as (events,):
        body = slash_command_body("/kpi", NOTE, user_id="U0VIEWER", response_url=fake.response_url("viewer"))
        signed_at = int(time.time())
        answers = [post_signed(events, body, SECRET, timestamp=signed_at) for _ in range(2)]
    assert all("That needs the editor role" in text for text in texts(answers))
    assert notes_stored(demo_db) == 0


def test_seen_keys_are_kept_for_the_signature_window_then_pruned(db):
    signed_at = 1_800_000_000
    assert first_time(db, "1800000000:v0=aaaa", signed_at, now=signed_at) is True
    assert first_time(db, "1800000000:v0=aaaa", signed_at, now=signed_at + 299) is False
    # Six minutes on (the 5-minute window and a minute for clocks), the key's request fails its signature
    # check anyway, so the key is pruned by the next request that is recorded.
    assert first_time(db, "1800000400:v0=bbbb", signed_at + 400, now=signed_at + 361) is True
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SeenRequestRow)) == 1
