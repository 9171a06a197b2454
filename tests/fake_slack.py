"""A fake of the Slack Web API on 127.0.0.1 that answers slack_sdk as Slack does and records every call.

Point a real client at it with `WebClient(token="xoxb-test", base_url=fake.api_url)`; give
slash commands `fake.response_url(name)` as their response_url. Messages are stamped from the
fake's own clock, as Slack stamps them from its own: `fake.clock_offset` (seconds) puts it ahead
of or behind the machine's, and `FakeSlack(clock=...)` replaces it outright. Besides the Web API methods
kpibot uses, the fake serves the two other addresses Slack hands out: file upload URLs
(from files.getUploadURLExternal) and response_urls. Requests to those are recorded under
the pseudo method names UPLOAD and RESPONSE_URL, which `calls()` and `fail_next()` accept.
"""
from __future__ import annotations

import copy
import itertools
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl

import pytest

LOGGER = logging.getLogger(__name__)

UPLOAD = "upload"
RESPONSE_URL = "response_url"

BOT_IDENTITY = {
    "url": "https://fake.slack.com/",
    "team": "OPCC",
    "user": "kpibot",
    "team_id": "T0001",
    "user_id": "U0BOT",
    "bot_id": "B0BOT",
}
HISTORY_PAGE_SIZE = 100
# Slack accepts these message fields as JSON text when the request is form-encoded.
JSON_FIELDS = ("blocks", "attachments", "metadata")
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


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int | None
    times: int


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: dict, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
        error = None if payload.get("ok") else payload.get("error")
        return cls(status, json.dumps(payload).encode(), "application/json; charset=utf-8", error, headers or {})

    @classmethod
    def text(cls, text: str, status: int = 200, error: str | None = None) -> _Reply:
        return cls(status, text.encode(), "text/plain; charset=utf-8", error)


class FakeSlack:
    """The Slack Web API, file upload URLs and response_urls on one free local port.

    Use it as `with FakeSlack() as fake:` or through the `fake_slack` fixture. Every
    accessor returns copies, so a test can keep or change what it reads.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], float] = time.time) -> None:
        self._address = (host, port)
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

    def _receive_response(self, name: str, body: Any) -> _Reply:
        if not isinstance(body, dict):
            return _Reply.text("invalid_payload", 400, error="invalid_payload")
        self._responses.append((name, body))
        return _Reply.text("ok")

    # -- Web API methods ----------------------------------------------------------

    def hold_answer(self, method: str, seconds: float) -> None:
        """Carry out the next `method` call at once but send its answer only after `seconds`."""
        with self._lock:
            self._holds[method] = seconds

    def make_guest(self, user: str) -> None:
        """users.info will say `user` is a guest (a restricted account)."""
        with self._lock:
            self._guests.add(user)

    def set_group(self, group: str, users: list[str]) -> None:
        with self._lock:
            self._groups[group] = list(users)

    def _users_info(self, params: dict) -> dict:
        user = str(params.get("user") or "")
        if not user:
            return _error("user_not_found")
        return {"ok": True, "user": {"id": user, "is_restricted": user in self._guests,
                                     "is_ultra_restricted": False, "is_bot": False}}

    def _usergroup_users(self, params: dict) -> dict:
        group = str(params.get("usergroup") or "")
        if group not in self._groups:
            return _error("no_such_subteam")
        return {"ok": True, "users": list(self._groups[group])}

    def leave_channel(self, channel: str) -> None:
        """The bot is not a member of `channel`: conversations.info says so and posting there fails."""
        with self._lock:
            self._not_member.add(channel)

    def open_direct_message(self, channel: str, user: str) -> None:
        """`channel` is the bot's own direct message with `user`, as conversations.info reports it.

        Any other D... conversation is a direct message between people, which the bot is not in:
        conversations.info answers channel_not_found for it, as Slack does."""
        with self._lock:
            self._direct_messages[channel] = user

    def _conversations_info(self, params: dict) -> dict:
        channel = str(params.get("channel") or "")
        with self._lock:
            other = self._direct_messages.get(channel)
        if other is not None:
            return {"ok": True, "channel": {"id": channel, "is_im": True, "user": other, "is_member": True,
                                            "is_archived": False}}
        if not channel or channel.startswith("D"):
            return _error("channel_not_found")
        is_im = channel.startswith("U")
        return {"ok": True, "channel": {"id": channel, "is_member": channel not in self._not_member,
                                        "is_im": is_im, "is_archived": False}}

    def _auth_test(self, params: dict) -> dict:
        return {"ok": True, **BOT_IDENTITY}

    def _chat_post_message(self, params: dict) -> dict:
        channel = params.get("channel")
        if not channel:
            return _error("channel_not_found")
        if not _has_content(params):
            return _error("no_text")
        if channel in self._not_member:
            return _error("not_in_channel")
        message = self._new_message(params)
        self._messages.append({"channel": channel, **message})
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_post_ephemeral(self, params: dict) -> dict:
        channel, user = params.get("channel"), params.get("user")
        if not channel:
            return _error("channel_not_found")
        if not user:
            return _error("user_not_found")
        if not _has_content(params):
            return _error("no_text")
        message = self._new_message(params)
        self._messages.append({"channel": channel, **message, "user": user, "ephemeral": True})
        return {"ok": True, "message_ts": message["ts"]}

    def _conversations_history(self, params: dict) -> dict:
        channel = params.get("channel")
        if not channel:
            return _error("channel_not_found")
        with_metadata = _truthy(params.get("include_all_metadata"))
        newest_first = [_history_view(message, with_metadata) for message in reversed(self._messages)
                        if message["channel"] == channel and _in_history(message)]
        matching = [message for message in newest_first if _within_bounds(message["ts"], params)]
        offset = int(str(params.get("cursor") or "offset:0").removeprefix("offset:"))
        limit = int(params.get("limit") or HISTORY_PAGE_SIZE)
        has_more = len(matching) > offset + limit
        return {
            "ok": True,
            "messages": matching[offset:offset + limit],
            "has_more": has_more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": f"offset:{offset + limit}" if has_more else ""},
        }

    def _files_get_upload_url(self, params: dict) -> dict:
        filename, length = params.get("filename"), _whole_number(params.get("length"))
        if not filename or length is None:
            return _error("invalid_arguments")
        file_id = f"F{next(self._file_counter):010d}"
        self._uploads[file_id] = {
            "file_id": file_id, "filename": filename, "title": None, "length": length, "bytes": None,
            "channel": None, "channels": [], "initial_comment": None, "thread_ts": None,
            "alt_txt": params.get("alt_txt"),
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict) -> dict:
        items = _decoded(params.get("files"))
        if not isinstance(items, list) or not items:
            return _error("invalid_arguments")
        uploads = [self._uploads.get(item.get("id")) for item in items]
        # Completing a file whose bytes never arrived is the fake's error, stricter than documented.
        if any(upload is None or upload["bytes"] is None for upload in uploads):
            return _error("file_not_found")
        channels = _channel_list(params)
        for item, upload in zip(items, uploads):
            upload.update(
                title=item.get("title") or upload["filename"], channel=channels[0] if channels else None,
                channels=channels, initial_comment=params.get("initial_comment"),
                thread_ts=params.get("thread_ts"),
            )
        for channel in channels:
            self._share_files(channel, uploads, params)
        return {"ok": True, "files": [_file_view(upload) for upload in uploads]}

    # -- messages -----------------------------------------------------------------

    def now(self) -> float:
        """The time on Slack's clock, in seconds since the epoch."""
        return self.clock() + self.clock_offset

    def _next_ts(self) -> str:
        """A new message's ts as Slack makes one: its own clock's time in microseconds, one later than the last
        message's when two arrive in the same microsecond (or the clock is set back), so none repeats."""
        microseconds = max(round(self.now() * 1_000_000), self._last_ts_microseconds + 1)
        self._last_ts_microseconds = microseconds
        return f"{microseconds // 1_000_000}.{microseconds % 1_000_000:06d}"

    def _new_message(self, params: dict) -> dict:
        message = {
            "type": "message",
            "user": BOT_IDENTITY["user_id"],
            "bot_id": BOT_IDENTITY["bot_id"],
            "text": params.get("text") or "",
            "ts": self._next_ts(),
        }
        for name in JSON_FIELDS:
            if params.get(name):
                message[name] = _decoded(params[name])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
            message["reply_broadcast"] = _truthy(params.get("reply_broadcast"))
        return message

    def _share_files(self, channel: str, uploads: list[dict], params: dict) -> None:
        """Post the message Slack posts when files are shared: the initial comment with the files."""
        message = self._new_message({"text": params.get("initial_comment"), "thread_ts": params.get("thread_ts")})
        message.update(upload=True, files=[_file_view(upload) for upload in uploads])
        self._messages.append({"channel": channel, **message})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when a test fires many requests at once.
    request_queue_size = 128
    fake: FakeSlack

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (a timeout test) closes its end: that is expected, not an error."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


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
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST  # Slack takes either verb for every Web API method

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug("fake Slack: " + format, *args)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running FakeSlack for one test."""
    with FakeSlack() as fake:
        yield fake


# -- request parsing ------------------------------------------------------------


def _content_type(value: str | None) -> Message:
    header = Message()
    header["content-type"] = value or "application/x-www-form-urlencoded"
    return header


def _request_params(headers: dict[str, str], body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    content_type = _content_type(headers.get("content-type"))
    if content_type.get_content_type() == "application/json":
        params.update(json.loads(body or b"{}"))
    elif content_type.get_content_type() == "multipart/form-data":
        params.update(_multipart_fields(body, content_type.get_param("boundary")))
    elif body:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _multipart_parts(body: bytes, boundary: str) -> Iterator[tuple[Message, bytes]]:
    """Each part of a multipart/form-data body: its headers and its content, byte for byte."""
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    # A body may open with the delimiter without the CRLF that precedes every later one.
    for section in (b"\r\n" + body).split(delimiter)[1:]:
        if section.startswith(b"--"):
            return
        _, _, section = section.partition(b"\r\n")
        head, _, content = section.partition(b"\r\n\r\n")
        yield BytesHeaderParser().parsebytes(head + b"\r\n\r\n"), content


def _multipart_fields(body: bytes, boundary: str) -> dict[str, str | bytes]:
    return {
        part.get_param("name", header="content-disposition"):
            content if part.get_filename() is not None else content.decode("utf-8")
        for part, content in _multipart_parts(body, boundary)
    }


def _uploaded_bytes(headers: dict[str, str], body: bytes) -> bytes:
    """The file's bytes: the whole body, as slack_sdk sends it, or the file part of a multipart form."""
    content_type = _content_type(headers.get("content-type"))
    if content_type.get_content_type() != "multipart/form-data":
        return body
    parts = list(_multipart_parts(body, content_type.get_param("boundary")))
    files = [content for part, content in parts if part.get_filename() is not None]
    return next(iter(files or [content for _, content in parts]), b"")


def _auth_error(params: dict, headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else params.get("token")
    if not token:
        return "not_authed"
    return None if str(token).startswith("xox") else "invalid_auth"


# -- values -----------------------------------------------------------------------


def _error(error: str) -> dict:
    return {"ok": False, "error": error}


def _fault_reply(fault: _Fault) -> _Reply:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    return _Reply.json(_error(fault.error), status=fault.status, headers=headers)


def _decoded(value: Any) -> Any:
    """A JSON field as data, whether it came as JSON or as JSON text in a form."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _whole_number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _has_content(params: dict) -> bool:
    return any(params.get(name) for name in ("text", "blocks", "attachments"))


def _channel_list(params: dict) -> list[str]:
    if params.get("channel_id"):
        return [params["channel_id"]]
    return [channel for channel in str(params.get("channels") or "").split(",") if channel]


def _in_history(message: dict) -> bool:
    """Slack's history holds channel-level messages: no ephemerals, no thread replies unless broadcast."""
    if message.get("ephemeral"):
        return False
    return message.get("thread_ts") in (None, message["ts"]) or bool(message.get("reply_broadcast"))


def _history_view(message: dict, with_metadata: bool) -> dict:
    hidden = {"channel"} if with_metadata else {"channel", "metadata"}
    return {key: copy.deepcopy(value) for key, value in message.items() if key not in hidden}


def _within_bounds(ts: str, params: dict) -> bool:
    inclusive = _truthy(params.get("inclusive"))
    stamp = Decimal(ts)
    if params.get("oldest"):
        oldest = Decimal(str(params["oldest"]))
        if stamp < oldest or (stamp == oldest and not inclusive):
            return False
    if params.get("latest"):
        latest = Decimal(str(params["latest"]))
        if stamp > latest or (stamp == latest and not inclusive):
            return False
    return True


def _file_view(upload: dict) -> dict:
    return {"id": upload["file_id"], "name": upload["filename"], "title": upload["title"],
            "size": len(upload["bytes"] or b"")}
