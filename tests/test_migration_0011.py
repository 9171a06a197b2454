"""Migration 0011 on a database at 0010 with an alert subscription in it: the pending-upload table arrives empty,
holds a file's bytes (a workbook's binary, not text), keeps each token once, leaves the alert as it was, and goes
again on the way back."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import BACKENDS
from tests.migration_kit import database_at, insert, migrate

ALERT = {"platform": "slack", "workspace": "", "conversation_id": "C07LEADS01", "reference": None, "active": True,
         "created_by": "U02ADMIN9", "created_at": "2025-10-27 09:00:00+00:00",
         "updated_at": "2025-10-27 09:00:00+00:00", "kind": "rag", "section": "", "metric_slug": "",
         "direction": "", "limit_value": None, "days": None}
# The first bytes of every .xlsx (a zip), and a NUL: what a text column could not hold.
WORKBOOK_BYTES = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
UPLOAD = {"token": "k3X9q0Zr7mPa", "platform": "slack", "workspace": "", "conversation_id": "D07EDITOR1",
          "user_id": "U02EDITOR", "filename": "September figures.xlsx", "kind": "observations",
          "sha256": "a" * 64, "size": len(WORKBOOK_BYTES), "content": WORKBOOK_BYTES, "state": "pending",
          "claimed_by": None, "created_at": "2025-10-27 09:00:00+00:00", "expires_at": "2025-10-27 09:30:00+00:00"}


@pytest.fixture(params=BACKENDS)
def engine_at_0010(request, tmp_path):
    with database_at(request, tmp_path, "0010") as (_, engine):
        yield engine


def test_the_table_arrives_holds_bytes_and_the_rest_is_untouched(engine_at_0010):
    engine = engine_at_0010
    insert(engine, "alert_subscriptions", ALERT)
    migrate(engine, "0011")
    columns = {c["name"] for c in inspect(engine).get_columns("pending_uploads")}
    assert columns == {"id", "token", "platform", "workspace", "conversation_id", "user_id", "filename", "kind",
                       "sha256", "size", "content", "state", "claimed_by", "created_at", "expires_at"}
    insert(engine, "pending_uploads", UPLOAD)
    with engine.connect() as connection:
        content, = connection.execute(text("SELECT content FROM pending_uploads")).one()
        assert bytes(content) == WORKBOOK_BYTES
        assert connection.execute(text("SELECT conversation_id, kind FROM alert_subscriptions")).all() == [
            ("C07LEADS01", "rag")]
    with pytest.raises(IntegrityError):
        insert(engine, "pending_uploads", {**UPLOAD, "conversation_id": "D07OTHER01"})


def test_the_downgrade_drops_the_table_and_keeps_the_alerts(engine_at_0010):
    engine = engine_at_0010
    insert(engine, "alert_subscriptions", ALERT)
    migrate(engine, "0011")
    insert(engine, "pending_uploads", UPLOAD)
    migrate(engine, "0010", down=True)
    tables = set(inspect(engine).get_table_names())
    assert "pending_uploads" not in tables
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alert_subscriptions")).scalar() == 1
