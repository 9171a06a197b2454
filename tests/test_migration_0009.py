"""Migration 0009 on a database at 0008 with subscriptions in it: the conversations table arrives empty, takes a
Teams reference, keeps one per address, leaves every subscription as it was, and goes again on the way back."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import BACKENDS
from tests.migration_kit import database_at, insert, migrate

SUBSCRIPTION = {"id": 1, "platform": "slack", "workspace": "", "conversation_id": "C07LEADS01", "kind": "weekly",
                "day_of_week": "mon", "hour": 8, "minute": 0, "timezone": "Europe/London", "active": True,
                "created_by": "U02ADMIN9", "created_at": "2025-09-01 08:00:00+00:00",
                "updated_at": "2025-09-01 08:00:00+00:00"}
CONVERSATION = {"platform": "teams", "workspace": "8f2c7a51-0d4e-4b6a-9c3f-1e2d3c4b5a69",
                "conversation_id": "19:perf0general@thread.tacv2",
                "reference": '{"service_url": "https://smba.trafficmanager.net/emea/", "conversation_type": "channel"}',
                "user_id": None, "updated_at": "2025-10-06 07:00:00+00:00"}


@pytest.fixture(params=BACKENDS)
def engine_at_0008(request, tmp_path):
    """An empty database of its own, migrated to revision 0008."""
    with database_at(request, tmp_path, "0008") as (_, engine):
        yield engine


def test_the_table_arrives_and_subscriptions_are_untouched(engine_at_0008):
    engine = engine_at_0008
    insert(engine, "digest_subscriptions", SUBSCRIPTION)
    migrate(engine, "0009")
    columns = {c["name"] for c in inspect(engine).get_columns("conversations")}
    assert columns == {"id", "platform", "workspace", "conversation_id", "reference", "user_id", "updated_at",
                       "removed_at"}
    insert(engine, "conversations", CONVERSATION)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT platform, conversation_id, removed_at FROM conversations")).all() == [
            ("teams", "19:perf0general@thread.tacv2", None)]
        assert connection.execute(text("SELECT id, platform, conversation_id, kind, active FROM "
                                       "digest_subscriptions")).all() == [(1, "slack", "C07LEADS01", "weekly", True)]
    with pytest.raises(IntegrityError):
        insert(engine, "conversations", CONVERSATION)   # one reference per address


def test_the_way_back_drops_the_table_and_keeps_the_rest(engine_at_0008):
    engine = engine_at_0008
    insert(engine, "digest_subscriptions", SUBSCRIPTION)
    migrate(engine, "0009")
    insert(engine, "conversations", CONVERSATION)
    migrate(engine, "0008", down=True)
    assert "conversations" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM digest_subscriptions")).scalar() == 1
    migrate(engine, "0009")
    assert "conversations" in inspect(engine).get_table_names()
