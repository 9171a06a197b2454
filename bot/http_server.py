"""HTTP mode: a threaded HTTP server that hands Slack's requests to the Bolt app and returns its answers."""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from slack_bolt import App, BoltRequest

LOGGER = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 256 * 1024  # Slack's payloads are a few kilobytes
# In each request's Bolt context: time.monotonic() when its body was read, so the ack budget counts from then.
RECEIVED_AT = "kpibot_received_at"


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 resets connections when many requests arrive together.
    request_queue_size = 128

    def __init__(self, app: App, host: str = "0.0.0.0", port: int = 3000,
                 health_check: Callable[[], dict] | None = None):
        self.bolt_app = app
        self.health_check = health_check or (lambda: {"ok": True})
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="kpibot-http", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        LOGGER.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: str = "", headers: dict | None = None) -> None:
        payload = body.encode("utf-8")
        self.send_response(status)
        for name, values in (headers or {}).items():
            for value in values if isinstance(values, (list, tuple)) else [values]:
                if name.lower() != "content-length":
                    self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.partition("?")[0]
        if path == METRICS_PATH:
            from bot.metrics import CONTENT_TYPE, exposition

            self._send(200, exposition().decode("utf-8"), {"Content-Type": CONTENT_TYPE})
            return
        if path != HEALTH_PATH:
            self._send(404, "not found")
            return
        state = self.server.health_check()
        self._send(200 if state.get("ok") else 503, json.dumps(state), {"Content-Type": "application/json"})

    def do_POST(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path != EVENTS_PATH:
            self._send(404, "not found")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            LOGGER.warning("refused a request from %s: body of %s bytes", self.client_address[0], length)
            self.close_connection = True
            self._send(413, "request too large")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        request = BoltRequest(body=body, query=query, headers=dict(self.headers),
                              context={RECEIVED_AT: time.monotonic()})
        response = self.server.bolt_app.dispatch(request)
        if response.status == 401:
            # Never log the body: it carries user text and a response URL.
            LOGGER.warning("refused a request from %s: bad signature or timestamp older than 5 minutes",
                           self.client_address[0])
        self._send(response.status, response.body, response.headers)
