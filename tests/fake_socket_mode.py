"""A fake of Slack's Socket Mode on 127.0.0.1: the Web API calls a Socket Mode app makes, and the WebSocket they open.

`apps.connections.open` hands out a ws:// address on the same port (plain WebSocket: slack_sdk's built-in
client skips TLS on any port but 443). Each connection is greeted with `hello`, its pings are answered,
and a test can send it a slash command envelope, read the app's reply, and drop the connection the ways
Slack's connections end: a reset, a close frame, or a refresh request.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
BOT_IDENTITY = {"url": "https://fake.slack.com/", "team": "OPCC", "user": "kpibot", "team_id": "T0001",
                "user_id": "U0BOT", "bot_id": "B0BOT"}


class FakeSocketMode:
    """Use as `with FakeSocketMode() as fake:`; point the app at `fake.api_url`."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._server: _Server | None = None
        self._live: list[socket.socket] = []
        self._resetting: set[socket.socket] = set()
        self._envelopes = itertools.count(1)
        self.opened = 0  # WebSocket connections accepted, ever
        self.replies: dict[str, dict] = {}  # envelope_id -> what the app answered
        self.api_calls: list[str] = []
        # When set, apps.connections.open hands out this address instead (e.g. a closed port).
        self.socket_url: str | None = None
        # When set, apps.connections.open answers with this HTTP status (Slack having trouble).
        self.open_status: int | None = None

    def __enter__(self) -> FakeSocketMode:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        for sock in self.connections():
            _close_quietly(sock)
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def connections(self) -> list[socket.socket]:
        with self._lock:
            return list(self._live)

    def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        with self._lock:
            while not (value := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"not true within {timeout}s; {self.opened} connections opened, "
                                       f"{len(self._live)} live, API calls {self.api_calls}")
                self._lock.wait(min(remaining, 0.05))
            return value

    def drop(self, how: str) -> None:
        """End the live connection: "reset" (the network: an RST, no goodbye), "end" (a proxy hanging up: a FIN
        with no WebSocket close frame), "close" (Slack's close frame) or "refresh" (Slack's `disconnect`
        message asking the app to open a new connection)."""
        sock = self.wait_for(lambda: self._live and self._live[-1])
        # The connection's own thread, waiting in recv(), closes it: a close() from here would not reach the peer.
        if how == "reset":
            with self._lock:
                self._resetting.add(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)
        elif how == "end":
            sock.shutdown(socket.SHUT_RDWR)
        elif how == "close":
            _send_frame(sock, CLOSE, struct.pack("!H", 1001) + b"going away")
            sock.shutdown(socket.SHUT_RDWR)
        else:
            _send_frame(sock, TEXT, json.dumps({"type": "disconnect", "reason": "refresh_requested"}).encode())

    def send_command(self, command: str, text: str, user_id: str = "U0USER", channel_id: str = "C0PERF") -> str:
        envelope_id = f"envelope-{next(self._envelopes)}"
        payload = {"token": "legacy", "team_id": "T0001", "team_domain": "opcc", "channel_id": channel_id,
                   "channel_name": "performance", "user_id": user_id, "user_name": "someone", "command": command,
                   "text": text, "api_app_id": "A0KPIBOT", "response_url": f"http://127.0.0.1:{self.port}/response",
                   "trigger_id": f"trigger-{envelope_id}"}
        sock = self.wait_for(lambda: self._live and self._live[-1])
        _send_frame(sock, TEXT, json.dumps({"envelope_id": envelope_id, "type": "slash_commands",
                                            "accepts_response_payload": True, "payload": payload}).encode())
        return envelope_id

    # -- on server threads ------------------------------------------------------------

    def _api(self, method: str, token: str) -> tuple[int, dict]:
        with self._lock:
            self.api_calls.append(method)
            self._lock.notify_all()
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                return 200, {"ok": False, "error": "invalid_auth"}
            if self.open_status:
                return self.open_status, {"ok": False, "error": "internal_error"}
            return 200, {"ok": True, "url": self.socket_url or f"ws://127.0.0.1:{self.port}/link"}
        if not token.startswith("xoxb-"):
            return 200, {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return 200, {"ok": True, **BOT_IDENTITY}
        if method == "users.info":
            return 200, {"ok": True, "user": {"id": "U0USER", "is_restricted": False, "is_ultra_restricted": False}}
        return 200, {"ok": True}

    def _serve_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self.opened += 1
            self._live.append(sock)
            self._lock.notify_all()
        try:
            _send_frame(sock, TEXT, json.dumps({"type": "hello", "num_connections": 1}).encode())
            while True:
                opcode, data = _read_frame(sock)
                if opcode == PING:
                    _send_frame(sock, PONG, data)
                elif opcode == TEXT:
                    message = json.loads(data)
                    with self._lock:
                        self.replies[message.get("envelope_id", "")] = message.get("payload") or {}
                        self._lock.notify_all()
                elif opcode == CLOSE:
                    _send_frame(sock, CLOSE, data[:2])
                    break
        except (OSError, ValueError):
            pass  # dropped, by the test or by the app
        finally:
            with self._lock:
                reset = sock in self._resetting
            _close_quietly(sock, reset)
            with self._lock:
                if sock in self._live:
                    self._live.remove(sock)
                self._lock.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSocketMode


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if not self.path.startswith("/api/"):
            self._json(200, {"ok": True})  # a response_url
            return
        params = dict(parse_qsl(body)) if "json" not in (self.headers.get("Content-Type") or "") else json.loads(body)
        authorization = self.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization else str(params.get("token", ""))
        self._json(*self.server.fake._api(self.path.removeprefix("/api/"), token))

    def do_GET(self) -> None:
        key = self.headers.get("Sec-WebSocket-Key")
        if self.path.split("?")[0] != "/link" or not key:
            self._json(404, {"ok": False})
            return
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.server.fake._serve_socket(self.connection)

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _send_frame(sock: socket.socket, opcode: int, payload: bytes) -> None:
    """A server's frame: final, unmasked."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    sock.sendall(header + payload)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """A client's frame (always masked); fragments are not used by slack_sdk."""
    first, second = _read_exactly(sock, 2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", _read_exactly(sock, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", _read_exactly(sock, 8))[0]
    mask = _read_exactly(sock, 4) if second & 0x80 else b"\0\0\0\0"
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exactly(sock, size)))
    return first & 0x0F, data


def _close_quietly(sock: socket.socket, reset: bool = False) -> None:
    """Close a connection: with a FIN (a goodbye), or with `reset` an RST, as a network failure ends one."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
