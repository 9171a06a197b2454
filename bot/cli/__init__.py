"""The `kpibot` command line: set up the database, load data, ask questions, run the bot.

One module per concern (data, audit, ask, snapshot, serve, digest), what they share in `common`;
`build_app` wires every command in one visible list, in the order `kpibot --help` shows them.
"""
from __future__ import annotations

import logging
import sys

import typer

from bot.cli import ask, audit, data, digest, serve, snapshot, teams
from bot.cli.common import Failure, mask_logs
from bot.settings import SettingsError, load_settings
from storage.masking import mask

__all__ = ["Failure", "app", "build_app", "main"]

LOGGER = logging.getLogger(__name__)

APP_HELP = "kpibot: an OPCC's KPIs, complaint reviews and CSP balances, in chat and on the command line."
IMPORT_HELP = "Load figures from CSV or XLSX files (each file all or nothing)."
DIGEST_HELP = "Weekly and quarterly digests."
TEAMS_HELP = "Microsoft Teams: the app package an admin uploads."


def build_app() -> typer.Typer:
    """The `kpibot` command and its `import`, `digest` and `teams` groups, each command a plain function."""
    root = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help=APP_HELP)
    import_app = typer.Typer(no_args_is_help=True, help=IMPORT_HELP)
    root.add_typer(import_app, name="import")
    digest_app = typer.Typer(no_args_is_help=True, help=DIGEST_HELP)
    root.add_typer(digest_app, name="digest")
    teams_app = typer.Typer(no_args_is_help=True, help=TEAMS_HELP)
    root.add_typer(teams_app, name="teams")

    root.command("init")(data.init)
    root.command("load-demo")(data.load_demo)
    root.command("audit")(audit.audit)
    root.command("metrics")(data.metrics)
    root.command("kpi")(data.kpi)
    root.command("ask")(ask.ask)
    root.command("console")(ask.console)
    root.command("run")(ask.run)
    root.command("snapshot")(snapshot.snapshot)
    root.command("serve")(serve.serve)

    import_app.command("observations")(data.import_observations)
    import_app.command("reviews")(data.import_reviews)
    import_app.command("csp-allocations")(data.import_csp_allocations)
    import_app.command("csp-spend")(data.import_csp_spend)
    import_app.command("catalog")(data.import_catalog)

    digest_app.command("run")(digest.digest_run)
    teams_app.command("package")(teams.package)
    return root


app = build_app()


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
    mask_logs(settings)

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
