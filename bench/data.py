"""The benchmark's data: the generated S, M and L datasets, built once into SQLite files and PostgreSQL databases."""
from __future__ import annotations

import tempfile
from pathlib import Path

from bench.generate import Scale, build
from bench.plan import CACHE, GENERATOR_VERSION, ROOT, BenchError, progress


def _cache_key(scale: Scale) -> str:
    from storage.db import head_revision

    return f"{scale.name}-{scale.metrics}-{scale.reviews}-{scale.areas}-{scale.spend_per_area}-g{GENERATOR_VERSION}-{head_revision()}"


def _build(url: str, scale: Scale) -> None:
    """Generate `scale`'s files and load them into the database at `url`, saying how long each part took."""
    with tempfile.TemporaryDirectory() as work:
        timings = build(url, scale, Path(work), progress)
    progress(f"  built in {sum(timings.values()):.0f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


def sqlite_database(scale: Scale) -> str:
    """A SQLite file at `scale`, built once and kept under bench/.cache until the schema or generator changes."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{_cache_key(scale)}.db"
    if not path.exists():
        progress(f"building the {scale.name} dataset in SQLite (kept in {path.relative_to(ROOT)})")
        partial = path.with_suffix(".partial")
        for stale in CACHE.glob(f"{scale.name}-*"):
            stale.unlink()
        _build(f"sqlite:///{partial}", scale)
        partial.rename(path)
    return f"sqlite:///{path}"


def postgres_database(base_url: str, scale: Scale) -> str:
    """A PostgreSQL database at `scale`, kept between runs; its comment records what built it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    name = f"kpibot_bench_{scale.name.lower()}"
    key = _cache_key(scale)
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        try:
            connection = admin.connect()
        except OperationalError as exc:
            raise BenchError(f"cannot reach PostgreSQL at {make_url(base_url).render_as_string()} "
                             f"({str(exc.orig).strip().splitlines()[0]}); set KPIBOT_BENCH_POSTGRES_URL to a "
                             "server you can create databases on, or pass --postgres '' to skip PostgreSQL") from None
        with connection:
            comment = connection.execute(text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": name}).first()
            if comment is not None and comment[0] == key:
                return url
            progress(f"building the {scale.name} dataset in PostgreSQL (database {name})")
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        _build(url, scale)
        with admin.connect() as connection:
            connection.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{key}'"))
        return url
    finally:
        admin.dispose()


def bench_settings(url: str, **extra):
    from bot.settings import Settings

    return Settings(database_url=url, _env_file=None, **extra)
