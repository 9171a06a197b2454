"""Migration 0013 on a database at 0012 with a digest delivered and its attempt logged: the ledger gains an empty
payload column, keeps every delivery and its attempts (no table rebuild cascades them away), holds an alert's
words as JSON, and loses the column again on the way back with the rows still there."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from tests.conftest import BACKENDS
from tests.migration_kit import database_at, insert, migrate

DELIVERY = {"id": 1, "platform": "slack", "workspace": "", "conversation_id": "C07LEADS01", "reference": None,
            "kind": "weekly", "period": "2025-W44", "subscription_id": None,
            "scheduled_for": "2025-10-27 08:00:00+00:00", "state": "posted", "claimed_by": "host:1",
            "claimed_at": "2025-10-27 08:00:01+00:00", "finished_at": "2025-10-27 08:00:03+00:00",
            "message_ref": "1761552003.000100", "attempts": 1, "error": None, "permanent": False,
            "triggered_by": "schedule"}
ATTEMPT = {"id": 1, "delivery_id": 1, "scheduled_for": "2025-10-27 08:00:00+00:00",
           "started_at": "2025-10-27 08:00:01+00:00", "finished_at": "2025-10-27 08:00:03+00:00", "state": "posted",
           "error": None, "triggered_by": "schedule", "process": "host:1"}
WORDS = {"line": "Volunteer hours turned Red (was Green): 46.7 hours in Jul-Sep 2025", "worse": True,
         "source": "september.xlsx", "slug": "volunteer-hours", "state": "red"}


@pytest.fixture(params=BACKENDS)
def engine_at_0012(request, tmp_path):
    with database_at(request, tmp_path, "0012") as (_, engine):
        yield engine


def _count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_the_ledger_gains_a_payload_and_keeps_its_rows(engine_at_0012):
    engine = engine_at_0012
    insert(engine, "digest_deliveries", DELIVERY)
    insert(engine, "digest_attempts", ATTEMPT)
    migrate(engine, "0013")
    assert "payload" in {c["name"] for c in inspect(engine).get_columns("digest_deliveries")}
    assert (_count(engine, "digest_deliveries"), _count(engine, "digest_attempts")) == (1, 1)
    insert(engine, "digest_deliveries", {**DELIVERY, "id": 2, "kind": "alert", "period": "alert:0a1b2c3d4e",
                                         "message_ref": None, "state": "failed", "payload": json.dumps(WORDS)})
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, kind, payload FROM digest_deliveries ORDER BY id")).all()
    assert [(i, kind) for i, kind, _ in rows] == [(1, "weekly"), (2, "alert")]
    assert rows[0][2] is None
    stored = rows[1][2]
    assert (json.loads(stored) if isinstance(stored, str) else stored) == WORDS


def test_the_downgrade_drops_the_column_and_keeps_the_rows(engine_at_0012):
    engine = engine_at_0012
    insert(engine, "digest_deliveries", DELIVERY)
    insert(engine, "digest_attempts", ATTEMPT)
    migrate(engine, "0013")
    migrate(engine, "0012", down=True)
    assert "payload" not in {c["name"] for c in inspect(engine).get_columns("digest_deliveries")}
    assert (_count(engine, "digest_deliveries"), _count(engine, "digest_attempts")) == (1, 1)
