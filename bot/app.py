"""Process wiring: the database, the command registry, and every command module registered in one list."""
from __future__ import annotations

import logging

import commands
from bot.settings import Settings
from commands.context import CommandContext
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


def database_health(db: Database) -> dict:
    """For /healthz: can the database answer a trivial query?"""
    from sqlalchemy import text

    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"ok": True, "database": "reachable"}
    except Exception as exc:  # any driver error means "not healthy"
        return {"ok": False, "database": f"unreachable: {type(exc).__name__}"}
