"""`kpibot serve`: the Slack bot (Socket Mode or HTTP), the Teams bot, or both, as the settings configure them,
with the digest scheduler started once, after every adapter's start-up checks."""
from __future__ import annotations

import typer

from bot.cli.common import Failure, cli_settings, kpibot

DEFAULT_PORT = 3000
DEFAULT_TEAMS_PORT = 3978
NOTHING_TO_SERVE = ("neither Slack nor Teams is configured: set SLACK_BOT_TOKEN (see the README's Slack section) "
                    "or TEAMS_APP_ID and TEAMS_APP_PASSWORD (the README's Teams section)")


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


def serve_bots(root, port: int, host: str, teams_port: int, teams_host: str) -> None:
    """Every configured adapter until stopped: Teams alone runs the scheduler itself (bot.teams.serving);
    with Slack too, Teams starts first in the background and Slack, once its own checks pass, starts the
    scheduler, so it starts once per process and only after both adapters' checks."""
    from bot.app import database_health
    from bot.teams.errors import TeamsStartError

    teams_wanted = root.teams is not None
    if root.slack is None and not teams_wanted:
        raise Failure(NOTHING_TO_SERVE)
    if not teams_wanted:
        serve_slack_bot(root, port, host)
        return
    try:
        if root.slack is None:
            from bot.teams.serving import serve_teams   # it stops on SIGINT and SIGTERM itself

            serve_teams(root, port=teams_port, host=teams_host, health_check=lambda: database_health(root.db))
            return
        from bot.teams.serving import start_teams

        running = start_teams(root, host=teams_host, port=teams_port, health_check=lambda: database_health(root.db))
    except TeamsStartError as exc:
        raise Failure(str(exc)) from None
    try:
        serve_slack_bot(root, port, host)
    finally:
        running.stop()


def serve(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Slack's HTTP mode: port for Slack's requests (/slack/events)."),
    host: str = typer.Option("0.0.0.0", "--host", help="Slack's HTTP mode: address to listen on."),
    teams_port: int = typer.Option(DEFAULT_TEAMS_PORT, "--teams-port", help="Port for Teams' requests (/api/messages)."),
    teams_host: str = typer.Option("0.0.0.0", "--teams-host", help="Address to listen on for Teams."),
) -> None:
    """Run the bot: Slack (Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode), Teams, or both."""
    settings = cli_settings()
    if not settings.slack_bot_token and not (settings.teams_configured or settings.teams_allow_unauthenticated):
        raise Failure(NOTHING_TO_SERVE)
    serve_bots(kpibot(settings, serving=True), port, host, teams_port, teams_host)
