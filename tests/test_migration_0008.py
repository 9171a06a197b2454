"""Migration 0008 on a database built at 0007 with data in it: every subscription, delivery, attempt and audit
entry arrives with its values, its channel as a Slack conversation, and the way back works too."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from tests.conftest import BACKENDS
from tests.migration_kit import database_at, migrate

UTC = timezone.utc
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

SUBSCRIPTIONS = [
    # id, channel_id, kind, day, hour, minute, timezone, active, created_by, created_at, updated_at, problem
    (1, "C07LEADS01", "weekly", "mon", 8, 0, "Europe/London", True, "U02ADMIN9", "2025-09-01 08:00:00",
     "2025-09-01 08:00:00", None),
    (2, "C07LEADS01", "quarterly", "tue", 9, 30, "Europe/London", True, "U02ADMIN9", "2025-09-02 10:15:00",
     "2025-09-03 11:00:00", "2025-10-01 07:05:00"),
    (3, "G01PRIVATE", "weekly", "fri", 16, 45, "Europe/London", False, "W0ENTERPR", "2025-08-11 12:00:00",
     "2025-09-20 12:00:00", None),
]
DELIVERIES = [
    # id, channel_id, kind, period, subscription_id, scheduled_for, state, claimed_by, claimed_at, finished_at,
    # message_ts, attempts, error, permanent, triggered_by
    (1, "C07LEADS01", "weekly", "2025-W41", 1, "2025-10-06 07:00:00", "posted", "kpibot-1:4242",
     "2025-10-06 07:00:02", "2025-10-06 07:00:04", "1759734004.123456", 1, None, False, "schedule"),
    (2, "C07LEADS01", "quarterly", "2025/26 Q2", 2, "2025-10-01 08:30:00", "failed", "kpibot-2:77",
     "2025-10-01 08:30:01", "2025-10-01 08:30:03", None, 2, "not_in_channel", True, "catch-up"),
    (3, "G01PRIVATE", "weekly", "2025-W38", 3, "2025-09-19 15:45:00", "skipped", "kpibot-1:4242",
     "2025-09-21 09:00:00", "2025-09-21 09:00:00", None, 0, "missed by more than the 1 day, 0:00:00 grace window",
     False, "catch-up"),
    (4, "C0ADHOC", "weekly", "2025-W41", None, "2025-10-06 07:00:00", "claimed", "laptop:9",
     "2025-10-06 09:12:00", None, None, 1, None, False, "cli:analyst"),
]
ATTEMPTS = [
    # id, delivery_id, scheduled_for, started_at, finished_at, state, error, triggered_by, process
    (1, 1, "2025-10-06 07:00:00", "2025-10-06 07:00:02", "2025-10-06 07:00:04", "posted", None, "schedule",
     "kpibot-1:4242"),
    (2, 2, "2025-10-01 08:30:00", "2025-10-01 08:30:00", "2025-10-01 08:30:01", "failed", "ratelimited",
     "schedule", "kpibot-1:4242"),
    (3, 2, "2025-10-01 08:30:00", "2025-10-01 08:30:01", "2025-10-01 08:30:03", "failed", "not_in_channel",
     "catch-up", "kpibot-2:77"),
    (4, 4, "2025-10-06 07:00:00", "2025-10-06 09:12:00", None, "claimed", None, "cli:analyst", "laptop:9"),
]
AUDIT = [
    # id, at, actor, place, action, detail, outcome
    (1, "2025-10-06 09:01:00", "U02ADMIN9", "C07LEADS01", "/digest", "subscribe weekly", "ok"),
    (2, "2025-10-06 09:02:00", "analyst", "cli", "import observations", "observations.csv: 120 rows", "ok"),
    (3, "2025-10-06 09:03:00", "console", "console", "/kpi", "calls-under-25s", "ok"),
    (4, "2025-10-06 09:04:00", "U0VIEWER1", "D0DIRECT7", "/reviews", "overdue", "refused"),
]


@pytest.fixture(params=BACKENDS)
def url_at_0007(request, tmp_path):
    """An empty database of its own (not the suite's shared one), migrated to revision 0007."""
    with database_at(request, tmp_path, "0007") as (url, engine):
        yield url, engine


def _insert(connection, table: str, columns: str, rows) -> None:
    names = [c.strip() for c in columns.split(",")]
    statement = text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + n for n in names)})")
    for row in rows:
        connection.execute(statement, {name: _utc(value) for name, value in zip(names, row)})


def _utc(value):
    """A time written in the expected rows as a time in UTC, whatever the server's own zone."""
    return f"{value}+00:00" if isinstance(value, str) and TIME.fullmatch(value) else value


def _fill_at_0007(engine) -> None:
    with engine.begin() as connection:
        _insert(connection, "digest_subscriptions", "id, channel_id, kind, day_of_week, hour, minute, timezone, "
                "active, created_by, created_at, updated_at, problem_reported_at", SUBSCRIPTIONS)
        _insert(connection, "digest_deliveries", "id, channel_id, kind, period, subscription_id, scheduled_for, "
                "state, claimed_by, claimed_at, finished_at, message_ts, attempts, error, permanent, triggered_by",
                DELIVERIES)
        _insert(connection, "digest_attempts", "id, delivery_id, scheduled_for, started_at, finished_at, state, "
                "error, triggered_by, process", ATTEMPTS)
        _insert(connection, "audit_log", "id, at, actor, place, action, detail, outcome", AUDIT)


def _rows(engine, query: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(_plain(v) for v in row) for row in connection.execute(text(query))]


def _plain(value):
    """A value as the expected rows write it: times as UTC text, flags as booleans."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and TIME.match(value):
        return value[:19]
    return value


def test_every_row_arrives_as_a_slack_address(url_at_0007):
    _, engine = url_at_0007
    _fill_at_0007(engine)
    migrate(engine, "0008")
    assert _rows(engine, "SELECT id, platform, workspace, conversation_id, reference, kind, day_of_week, hour, "
                         "minute, timezone, active, created_by, created_at, updated_at, problem_reported_at "
                         "FROM digest_subscriptions ORDER BY id") == [
        (1, "slack", "", "C07LEADS01", None, "weekly", "mon", 8, 0, "Europe/London", True, "U02ADMIN9",
         "2025-09-01 08:00:00", "2025-09-01 08:00:00", None),
        (2, "slack", "", "C07LEADS01", None, "quarterly", "tue", 9, 30, "Europe/London", True, "U02ADMIN9",
         "2025-09-02 10:15:00", "2025-09-03 11:00:00", "2025-10-01 07:05:00"),
        (3, "slack", "", "G01PRIVATE", None, "weekly", "fri", 16, 45, "Europe/London", False, "W0ENTERPR",
         "2025-08-11 12:00:00", "2025-09-20 12:00:00", None),
    ]
    assert _rows(engine, "SELECT id, platform, workspace, conversation_id, reference, kind, period, "
                         "subscription_id, scheduled_for, state, claimed_by, claimed_at, finished_at, message_ref, "
                         "attempts, error, permanent, triggered_by FROM digest_deliveries ORDER BY id") == [
        (1, "slack", "", "C07LEADS01", None, "weekly", "2025-W41", 1, "2025-10-06 07:00:00", "posted",
         "kpibot-1:4242", "2025-10-06 07:00:02", "2025-10-06 07:00:04", "1759734004.123456", 1, None, False,
         "schedule"),
        (2, "slack", "", "C07LEADS01", None, "quarterly", "2025/26 Q2", 2, "2025-10-01 08:30:00", "failed",
         "kpibot-2:77", "2025-10-01 08:30:01", "2025-10-01 08:30:03", None, 2, "not_in_channel", True,
         "catch-up"),
        (3, "slack", "", "G01PRIVATE", None, "weekly", "2025-W38", 3, "2025-09-19 15:45:00", "skipped",
         "kpibot-1:4242", "2025-09-21 09:00:00", "2025-09-21 09:00:00", None, 0,
         "missed by more than the 1 day, 0:00:00 grace window", False, "catch-up"),
        (4, "slack", "", "C0ADHOC", None, "weekly", "2025-W41", None, "2025-10-06 07:00:00", "claimed",
         "laptop:9", "2025-10-06 09:12:00", None, None, 1, None, False, "cli:analyst"),
    ]
    # Every attempt is still there, under its delivery (SQLite's table rebuild would have cascaded them away).
    assert _rows(engine, "SELECT id, delivery_id, scheduled_for, started_at, finished_at, state, error, "
                         "triggered_by, process FROM digest_attempts ORDER BY id") == ATTEMPTS   # as they were
    assert _rows(engine, "SELECT id, at, actor, platform, workspace, place, action, detail, outcome "
                         "FROM audit_log ORDER BY id") == [
        (1, "2025-10-06 09:01:00", "U02ADMIN9", "slack", "", "C07LEADS01", "/digest", "subscribe weekly", "ok"),
        (2, "2025-10-06 09:02:00", "analyst", "cli", "", "cli", "import observations", "observations.csv: 120 rows",
         "ok"),
        (3, "2025-10-06 09:03:00", "console", "console", "", "console", "/kpi", "calls-under-25s", "ok"),
        (4, "2025-10-06 09:04:00", "U0VIEWER1", "slack", "", "D0DIRECT7", "/reviews", "overdue", "refused"),
    ]


def test_the_ledger_still_allows_one_delivery_per_address_and_period(url_at_0007):
    _, engine = url_at_0007
    _fill_at_0007(engine)
    migrate(engine, "0008")
    # Ids given, as the rows above were: PostgreSQL's sequence has not counted those.
    again = ("INSERT INTO digest_deliveries (id, platform, workspace, conversation_id, kind, period, scheduled_for, "
             "state, claimed_by, claimed_at, attempts, permanent, triggered_by) VALUES ({id}, '{platform}', '', "
             "'C07LEADS01', 'weekly', '2025-W41', '2025-10-06 07:00:00', 'claimed', 'p', '2025-10-06 07:00:00', "
             "1, false, 't')")
    with engine.begin() as connection:   # the same conversation on another platform is another address
        connection.execute(text(again.format(id=100, platform="teams")))
    with pytest.raises(Exception, match="(?i)unique"):
        with engine.begin() as connection:
            connection.execute(text(again.format(id=101, platform="slack")))


def test_downgrade_gives_the_slack_rows_back(url_at_0007):
    _, engine = url_at_0007
    _fill_at_0007(engine)
    migrate(engine, "0008")
    migrate(engine, "0007", down=True)
    assert _rows(engine, "SELECT id, channel_id, kind, created_by FROM digest_subscriptions ORDER BY id") == [
        (1, "C07LEADS01", "weekly", "U02ADMIN9"), (2, "C07LEADS01", "quarterly", "U02ADMIN9"),
        (3, "G01PRIVATE", "weekly", "W0ENTERPR")]
    assert _rows(engine, "SELECT id, channel_id, subscription_id, message_ts FROM digest_deliveries ORDER BY id") == [
        (1, "C07LEADS01", 1, "1759734004.123456"), (2, "C07LEADS01", 2, None), (3, "G01PRIVATE", 3, None),
        (4, "C0ADHOC", None, None)]
    assert _rows(engine, "SELECT id, delivery_id FROM digest_attempts ORDER BY id") == [(1, 1), (2, 2), (3, 2), (4, 4)]
    assert _rows(engine, "SELECT id, place FROM audit_log ORDER BY id") == [
        (1, "C07LEADS01"), (2, "cli"), (3, "console"), (4, "D0DIRECT7")]


def test_downgrade_refuses_rows_the_old_schema_cannot_hold(url_at_0007):
    _, engine = url_at_0007
    migrate(engine, "0008")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO digest_subscriptions (platform, workspace, conversation_id, kind, "
                                "day_of_week, hour, minute, timezone, active, created_by, created_at, updated_at) "
                                "VALUES ('teams', 'tenant-1', '19:abc@thread.tacv2', 'weekly', 'mon', 8, 0, "
                                "'Europe/London', true, 'u1', '2025-10-01 00:00:00', '2025-10-01 00:00:00')"))
    with pytest.raises(RuntimeError, match="cannot downgrade below 0008: 1 rows of digest_subscriptions"):
        migrate(engine, "0007", down=True)
