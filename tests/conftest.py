"""Test factories: databases on SQLite (always) and PostgreSQL (when KPIBOT_TEST_POSTGRES_URL is set), a fixed clock."""
from __future__ import annotations

import gc
import logging
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage.bootstrap import initialise, load_demo
from storage.db import Database
from storage.models import Base

POSTGRES_URL = os.environ.get("KPIBOT_TEST_POSTGRES_URL")
# The Panel met on 27 October 2025; the bundled figures run to September 2025.
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
# The machine's real date as issue 11 was worked: 14 months after the bundled figures end (Sep 2025).
TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _normalise(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database for this test session: created if missing, dropped after if we created it."""
    if not POSTGRES_URL:
        pytest.skip("KPIBOT_TEST_POSTGRES_URL not set")
    url = make_url(_normalise(POSTGRES_URL))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    yield url.render_as_string(hide_password=False)
    if not exists:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": url.database})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file with the catalog, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "kpibot.db"
    db = Database(f"sqlite:///{path}")
    initialise(db, PANEL_DAY)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url):
    db = Database(postgres_url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    initialise(db, PANEL_DAY)
    db.dispose()
    return postgres_url


def _fresh_postgres(url: str) -> Database:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    initialise(db, PANEL_DAY)
    return db


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path, sqlite_template) -> Database:
    """An initialised, empty database (catalog only) on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "kpibot.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = _fresh_postgres(request.getfixturevalue("postgres_migrated"))
    yield database
    database.dispose()


@pytest.fixture
def demo_db(db) -> Database:
    """The database with the bundled published-papers dataset loaded."""
    load_demo(db, "demo", PANEL_DAY)
    return db


@pytest.fixture
def settings(db) -> Settings:
    return Settings(database_url=db.url, _env_file=None)


@pytest.fixture
def write_file(tmp_path):
    """Write text to a file in the test's directory and return its path."""
    def write(name: str, content: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(content, encoding=encoding)
        return path
    return write


@pytest.fixture
def registry_at(db, settings):
    """Every command over the test's database (`demo_db` too), as the app wires them, with the clock fixed
    at the moment given: `registry_at(TODAY).run_line("/reviews overdue")`."""
    from bot.app import build_registry

    def build(moment: datetime = PANEL_DAY):
        return build_registry(settings, db, clock=lambda: moment)
    return build


@pytest.fixture
def steady_heap():
    """For a test that holds the app in this process to Slack's 3 s: the objects of the thousands of tests
    before it are collected and frozen first, so a full garbage collection (most of a second over that heap)
    cannot stall every thread in the middle of the timed part. Put back as it was afterwards."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.fixture(autouse=True)
def root_logger_as_it_was():
    """What a test's `configure_logging` (a CLI command run in this process) puts on the root logger is taken off
    when the test ends: its handler writes to a stream pytest closes then, and every later test's log line would
    print logging's own "--- Logging error ---" traceback instead. pytest's own handlers are left to pytest."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(level)
