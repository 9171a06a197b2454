"""What every `kpibot` command shares: its settings and database, masked output and logs, the date options."""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Optional

import typer

from bot.settings import Settings, SettingsError, load_settings
from storage.masking import mask

LOADED_BY = typer.Option(None, "--by", help="Name recorded as the loader (default: KPIBOT_LOADED_BY).")


class Failure(Exception):
    """A problem to report in one clear message, with a non-zero exit."""


def now() -> datetime:
    from storage.repository import utcnow

    return utcnow()


def cli_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise Failure(str(exc)) from None


def open_database(settings: Settings, check_schema: bool = True):
    """The database alone, for the commands that need nothing else (init, load, import, audit)."""
    from bot.wiring import open_database as opened

    return opened(settings, check_schema)


def kpibot(settings: Settings, db=None, serving: bool = False):
    """Everything the bot is, from the composition root: what ask, console, run, serve, snapshot and digest
    run are given. `serving`: a process that stays up to serve a platform, whose commands are counted for
    /metrics (a one-shot `ask` has no one to read them, and need not load the metrics library)."""
    from bot.wiring import build_kpibot

    return build_kpibot(settings, db, metrics=serving)


def echo(message: str) -> None:
    typer.echo(mask(message))


def office_today(settings) -> date:
    """Today in the office's time zone, as the bot's handlers count it."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(settings.timezone)).date()


def day_option(value: Optional[str], settings, option: str = "--as-of") -> Optional[date]:
    """A date option in any of the date forms (2025-09-30, 30/09/2025, Sep 2025, 2025/26 Q2, last month)."""
    from answers.response import shorten
    from storage.periods import DATE_FORMS, PeriodError, parse_when

    if value is None:
        return None
    try:
        return parse_when(value, office_today(settings))
    except PeriodError:
        raise Failure(f"{option}: {shorten(value)!r} is not a date; write it as one of {DATE_FORMS}") from None


class MaskedFormatter(logging.Formatter):
    """Another formatter's lines with credentials masked: a driver's error or a traceback may quote a URL or a token."""

    def __init__(self, inner: logging.Formatter | None, settings: Settings):
        super().__init__()
        self._inner = inner or logging.Formatter()
        self._settings = settings

    def format(self, record: logging.LogRecord) -> str:
        return self._settings.mask(self._inner.format(record))


def mask_logs(settings: Settings) -> None:
    """Every log line masked as every message is, JSON lines and tracebacks included."""
    for handler in logging.getLogger().handlers:
        if not isinstance(handler.formatter, MaskedFormatter):
            handler.setFormatter(MaskedFormatter(handler.formatter, settings))
