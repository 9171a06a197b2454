"""A fake of the Slack Web API on 127.0.0.1 that answers slack_sdk as Slack does and records every call.

Point a real client at it with `WebClient(token="xoxb-test", base_url=fake.api_url)`; give
slash commands `fake.response_url(name)` as their response_url. Messages are stamped from the
fake's own clock, as Slack stamps them from its own: `fake.clock_offset` (seconds) puts it ahead
of or behind the machine's, and `FakeSlack(clock=...)` replaces it outright. Besides the Web API methods
kpibot uses, the fake serves the other addresses Slack hands out: file upload URLs
(from files.getUploadURLExternal), response_urls, and the download addresses of files people
share (`fake.add_file(...)`, answered only with the bot's token, else with Slack's sign-in page).
Requests to those are recorded under the pseudo method names UPLOAD, RESPONSE_URL and DOWNLOAD,
which `calls()` and `fail_next()` accept.
"""
from __future__ import annotations

import copy
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Iterator

import pytest

from tests.fake_slack_methods import WebApiMethods
from tests.fake_slack_wire import (
    _auth_error, _error, _Fault, _fault_reply, _json_body, _Reply, _request_params, _uploaded_bytes,
)
from tests.local_http import LocalHTTPServer

LOGGER = logging.getLogger(__name__)

UPLOAD = "upload"
RESPONSE_URL = "response_url"
DOWNLOAD = "download"
SIGN_IN = "sign_in"

DOWNLOAD_CHUNK_BYTES = 64 * 1024
SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to OPCC</body></html>"

# Server threads check for shutdown this often; the default half second slows every test's teardown.
SHUTDOWN_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Call:
    """One request the fake received and how it answered."""

    method: str  # the API method ("chat.postMessage"), UPLOAD or RESPONSE_URL
    path: str
    params: dict[str, Any]  # query and body parameters as sent: form values are strings
    headers: dict[str, str]  # names lower-cased
    status: int
    error: str | None  # the Slack error answered, None when the answer was ok


class FakeSlack(WebApiMethods):
    """The Slack Web API, file upload URLs and response_urls on one free local port.

    Use it as `with FakeSlack() as fake:` or through the `fake_slack` fixture. Every
    accessor returns copies, so a test can keep or change what it reads.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], float] = time.time,
                 bot_token: str | None = None) -> None:
        self._address = (host, port)
        # The one token that may download files; None: any xox... token, as the Web API methods take.
        self.bot_token = bot_token
        # Slack's clock, not ours: every message's ts is read from it. Nothing makes it agree with the bot's.
        self.clock = clock
        self.clock_offset = 0.0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._generation = 0
        # Timestamps and file ids keep counting across reset() so they never repeat.
        self._last_ts_microseconds = 0
        self._file_counter = itertools.count(1)
        self._api: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }
        self._clear()

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._server = _Server(self._address, _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="fake-slack", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use it as a context manager or call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The base_url for WebClient: slack_sdk appends the method name to it, so it ends in a slash."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "command") -> str:
        return f"{self.url}/response/{name}"

    # -- fault injection ----------------------------------------------------------

    def fail_next(self, method: str, error: str | None = None, status: int = 200,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with a failure instead of the normal answer.

        The body is always Slack's {"ok": false, "error": ...}. With status 200 that is an
        API error (slack_sdk raises SlackApiError carrying it); with 429 the answer also
        carries Retry-After (1 second unless given) and the error defaults to "ratelimited";
        other statuses (500, 503) default to "internal_error". The fake answers at once:
        Retry-After is only a header. Faults for one method queue in the order given.
        For UPLOAD give a non-200 status: slack_sdk reads only the status of an upload.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        default_error = "ratelimited" if status == 429 else "internal_error"
        fault = _Fault(error or default_error, status, retry_after, times)
        with self._lock:
            self._faults.setdefault(method, deque()).append(fault)

    # -- inspection ---------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(call) for call in self._calls if method in (None, call.method)]

    def messages(self, channel: str | None = None) -> list[dict]:
        """Messages posted with chat.postMessage and chat.postEphemeral, oldest first.

        Each carries its "channel"; ephemeral ones have "ephemeral": True and "user" set to
        the one person who saw it. File shares are not here (see uploads()), though
        conversations.history lists them as Slack does.
        """
        with self._lock:
            return [copy.deepcopy(message) for message in self._messages
                    if not message.get("upload") and channel in (None, message["channel"])]

    def uploads(self) -> list[dict]:
        """Every file given an upload URL, in order: file_id, filename, title, length, bytes (None
        until uploaded), channel and channels (None and [] until shared), initial_comment, thread_ts."""
        with self._lock:
            return copy.deepcopy(list(self._uploads.values()))

    def downloads(self, file_id: str | None = None) -> list[dict]:
        """Each download of a shared file the fake began to send, oldest first: file_id, sent (bytes written
        so far), finished (the answer is over) and cut (the client stopped reading before the end)."""
        with self._lock:
            return [dict(record) for record in self._downloads if file_id in (None, record["file_id"])]

    def responses(self, name: str | None = None) -> list[Any]:
        """The JSON bodies posted to response_urls, oldest first, optionally only those for `name`."""
        with self._lock:
            return [copy.deepcopy(body) for url_name, body in self._responses if name in (None, url_name)]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
        """Wait until `predicate()` is truthy and return its value; raise TimeoutError after `timeout` seconds.

        Re-checks as soon as the fake records a request, and every `interval` seconds for
        conditions outside the fake. It waits on a condition, not time.sleep, so it keeps
        working while a test patches time.sleep.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                seen = self._generation
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"not true within {timeout}s; the fake received {self._call_summary()}")
            with self._changed:
                self._changed.wait_for(lambda: self._generation != seen, timeout=min(interval, remaining))

    def reset(self) -> None:
        """Forget calls, messages, uploads, responses and pending faults."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._not_member: set[str] = set()
        self._guests: set[str] = set()
        self._direct_messages: dict[str, str] = {}
        self._groups: dict[str, list[str]] = {}
        self._holds: dict[str, float] = {}
        self._calls: list[Call] = []
        self._messages: list[dict] = []
        self._uploads: dict[str, dict] = {}
        self._responses: list[tuple[str, Any]] = []
        self._shared_files: dict[str, dict] = {}
        self._downloads: list[dict] = []
        self._faults: dict[str, deque[_Fault]] = {}

    def _call_summary(self) -> str:
        with self._lock:
            return ", ".join(f"{call.method} ({call.status})" for call in self._calls) or "no requests"

    # -- requests (on server threads) ---------------------------------------------

    def _answer_request(self, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        path, _, query = target.partition("?")
        root, _, name = path.lstrip("/").partition("/")
        if root == "api":
            method, params = name, _request_params(headers, body, query)
        elif root == "upload":
            method, params = UPLOAD, {"file_id": name}
        elif root == "response":
            method, params = RESPONSE_URL, _json_body(body)
        elif root == "files-pri":
            method, params = DOWNLOAD, {"file_id": name.partition("/")[0].rpartition("-")[2],
                                        "download": "/download/" in name}
        elif root == "signin":
            method, params = SIGN_IN, {}
        else:
            return _Reply.text("Not Found", 404)
        with self._changed:
            fault = self._take_fault(method)
            reply = _fault_reply(fault) if fault else self._route(method, name, params, headers, body)
            self._calls.append(Call(method, path, params, headers, reply.status, reply.error))
            self._generation += 1
            self._changed.notify_all()
            hold = self._holds.pop(method, None)
        if hold is not None:
            # Done on Slack's side, but the answer is late: as when the client dies before hearing back.
            threading.Event().wait(hold)
        return reply

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    def _route(self, method: str, name: str, params: Any, headers: dict[str, str], body: bytes) -> _Reply:
        if method == UPLOAD:
            return self._receive_upload(name, headers, body)
        if method == RESPONSE_URL:
            return self._receive_response(name, params)
        if method == DOWNLOAD:
            return self._send_file(params["file_id"], params["download"], headers)
        if method == SIGN_IN:
            return _Reply.html(SIGN_IN_PAGE)
        api_method = self._api.get(method)
        if api_method is None:
            return _Reply.json(_error("unknown_method"))
        auth_error = _auth_error(params, headers)
        if auth_error:
            return _Reply.json(_error(auth_error))
        return _Reply.json(api_method(params))

    def _receive_upload(self, file_id: str, headers: dict[str, str], body: bytes) -> _Reply:
        upload = self._uploads.get(file_id)
        if upload is None:
            return _Reply.text("Not Found", 404, error="file_not_found")
        upload["bytes"] = _uploaded_bytes(headers, body)
        return _Reply.text(f"OK - {len(upload['bytes'])}")

    def _send_file(self, file_id: str, download: bool, headers: dict[str, str]) -> _Reply:
        """A shared file's bytes to the bot's token; to any other, or none, Slack's answer: a redirect to its
        sign-in page, at another address than the files' (as Slack's is at the workspace's own)."""
        shared = self._shared_files.get(file_id)
        if shared is None:
            return _Reply.text("Not Found", 404, error="file_not_found")
        authorization = headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        if not (token == self.bot_token if self.bot_token else token.startswith("xox")):
            port = self._server.server_address[1]
            return _Reply.redirect(f"http://localhost:{port}/signin?redir=%2Ffiles-pri%2F{file_id}")
        if download and shared["moved"]:
            return _Reply.redirect(shared["file"]["url_private"])
        record = {"file_id": file_id, "sent": 0, "finished": False, "cut": False}
        self._downloads.append(record)
        return _Reply.file(shared["content"], shared["file"]["mimetype"], record, shared["length_declared"])

    def _receive_response(self, name: str, body: Any) -> _Reply:
        if not isinstance(body, dict):
            return _Reply.text("invalid_payload", 400, error="invalid_payload")
        self._responses.append((name, body))
        return _Reply.text("ok")


class _Server(LocalHTTPServer):
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    """Translates HTTP to FakeSlack._answer_request and back."""

    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            reply = self.server.fake._answer_request(self.path, headers, body)
        except Exception:  # a bug in the fake must reach the test as a failure, not a hung client
            LOGGER.exception("fake Slack failed on %s", self.path)
            reply = _Reply.json(_error("fake_slack_failed"), status=500)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", reply.content_type)
        if reply.length_declared:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.download is None:
            self.wfile.write(reply.body)
            return
        self._stream(reply)

    def _stream(self, reply: _Reply) -> None:
        """A file a chunk at a time, noting how much went out: a client that stops reading cuts it short."""
        record = reply.download
        try:
            for start in range(0, len(reply.body), DOWNLOAD_CHUNK_BYTES):
                self.wfile.write(reply.body[start:start + DOWNLOAD_CHUNK_BYTES])
                with self.server.fake._lock:
                    record["sent"] = min(len(reply.body), start + DOWNLOAD_CHUNK_BYTES)
        except (BrokenPipeError, ConnectionResetError):
            record["cut"] = True
        finally:
            self.close_connection = True
            with self.server.fake._changed:
                record["finished"] = True
                self.server.fake._generation += 1
                self.server.fake._changed.notify_all()

    do_GET = do_POST  # Slack takes either verb for every Web API method

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug("fake Slack: " + format, *args)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running FakeSlack for one test."""
    with FakeSlack() as fake:
        yield fake
