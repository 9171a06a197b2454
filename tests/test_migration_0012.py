"""Migration 0012 on a database at 0011 with a metric in it: the metric gains an empty due day and no owners,
keeps every other field, takes a due day and owners, and loses them again on the way back."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from tests.conftest import BACKENDS
from tests.migration_kit import database_at, insert, migrate

METRIC = {"id": 1, "slug": "volunteer-hours", "name": "Volunteer hours", "definition": "Hours given by volunteers.",
          "section": "Scrutiny Functions", "kind": "office", "unit": "hours", "frequency": "monthly",
          "aggregate": "sum", "polarity": "higher_better", "target": None, "expectation": None,
          "baseline_year": "2024/25", "tolerance": None, "aliases": "[]", "plan_ref": None, "headline": False,
          "position": 0, "source": "catalog.yaml", "updated_at": "2025-09-01 08:00:00+00:00"}


@pytest.fixture(params=BACKENDS)
def engine_at_0011(request, tmp_path):
    """An empty database of its own, migrated to revision 0011."""
    with database_at(request, tmp_path, "0011") as (_, engine):
        yield engine


def _owners(value):
    return json.loads(value) if isinstance(value, str) else value


def test_the_columns_arrive_empty_and_the_metric_is_untouched(engine_at_0011):
    engine = engine_at_0011
    insert(engine, "metrics", METRIC)
    migrate(engine, "0012")
    columns = {c["name"] for c in inspect(engine).get_columns("metrics")}
    assert {"due_working_day", "owners"} <= columns
    with engine.begin() as connection:
        assert connection.execute(text("SELECT slug, name, unit, due_working_day, owners FROM metrics")).all() == [
            ("volunteer-hours", "Volunteer hours", "hours", None, None)]
        connection.execute(text("UPDATE metrics SET due_working_day = 10, owners = :owners"),
                           {"owners": json.dumps({"slack": "U0ANALYST", "teams": "29:1a2b3c"})})
        due, owners = connection.execute(text("SELECT due_working_day, owners FROM metrics")).one()
    assert due == 10
    assert _owners(owners) == {"slack": "U0ANALYST", "teams": "29:1a2b3c"}


def test_the_way_back_drops_the_columns_and_keeps_the_metric(engine_at_0011):
    engine = engine_at_0011
    insert(engine, "metrics", METRIC)
    migrate(engine, "0012")
    migrate(engine, "0011", down=True)
    columns = {c["name"] for c in inspect(engine).get_columns("metrics")}
    assert "due_working_day" not in columns and "owners" not in columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT slug, headline FROM metrics")).all() == [("volunteer-hours", False)]
    migrate(engine, "0012")
    assert "owners" in {c["name"] for c in inspect(engine).get_columns("metrics")}
