"""Process wiring: the database, the command registry, and every command module registered in one list."""
from __future__ import annotations

import logging
import threading
import weakref
from concurrent.futures import Future, TimeoutError as FutureTimeout

import commands
from bot.settings import Settings
from answers.context import CommandContext
from commands.registry import CommandRegistry
from storage.db import Database


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        import json

        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    import time

    handler = logging.StreamHandler()
    if settings.log_json:
        formatter = JsonLogFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # Migration chatter is noise on every start; warnings still show.
    for chatty in ("alembic", "fontTools", "matplotlib", "PIL"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))


def build_registry(settings: Settings, db: Database, clock=None) -> CommandRegistry:
    context = CommandContext(db=db, review_due_days=settings.review_due_days,
                             csp_lag_margin_pp=settings.csp_lag_margin_pp, timezone=settings.timezone,
                             classification=settings.classification,
                             admin_user_ids=settings.admins, access=settings.access_policy())
    if clock is not None:
        context.clock = clock
    registry = CommandRegistry(context)
    for register in (commands.register,):
        register(registry)
    return registry


# /healthz answers inside 1 s whatever the database does; a probe not back by then counts as unhealthy.
HEALTH_BUDGET_SECONDS = 0.8
_PROBES: "weakref.WeakKeyDictionary[Database, _Probe]" = weakref.WeakKeyDictionary()
_PROBES_LOCK = threading.Lock()


class _Probe:
    """One database's health probe: at most one query in flight, however often /healthz is asked.

    A hung database holds the query (until the connect, pool or statement timeout ends it); while it is
    held, later checks wait on that same query instead of each starting one more.
    """

    def __init__(self, db: Database):
        self.db = weakref.ref(db)  # the probe lives as long as its database, not longer
        self._lock = threading.Lock()
        self._running: Future | None = None

    def check(self, budget: float) -> dict:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                threading.Thread(target=self._query, args=(self._running,), name="kpibot-health",
                                 daemon=True).start()
            running = self._running
        try:
            return running.result(timeout=budget)
        except FutureTimeout:
            return {"ok": False, "database": f"not answering within {budget:g} s"}

    def _query(self, result: Future) -> None:
        from sqlalchemy import text

        db = self.db()
        try:
            if db is None:
                raise RuntimeError("the database was closed")
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            result.set_result({"ok": True, "database": "reachable"})
        except Exception as exc:  # any driver error means "not healthy"
            result.set_result({"ok": False, "database": f"unreachable: {type(exc).__name__}"})


def database_health(db: Database, budget: float = HEALTH_BUDGET_SECONDS) -> dict:
    """For /healthz: can the database answer a trivial query, told within `budget` seconds?"""
    with _PROBES_LOCK:
        probe = _PROBES.get(db)
        if probe is None:
            probe = _PROBES[db] = _Probe(db)
    return probe.check(budget)
