"""`kpibot init`, `load-demo`, `import …`, `metrics` and `kpi`: the database, its figures and the catalog."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from answers.mentions import plain

from bot.cli.common import LOADED_BY, Failure, cli_settings, day_option, echo, now, office_today, open_database


def init() -> None:
    """Create or upgrade the database schema and add the shipped metric catalog."""
    from storage.bootstrap import initialise

    settings = cli_settings()
    db = open_database(settings, check_schema=False)
    revision, added, updated = initialise(db, now())
    echo(f"Database ready ({settings.mask(settings.database_url)}, schema {revision}); "
         f"catalog: {added} metrics added, {updated} updated.")


def load_demo() -> None:
    """Load the dataset reconstructed from the published Panel papers into an empty database."""
    from storage.bootstrap import load_demo as load_demo_dataset

    settings = cli_settings()
    db = open_database(settings)
    for result in load_demo_dataset(db, "demo", now()):   # each load is audited in its own transaction
        echo(result.summary())


def _import(kind: str, path: Path, loaded_by: Optional[str]) -> None:
    from storage.importers.common import ImportRejected, plural

    settings = cli_settings()
    db = open_database(settings)
    who = loaded_by or settings.loaded_by
    try:
        _load(settings, db, kind, path, who)
    except ImportRejected as exc:
        _audit(db, who, f"import {kind}", f"{path.name}: {plural(len(exc.problems), 'problem')}; nothing written", "rejected")
        raise


def _load(settings, db, kind: str, path: Path, who: str) -> None:
    """Load the file, then tell the conversations subscribed to alerts what it turned, as a load from chat does."""
    from bot.cli.common import kpibot
    from commands.upload import alert_notes
    from digests.alerts import announce_change, standing

    from storage.importers.load import load

    context = kpibot(settings, db).context
    with db.session() as session:
        before = standing(context, session)
        result = load(session, kind, path, who, now())
    echo(result.summary())   # the importer audited the change in its own transaction
    try:
        outcomes = announce_change(context, before, standing(context), path.name, f"import by {who}")
    except Exception as exc:   # the figures are in whatever the chat platform does
        echo(f"Alerts were not checked ({type(exc).__name__}); the figures are loaded.")
        return
    for line in alert_notes(outcomes):
        echo(plain(line))


def _audit(db, who: str, action: str, detail: str, outcome: str) -> None:
    from storage.audit import record

    record(db, now(), who, "cli", action, detail, outcome)


def import_observations(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """metric,period,value[,numerator,denominator,note] or the wide form (one row per metric, one column per month)."""
    _import("observations", file, by)


def import_reviews(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """The complaint review log: reference,received,completed,outcome,learning."""
    _import("reviews", file, by)


def import_csp_allocations(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """CSP allocations: area,year,allocation."""
    _import("csp-allocations", file, by)


def import_csp_spend(file: Path, by: Optional[str] = LOADED_BY) -> None:
    """CSP spend lines: date,area,project,amount."""
    _import("csp-spend", file, by)


def import_catalog(file: Path) -> None:
    """Add or update metrics from a YAML file in the catalog's format."""
    from storage.catalog import load_catalog_file
    from storage.repository import read_catalog, sync_catalog

    settings = cli_settings()
    db = open_database(settings)
    user_catalog = load_catalog_file(file)
    with db.session() as session:
        known_sections = {s.name for s in read_catalog(session).sections}
        added, updated = sync_catalog(session, user_catalog, file.name, now())
    new_sections = [s.name for s in user_catalog.sections if s.name not in known_sections]
    extra = f"; new sections: {', '.join(new_sections)}" if new_sections else ""
    _audit(db, settings.loaded_by, "import catalog", f"{file.name}: {added} added, {updated} updated", "ok")
    echo(f"Catalog from {file.name}: {added} metrics added, {updated} updated{extra}.")


def metrics(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the metric catalog."""
    from bot.render_text import render_table
    from answers.response import Table
    from storage.repository import read_catalog

    db = open_database(cli_settings())
    with db.session() as session:
        catalog = read_catalog(session)
    if as_json:
        echo(json.dumps([m.as_dict() for m in catalog.metrics], indent=2))
        return
    rows = [[m.slug, m.section, m.unit, m.frequency, m.polarity] for m in catalog.metrics]
    echo("\n".join(render_table(Table(["Slug", "Section", "Unit", "Frequency", "Polarity"], rows))))


def kpi(
    slug: str = typer.Argument(..., help="Metric slug, name or alias."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Answer with what was known on this date "
                                        "(2025-09-30, 30/09/2025, Sep 2025, 2025/26 Q2, last month)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One metric's Panel comparison: latest, last 3 months, previous 3 months, baseline, differences, RAG."""
    from bot.render_text import render_text
    from commands.kpi import metric_answer
    from answers.response import shorten
    from storage.repository import metric_comparison, read_catalog

    settings = cli_settings()
    day = day_option(as_of, settings)
    today = office_today(settings)
    db = open_database(settings)
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
    echo(json.dumps(comparison.as_json(), indent=2) if as_json
         else render_text(metric_answer(comparison, as_of=reading_day)))
