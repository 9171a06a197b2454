"""Schema, migrations and indexes on each backend; the console over a real database."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.app import build_registry
from bot.console.repl import run_console
from storage.db import current_revision, head_revision, upgrade
from storage.models import Base, CspAllocationRow
from storage.repository import csp_years


def test_schema_is_at_head_and_upgrade_is_idempotent(db):
    assert current_revision(db.engine) == head_revision()
    assert upgrade(db.engine) == head_revision()


def test_indexes_fit_the_queries(db):
    inspector = inspect(db.engine)
    def columns(table):
        return {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
    assert ("metric_id", "period_start") in columns("observations")
    assert ("completed_on", "received_on") in columns("reviews")
    assert ("year",) in columns("csp_allocations")
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("observations")}
    assert ("metric_id", "period") in uniques


def test_the_ledger_and_subscriptions_are_unique_by_address(db):
    """One delivery per conversation, digest and period, and one subscription per conversation and digest,
    where a conversation is its platform, workspace and id."""
    inspector = inspect(db.engine)
    def uniques(table):
        return {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
    assert uniques("digest_deliveries") == {("platform", "workspace", "conversation_id", "kind", "period")}
    assert uniques("digest_subscriptions") == {("platform", "workspace", "conversation_id", "kind")}


def test_migrations_build_exactly_the_models(db):
    """No table, column or index in the models that a migration does not create, or the other way round."""
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_allocated_years_are_listed_once_each_oldest_first(db):
    with db.session() as session:
        assert csp_years(session) == []
        loaded = datetime(2025, 10, 27, tzinfo=timezone.utc)
        for area, year in [("Rutland", "2025/26"), ("Blaby", "2023/24"), ("Rutland", "2023/24"),
                           ("Charnwood", "2025/26"), ("Blaby", "2021/22")]:
            session.add(CspAllocationRow(area=area, year=year, allocation=Decimal("1000.00"), source="test",
                                         loaded_by="test", loaded_at=loaded))
        session.flush()
        assert csp_years(session) == ["2021/22", "2023/24", "2025/26"]


def test_console_answers_each_line_until_end_of_input(demo_db, settings):
    out = io.StringIO()
    answered = run_console(build_registry(settings, demo_db),
                           io.StringIO("/kpi calls-under-25s\n\n/kpi nonsense-metric\n/kpi help\n"), out)
    text = out.getvalue()
    assert answered == 3
    assert "Calls answered under 25 seconds: 58% (Jul-Sep 2025)" in text
    assert "I don't know a metric or section called 'nonsense-metric'." in text
    assert "Public Interaction" in text


def test_console_never_shows_a_traceback_for_odd_input(demo_db, settings):
    registry = build_registry(settings, demo_db)
    for line in ["/kpi", "/kpi as of", "/kpi as of 2025-13-45", "/kpi public", "/KPI HELP", "/nope", "kpi", "/kpi \u2603",
                 "/kpi calls-under-25s as of 1999-01", "/kpi " + "x" * 5000]:
        response = registry.run_line(line)
        assert response.title
        assert "Traceback" not in response.title
