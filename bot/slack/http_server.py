"""HTTP mode: a threaded HTTP server that hands Slack's requests to the Bolt app and returns its answers.

It may face hostile clients, so it bounds what each one can hold: a request must arrive whole within a
deadline (its headers, then its body), however slowly its bytes trickle in; beyond a number of open
connections a new one gets a quick 503; a body is framed by one Content-Length alone (any Transfer-Encoding
is refused and the connection closed, so nothing in a body is ever read as a second request); malformed
input is a 400 or 401 before Bolt sees it; and nothing is printed outside the log.
"""
from __future__ import annotations

import io
import json
import logging
import re
import socket
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
# A request line and headers must be in within this long of the connection opening (or of the previous
# answer on a kept-alive one), and a body within this long of its headers. Slack sends a few kilobytes at
# once; a client trickling a byte at a time is cut off at the deadline, not kept while it trickles.
HEADER_SECONDS = 10.0
BODY_SECONDS = 10.0
WRITE_SECONDS = 10.0  # for a client that stops reading its answer
# Open connections at once (one thread each); beyond this a new connection gets a 503 and is closed.
MAX_CONNECTIONS = 128
BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo many connections")
_DIGITS = re.compile(r"\d{1,16}")
CHUNKED_REFUSED = "Transfer-Encoding is not accepted here; send the body with a Content-Length"
BAD_LENGTH = "the Content-Length header is not one whole number"
BAD_BODY = "the request body is not a form or JSON payload this app can read"
BAD_TIMESTAMP = "X-Slack-Request-Timestamp is not a Unix time in seconds"


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 resets connections when many requests arrive together.
    request_queue_size = 128

    def __init__(self, app: App, host: str = "0.0.0.0", port: int = 3000,
                 health_check: Callable[[], dict] | None = None, header_seconds: float = HEADER_SECONDS,
                 body_seconds: float = BODY_SECONDS, max_connections: int = MAX_CONNECTIONS):
        self.bolt_app = app
        self.health_check = health_check or (lambda: {"ok": True})
        self.header_seconds = header_seconds
        self.body_seconds = body_seconds
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="kpibot-http", daemon=True)
        thread.start()
        return thread

    def process_request(self, request, client_address) -> None:
        """A thread for the connection if one of the open-connection slots is free, else a 503 at once."""
        if not self._slots.acquire(blocking=False):
            _observe_refusal("busy")
            LOGGER.warning("refused a connection from %s: %d connections already open", client_address[0],
                           self.max_connections)
            try:
                request.setblocking(False)  # the accept loop never waits on a client
                request.send(BUSY_RESPONSE)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        """One line in the log, never a traceback on stderr (socketserver's default)."""
        import sys

        error = sys.exc_info()[1]
        LOGGER.warning("connection from %s ended by %s: %s", client_address[0], type(error).__name__, error)


class _DeadlineReader(io.RawIOBase):
    """A connection's bytes with one deadline over many reads: each recv may wait only for the time left,
    so a client sending a byte every few seconds is cut off at the deadline like one sending nothing."""

    def __init__(self, connection: socket.socket):
        self.connection = connection
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self.connection.settimeout(left)
        return self.connection.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the stock reader, which has no deadline; it holds a reference to the socket
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.server.header_seconds
        super().handle_one_request()

    def flush_headers(self) -> None:
        # Every answer is written with a timeout of its own, not what is left of a read deadline.
        self.connection.settimeout(WRITE_SECONDS)
        super().flush_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        LOGGER.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args) -> None:  # noqa: A002
        # Bad request lines, oversized headers and timed-out requests: worth seeing, never a traceback.
        LOGGER.info("refused a request from %s: %s", self.address_string(), format % args)

    def _send(self, status: int, body: str = "", headers: dict | None = None) -> None:
        payload = body.encode("utf-8")
        self.send_response(status)
        for name, values in (headers or {}).items():
            for value in values if isinstance(values, (list, tuple)) else [values]:
                if name.lower() != "content-length":
                    self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _refuse(self, status: int, reason: str, kind: str) -> None:
        """Answer `status`, log why, and close the connection: whatever else it sent is never read."""
        _observe_refusal(kind)
        LOGGER.warning("refused a request from %s: %s", self.client_address[0], reason)
        self.close_connection = True
        self._send(status, reason)

    def _body_length(self) -> int | None:
        """The body's length from its one Content-Length, or None after refusing the request.

        Only Content-Length frames a body: a Transfer-Encoding (chunked or any other) is refused, with or
        without a Content-Length beside it, since a proxy in front may frame the same bytes the other way."""
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get_all("Transfer-Encoding"):
            self._refuse(400 if lengths else 411, CHUNKED_REFUSED, "framing")
            return None
        if len(set(value.strip() for value in lengths)) > 1 or not all(_DIGITS.fullmatch(v.strip()) for v in lengths):
            self._refuse(400, BAD_LENGTH, "framing")
            return None
        return int(lengths[0]) if lengths else 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        length = self._body_length()
        if length is None:
            return
        if length:
            self.close_connection = True  # a GET's body is never read, so never parsed as a request either
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
        length = self._body_length()
        if length is None:
            return
        if path != EVENTS_PATH:
            self.close_connection = bool(length)
            self._send(404, "not found")
            return
        if length > MAX_BODY_BYTES:
            self._refuse(413, f"request too large ({length} bytes)", "too_large")
            return
        self._reader.deadline = time.monotonic() + self.server.body_seconds
        raw = self.rfile.read(length)
        self._reader.deadline = None
        if len(raw) < length:  # the client went away mid-body
            self.close_connection = True
            return
        self._answer_slack(raw.decode("utf-8", errors="replace"), query)

    def _answer_slack(self, body: str, query: str) -> None:
        timestamp = self.headers.get("X-Slack-Request-Timestamp")
        if timestamp is not None and not _DIGITS.fullmatch(timestamp.strip()):
            self._refuse(401, BAD_TIMESTAMP, "malformed")
            return
        try:
            request = BoltRequest(body=body, query=query, headers=dict(self.headers),
                                  context={RECEIVED_AT: time.monotonic()})
        except Exception as exc:  # Bolt parses the body as it builds the request: JSON that is not JSON
            self._refuse(400, f"{BAD_BODY} ({type(exc).__name__})", "malformed")
            return
        try:
            response = self.server.bolt_app.dispatch(request)
        except Exception as exc:  # Bolt answers its listeners' errors itself; this is anything else
            LOGGER.error("Bolt could not answer a request from %s: %s: %s", self.client_address[0],
                         type(exc).__name__, exc)
            self.close_connection = True
            self._send(500, "internal error")
            return
        if response.status == 401:
            # Never log the body: it carries user text and a response URL.
            LOGGER.warning("refused a request from %s: bad signature or timestamp older than 5 minutes",
                           self.client_address[0])
        self._send(response.status, response.body, response.headers)


def _observe_refusal(kind: str) -> None:
    from bot.metrics import observe_http_refusal

    observe_http_refusal(kind)
