"""The HTTP server against hostile clients, spoken to over raw sockets as an attacker would.

Slow clients are cut off at a deadline for the whole request, not kept while they trickle bytes; open
connections are bounded; a body is framed by Content-Length alone, so bytes a proxy would read as a chunked
body are never run as a second request here; malformed bodies and headers are a 400 or 401, with no
traceback printed or logged.
"""
from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.app import build_registry
from bot.slack.http_server import SlackHTTPServer
from bot.settings import Settings
from bot.slack.app import build_slack_app
from storage.models import CommentaryRow
from tests.fake_slack import FakeSlack
from tests.slack_signing import sign, slash_command_body

SECRET = "http-edge-secret"
TOKEN = "xoxb-http-edge"
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
EDITOR = "U0EDITOR"
NOTE = "calls-under-25s note 2025/26 Q2 Smuggled in behind a proxy."
HEADER_SECONDS = 2.0  # shorter than the server's default, so the test takes seconds; the mechanism is the same
BODY_SECONDS = 2.0
HALF_HEADER = b"POST /slack/events HTTP/1.1\r\nHost: kpibot\r\nX-Slack-Request-Timestamp: 17"


@contextlib.contextmanager
def serving(db, **limits):
    with FakeSlack() as fake:
        settings = Settings(database_url=db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, editor_user_ids=EDITOR, _env_file=None)
        app = build_slack_app(settings, build_registry(settings, db, clock=lambda: PANEL_DAY))
        server = SlackHTTPServer(app, "127.0.0.1", 0, header_seconds=HEADER_SECONDS, body_seconds=BODY_SECONDS,
                                 **limits)
        server.start_in_thread()
        try:
            yield server.port, fake
        finally:
            server.shutdown()
            server.server_close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_until_closed(connection: socket.socket, timeout: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (or `timeout` passes: then TimeoutError)."""
    connection.settimeout(timeout)
    received = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def exchange(port: int, data: bytes) -> bytes:
    with connect(port) as connection:
        connection.sendall(data)
        return read_until_closed(connection)


def signed_request(body: str, path: str = "/slack/events", extra: str = "") -> bytes:
    headers = sign(body, SECRET)
    lines = [f"POST {path} HTTP/1.1", "Host: kpibot", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(body.encode())}"]
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n" + body).encode()


def status_lines(answer: bytes) -> list[str]:
    return [line for line in answer.decode("latin-1").split("\r\n") if line.startswith("HTTP/1.1 ")]


def notes_stored(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(CommentaryRow))


def no_traceback(capfd, caplog) -> None:
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err + printed.out
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_a_hundred_half_sent_headers_are_all_closed_at_the_deadline(demo_db):
    """Slowloris: each client sends half a header, then a byte every half second; none is kept past the
    header deadline however it trickles, and the server answers a real request meanwhile."""
    with serving(demo_db) as (port, _):
        clients = [connect(port) for _ in range(100)]
        for client in clients:
            client.sendall(HALF_HEADER)
        stop = threading.Event()

        def trickle() -> None:
            while not stop.wait(0.5):
                for client in clients:
                    with contextlib.suppress(OSError):
                        client.sendall(b"1")

        threading.Thread(target=trickle, daemon=True).start()
        started = time.monotonic()
        try:
            answer = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: kpibot\r\nConnection: close\r\n\r\n")
            assert status_lines(answer) == ["HTTP/1.1 200 OK"]
            for client in clients:
                read_until_closed(client, timeout=max(0.1, HEADER_SECONDS + 5 - (time.monotonic() - started)))
            closed_after = time.monotonic() - started
        finally:
            stop.set()
            for client in clients:
                client.close()
    assert closed_after < HEADER_SECONDS + 5


def test_a_body_that_never_finishes_is_closed_at_the_deadline(demo_db):
    with serving(demo_db) as (port, _):
        with connect(port) as client:
            client.sendall(b"POST /slack/events HTTP/1.1\r\nHost: kpibot\r\nContent-Length: 500\r\n\r\ncommand=")
            started = time.monotonic()
            for _ in range(3):
                time.sleep(0.5)
                client.sendall(b"x")
            assert read_until_closed(client, timeout=BODY_SECONDS + 5) == b""
            assert time.monotonic() - started < BODY_SECONDS + 5


def test_connections_beyond_the_bound_get_a_quick_503(demo_db):
    with serving(demo_db, max_connections=10) as (port, _):
        held = [connect(port) for _ in range(10)]
        try:
            for client in held:
                client.sendall(HALF_HEADER)
            time.sleep(0.2)  # the ten are accepted and hold their slots
            started = time.monotonic()
            answer = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: kpibot\r\n\r\n")
            assert status_lines(answer) == ["HTTP/1.1 503 Service Unavailable"]
            assert time.monotonic() - started < 1.0
        finally:
            for client in held:
                client.close()
        # Slots come back as connections end.
        time.sleep(0.3)
        answer = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: kpibot\r\nConnection: close\r\n\r\n")
        assert status_lines(answer) == ["HTTP/1.1 200 OK"]


def smuggled_note() -> bytes:
    """A whole signed note from an editor: what an attacker hides in a body to have it run as a request."""
    return signed_request(slash_command_body("/kpi", NOTE, user_id=EDITOR), extra="Connection: close\r\n")


def test_a_chunked_body_holding_a_signed_request_is_refused_and_never_run(demo_db, capfd, caplog):
    inner = smuggled_note()
    chunked = (b"POST /slack/events HTTP/1.1\r\nHost: kpibot\r\nTransfer-Encoding: chunked\r\n\r\n"
               + f"{len(inner):x}\r\n".encode() + inner + b"\r\n0\r\n\r\n")
    with serving(demo_db) as (port, _):
        answer = exchange(port, chunked)
    assert status_lines(answer) == ["HTTP/1.1 411 Length Required"]
    assert b"Content-Length" in answer and b"Connection: close" in answer
    assert notes_stored(demo_db) == 0
    no_traceback(capfd, caplog)


def test_content_length_beside_chunked_cannot_desynchronise_the_server(demo_db):
    """TE.CL smuggling: a proxy reading the chunked framing sees one request; a server reading
    Content-Length: 4 would take the chunk size as the body and run the hidden note as a second request."""
    inner = smuggled_note()
    size = f"{len(inner):x}\r\n".encode()
    desync = (b"POST /slack/events HTTP/1.1\r\nHost: kpibot\r\nTransfer-Encoding: chunked\r\n"
              + f"Content-Length: {len(size)}\r\n\r\n".encode() + size + inner + b"\r\n0\r\n\r\n")
    with serving(demo_db) as (port, _):
        answer = exchange(port, desync)
    assert status_lines(answer) == ["HTTP/1.1 400 Bad Request"]
    assert notes_stored(demo_db) == 0


def test_a_body_on_a_get_is_not_read_as_a_second_request(demo_db):
    inner = smuggled_note()
    get = f"GET /healthz HTTP/1.1\r\nHost: kpibot\r\nContent-Length: {len(inner)}\r\n\r\n".encode() + inner
    with serving(demo_db) as (port, _):
        answer = exchange(port, get)
    assert status_lines(answer) == ["HTTP/1.1 200 OK"]
    assert notes_stored(demo_db) == 0


@pytest.mark.parametrize("lengths", [["10", "12"], ["1_0"], ["+10"], ["ten"]])
def test_a_content_length_that_is_not_one_number_is_refused(demo_db, lengths):
    headers = "".join(f"Content-Length: {value}\r\n" for value in lengths)
    with serving(demo_db) as (port, _):
        answer = exchange(port, f"POST /slack/events HTTP/1.1\r\nHost: kpibot\r\n{headers}\r\n".encode()
                          + b"command=%2Fkpi&t")
    assert status_lines(answer) == ["HTTP/1.1 400 Bad Request"]


@pytest.mark.parametrize("signed", [False, True])
def test_a_payload_that_is_not_json_is_a_400_without_a_traceback(demo_db, capfd, caplog, signed):
    body = "payload=%7Bnot-json"
    request = (signed_request(body, extra="Connection: close\r\n") if signed else
               f"POST /slack/events HTTP/1.1\r\nHost: kpibot\r\nContent-Length: {len(body)}\r\n"
               f"Content-Type: application/x-www-form-urlencoded\r\n\r\n{body}".encode())
    with serving(demo_db) as (port, _), caplog.at_level(logging.DEBUG):
        answer = exchange(port, request)
    assert status_lines(answer) == ["HTTP/1.1 400 Bad Request"]
    no_traceback(capfd, caplog)


def test_a_timestamp_that_is_not_a_number_is_a_401_without_a_traceback(demo_db, capfd, caplog):
    body = slash_command_body("/kpi", "calls-under-25s")
    request = signed_request(body, extra="Connection: close\r\n").replace(
        b"X-Slack-Request-Timestamp: ", b"X-Slack-Request-Timestamp: abc", 1)
    with serving(demo_db) as (port, _), caplog.at_level(logging.DEBUG):
        answer = exchange(port, request)
    assert status_lines(answer) == ["HTTP/1.1 401 Unauthorized"]
    no_traceback(capfd, caplog)
