"""Channel names for Teams cards: a card that mentions a channel (`/alert list`, where case lists go) writes its
name, `#Leaders`, rather than its id, `#19:…@thread.tacv2`; the names are stored with the conversations
(storage.conversations), and this is how they are learnt.

A channel's messages do not carry its name, so the bot asks the Bot Connector for the team's channels (the same
list TeamsInfo.get_team_channels reads; the General channel comes without a name) when it hears from a channel it
has no name for. (A renamed channel's new name comes with Teams' channelRenamed event: bot.teams.handlers.) A team
is asked again only after a while, and a failure leaves the ids as they were.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable
from urllib.parse import quote

from bot.teams.caller import CallFailed, ServiceCaller
from bot.teams.platform import CHANNEL, PLATFORM
from storage import conversations
from storage.addresses import Address
from storage.db import Database

LOGGER = logging.getLogger(__name__)

GENERAL = "General"   # the team's first channel, whose id is the team's: the connector lists it with no name
ASK_AGAIN_SECONDS = 600
LIST_FAILED = "could not read the channels of a Teams team (%s): cards show its channels' ids meanwhile"


class ChannelNames:
    """The names of the channels the bot is in, read from the connector once per team and stored."""

    def __init__(self, db: Database, connector: ServiceCaller, clock: Callable[[], float] = time.monotonic):
        self.db = db
        self.connector = connector
        self.clock = clock
        self._asked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def learn(self, address: Address) -> int:
        """Where `address` is a team's channel with no stored name, the team's channels named from the connector's
        list; how many names were stored. Asks a team at most once in ASK_AGAIN_SECONDS."""
        reference = address.reference
        team_id, service_url = reference.get("team_id"), reference.get("service_url")
        if reference.get("conversation_type") != CHANNEL or not team_id or not service_url:
            return 0
        if conversations.name_of(self.db, address) is not None:
            return 0
        key, now = (address.workspace, str(team_id)), self.clock()
        with self._lock:
            if now - self._asked.get(key, float("-inf")) < ASK_AGAIN_SECONDS:
                return 0
            self._asked[key] = now
        listed = self._channels(str(service_url), str(team_id))
        return conversations.set_names(self.db, PLATFORM, address.workspace, listed) if listed else 0

    def _channels(self, service_url: str, team_id: str) -> dict[str, str]:
        url = f"{service_url.rstrip('/')}/v3/teams/{quote(team_id, safe='')}/conversations"
        try:
            answer = self.connector.call("GET", url)
        except CallFailed as exc:
            LOGGER.warning(LIST_FAILED, exc.detail)
            return {}
        if answer.status_code >= 300:
            LOGGER.warning(LIST_FAILED, f"HTTP {answer.status_code}")
            return {}
        try:
            listed = (answer.json() or {}).get("conversations") or []
        except (ValueError, AttributeError):
            listed = []
        names = {}
        for channel in listed:
            if isinstance(channel, dict) and channel.get("id"):
                names[str(channel["id"])] = str(channel.get("name") or "").strip() or GENERAL
        return names
