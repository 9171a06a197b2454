"""A fake Microsoft Graph on 127.0.0.1, and the OneDrive upload URLs a file consent hands the bot.

It answers what kpibot asks of Graph with an app token:
- POST /v1.0/users/{id}/checkMemberGroups: which of the given groups the user is in (transitively),
- GET /v1.0/users/{id}/transitiveMemberOf/microsoft.graph.group: the same as pages of groups,
- GET /v1.0/teams/{group}/channels/{channel}/filesFolder: the channel's folder in the team's drive,
- PUT /v1.0/drives/{drive}/items/{folder}:/{name}:/content and
  PUT /v1.0/groups/{group}/drive/items/root:/General/{name}:/content: a file into a folder (a driveItem back),
- PUT /upload/{session}: an upload session's URL (pre-authorised: a bearer token there is refused, as OneDrive
  refuses one), recording each PUT with its Content-Range, answering 202 until the last byte, then 201.
Graph calls need the bearer `token`; `consented=False` makes Graph refuse the app (403,
Authorization_RequestDenied) as it does before an admin grants consent; `files_consented=False` the same for
files only. Loopback only.
"""
from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from tests.fake_teams_http import LocalService, Reply, Request

GRAPH_TOKEN = "fake-graph-app-token"
DENIED = {"error": {"code": "Authorization_RequestDenied",
                    "message": "Insufficient privileges to complete the operation."}}
PAGE_SIZE = 2
_CHECK = re.compile(r"^/v1\.0/users/(?P<user>[^/]+)/checkMemberGroups$")
_TRANSITIVE = re.compile(r"^/v1\.0/users/(?P<user>[^/]+)/transitiveMemberOf/microsoft\.graph\.group$")
_FOLDER = re.compile(r"^/v1\.0/teams/(?P<group>[^/]+)/channels/(?P<channel>[^/]+)/filesFolder$")
_INTO_FOLDER = re.compile(r"^/v1\.0/drives/(?P<drive>[^/]+)/items/(?P<folder>[^/:]+):/(?P<name>[^/]+):/content$")
_INTO_GENERAL = re.compile(r"^/v1\.0/groups/(?P<group>[^/]+)/drive/items/root:/General/(?P<name>[^/]+):/content$")
_SESSION = re.compile(r"^/upload/(?P<session>[^/]+)$")


class StaticToken:
    """A token source with `bearer()`, as the adapter's are, always giving the same token."""

    def __init__(self, token: str = GRAPH_TOKEN):
        self.token = token

    def bearer(self) -> str:
        return self.token


@dataclass(frozen=True)
class GraphRequest:
    method: str
    path: str
    query: str
    token: str | None
    status: int
    body: Any


@dataclass(frozen=True)
class UploadPut:
    """One PUT to an upload URL: its session, headers (lower-cased names) and bytes."""

    session: str
    headers: dict[str, str]
    content: bytes
    status: int


class FakeGraph(LocalService):
    thread_name = "fake-graph"

    def __init__(self, token: str = GRAPH_TOKEN, **server: Any) -> None:
        super().__init__(**server)
        self.token = token
        self.consented = True
        self.files_consented = True
        self.offers_check_member_groups = True
        self._groups: dict[str, set[str]] = {}
        self._channels: dict[tuple[str, str], str] = {}
        self._files: dict[tuple[str, str], bytes] = {}
        self._sessions: dict[str, dict] = {}
        self._requests: list[GraphRequest] = []
        self._puts: list[UploadPut] = []
        self._ids = itertools.count(1)

    # -- what a test sets ---------------------------------------------------------

    def add_to_group(self, user: str, group: str) -> None:
        with self._lock:
            self._groups.setdefault(user, set()).add(group)

    def add_channel(self, group: str, channel: str, folder: str) -> None:
        """A channel of the team whose Entra group is `group`, with its files in `folder`."""
        with self._lock:
            self._channels[(group, channel)] = folder

    def upload_session(self, name: str) -> dict:
        """What Teams puts in a consent's uploadInfo: a fresh upload URL here, and the file's future place."""
        with self._lock:
            session = f"session{next(self._ids)}"
            self._sessions[session] = {"name": name, "received": bytearray()}
        return {"name": name, "uploadUrl": f"{self.base_url}/upload/{session}",
                "contentUrl": f"{self.base_url}/personal/kpibot/Documents/Applications/kpibot/{name}",
                "uniqueId": f"1b4c5d6e-0000-4000-8000-{len(self._sessions):012d}", "fileType": name.rsplit(".", 1)[-1]}

    # -- inspection ---------------------------------------------------------------

    def requests(self) -> list[GraphRequest]:
        with self._lock:
            return copy.deepcopy(self._requests)

    def puts(self) -> list[UploadPut]:
        with self._lock:
            return copy.deepcopy(self._puts)

    def received(self, session_url: str) -> bytes:
        with self._lock:
            return bytes(self._sessions[session_url.rsplit("/", 1)[-1]]["received"])

    def files(self) -> dict[tuple[str, str], bytes]:
        """The files put into folders: (folder, name) -> bytes."""
        with self._lock:
            return dict(self._files)

    def summary(self) -> str:
        with self._lock:
            return ", ".join(f"{r.method} {r.path} ({r.status})" for r in self._requests) or "no requests"

    # -- requests (on server threads) -----------------------------------------------

    def answer(self, request: Request) -> Reply:
        with self._changed:
            if match := _SESSION.match(request.path):
                reply = self._upload_put(match["session"], request)
            else:
                reply = self._graph(request)
                self._requests.append(GraphRequest(request.method, unquote(request.path), request.query,
                                                   request.bearer, reply.status, request.json()))
            self._recorded()
        return reply

    def _graph(self, request: Request) -> Reply:
        if request.bearer != self.token:
            return Reply.json({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}},
                              401)
        if not self.consented:
            return Reply.json(DENIED, 403)
        path, method = request.path, request.method
        if (match := _CHECK.match(path)) and method == "POST":
            if not self.offers_check_member_groups:
                return Reply.json({"error": {"code": "Request_BadRequest", "message": "Unsupported."}}, 400)
            wanted = (request.json() or {}).get("groupIds") or []
            if len(wanted) > 20:
                return Reply.json({"error": {"code": "Request_BadRequest", "message": "Too many ids."}}, 400)
            member_of = self._groups.get(unquote(match["user"]), set())
            return Reply.json({"value": [g for g in wanted if g in member_of]})
        if (match := _TRANSITIVE.match(path)) and method == "GET":
            return self._group_page(unquote(match["user"]), request.query)
        if not self.files_consented:
            return Reply.json(DENIED, 403)
        if (match := _FOLDER.match(path)) and method == "GET":
            group, channel = unquote(match["group"]), unquote(match["channel"])
            folder = self._channels.get((group, channel))
            if folder is None:
                return Reply.json({"error": {"code": "NotFound", "message": "No such channel."}}, 404)
            return Reply.json({"id": f"folder-{folder}", "name": folder,
                               "parentReference": {"driveId": f"drive-{group}"}})
        if (match := _INTO_FOLDER.match(path)) and method == "PUT":
            return self._stored(unquote(match["folder"])[len("folder-"):], unquote(match["name"]), request.body)
        if (match := _INTO_GENERAL.match(path)) and method == "PUT":
            return self._stored("General", unquote(match["name"]), request.body)
        return Reply.json({"error": {"code": "NotFound", "message": "Unknown path (fake Graph)."}}, 404)

    def _group_page(self, user: str, query: str) -> Reply:
        groups = sorted(self._groups.get(user, set()))
        start = int(query.split("skip=", 1)[1]) if "skip=" in query else 0
        page = {"value": [{"@odata.type": "#microsoft.graph.group", "id": g} for g in groups[start:start + PAGE_SIZE]]}
        if start + PAGE_SIZE < len(groups):
            page["@odata.nextLink"] = (f"{self.base_url}/v1.0/users/{user}/transitiveMemberOf/microsoft.graph.group"
                                       f"?skip={start + PAGE_SIZE}")
        return Reply.json(page)

    def _stored(self, folder: str, name: str, content: bytes) -> Reply:
        self._files[(folder, name)] = content
        return Reply.json({"id": f"item{next(self._ids)}", "name": name, "size": len(content),
                           "webUrl": f"{self.base_url}/sites/team/Shared%20Documents/{folder}/{name}"}, 201)

    def _upload_put(self, session: str, request: Request) -> Reply:
        state = self._sessions.get(session)
        headers = dict(request.headers)
        if state is None:
            status = 404
        elif "authorization" in headers:
            status = 401   # an upload URL is pre-authorised: OneDrive refuses a token sent with it
        else:
            status = self._take_range(state, headers.get("content-range", ""), request.body)
        self._puts.append(UploadPut(session, headers, request.body, status))
        if status == 201:
            return Reply.json({"id": f"item{next(self._ids)}", "name": state["name"], "size": len(state["received"])},
                              201)
        if status == 202:
            return Reply.json({"nextExpectedRanges": [f"{len(state['received'])}-"]}, 202)
        return Reply.json({"error": {"code": "invalidRange", "message": "Bad upload."}}, status)

    @staticmethod
    def _take_range(state: dict, content_range: str, body: bytes) -> int:
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
        if not match:
            return 400
        start, end, total = map(int, match.groups())
        if start != len(state["received"]) or end - start + 1 != len(body) or end >= total:
            return 416
        state["received"] += body
        return 201 if end + 1 == total else 202
