"""`kpibot serve`: the Slack bot, in Socket Mode or over HTTP, until stopped."""
from __future__ import annotations

import typer

from bot.cli.common import Failure, cli_settings, kpibot

DEFAULT_PORT = 3000


def serve_slack_bot(root, port: int, host: str) -> None:
    """The Slack adapter over what the composition root built (`root`), until stopped."""
    import signal

    from bot.app import database_health
    from bot.slack.connection import SlackStartError
    from bot.slack.serving import serve_slack

    # `docker stop` sends SIGTERM: stop as Ctrl-C does, the digest scheduler shut down cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        serve_slack(root, port=port, host=host, health_check=lambda: database_health(root.db))
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
    serve_slack_bot(kpibot(settings, serving=True), port, host)
