"""The `kpibot` command line: set up the database, load data, ask questions, run the bot."""
from __future__ import annotations

import json
import logging
import sys
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from bot.settings import Settings, SettingsError, load_settings
from storage.masking import mask

LOGGER = logging.getLogger(__name__)

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="kpibot: an OPCC's KPIs, complaint reviews and CSP balances, in chat and on the command line.")
import_app = typer.Typer(no_args_is_help=True, help="Load figures from CSV or XLSX files (each file all or nothing).")
app.add_typer(import_app, name="import")
digest_app = typer.Typer(no_args_is_help=True, help="Weekly and quarterly digests.")
app.add_typer(digest_app, name="digest")


class Failure(Exception):
    """A problem to report in one clear message, with a non-zero exit."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise Failure(str(exc)) from None


def _database(settings: Settings, check_schema: bool = True):
    from storage.db import Database, require_schema

    db = Database(settings.database_url)
    if check_schema:
        require_schema(db.engine)
    return db


def _echo(message: str) -> None:
    typer.echo(mask(message))


@app.command()
def init() -> None:
    """Create or upgrade the database schema and add the shipped metric catalog."""
    from storage.bootstrap import initialise

    settings = _settings()
    db = _database(settings, check_schema=False)
    revision, added, updated = initialise(db, _now())
    _echo(f"Database ready ({settings.mask(settings.database_url)}, schema {revision}); "
          f"catalog: {added} metrics added, {updated} updated.")


@app.command("load-demo")
def load_demo_command() -> None:
    """Load the dataset reconstructed from the published Panel papers into an empty database."""
    from storage.bootstrap import load_demo

    settings = _settings()
    db = _database(settings)
    for result in load_demo(db, "demo", _now()):   # each load is audited in its own transaction
        _echo(result.summary())


def _import(kind: str, path: Path, loaded_by: Optional[str]) -> None:
    from storage.importers.common import ImportRejected, plural

    settings = _settings()
    db = _database(settings)
    who = loaded_by or settings.loaded_by
    try:
        _load(db, kind, path, who)
    except ImportRejected as exc:
        _audit(db, who, f"import {kind}", f"{path.name}: {plural(len(exc.problems), 'problem')}; nothing written", "rejected")
        raise


def _load(db, kind: str, path: Path, who: str) -> None:
    now = _now()
    with db.session() as session:
        if kind == "observations":
            from storage.importers.observations import import_observations
            from storage.repository import read_catalog

            result = import_observations(session, path, read_catalog(session), who, now)
        elif kind == "reviews":
            from storage.importers.reviews import import_reviews

            result = import_reviews(session, path, who, now)
        elif kind == "csp-allocations":
            from storage.importers.csp import import_csp_allocations

            result = import_csp_allocations(session, path, who, now)
        else:
            from storage.importers.csp import import_csp_spend

            result = import_csp_spend(session, path, who, now)
    _echo(result.summary())   # the importer audited the change in its own transaction


def _audit(db, who: str, action: str, detail: str, outcome: str) -> None:
    from storage.audit import record

    record(db, _now(), who, "cli", action, detail, outcome)


LOADED_BY = typer.Option(None, "--by", help="Name recorded as the loader (default: KPIBOT_LOADED_BY).")


@import_app.command("observations")
def import_observations_command(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """metric,period,value[,numerator,denominator,note] or the wide form (one row per metric, one column per month)."""
    _import("observations", file, by)


@import_app.command("reviews")
def import_reviews_command(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """The complaint review log: reference,received,completed,outcome,learning."""
    _import("reviews", file, by)


@import_app.command("csp-allocations")
def import_csp_allocations_command(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """CSP allocations: area,year,allocation."""
    _import("csp-allocations", file, by)


@import_app.command("csp-spend")
def import_csp_spend_command(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """CSP spend lines: date,area,project,amount."""
    _import("csp-spend", file, by)


@import_app.command("catalog")
def import_catalog_command(file: Path) -> None:
    """Add or update metrics from a YAML file in the catalog's format."""
    from storage.catalog import load_catalog_file
    from storage.repository import read_catalog, sync_catalog

    settings = _settings()
    db = _database(settings)
    user_catalog = load_catalog_file(file)
    with db.session() as session:
        known_sections = {s.name for s in read_catalog(session).sections}
        added, updated = sync_catalog(session, user_catalog, file.name, _now())
    new_sections = [s.name for s in user_catalog.sections if s.name not in known_sections]
    extra = f"; new sections: {', '.join(new_sections)}" if new_sections else ""
    _audit(db, settings.loaded_by, "import catalog", f"{file.name}: {added} added, {updated} updated", "ok")
    _echo(f"Catalog from {file.name}: {added} metrics added, {updated} updated{extra}.")


@app.command()
def audit(since: Optional[str] = typer.Option(None, "--since", help="Only entries on or after this date "
                                             "(2025-09-30, 30/09/2025, 30 Sep 2025, last month).")) -> None:
    """Print the audit log: every command and data change, who, where, what, when and how it ended."""
    from bot.render_text import render_table
    from commands.response import Table
    from storage.audit import entries

    settings = _settings()
    day = _day_option(since, settings, "--since")
    start = datetime.combine(day, datetime.min.time(), timezone.utc) if day else None
    rows = [[e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.place, e.action, e.outcome, e.detail[:80]]
            for e in entries(_database(settings), start)]
    if not rows:
        _echo("No audit entries" + (f" since {since}." if since else "."))
        return
    _echo("\n".join(render_table(Table(["When (UTC)", "Who", "Where", "What", "Outcome", "Detail"], rows))))


@app.command()
def metrics(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the metric catalog."""
    from bot.render_text import render_table
    from commands.response import Table
    from storage.repository import read_catalog

    db = _database(_settings())
    with db.session() as session:
        catalog = read_catalog(session)
    if as_json:
        _echo(json.dumps([m.as_dict() for m in catalog.metrics], indent=2))
        return
    rows = [[m.slug, m.section, m.unit, m.frequency, m.polarity] for m in catalog.metrics]
    _echo("\n".join(render_table(Table(["Slug", "Section", "Unit", "Frequency", "Polarity"], rows))))


def _office_today(settings) -> date:
    """Today in the office's time zone, as the bot's handlers count it."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(settings.timezone)).date()


def _day_option(value: Optional[str], settings, option: str = "--as-of") -> Optional[date]:
    """A date option in any of the date forms (2025-09-30, 30/09/2025, Sep 2025, 2025/26 Q2, last month)."""
    from commands.response import shorten
    from storage.periods import DATE_FORMS, PeriodError, parse_when

    if value is None:
        return None
    try:
        return parse_when(value, _office_today(settings))
    except PeriodError:
        raise Failure(f"{option}: {shorten(value)!r} is not a date; write it as one of {DATE_FORMS}") from None


@app.command()
def kpi(
    slug: str = typer.Argument(..., help="Metric slug, name or alias."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Answer with what was known on this date "
                                        "(2025-09-30, 30/09/2025, Sep 2025, 2025/26 Q2, last month)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One metric's Panel comparison: latest, last 3 months, previous 3 months, baseline, differences, RAG."""
    from bot.render_text import render_text
    from commands.kpi import metric_answer
    from commands.response import shorten
    from storage.repository import metric_comparison, read_catalog

    settings = _settings()
    day = _day_option(as_of, settings)
    today = _office_today(settings)
    db = _database(settings)
    with db.session() as session:
        catalog = read_catalog(session)
        metric = catalog.find(slug)
        if metric is None:
            # The importer's words for the same miss (loaded only on a miss: answering needs no importer).
            from storage.importers.observations import UNKNOWN_METRIC, UNKNOWN_METRIC_NOTHING_CLOSE

            close = ", ".join(m.slug for m in catalog.suggest(slug))
            message = UNKNOWN_METRIC if close else UNKNOWN_METRIC_NOTHING_CLOSE
            raise Failure(message.format(name=shorten(slug), suggestions=close))
        comparison = metric_comparison(session, metric, day, today, settings.review_due_days)
    reading_day = min(day, today) if day else today
    _echo(json.dumps(comparison.as_json(), indent=2) if as_json
          else render_text(metric_answer(comparison, as_of=reading_day)))


@app.command()
def ask(
    text: str = typer.Argument(..., help='A slash command as typed in chat, e.g. "/kpi calls-under-25s".'),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Answer as on this date (2025-09-30, 30/09/2025, Sep 2025, last month)."),
) -> None:
    """Run one slash command through the bot's own handlers and print the answer, as the console does
    (charts and documents saved under KPIBOT_OUTPUT_DIR)."""
    from bot.app import build_registry
    from bot.console import answer_line

    settings = _settings()
    day = _day_option(as_of, settings)
    registry = build_registry(settings, _database(settings))
    response, answer = answer_line(registry, text, settings.output_dir, as_of=day)
    _echo(answer)
    if response.is_error:
        raise typer.Exit(1)


@app.command()
def console() -> None:
    """Type slash commands, one per line, until end of input."""
    from bot.app import build_registry
    from bot.console import run_console

    settings = _settings()
    run_console(build_registry(settings, _database(settings)), output_dir=settings.output_dir)


@app.command()
def run() -> None:
    """Set up the database (loading the demo dataset if it is empty), then start the bot or the console."""
    from storage.bootstrap import initialise, is_empty, load_demo

    settings = _settings()
    db = _database(settings, check_schema=False)
    revision, added, updated = initialise(db, _now())
    typer.echo(f"Database ready ({settings.mask(settings.database_url)}, schema {revision}).", err=True)
    if is_empty(db):
        for result in load_demo(db, "demo", _now()):
            typer.echo(result.summary(), err=True)
    if settings.slack_configured:
        _serve(settings, db, DEFAULT_PORT, "0.0.0.0")
        return
    from bot.app import build_registry
    from bot.console import run_console

    typer.echo("No Slack settings (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET): starting the console.",
               err=True)
    run_console(build_registry(settings, db), output_dir=settings.output_dir)


DEFAULT_PORT = 3000


@app.command()
def snapshot(
    quarter: Optional[str] = typer.Argument(None, help='The quarter: "2025/26 Q2", "Q2", "last quarter" (default: the '
                                            'last complete one with office figures).'),
    out: list[Path] = typer.Option(..., "--out", help="FILE.docx or FILE.pdf; give --out twice for both."),
    by: Optional[str] = LOADED_BY,
) -> None:
    """Write the Panel paper's performance section for a quarter as Word and/or PDF, and record it."""
    from bot.app import build_registry
    from commands.snapshot import choose_quarter, produce

    settings = _settings()
    formats = []
    for path in out:
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in ("docx", "pdf"):
            raise Failure(f"--out {path}: the file must end in .docx or .pdf")
        formats.append(suffix)
    registry = build_registry(settings, _database(settings))
    context = registry.context
    choice = choose_quarter(context, quarter or "")   # held back, as /snapshot is, when there are no figures
    if choice.quarter is None:
        raise Failure(" ".join([choice.problem, *choice.hints]))
    response = produce(context, choice.quarter, formats, by or settings.loaded_by)
    for path, attachment in zip(out, response.files):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(attachment.content)
        _echo(f"wrote {path} ({len(attachment.content):,} bytes)")
    _echo(response.notes[0])


class DigestKind(str, Enum):
    weekly = "weekly"
    quarterly = "quarterly"


@digest_app.command("run")
def digest_run(
    kind: DigestKind = typer.Argument(..., help="weekly or quarterly"),
    channel: Optional[str] = typer.Option(None, "--channel", help="Deliver to this channel ID as if it were subscribed."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Figures as on this date (2025-09-30, 30/09/2025, last month); default today."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write the digest to --out instead of posting it."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for --dry-run output."),
) -> None:
    """Build a digest and post it (once: the delivery ledger remembers), or write it to a folder."""
    from dataclasses import replace as replace_field
    from datetime import timedelta

    from bot.app import build_registry
    from digests.content import digest_builder
    from digests.delivery import DeliveryPolicy, Target, deliver
    from digests.schedule import occurrence_for
    from storage import digest_store

    settings = _settings()
    day = _day_option(as_of, settings)
    if dry_run and out is None:
        raise Failure("--dry-run needs --out DIR: the folder to write the message and charts to")
    registry = build_registry(settings, _database(settings))
    context = registry.context
    day = day or context.today()
    occurrence = occurrence_for(kind.value, day)
    if kind.value == "weekly":
        occurrence = replace_field(occurrence, as_of=day)
    build = digest_builder(context)
    if dry_run:
        from bot.dry_run import write_digest

        digest = build(occurrence)
        for path in write_digest(digest, out):
            _echo(f"wrote {path}")
        if digest.held_reason:
            _echo(f"This digest would be held back, not posted: {digest.held_reason}")
        return
    if not settings.slack_bot_token:
        raise Failure("SLACK_BOT_TOKEN is not set: posting needs Slack (use --dry-run --out DIR to look first)")
    from bot.slack_app import web_client
    from bot.slack_transport import SlackDigestTransport

    transport = SlackDigestTransport(web_client(settings))
    policy = DeliveryPolicy(grace=timedelta(hours=settings.digest_grace_hours),
                            stale_claim=timedelta(minutes=settings.digest_stale_claim_minutes),
                            max_attempts=settings.digest_max_attempts, concurrency=settings.digest_concurrency)
    subscriptions = {s.channel_id: s for s in digest_store.active_subscriptions(context.db, kind.value)}
    channels = [channel] if channel else list(subscriptions)
    if not channels:
        raise Failure(f"no channel is subscribed to the {kind.value} digest; give --channel C0123456789")
    cached = {}

    def digest_for():
        if "digest" not in cached:
            cached["digest"] = build(occurrence)
        return cached["digest"]

    failed = False
    for channel_id in channels:
        sub = subscriptions.get(channel_id)
        target = Target(channel_id, sub.id if sub else None, sub.created_by if sub else None)
        outcome = deliver(context.db, transport, target, occurrence, digest_for, context.clock, policy,
                          triggered_by=f"cli:{settings.loaded_by}")
        words = {"posted": f"posted ({outcome.message_ts})", "reconciled": f"already posted ({outcome.message_ts})",
                 "already": "already delivered or being delivered: nothing posted", "held": f"held back: {outcome.error}",
                 "failed": f"failed: {outcome.error}"}
        _echo(f"{kind.value} digest {occurrence.period} to {channel_id}: {words.get(outcome.state, outcome.state)}")
        failed = failed or outcome.state in ("failed", "held")
    if failed:
        raise typer.Exit(1)


def _serve(settings: Settings, db, port: int, host: str) -> None:
    import signal

    from bot.app import build_registry, database_health
    from bot.slack_app import SlackStartError, serve_slack

    # `docker stop` sends SIGTERM: stop as Ctrl-C does, the digest scheduler shut down cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        serve_slack(settings, build_registry(settings, db), port=port, host=host,
                    health_check=lambda: database_health(db))
    except SlackStartError as exc:
        raise Failure(str(exc)) from None


@app.command()
def serve(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="HTTP mode: port for Slack's requests (/slack/events)."),
    host: str = typer.Option("0.0.0.0", "--host", help="HTTP mode: address to listen on."),
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode."""
    settings = _settings()
    if not settings.slack_bot_token:
        raise Failure("SLACK_BOT_TOKEN is not set; see the README's Slack section")
    _serve(settings, _database(settings), port, host)


class _MaskedFormatter(logging.Formatter):
    """Another formatter's lines with credentials masked: a driver's error or a traceback may quote a URL or a token."""

    def __init__(self, inner: logging.Formatter | None, settings: Settings):
        super().__init__()
        self._inner = inner or logging.Formatter()
        self._settings = settings

    def format(self, record: logging.LogRecord) -> str:
        return self._settings.mask(self._inner.format(record))


def _mask_logs(settings: Settings) -> None:
    """Every log line masked as every message is, JSON lines and tracebacks included."""
    for handler in logging.getLogger().handlers:
        if not isinstance(handler.formatter, _MaskedFormatter):
            handler.setFormatter(_MaskedFormatter(handler.formatter, settings))


def main() -> None:
    """Entry point: known problems print one line to stderr and exit 1; nothing prints a stack trace."""
    from storage.catalog import CatalogError
    from storage.db import DatabaseError, NotEmptyError
    from storage.filenames import UnsafePath
    from storage.importers.common import ImportRejected
    from storage.periods import PeriodError

    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(mask(f"kpibot: {exc}"), err=True)
        sys.exit(2)
    from bot.app import configure_logging

    configure_logging(settings)
    _mask_logs(settings)

    def report(text: str) -> None:
        typer.echo(settings.mask(text), err=True)   # any message may quote a setting: a URL, a token

    try:
        app()  # click reports usage errors itself and exits
    except (Failure, DatabaseError, CatalogError, PeriodError, NotEmptyError, UnsafePath) as exc:
        report(f"kpibot: {exc}")
        sys.exit(1)
    except ImportRejected as exc:
        report(str(exc))
        sys.exit(1)
    except Exception as exc:
        LOGGER.exception("unexpected failure")
        report(f"kpibot: unexpected error ({type(exc).__name__}: {exc}); see the log above")
        sys.exit(1)
