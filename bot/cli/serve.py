"""`kpibot serve`: the Slack bot, in Socket Mode or over HTTP, until stopped."""
from __future__ import annotations

import typer

from bot.cli.common import Failure, cli_settings, open_database
from bot.settings import Settings

DEFAULT_PORT = 3000


def serve_slack_bot(settings: Settings, db, port: int, host: str) -> None:
    import signal

    from bot.app import build_registry, database_health
    from bot.slack.app import SlackStartError, serve_slack

    # `docker stop` sends SIGTERM: stop as Ctrl-C does, the digest scheduler shut down cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        serve_slack(settings, build_registry(settings, db), port=port, host=host,
                    health_check=lambda: database_health(db))
    except SlackStartError as exc:
        raise Failure(str(exc)) from None


def serve(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="HTTP mode: port for Slack's requests (/slack/events)."),
    host: str = typer.Option("0.0.0.0", "--host", help="HTTP mode: address to listen on."),
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode."""
    settings = cli_settings()
    if not settings.slack_bot_token:
        raise Failure("SLACK_BOT_TOKEN is not set; see the README's Slack section")
    serve_slack_bot(settings, open_database(settings), port, host)
