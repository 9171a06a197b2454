"""Migration 0014 on a database at 0013 with a Teams channel's reference stored: the conversation gains an empty
name, keeps its reference, takes a channel's name, and loses the column again on the way back with the row kept."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from tests.conftest import BACKENDS
from tests.migration_kit import database_at, insert, migrate

REFERENCE = {"service_url": "https://smba.trafficmanager.net/emea/", "bot_id": "28:kpibot", "bot_name": "kpibot",
             "conversation_type": "channel", "team_id": "19:team@thread.tacv2"}
CHANNEL = {"id": 1, "platform": "teams", "workspace": "tenant-opcc", "conversation_id": "19:leaders@thread.tacv2",
           "reference": json.dumps(REFERENCE), "user_id": None, "updated_at": "2025-10-27 08:00:00+00:00",
           "removed_at": None}


@pytest.fixture(params=BACKENDS)
def engine_at_0013(request, tmp_path):
    with database_at(request, tmp_path, "0013") as (_, engine):
        yield engine


def _rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT conversation_id, reference FROM conversations ORDER BY id"))]


def _reference(stored) -> dict:
    return json.loads(stored) if isinstance(stored, str) else stored


def test_a_stored_channel_gains_an_empty_name_and_can_be_named(engine_at_0013):
    engine = engine_at_0013
    insert(engine, "conversations", CHANNEL)
    migrate(engine, "0014")
    assert "name" in {c["name"] for c in inspect(engine).get_columns("conversations")}
    [(conversation, reference)] = _rows(engine)
    assert conversation == "19:leaders@thread.tacv2" and _reference(reference) == REFERENCE
    with engine.begin() as connection:
        assert connection.execute(text("SELECT name FROM conversations")).scalar() is None
        connection.execute(text("UPDATE conversations SET name = 'Leaders' WHERE id = 1"))
        assert connection.execute(text("SELECT name FROM conversations")).scalar() == "Leaders"


def test_the_downgrade_drops_the_name_and_keeps_the_row(engine_at_0013):
    engine = engine_at_0013
    insert(engine, "conversations", CHANNEL)
    migrate(engine, "0014")
    with engine.begin() as connection:
        connection.execute(text("UPDATE conversations SET name = 'Leaders' WHERE id = 1"))
    migrate(engine, "0013", down=True)
    assert "name" not in {c["name"] for c in inspect(engine).get_columns("conversations")}
    [(conversation, reference)] = _rows(engine)
    assert conversation == "19:leaders@thread.tacv2" and _reference(reference) == REFERENCE
