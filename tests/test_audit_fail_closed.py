"""A sensitive answer is given only once its audit row is committed (fail closed): when the row cannot be written
(another process holds the write lock, or the database refuses the row), the asker is told it could not be
recorded and to try again, and sees nothing of the cases. Other answers are given as before, the failure logged."""
from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.app import build_registry
from bot.render_text import render_text
from bot.settings import Settings
from bot.slack.app import STILL_WORKING
from storage.audit import entries, record
from tests.fake_slack import FakeSlack
from tests.slack_signing import post_signed, slash_command_body
from tests.test_slack_e2e import SECRET, TOKEN, serving

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
ALLOWED = "C0GOV"
NOT_RECORDED = "I couldn't record this request in the audit log, so I haven't answered it."
NOT_RECORDED_HINT = ("Case details and Panel papers are given only once the request is recorded. "
                     "Try again in a minute; if it keeps happening, tell the performance team.")
OPEN_CASES = [f"CR-2025-00{n}" for n in range(58, 67)]   # the bundled log's open cases on the Panel day
# A second process that takes SQLite's write lock and keeps it for 40 s (the case), or until it is ended.
HOLD_SQLITE_LOCK = """import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(40)
"""
REFUSE_SQLITE = ("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                 "BEGIN SELECT RAISE(ABORT, 'the audit log takes no rows'); END")
REFUSE_POSTGRES = ("CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'the audit log takes no rows'; END $$; "
                   "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()")
ALLOW_POSTGRES = "DROP TRIGGER IF EXISTS refuse_audit ON audit_log; DROP FUNCTION IF EXISTS refuse_audit()"


def _is_sqlite(db) -> bool:
    return db.url.startswith("sqlite")


@contextlib.contextmanager
def audit_log_locked(db):
    """Another writer holds the lock the audit row needs: a second process's BEGIN IMMEDIATE on SQLite, a table
    lock from another session on PostgreSQL. Yields a function saying whether the lock is still held."""
    if _is_sqlite(db):
        holder = subprocess.Popen([sys.executable, "-c", HOLD_SQLITE_LOCK, make_url(db.url).database],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            yield lambda: holder.poll() is None
        finally:
            holder.kill()
            holder.wait()
            holder.stdout.close()
        return
    engine = create_engine(db.url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            yield lambda: not connection.closed and connection.in_transaction()
            connection.rollback()
    finally:
        engine.dispose()


@contextlib.contextmanager
def audit_log_refusing(db):
    """The database refuses every audit row (a trigger raising), as a full disk or a revoked grant would."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(REFUSE_SQLITE if _is_sqlite(db) else REFUSE_POSTGRES)
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_audit" if _is_sqlite(db) else ALLOW_POSTGRES)


def _registry(db):
    settings = Settings(database_url=db.url, sensitive_channel_ids=ALLOWED, editor_user_ids="U0EDITOR",
                        _env_file=None)
    return build_registry(settings, db, clock=lambda: PANEL_DAY)


def _named(text: str) -> list[str]:
    return [reference for reference in OPEN_CASES if reference in text]


def _audited(db, action: str) -> list[tuple[str, str, str]]:
    return [(e.place, e.detail, e.outcome) for e in entries(db) if e.action == action]


def test_a_case_list_is_not_given_when_its_audit_row_is_refused(demo_db, caplog):
    registry = _registry(demo_db)
    caplog.set_level(logging.WARNING)
    with audit_log_refusing(demo_db):
        refused = registry.run_line("/reviews overdue", user_id="U0VIEWER", channel_id=ALLOWED)
        preview = registry.run_line("/digest preview weekly", user_id="U0VIEWER", channel_id=ALLOWED)
        own_dm = registry.run_line("/reviews overdue", user_id="U0EDITOR", channel_id="D0EDITOR",
                                   direct_with_bot=True)
        # Not sensitive: answered as before, the audit failure logged.
        figure = registry.run_line("/kpi calls-under-25s", user_id="U0VIEWER", channel_id=ALLOWED)
        counts = registry.run_line("/reviews overdue", user_id="U0VIEWER", channel_id="C0GENERAL")
    for answer in (refused, preview, own_dm):
        assert answer.is_error and answer.title == NOT_RECORDED and answer.notes == [NOT_RECORDED_HINT]
        assert answer.table is None and answer.parts == [] and answer.charts == []
        assert _named(render_text(answer)) == []
    assert figure.title.startswith("Calls answered under 25 seconds: 58%")
    assert counts.title == "7 complaint reviews overdue on 27 Oct 2025" and counts.table is None
    assert sum("could not write the audit log" in r.getMessage() for r in caplog.records) == 5
    # Nothing reached the log while it refused; once it takes rows again the same request is answered and audited.
    assert _audited(demo_db, "/reviews") == []
    listed = registry.run_line("/reviews overdue", user_id="U0VIEWER", channel_id=ALLOWED)
    assert [row[0] for row in listed.table.rows] == OPEN_CASES[:7]
    assert _audited(demo_db, "/reviews") == [(ALLOWED, "overdue", "ok")]


def test_a_panel_paper_is_not_handed_over_when_its_audit_row_is_refused(demo_db):
    registry = _registry(demo_db)
    with audit_log_refusing(demo_db):
        paper = registry.run_line("/snapshot 2025/26 Q2 docx", user_id="U0VIEWER", channel_id=ALLOWED)
    assert paper.is_error and paper.title == NOT_RECORDED
    assert paper.files == []


def test_while_another_process_holds_the_write_lock_a_case_list_is_refused_not_given(demo_db):
    registry = _registry(demo_db)
    with audit_log_locked(demo_db) as still_held:
        refused = registry.run_line("/reviews overdue", user_id="U0VIEWER", channel_id=ALLOWED)
        figure = registry.run_line("/kpi calls-under-25s", user_id="U0VIEWER", channel_id=ALLOWED)
        assert still_held()          # told while the other writer still holds it, not after it let go
    assert refused.title == NOT_RECORDED and _named(render_text(refused)) == []
    assert figure.title.startswith("Calls answered under 25 seconds: 58%")


def test_an_audit_entry_waits_for_a_lock_no_longer_than_a_slack_ack_allows(demo_db):
    """The deadline is the behaviour: a sensitive answer waits on its entry, and Slack waits 3 s for the ack. The
    entry gives up after about a second (the database's own busy timeout is far longer), and the connection's
    own timeout is put back for the next statement."""
    def busy_timeout():
        with demo_db.engine.connect() as connection:
            return connection.exec_driver_sql("PRAGMA busy_timeout").scalar() if _is_sqlite(demo_db) else None

    before = busy_timeout()
    with audit_log_locked(demo_db):
        started = time.monotonic()
        written = record(demo_db, PANEL_DAY, "U0VIEWER", ALLOWED, "/reviews", "overdue", "ok")
        waited = time.monotonic() - started
    assert written is False
    assert waited < 2.5
    assert busy_timeout() == before
    assert record(demo_db, PANEL_DAY, "U0VIEWER", ALLOWED, "/reviews", "overdue", "ok") is True


def test_over_slack_a_locked_audit_log_gives_the_asker_a_short_message_and_no_cases(demo_db, steady_heap):
    with FakeSlack() as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, sensitive_channel_ids=ALLOWED, _env_file=None)
        with serving(settings, build_registry(settings, demo_db, clock=lambda: PANEL_DAY)) as events:
            with audit_log_locked(demo_db):
                body = slash_command_body("/reviews", "overdue public", channel_id=ALLOWED,
                                          response_url=fake.response_url("locked"))
                answer = post_signed(events, body, SECRET)
                assert answer.status == 200 and answer.elapsed < 3.0
                payload = json.loads(answer.body)
                if payload["text"] == STILL_WORKING:
                    payload = fake.wait_for(lambda: fake.responses("locked"), timeout=30)[0]
            assert payload["text"].startswith(NOT_RECORDED)
            assert payload["response_type"] == "ephemeral"
            seen = [answer.body, *(json.dumps(r) for r in fake.responses()), *(json.dumps(m) for m in fake.messages())]
            assert [ref for ref in OPEN_CASES for text in seen if ref in text] == []
