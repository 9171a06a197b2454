"""With the database unreachable, commands say so quickly and the bot recovers by itself when it returns."""
from __future__ import annotations

import time

import pytest
from datetime import datetime, timezone

from bot.app import build_registry
from bot.settings import Settings
from commands.registry import DATA_UNAVAILABLE
from storage.db import Database

PANEL_DAY = datetime(2025, 10, 27, 9, tzinfo=timezone.utc)


def test_unreachable_postgres_answers_data_unavailable_quickly():
    # Port 9 on loopback: nothing listens, so the connection is refused at once.
    db = Database("postgresql+psycopg://postgres@127.0.0.1:9/kpibot")
    registry = build_registry(Settings(database_url=db.url, _env_file=None), db, clock=lambda: PANEL_DAY)
    for line in ("/kpi calls-under-25s", "/reviews overdue", "/csp", "/digest list"):
        started = time.perf_counter()
        response = registry.run_line(line)
        assert response.is_error and response.title == DATA_UNAVAILABLE, line
        assert time.perf_counter() - started < 3.0
    db.dispose()


def test_sqlite_file_that_disappears_then_returns(demo_db, settings, tmp_path):
    """The same Database object answers again once its file is back: nothing to restart."""
    if not demo_db.url.startswith("sqlite"):
        pytest.skip("moves the SQLite file away")
    path = demo_db.url.removeprefix("sqlite:///")
    registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
    assert "58%" in registry.run_line("/kpi calls-under-25s").title
    demo_db.engine.dispose()
    moved = tmp_path / "away.db"
    import os
    os.replace(path, moved)
    os.makedirs(path)  # a directory where the file was: SQLite cannot open it
    try:
        response = registry.run_line("/kpi calls-under-25s")
        assert response.title == DATA_UNAVAILABLE
    finally:
        os.rmdir(path)
        os.replace(moved, path)
    assert "58%" in registry.run_line("/kpi calls-under-25s").title
