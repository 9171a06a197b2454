"""The fake Slack's side of HTTP: how it reads a request (query, form, JSON, multipart) and writes a reply,
and the views of messages and files it answers with, as Slack's Web API shapes them."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any, Iterator
from urllib.parse import parse_qsl

# Slack accepts these message fields as JSON text when the request is form-encoded.
JSON_FIELDS = ("blocks", "attachments", "metadata")

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
    # A file download: written a chunk at a time, how much went out kept here ("sent", "finished", "cut").
    download: dict | None = None
    # False: no Content-Length, the body ends when the connection closes (as a streamed answer may).
    length_declared: bool = True

    @classmethod
    def json(cls, payload: dict, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
        error = None if payload.get("ok") else payload.get("error")
        return cls(status, json.dumps(payload).encode(), "application/json; charset=utf-8", error, headers or {})

    @classmethod
    def file(cls, content: bytes, mimetype: str, download: dict, length_declared: bool) -> _Reply:
        return cls(200, content, mimetype, download=download, length_declared=length_declared)

    @classmethod
    def redirect(cls, location: str) -> _Reply:
        return cls(302, b"", "text/plain; charset=utf-8", headers={"Location": location})

    @classmethod
    def html(cls, text: str) -> _Reply:
        return cls(200, text.encode(), "text/html; charset=utf-8")

    @classmethod
    def text(cls, text: str, status: int = 200, error: str | None = None) -> _Reply:
        return cls(status, text.encode(), "text/plain; charset=utf-8", error)


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
