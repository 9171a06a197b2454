"""The plumbing the fake Teams services share: a threaded HTTP server on 127.0.0.1 that hands each request to its
fake, the replies it writes, and a wait that wakes when the fake records something."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Iterable

from tests.local_http import LocalHTTPServer

LOGGER = logging.getLogger(__name__)

# Server threads check for shutdown this often; the default half second slows every test's teardown.
SHUTDOWN_POLL_SECONDS = 0.05


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # A body sent piece by piece instead of `body`: with a Content-Length of `length` when given, else chunked.
    # `sent(bytes_written, whole)` is told how far it got before the client stopped reading, or that it all went.
    stream: Iterable[bytes] | None = None
    length: int | None = None
    sent: Callable[[int, bool], None] | None = None

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload).encode(), headers=headers or {})


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query
    query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def bearer(self) -> str | None:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None


class LocalService:
    """A fake service on its own free loopback port: subclasses answer `answer(request) -> Reply`.

    `wait_for` re-checks a condition each time the service records something (`_recorded()`); it waits on a
    condition, not time.sleep, so it keeps working while a test patches time.sleep.
    """

    thread_name = "fake-teams"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._generation = 0

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def start(self):
        self._server = _Server(self._address, _Handler)
        self._server.service = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; use it as a context manager or call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _recorded(self) -> None:
        """Call with the lock held, after recording a request."""
        self._generation += 1
        self._changed.notify_all()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
        """Wait until `predicate()` is truthy and return its value; raise TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                seen = self._generation
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"not true within {timeout}s; {type(self).__name__} saw {self.summary()}")
            with self._changed:
                self._changed.wait_for(lambda: self._generation != seen, timeout=min(interval, remaining))

    def summary(self) -> str:
        return "no summary"


class _Server(LocalHTTPServer):
    service: LocalService


class _Handler(BaseHTTPRequestHandler):
    """Translates HTTP to LocalService.answer and back."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx and aiohttp clients expect of a real service

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length))
        try:
            reply = self.server.service.answer(request)
        except Exception:  # a bug in the fake must reach the test as a failure, not a hung client
            LOGGER.exception("%s failed on %s %s", type(self.server.service).__name__, self.command, self.path)
            reply = Reply.json({"error": {"code": "FakeFailed", "message": "the fake failed"}}, 500)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", reply.content_type)
        if reply.stream is not None:
            self._stream(reply)
            return
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _stream(self, reply: Reply) -> None:
        chunked = reply.length is None
        self.send_header(*(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(reply.length))))
        self.end_headers()
        written, whole = 0, False
        try:
            for piece in reply.stream:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                self.wfile.flush()
                written += len(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            whole = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if reply.sent is not None:
                reply.sent(written, whole)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug("fake Teams: " + format, *args)
