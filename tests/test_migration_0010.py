"""Migration 0010 on a database at 0009 with subscriptions and conversations in them: the alert table arrives
empty, takes an alert of each kind, keeps one of each per conversation, leaves every other row as it was, and
goes again on the way back."""
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
ALERT = {"platform": "slack", "workspace": "", "conversation_id": "C07LEADS01", "reference": None, "active": True,
         "created_by": "U02ADMIN9", "created_at": "2025-10-27 09:00:00+00:00",
         "updated_at": "2025-10-27 09:00:00+00:00"}
RAG = {**ALERT, "kind": "rag", "section": "Public Interaction", "metric_slug": "", "direction": "",
       "limit_value": None, "days": None}
THRESHOLD = {**ALERT, "kind": "threshold", "section": "", "metric_slug": "calls-under-25s", "direction": "below",
             "limit_value": 58.0, "days": None}
REVIEWS = {**ALERT, "kind": "reviews", "section": "", "metric_slug": "", "direction": "", "limit_value": None,
           "days": 7}


@pytest.fixture(params=BACKENDS)
def engine_at_0009(request, tmp_path):
    """An empty database of its own, migrated to revision 0009."""
    with database_at(request, tmp_path, "0009") as (_, engine):
        yield engine


def _with_rows(engine) -> None:
    insert(engine, "digest_subscriptions", SUBSCRIPTION)
    insert(engine, "conversations", CONVERSATION)


def test_the_table_arrives_and_the_rest_is_untouched(engine_at_0009):
    engine = engine_at_0009
    _with_rows(engine)
    migrate(engine, "0010")
    columns = {c["name"] for c in inspect(engine).get_columns("alert_subscriptions")}
    assert columns == {"id", "platform", "workspace", "conversation_id", "reference", "kind", "section",
                       "metric_slug", "direction", "limit_value", "days", "active", "created_by", "created_at",
                       "updated_at"}
    for row in (RAG, THRESHOLD, REVIEWS):
        insert(engine, "alert_subscriptions", row)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT kind, section, metric_slug, direction, limit_value, days FROM "
                                       "alert_subscriptions ORDER BY id")).all() == [
            ("rag", "Public Interaction", "", "", None, None), ("threshold", "", "calls-under-25s", "below", 58.0, None),
            ("reviews", "", "", "", None, 7)]
        assert connection.execute(text("SELECT id, conversation_id, kind, active FROM digest_subscriptions")).all() == [
            (1, "C07LEADS01", "weekly", True)]
        assert connection.execute(text("SELECT conversation_id FROM conversations")).all() == [
            ("19:perf0general@thread.tacv2",)]
    insert(engine, "alert_subscriptions", {**THRESHOLD, "direction": "above"})   # the other way is another alert
    with pytest.raises(IntegrityError):
        insert(engine, "alert_subscriptions", {**THRESHOLD, "limit_value": 60.0})   # one per metric and direction


def test_the_way_back_drops_the_table_and_keeps_the_rest(engine_at_0009):
    engine = engine_at_0009
    _with_rows(engine)
    migrate(engine, "0010")
    insert(engine, "alert_subscriptions", RAG)
    migrate(engine, "0009", down=True)
    assert "alert_subscriptions" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM digest_subscriptions")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM conversations")).scalar() == 1
    migrate(engine, "0010")
    assert "alert_subscriptions" in inspect(engine).get_table_names()
