"""Database connection and schema upgrades: one engine per process, Alembic migrations run in-process."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import re

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

LOGGER = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# Every wait on the database is bounded, so that a slow or hung database gives "data unavailable" in seconds
# rather than holding a command (and the worker answering it) for ever. A command's own work takes well under a
# second on either backend; these bounds are for a database that is not answering at all.
CONNECT_TIMEOUT_SECONDS = 2  # psycopg's floor; the whole connection attempt, handshake included
POOL_TIMEOUT_SECONDS = 5  # for a free connection from this process's pool
STATEMENT_TIMEOUT_MS = 20_000  # PostgreSQL ends any one statement running longer (imports insert in batches)
LOCK_TIMEOUT_MS = 5_000  # and any wait for a row or table lock held by another session
SQLITE_BUSY_SECONDS = 5  # SQLite waits this long for another process's write lock before "database is locked"


class DatabaseError(RuntimeError):
    """The database cannot be reached or is not in a usable state; the message says what to do."""


class NotEmptyError(RuntimeError):
    """The demo dataset only goes into a database that holds no figures yet."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # A short connect timeout: a command must be able to say "database unavailable" inside Slack's 3 s.
    # Custom plans always: psycopg prepares a statement after five runs, and PostgreSQL's generic plan for
    # it, made while a table was small, kept scanning it whole once an import had grown it to 100,000 rows.
    options = (f"-c plan_cache_mode=force_custom_plan -c statement_timeout={STATEMENT_TIMEOUT_MS} "
               f"-c lock_timeout={LOCK_TIMEOUT_MS}")
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=POOL_TIMEOUT_SECONDS,
                           connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": options})
    event.listen(engine, "do_connect", _SilentServerPause().connect)
    return engine


class _SilentServerPause:
    """After a connection attempt times out, further attempts fail at once for as long as one attempt takes.

    A server that accepts connections and never answers costs each attempt the whole connect timeout, and
    every command makes two (its query and its audit row): 40 commands on 4 workers took 40 s to hear
    "data unavailable". Within one timeout of a silent attempt, another is no likelier to be answered, so
    it is refused straight away; the first attempt after the pause tries the server again. A refused or
    reset connection (a server that is down, not silent) pauses nothing.
    """

    def __init__(self):
        self._until = 0.0
        self._lock = threading.Lock()

    def connect(self, dialect, _record, cargs, cparams):
        with self._lock:
            paused = time.monotonic() < self._until
        if paused:
            raise dialect.loaded_dbapi.OperationalError(
                f"connection not attempted: the server did not answer one within {CONNECT_TIMEOUT_SECONDS} s "
                "moments ago")
        started = time.monotonic()
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError:
            if time.monotonic() - started >= CONNECT_TIMEOUT_SECONDS * 0.9:  # timed out, not refused
                with self._lock:
                    self._until = time.monotonic() + CONNECT_TIMEOUT_SECONDS
            raise


def _alembic_config(connection):
    from alembic.config import Config  # Alembic loads only to migrate, not to answer a question

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


_REVISION_RE = re.compile(r"^revision\s*=\s*['\"](?P<id>[^'\"]+)['\"]", re.M)
_DOWN_RE = re.compile(r"^down_revision\s*=\s*(?:['\"](?P<id>[^'\"]+)['\"]|None)", re.M)


def head_revision() -> str:
    """The newest migration: the one no other migration revises (read from the files, without Alembic)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION_RE.search(source)
        if revision:
            revisions.add(revision["id"])
            down = _DOWN_RE.search(source)
            if down and down["id"]:
                parents.add(down["id"])
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise DatabaseError(f"the migrations have {len(heads)} heads ({', '.join(heads)}); expected one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            return connection.scalar(text("SELECT version_num FROM alembic_version"))
        except (OperationalError, ProgrammingError) as exc:
            if "alembic_version" in str(exc):
                return None
            raise


def upgrade(engine: Engine) -> str:
    """Bring the schema to the newest revision; returns it. Safe to run on every start."""
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database at {engine.url.render_as_string()}: {exc.orig}") from None
    return head_revision()


def require_schema(engine: Engine) -> None:
    """Refuse to work on a database that has not been initialised or is behind this version."""
    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database at {engine.url.render_as_string()}: {exc.orig}") from None
    if revision is None:
        raise DatabaseError("the database has no kpibot tables yet; run `kpibot init` first")
    if revision != head_revision():
        raise DatabaseError(f"the database schema is at {revision}, this kpibot needs {head_revision()}; run `kpibot init`")


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


class Database:
    """The engine and session factory the rest of the process shares."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error: nothing half-written."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
