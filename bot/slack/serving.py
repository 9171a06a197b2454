"""Starting the Slack adapter: the Bolt app over HTTP or Socket Mode, and the digest scheduler the composition
root built, started once every check that can fail at start has passed and stopped with the adapter."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from bot.slack.app import build_slack_app
from bot.slack.connection import CANNOT_LISTEN, SlackStartError, SocketModeConnection

if TYPE_CHECKING:
    from bot.wiring import Kpibot

LOGGER = logging.getLogger(__name__)


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's heap arenas for the threads started after this; True if capped.

    glibc gives threads that allocate at the same moment arenas of their own, up to eight per core, and
    keeps each arena's freed memory. The bot's threads mostly wait, so extra arenas buy nothing: at L,
    1,000 mixed commands left `serve` at 239 MB with them and 198 MB with two. A MALLOC_ARENA_MAX
    already set is left as it is, as is any C library other than glibc.
    """
    import ctypes
    import os

    if os.environ.get("MALLOC_ARENA_MAX") or not hasattr(os, "confstr"):
        return False
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, ValueError, AttributeError):
        return False
    m_arena_max = -8  # from glibc's malloc.h
    return bool(mallopt(m_arena_max, arenas))


def serve_slack(kpibot: Kpibot, port: int = 3000, host: str = "0.0.0.0", health_check=None) -> None:
    """Run until interrupted: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on `port`.

    Every check that can fail at start (the tokens, reaching Slack, the port) runs before the digest
    scheduler starts, and fails with a SlackStartError naming what to fix."""
    limit_malloc_arenas()
    settings, scheduler = kpibot.settings, kpibot.scheduler
    socket_mode = bool(settings.slack_app_token)
    app = build_slack_app(settings, kpibot.registry, socket_mode=socket_mode, platform=kpibot.slack)
    if socket_mode:
        connection = SocketModeConnection(app, settings.slack_app_token)
        connection.open()
        LOGGER.info("connected to Slack in Socket Mode")
        try:
            scheduler.start()
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.shutdown()
            connection.close()
        return
    from bot.slack.http_server import EVENTS_PATH, SlackHTTPServer

    try:
        server = SlackHTTPServer(app, host, port)
    except OSError as exc:
        raise SlackStartError(CANNOT_LISTEN.format(host=host, port=port, reason=exc.strerror or exc)) from None
    scheduler.start()
    if health_check is not None:
        def health() -> dict:
            report = health_check()
            return {**report, "scheduler": scheduler.running, "ok": report.get("ok", False) and scheduler.running}

        server.health_check = health
    LOGGER.info("listening for Slack on http://%s:%d%s", host, server.port, EVENTS_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown()
        server.server_close()
