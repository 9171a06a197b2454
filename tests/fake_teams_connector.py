"""A fake Bot Connector on 127.0.0.1: the service a Teams bot posts its replies and proactive messages to.

Its `service_url` is what activities sent to the bot carry as serviceUrl (with a region path and a trailing
slash, as Teams' own do). It answers:
- POST /v3/conversations/{id}/activities: a new message (201, {"id": ...}),
- POST /v3/conversations/{id}/activities/{activityId}: a reply; PUT the same path: an update,
- POST /v3/conversations: a personal chat with one member (the same chat for the same member, as Teams does),
- GET /v3/conversations/{id}/members[/{userId}]: TeamsChannelAccounts, with userRole, from the table a test sets,
- GET /v3/teams/{teamId}/conversations: the team's channels ({"conversations": [{"id", "name"}]}, the General
  channel with no name), from the table `add_team` sets; 404 for a team it does not know.
Every request must carry a bearer token the fake Entra issued, else 401; an activity over about 100 KB gets
413. `fail_next` answers the next requests with 429 (Retry-After), 403, 412, 502 or 504; `remove_bot` makes a
conversation refuse the bot for good.
"""
from __future__ import annotations

import copy
import itertools
import re
import time
from urllib.parse import unquote
from collections import deque
from dataclasses import dataclass
from typing import Any

from tests.fake_teams_activities import ADAPTIVE_CARD, TeamsUser
from tests.fake_teams_http import LocalService, Reply, Request

SERVICE_PATH = "/emea"
# Teams refuses a bot's message over about 100 KB of JSON (text, cards and their images together).
MAX_ACTIVITY_BYTES = 100_000
DENIED = {"message": "Authorization has been denied for this request."}
# The Bot Connector's error codes for the statuses a test can ask for.
ERROR_CODES = {403: "BotNotInConversationRoster", 404: "ConversationNotFound", 412: "PreconditionFailed",
               413: "MessageSizeTooBig", 429: "TooManyRequests", 502: "BadGateway", 504: "GatewayTimeout"}
_ACTIVITIES = re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/activities(?:/(?P<activity>[^/]+))?$")
_TEAM_CHANNELS = re.compile(r"^/v3/teams/(?P<team>[^/]+)/conversations$")
_MEMBERS = re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/members(?:/(?P<member>[^/]+))?$")


@dataclass(frozen=True)
class ConnectorRequest:
    """One request the connector received and how it answered."""

    kind: str  # "activity", "reply", "update", "create conversation", "member", "members", "unknown"
    method: str
    path: str  # without the service URL's region path
    conversation_id: str | None
    body: Any
    token: str | None
    status: int
    at: float  # time.monotonic() when it arrived: how long a client waited between tries


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: int | None
    conversation_id: str | None
    kind: str | None


class FakeConnector(LocalService):
    """The Bot Connector for the bot that `entra` (a FakeEntra) issues tokens to."""

    thread_name = "fake-connector"

    def __init__(self, entra, max_activity_bytes: int = MAX_ACTIVITY_BYTES, **server: Any) -> None:
        super().__init__(**server)
        self.entra = entra
        self.max_activity_bytes = max_activity_bytes
        self._ids = itertools.count(1)
        self._requests: list[ConnectorRequest] = []
        self._faults: deque[_Fault] = deque()
        self._members: dict[str | None, dict[str, TeamsUser]] = {}
        self._personal_chats: dict[str, str] = {}
        self._removed: set[str] = set()
        self._teams: dict[str, dict[str, str | None]] = {}

    @property
    def service_url(self) -> str:
        return f"{self.base_url}{SERVICE_PATH}/"

    # -- what a test sets ---------------------------------------------------------

    def add_member(self, user: TeamsUser, conversation_id: str | None = None) -> None:
        """Make `user` a member of `conversation_id` (of every conversation when None), with their userRole."""
        with self._lock:
            self._members.setdefault(conversation_id, {})[user.id] = user

    def add_team(self, team_id: str, channels: dict[str, str | None]) -> None:
        """The team's channels, by id, as the connector lists them (None for the General channel's name)."""
        with self._lock:
            self._teams[team_id] = dict(channels)

    def fail_next(self, status: int, times: int = 1, retry_after: int | None = None,
                  conversation_id: str | None = None, kind: str | None = None) -> None:
        """Answer the next `times` requests (to `conversation_id`, of `kind`, when given) with `status` and the
        Bot Connector's error body; 429 carries Retry-After (1 second unless given). Faults queue in order."""
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, conversation_id, kind))

    def remove_bot(self, conversation_id: str) -> None:
        """The bot was removed from the conversation: every later post to it is refused with 403."""
        with self._lock:
            self._removed.add(conversation_id)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    # -- inspection ---------------------------------------------------------------

    def requests(self, kind: str | None = None) -> list[ConnectorRequest]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._requests if kind in (None, r.kind)]

    def activities(self, conversation_id: str | None = None) -> list[dict]:
        """The activities accepted (posted, replied or updated) in `conversation_id`, oldest first, each with the
        "id" the connector gave it, and "replyToId" for a reply."""
        with self._lock:
            return [copy.deepcopy(r.body) for r in self._requests
                    if r.kind in ("activity", "reply", "update") and r.status < 300
                    and conversation_id in (None, r.conversation_id)]

    def cards(self, conversation_id: str | None = None) -> list[dict]:
        """The Adaptive Cards in those activities, in order."""
        return [attachment["content"] for activity in self.activities(conversation_id)
                for attachment in activity.get("attachments") or [] if attachment.get("contentType") == ADAPTIVE_CARD]

    def personal_chat(self, user_id: str) -> str | None:
        """The personal chat's conversation id the connector made for `user_id` (their 29: id), if it made one."""
        with self._lock:
            return self._personal_chats.get(user_id)

    def summary(self) -> str:
        with self._lock:
            return ", ".join(f"{r.method} {r.path} ({r.status})" for r in self._requests) or "no requests"

    # -- requests (on server threads) -----------------------------------------------

    def answer(self, request: Request) -> Reply:
        path = request.path[len(SERVICE_PATH):] if request.path.startswith(SERVICE_PATH + "/") else request.path
        arrived = time.monotonic()
        kind, conversation_id, target = _route(request.method, path)
        body = request.json()
        with self._changed:
            reply = self._answer(kind, conversation_id, target, request, body)
            if kind in ("activity", "reply", "update") and reply.status < 300 and isinstance(body, dict):
                body = {**body, "id": reply.json_body["id"]}
                if kind == "reply":
                    body["replyToId"] = target
            self._requests.append(ConnectorRequest(kind, request.method, path, conversation_id, body,
                                                   request.bearer, reply.status, arrived))
            self._recorded()
        return reply

    def _answer(self, kind: str, conversation_id: str | None, target: str | None, request: Request,
                body: Any) -> Reply:
        if kind == "unknown":
            return _error(404, "NotFound")
        if self.entra.verify(request.bearer) is None:
            return Reply.json(DENIED, 401)
        fault = self._take_fault(kind, conversation_id)
        if fault:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return _error(fault.status, ERROR_CODES.get(fault.status, "Error"), headers)
        if conversation_id in self._removed:
            return _error(403, ERROR_CODES[403])
        if kind in ("activity", "reply", "update"):
            if not isinstance(body, dict) or not body.get("type"):
                return _error(400, "BadArgument")
            if len(request.body) > self.max_activity_bytes:
                return _error(413, ERROR_CODES[413])
            activity_id = target if kind == "update" else f"1761{next(self._ids):09d}"
            return _JsonReply({"id": activity_id}, 200 if kind == "update" else 201)
        if kind == "create conversation":
            return self._create_conversation(body)
        if kind == "team channels":
            if target not in self._teams:
                return _error(404, "NotFound")
            listed = [{"id": i, **({"name": n} if n is not None else {})} for i, n in self._teams[target].items()]
            return Reply.json({"conversations": listed})
        return self._member_reply(kind, conversation_id, target)

    def _create_conversation(self, body: Any) -> Reply:
        """A personal chat with one member, named by their 29: id or their Entra object id, in a named tenant."""
        body = body if isinstance(body, dict) else {}
        members = body.get("members") or []
        tenant = body.get("tenantId") or ((body.get("channelData") or {}).get("tenant") or {}).get("id")
        if len(members) != 1 or body.get("isGroup") or not tenant:
            return _error(400, "BadArgument")
        named = members[0].get("id") or members[0].get("aadObjectId")
        if not named:
            return _error(400, "BadArgument")
        known = self._members.get(None, {})
        user = known.get(named) or next((u for u in known.values() if u.aad_object_id == named), None)
        user_id = user.id if user else named
        chat = self._personal_chats.setdefault(user_id, f"a:1fake{len(self._personal_chats) + 1:04d}")
        return _JsonReply({"id": chat}, 201)

    def _member_reply(self, kind: str, conversation_id: str, member: str | None) -> Reply:
        known = {**self._members.get(None, {}), **self._members.get(conversation_id, {})}
        if kind == "members":
            return Reply.json([user.channel_account() for user in known.values()])
        user = known.get(member) or next((u for u in known.values() if u.aad_object_id == member), None)
        if user is None:
            return _error(404, "MemberNotFoundInConversation")
        return Reply.json(user.channel_account())

    def _take_fault(self, kind: str, conversation_id: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.kind in (None, kind) and fault.conversation_id in (None, conversation_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None


class _JsonReply(Reply):
    """A JSON reply that keeps its payload, so the connector can record the id it gave."""

    def __init__(self, payload: dict, status: int) -> None:
        built = Reply.json(payload, status)
        super().__init__(built.status, built.body, built.content_type, built.headers)
        self.json_body = payload


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply.json({"error": {"code": code, "message": f"{code} (fake Bot Connector)"}}, status, headers)


def _route(method: str, path: str) -> tuple[str, str | None, str | None]:
    """What a request asks for: its kind, its conversation, and the activity or member it names."""
    if path == "/v3/conversations" and method == "POST":
        return "create conversation", None, None
    if match := _ACTIVITIES.match(path):
        conversation, activity = unquote(match["conversation"]), match["activity"] and unquote(match["activity"])
        if method == "POST":
            return ("reply" if activity else "activity"), conversation, activity
        if method == "PUT" and activity:
            return "update", conversation, activity
    if (match := _TEAM_CHANNELS.match(path)) and method == "GET":
        return "team channels", None, unquote(match["team"])
    if (match := _MEMBERS.match(path)) and method == "GET":
        member = match["member"] and unquote(match["member"])
        return ("member" if member else "members"), unquote(match["conversation"]), member
    return "unknown", None, None
