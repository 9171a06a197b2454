"""`kpibot ask`, `console` and `run`: the bot's own handlers answering from the command line."""
from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import cli_settings, day_option, echo, kpibot, now, open_database
from bot.cli.serve import DEFAULT_PORT, DEFAULT_TEAMS_PORT, serve_bots


def ask(
    text: str = typer.Argument(..., help='A slash command as typed in chat, e.g. "/kpi calls-under-25s".'),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Answer as on this date (2025-09-30, 30/09/2025, Sep 2025, last month)."),
) -> None:
    """Run one slash command through the bot's own handlers and print the answer, as the console does
    (charts and documents saved under KPIBOT_OUTPUT_DIR)."""
    from bot.console.repl import answer_line

    settings = cli_settings()
    day = day_option(as_of, settings)
    root = kpibot(settings)
    response, answer = answer_line(root.registry, text, settings.output_dir, as_of=day, platform=root.console)
    echo(answer)
    if response.is_error:
        raise typer.Exit(1)


def console() -> None:
    """Type slash commands, one per line, until end of input."""
    from bot.console.repl import run_console

    settings = cli_settings()
    root = kpibot(settings)
    run_console(root.registry, output_dir=settings.output_dir, platform=root.console)


def run() -> None:
    """Set up the database (loading the demo dataset if it is empty), then start the bot (Slack, Teams or both)
    or the console."""
    from storage.bootstrap import initialise, is_empty, load_demo

    settings = cli_settings()
    db = open_database(settings, check_schema=False)
    revision, added, updated = initialise(db, now())
    typer.echo(f"Database ready ({settings.mask(settings.database_url)}, schema {revision}).", err=True)
    if is_empty(db):
        for result in load_demo(db, "demo", now()):
            typer.echo(result.summary(), err=True)
    chat = settings.slack_configured or settings.teams_configured or settings.teams_allow_unauthenticated
    root = kpibot(settings, db, serving=chat)
    if chat:
        serve_bots(root, DEFAULT_PORT, "0.0.0.0", DEFAULT_TEAMS_PORT, "0.0.0.0")
        return
    from bot.console.repl import run_console

    typer.echo("No Slack settings (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) and no Teams settings "
               "(TEAMS_APP_ID and TEAMS_APP_PASSWORD): starting the console.", err=True)
    run_console(root.registry, output_dir=settings.output_dir, platform=root.console)
