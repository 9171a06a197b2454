"""Starting the Teams adapter: the SDK's App behind uvicorn on the chosen host and port (POST /api/messages,
GET /healthz), in a background thread; and `serve_teams`, which also runs the digest scheduler until stopped."""
from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from bot.teams.errors import TeamsStartError

if TYPE_CHECKING:
    from bot.wiring import Kpibot

LOGGER = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
START_SECONDS = 15.0
STOP_SECONDS = 10.0
CANNOT_LISTEN = "cannot listen for Teams on {host}:{port} ({reason}); choose another --teams-port or --teams-host"
NOT_STARTED = "the Teams server did not start within {seconds:.0f} s"


@dataclass
class RunningTeams:
    """A Teams server running in a background thread."""

    url: str
    app: object
    _server: object
    _thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_SECONDS)


def _listen(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise TeamsStartError(CANNOT_LISTEN.format(host=host, port=port, reason=exc.strerror or exc)) from None


def start_teams(root: Kpibot, host: str = "127.0.0.1", port: int = 0,
                health_check: Callable[[], dict] | None = None) -> RunningTeams:
    """The Teams app of the composition root's platform, listening on `host`:`port` (0: a free port). Every
    check that can fail at start runs before this returns; raises TeamsStartError naming what to fix."""
    import uvicorn
    from fastapi.responses import JSONResponse
    from microsoft_teams.apps import FastAPIAdapter

    from bot.teams.app import build_teams_app

    platform = root.platforms.get("teams")
    if platform is None:
        from bot.teams.app import check_teams_settings

        check_teams_settings(root.settings)
        raise TeamsStartError("Teams is not configured in this process")
    listening = _listen(host, port)
    bound_host, bound_port = listening.getsockname()[:2]
    servers: list[uvicorn.Server] = []

    def server_for(fastapi) -> uvicorn.Server:
        config = uvicorn.Config(app=fastapi, host=bound_host, port=bound_port, log_level="warning",
                                access_log=False, lifespan="off")
        servers.append(uvicorn.Server(config))
        return servers[0]

    adapter = FastAPIAdapter(server_factory=server_for)
    try:
        app = build_teams_app(root.settings, root.registry, platform, adapter=adapter)
    except Exception:
        listening.close()
        raise

    @adapter.app.get(HEALTH_PATH)
    def health():
        report = health_check() if health_check is not None else {"ok": True}
        return JSONResponse(report, status_code=200 if report.get("ok") else 503)

    server = servers[0]
    failed: list[BaseException] = []

    async def serve() -> None:
        await app.initialize()
        await server.serve(sockets=[listening])

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the starter, which raises it
            failed.append(exc)
        finally:
            listening.close()

    thread = threading.Thread(target=run, name="kpibot-teams", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        server.should_exit = True
        thread.join(STOP_SECONDS)
        raise TeamsStartError(f"the Teams server failed to start: {failed[0]}" if failed
                              else NOT_STARTED.format(seconds=START_SECONDS))
    url = f"http://{bound_host}:{bound_port}{MESSAGES_PATH}"
    LOGGER.info("listening for Teams on %s", url)
    return RunningTeams(url, app, server, thread)


def serve_teams(root: Kpibot, port: int = 3978, host: str = "0.0.0.0",
                health_check: Callable[[], dict] | None = None) -> None:
    """Run Teams and the digest scheduler until SIGINT or SIGTERM. The scheduler starts only once Teams has
    passed every start-up check, and is shut down before the server stops."""
    scheduler = root.scheduler

    def healthy() -> dict:
        report = health_check() if health_check is not None else {"ok": True}
        return {**report, "scheduler": scheduler.running, "ok": report.get("ok", False) and scheduler.running}

    running = start_teams(root, host=host, port=port, health_check=healthy)
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        scheduler.start()
        while not stopping.wait(1.0):
            if not running.running:
                raise TeamsStartError("the Teams server stopped unexpectedly")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        scheduler.shutdown()
        running.stop()
