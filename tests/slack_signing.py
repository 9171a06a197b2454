"""Requests as Slack sends them to an app in HTTP mode: slash commands, button clicks and Events API events,
signed with the app's secret.

Bodies are form-encoded the way Slack encodes them (spaces as "+", "/" as "%2F"); the
signature is Slack's v0 scheme, computed here with hmac so it checks the app's verifier
rather than agreeing with it.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from email.message import Message
from typing import NamedTuple
from urllib.parse import urlencode

TEAM_ID = "T0001"
TEAM_DOMAIN = "opcc"
API_APP_ID = "A0KPIBOT"
# Slack still sends the deprecated verification token; apps that verify signatures ignore it.
VERIFICATION_TOKEN = "fake-verification-token"
DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1000000000001/fakeResponseToken"
DEFAULT_TRIGGER_ID = "1000000000001.1000000000.0123456789abcdef0123456789abcdef"
_TRIGGERS = itertools.count(1)
DEFAULT_MESSAGE_TS = "1760000000.000100"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
BOT_USER_ID = "U0BOT"
_EVENTS = itertools.count(1)


class SignedResponse(NamedTuple):
    """What the app answered to a signed request, and how long it took (Slack gives up after 3 s)."""

    status: int
    headers: dict[str, str]  # names lower-cased
    body: str
    elapsed: float  # seconds


def slash_command_body(command: str, text: str = "", user_id: str = "U0USER", channel_id: str = "C0GENERAL",
                       response_url: str = DEFAULT_RESPONSE_URL, team_id: str = TEAM_ID,
                       trigger_id: str | None = None, user_name: str = "analyst",
                       channel_name: str = "general") -> str:
    """The form body Slack posts when someone runs `command text`, fields in Slack's order.

    Each invocation gets a trigger_id of its own, as from Slack, unless one is given."""
    if trigger_id is None:
        trigger_id = f"1000000000001.1000000000.{next(_TRIGGERS):032x}"
    return urlencode({
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    })


def block_actions_body(action_id: str, value: str = "", block_id: str = "actions", button_text: str = "Button",
                       user_id: str = "U0USER", user_name: str = "analyst", channel_id: str = "C0GENERAL",
                       channel_name: str = "general", message_ts: str = DEFAULT_MESSAGE_TS,
                       message: dict | None = None, ephemeral: bool = False,
                       response_url: str = DEFAULT_RESPONSE_URL, team_id: str = TEAM_ID,
                       trigger_id: str = DEFAULT_TRIGGER_ID, action_ts: str | None = None) -> str:
    """The form body Slack posts when someone clicks a button: one `payload` field holding JSON.

    `message` is the message the button was on (Slack sends it whole); a click on an
    ephemeral message carries no message, only its container.
    """
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                      "is_ephemeral": ephemeral},
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id,
            "block_id": block_id,
            "text": {"type": "plain_text", "text": button_text, "emoji": True},
            "value": value,
            "type": "button",
            "action_ts": action_ts or f"{time.time():.6f}",
        }],
    }
    if not ephemeral:
        payload["message"] = message or {"type": "message", "ts": message_ts, "text": "", "user": "U0BOT",
                                         "bot_id": "B0BOT", "blocks": []}
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def event_body(event: dict, event_id: str | None = None, team_id: str = TEAM_ID,
               event_time: int | None = None) -> str:
    """The JSON Slack posts for one Events API event, as it sends it: the envelope around `event`.

    Each call gets an event_id of its own unless one is given (a retry of an event carries the same)."""
    if event_id is None:
        event_id = f"Ev{next(_EVENTS):010d}"
    return json.dumps({
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }, separators=(",", ":"))


def file_share_event(files: list[dict], user_id: str = "U0USER", channel_id: str = "D0USER",
                     channel_type: str = "im", text: str = "") -> dict:
    """The message event of someone sharing `files` (file objects) in a conversation: subtype file_share."""
    ts = f"{time.time():.6f}"
    return {"type": "message", "subtype": "file_share", "text": text, "files": files, "upload": False,
            "user": user_id, "display_as_bot": False, "ts": ts, "client_msg_id": f"msg-{ts}",
            "channel": channel_id, "event_ts": ts, "channel_type": channel_type}


def app_mention_event(files: list[dict] | None = None, user_id: str = "U0USER", channel_id: str = "C0GENERAL",
                      text: str = f"<@{BOT_USER_ID}> here are the figures") -> dict:
    """The app_mention event of a message that @mentions the bot, with `files` shared in it."""
    ts = f"{time.time():.6f}"
    event = {"type": "app_mention", "text": text, "user": user_id, "ts": ts, "client_msg_id": f"msg-{ts}",
             "team": TEAM_ID, "channel": channel_id, "event_ts": ts}
    if files:
        event.update(files=files, upload=False, display_as_bot=False)
    return event


def post_event(url: str, event: dict, secret: str, event_id: str | None = None, retry_num: int | None = None,
               timeout: float = 10.0) -> SignedResponse:
    """POST `event` in its envelope to the app as Slack does; `retry_num`: Slack's retry of it (1 to 3), with the
    X-Slack-Retry-Num and X-Slack-Retry-Reason headers (give the first delivery's event_id)."""
    retry = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
    return post_signed_json(url, event_body(event, event_id), secret, retry, timeout)


def post_signed_json(url: str, body: str, secret: str, headers: dict[str, str] | None = None,
                     timeout: float = 10.0) -> SignedResponse:
    """POST a JSON `body` (an event's envelope, Slack's url_verification) signed as post_signed signs a form."""
    sent = {**sign(body, secret), "Content-Type": JSON_CONTENT_TYPE, "User-Agent": SLACK_USER_AGENT, **(headers or {})}
    return _post(url, body, sent, timeout)


def sign(body: str | bytes, secret: str, timestamp: int | str | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`: its timestamp, its v0 signature and the form content type."""
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + stamp.encode("ascii") + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": FORM_CONTENT_TYPE,
    }


def post_signed(url: str, body: str, secret: str, timestamp: int | str | None = None, tamper: bool = False,
                timeout: float = 10.0) -> SignedResponse:
    """POST `body` to the app at `url` as Slack would; `tamper` changes the body after signing it.

    Answers of any status come back as a SignedResponse rather than an exception.
    """
    headers = {**sign(body, secret, timestamp), "User-Agent": SLACK_USER_AGENT}
    return _post(url, body + "&tampered=1" if tamper else body, headers, timeout)


def _post(url: str, sent: str, headers: dict[str, str], timeout: float) -> SignedResponse:
    request = urllib.request.Request(url, data=sent.encode("utf-8"), headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _signed_response(response.status, response.headers, response.read(), started)
    except urllib.error.HTTPError as error:
        with error:
            return _signed_response(error.code, error.headers, error.read(), started)


def _signed_response(status: int, headers: Message, body: bytes, started: float) -> SignedResponse:
    elapsed = time.perf_counter() - started
    charset = headers.get_content_charset() or "utf-8"
    return SignedResponse(status, {name.lower(): value for name, value in headers.items()},
                          body.decode(charset), elapsed)
