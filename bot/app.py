"""Process wiring: the database, the command registry, and every command module registered in one list."""
from __future__ import annotations

import logging

import commands
from bot.settings import Settings
from commands.context import CommandContext
from commands.registry import CommandRegistry
from storage.db import Database


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migration chatter is noise on every start; warnings still show.
    for chatty in ("alembic", "fontTools", "matplotlib", "PIL"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))


def build_registry(settings: Settings, db: Database, clock=None) -> CommandRegistry:
    context = CommandContext(db=db, review_due_days=settings.review_due_days,
                             csp_lag_margin_pp=settings.csp_lag_margin_pp, timezone=settings.timezone,
                             classification=settings.classification,
                             admin_user_ids=settings.admins)
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
