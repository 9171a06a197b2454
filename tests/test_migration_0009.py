"""Migration 0009 on a database at 0008 with subscriptions in it: the conversations table arrives empty, takes a
Teams reference, keeps one per address, leaves every subscription as it was, and goes again on the way back."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from storage.db import _alembic_config, make_engine
from tests.conftest import BACKENDS, _normalise

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
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'at-0008.db'}", None
    else:
        shared = make_url(_normalise(request.getfixturevalue("postgres_url")))
        own = shared.set(database=f"{shared.database}_m0009")
        admin = create_engine(shared.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}"'))
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
        url, drop = own.render_as_string(hide_password=False), (admin, own.database)
    engine = make_engine(url)
    _migrate(engine, "0008")
    yield engine
    engine.dispose()
    if drop:
        admin, name = drop
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _migrate(engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        (command.downgrade if down else command.upgrade)(_alembic_config(connection), revision)


def _insert(engine, table: str, row: dict) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"),
                           row)


def test_the_table_arrives_and_subscriptions_are_untouched(engine_at_0008):
    engine = engine_at_0008
    _insert(engine, "digest_subscriptions", SUBSCRIPTION)
    _migrate(engine, "0009")
    columns = {c["name"] for c in inspect(engine).get_columns("conversations")}
    assert columns == {"id", "platform", "workspace", "conversation_id", "reference", "user_id", "updated_at",
                       "removed_at"}
    _insert(engine, "conversations", CONVERSATION)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT platform, conversation_id, removed_at FROM conversations")).all() == [
            ("teams", "19:perf0general@thread.tacv2", None)]
        assert connection.execute(text("SELECT id, platform, conversation_id, kind, active FROM "
                                       "digest_subscriptions")).all() == [(1, "slack", "C07LEADS01", "weekly", True)]
    with pytest.raises(IntegrityError):
        _insert(engine, "conversations", CONVERSATION)   # one reference per address


def test_the_way_back_drops_the_table_and_keeps_the_rest(engine_at_0008):
    engine = engine_at_0008
    _insert(engine, "digest_subscriptions", SUBSCRIPTION)
    _migrate(engine, "0009")
    _insert(engine, "conversations", CONVERSATION)
    _migrate(engine, "0008", down=True)
    assert "conversations" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM digest_subscriptions")).scalar() == 1
    _migrate(engine, "0009")
    assert "conversations" in inspect(engine).get_table_names()
