"""For migration tests: a database of its own (not the suite's shared one) built at an earlier revision, on
SQLite or PostgreSQL, migrated up and down, and rows written to it as they were at that revision."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from storage.db import _alembic_config, make_engine
from tests.conftest import _normalise


@contextmanager
def database_at(request, tmp_path, revision: str) -> Iterator[tuple[str, Engine]]:
    """(url, engine) of an empty database migrated to `revision`, on the backend `request.param` names;
    dropped afterwards."""
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / f'at-{revision}.db'}"
    else:
        shared = make_url(_normalise(request.getfixturevalue("postgres_url")))
        own = shared.set(database=f"{shared.database}_at{revision}")
        admin = create_engine(shared.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}"'))
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
        url, drop = own.render_as_string(hide_password=False), (admin, own.database)
    engine = make_engine(url)
    migrate(engine, revision)
    try:
        yield url, engine
    finally:
        engine.dispose()
        if drop:
            admin, name = drop
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def migrate(engine: Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        (command.downgrade if down else command.upgrade)(_alembic_config(connection), revision)


def insert(engine: Engine, table: str, row: dict) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"),
                           row)
