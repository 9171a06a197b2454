"""Who is asking, in Teams' terms: a guest or a member (the conversation's roster), which of the configured Entra
groups they are in (Microsoft Graph), and whether the conversation is the bot's personal chat with them.

A person is known by their Entra object id (the activity's from.aadObjectId). Roles by group need Graph's
GroupMember.Read.All (admin consent); without it, groups give no role and a warning says once which setting
waits for it. The personal chat is recognised from the conversation type Teams itself sent with the
conversation's reference, never from the shape of an id.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Mapping
from urllib.parse import quote

from answers.platform import Asker
from bot.teams.caller import CallFailed, ServiceCaller
from bot.teams.ids import conversation_of, is_entra_id
from storage.addresses import Address

LOGGER = logging.getLogger(__name__)
CACHE_SECONDS = 300
GUEST_ROLES = frozenset({"guest", "anonymous"})
PERSONAL = "personal"
# checkMemberGroups takes at most this many group ids in one request.
GROUPS_PER_CHECK = 20
GROUP_SETTINGS = ("KPIBOT_EDITOR_GROUP_IDS", "KPIBOT_ADMIN_GROUP_IDS")

ROSTER_FAILED = ("could not read the roster of Teams conversations (%s); until it answers, a person is taken for "
                 "a guest only when their own message says so")
GRAPH_CONSENT = ("%s name Entra groups, but Microsoft Graph would not say who is in them (%s): an admin must grant "
                 "the bot's app registration the GroupMember.Read.All application permission (admin consent); until "
                 "then Teams users have roles only by KPIBOT_EDITOR_USER_IDS and KPIBOT_ADMIN_USER_IDS")
NO_GRAPH = ("%s name Entra groups, but no Microsoft Graph access is set up for Teams: groups give Teams users no "
            "role; an admin must grant the bot's app registration GroupMember.Read.All (admin consent)")
GRAPH_FAILED = "could not read Entra group membership from Microsoft Graph (%s); groups give no role meanwhile"


def activity_says_guest(activity: Mapping | None) -> bool:
    """Whether the activity itself marks its sender a guest or anonymous: from.userRole / from.role, or
    channelData's userRole. Asked only when the roster cannot be."""
    if not activity:
        return False
    sender = activity.get("from") or {}
    channel_data = activity.get("channelData") or {}
    said = (sender.get("userRole"), sender.get("role"), channel_data.get("userRole"))
    return any(str(role).lower() in GUEST_ROLES for role in said if role)


class TeamsIdentities:
    """The roster and Graph answers, cached for a few minutes so a command costs no extra round trip.

    `connector` calls the Bot Connector at each conversation's service URL; `graph`, Microsoft Graph with an
    app token (None where none is set up); `groups`, the Entra group ids the role settings name.
    """

    def __init__(self, connector: ServiceCaller, graph: ServiceCaller | None = None,
                 groups: frozenset[str] = frozenset(), clock: Callable[[], float] = time.monotonic,
                 group_settings: tuple[str, ...] = GROUP_SETTINGS):
        self.connector = connector
        self.graph = graph
        self.groups = frozenset(groups)
        self.clock = clock
        self.group_settings = group_settings
        self._roles: dict[tuple[str, str], tuple[float, str]] = {}
        self._memberships: dict[str, tuple[float, frozenset[str]]] = {}
        self._told: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, connector: ServiceCaller, graph: ServiceCaller | None = None,
                      clock: Callable[[], float] = time.monotonic) -> "TeamsIdentities":
        """The groups the role settings name, and which of those settings name any (for the warning)."""
        named = {"KPIBOT_EDITOR_GROUP_IDS": settings.editor_group_ids, "KPIBOT_ADMIN_GROUP_IDS": settings.admin_group_ids}
        groups = frozenset(g for ids in named.values() for g in ids.split(",") if g)
        return cls(connector, graph, groups, clock, tuple(name for name, ids in named.items() if ids))

    def asker(self, user_id: str, address: Address, activity: Mapping | None = None) -> Asker:
        """Who `user_id` (an Entra object id) is, asking in the conversation at `address`; `activity`, the
        activity they sent, is read only when the roster cannot be asked."""
        return Asker(user_id, self.is_guest(user_id, address, activity), self.groups_of(user_id),
                     self.is_direct_with_bot(address))

    @staticmethod
    def is_direct_with_bot(address: Address) -> bool:
        """The conversation's reference (stored from Teams' own activity) says it is a personal chat: the bot and
        one person, who alone can write in it."""
        return address.reference.get("conversation_type") == PERSONAL

    def is_guest(self, user_id: str, address: Address, activity: Mapping | None = None) -> bool:
        role = self._roster_role(user_id, address)
        if role is None:
            return activity_says_guest(activity)
        return role in GUEST_ROLES

    def _roster_role(self, user_id: str, address: Address) -> str | None:
        """The person's userRole in the conversation's roster ("user", "guest", "anonymous"), None if unknown."""
        conversation = conversation_of(address.conversation)
        key = (conversation, user_id)
        with self._lock:
            cached = self._roles.get(key)
        if cached and self.clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        service_url = str(address.reference.get("service_url") or "")
        if not service_url:
            self._tell_once("roster", logging.WARNING, ROSTER_FAILED, "no service URL stored for the conversation")
            return None
        url = (f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation, safe='')}"
               f"/members/{quote(user_id, safe='')}")
        try:
            answer = self.connector.call("GET", url)
        except CallFailed as exc:
            self._tell_once("roster", logging.WARNING, ROSTER_FAILED, exc.detail)
            return None
        if answer.status_code >= 300:
            self._tell_once("roster", logging.WARNING, ROSTER_FAILED, f"HTTP {answer.status_code}")
            return None
        try:
            role = str((answer.json() or {}).get("userRole") or "").lower()
        except ValueError:
            role = ""
        if not role:
            return None  # the roster knows the person but not their role: the activity decides
        with self._lock:
            self._roles[key] = (self.clock(), role)
        return role

    def groups_of(self, user_id: str) -> frozenset[str]:
        """The configured Entra groups `user_id` is in, directly or through other groups."""
        if not self.groups or not is_entra_id(user_id):
            return frozenset()
        if self.graph is None:
            self._tell_once("consent", logging.WARNING, NO_GRAPH, " and ".join(self.group_settings))
            return frozenset()
        with self._lock:
            cached = self._memberships.get(user_id)
        if cached and self.clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        found = self._member_groups(user_id)
        if found is None:
            return frozenset()
        with self._lock:
            self._memberships[user_id] = (self.clock(), found)
        return found

    def _member_groups(self, user_id: str) -> frozenset[str] | None:
        """Asked of Graph (checkMemberGroups, or transitiveMemberOf where that is not offered); None if unknown."""
        wanted = sorted(self.groups)
        found: set[str] = set()
        for start in range(0, len(wanted), GROUPS_PER_CHECK):
            chunk = wanted[start:start + GROUPS_PER_CHECK]
            try:
                answer = self.graph.call("POST", f"/v1.0/users/{quote(user_id, safe='')}/checkMemberGroups",
                                         json={"groupIds": chunk})
            except CallFailed as exc:
                self._tell_once("graph", logging.WARNING, GRAPH_FAILED, exc.detail)
                return None
            if answer.status_code in (400, 404, 405, 501):
                return self._transitive_groups(user_id)
            if not self._readable(answer):
                return None
            found |= {str(g).lower() for g in answer.json().get("value") or []}
        return frozenset(g for g in self.groups if g.lower() in found)

    def _transitive_groups(self, user_id: str) -> frozenset[str] | None:
        url = f"/v1.0/users/{quote(user_id, safe='')}/transitiveMemberOf/microsoft.graph.group?$select=id"
        found: set[str] = set()
        while url:
            try:
                answer = self.graph.call("GET", url)
            except CallFailed as exc:
                self._tell_once("graph", logging.WARNING, GRAPH_FAILED, exc.detail)
                return None
            if not self._readable(answer):
                return None
            body = answer.json()
            found |= {str(item.get("id", "")).lower() for item in body.get("value") or []}
            url = body.get("@odata.nextLink") or ""
        return frozenset(g for g in self.groups if g.lower() in found)

    def _readable(self, answer) -> bool:
        """A Graph answer with JSON to read; a refusal is told once as the consent it needs."""
        if answer.status_code in (401, 403):
            self._tell_once("consent", logging.WARNING, GRAPH_CONSENT, " and ".join(self.group_settings),
                            f"HTTP {answer.status_code}")
            return False
        if answer.status_code >= 300:
            self._tell_once("graph", logging.WARNING, GRAPH_FAILED, f"HTTP {answer.status_code}")
            return False
        try:
            return isinstance(answer.json(), dict)
        except ValueError:
            self._tell_once("graph", logging.WARNING, GRAPH_FAILED, "an answer that is not JSON")
            return False

    def _tell_once(self, what: str, level: int, message: str, *args) -> None:
        """Log a failure the first time it happens: every command would otherwise repeat it."""
        with self._lock:
            if what in self._told:
                return
            self._told.add(what)
        LOGGER.log(level, message, *args)
