"""Who is asking, in Slack's terms: guest or member, and which of the configured user groups they belong to."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from answers.platform import Asker
from storage.addresses import Address

LOGGER = logging.getLogger(__name__)
CACHE_SECONDS = 300


class SlackIdentities:
    """users.info and usergroups.users.list, cached for a few minutes so a command costs no extra round trip."""

    def __init__(self, client: WebClient, groups: frozenset[str], clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.groups = groups
        self.clock = clock
        self._guests: dict[str, tuple[float, bool]] = {}
        self._members: tuple[float, dict[str, frozenset[str]]] | None = None
        self._direct: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def asker(self, user_id: str, address: Address) -> Asker:
        """Who `user_id` is, asking in the conversation at `address`: all three asked of Slack (cached)."""
        return Asker(user_id, self.is_guest(user_id), self.groups_of(user_id),
                     self.is_direct_with_bot(address.conversation, user_id))

    def is_guest(self, user_id: str) -> bool:
        with self._lock:
            cached = self._guests.get(user_id)
        if cached and self.clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except (SlackClientError, OSError) as exc:
            # Unknown: treat as a guest (refuse) rather than let an unchecked account in.
            LOGGER.warning("could not look up %s (%s); refusing until Slack answers", user_id, type(exc).__name__)
            return True
        guest = bool(user.get("is_restricted") or user.get("is_ultra_restricted"))
        with self._lock:
            self._guests[user_id] = (self.clock(), guest)
        return guest

    def groups_of(self, user_id: str) -> frozenset[str]:
        if not self.groups:
            return frozenset()
        with self._lock:
            members = self._members
        if members is None or self.clock() - members[0] >= CACHE_SECONDS:
            table: dict[str, set[str]] = {}
            for group in self.groups:
                try:
                    users = self.client.usergroups_users_list(usergroup=group).get("users") or []
                except (SlackClientError, OSError) as exc:
                    LOGGER.warning("could not read user group %s: %s", group, type(exc).__name__)
                    continue
                for user in users:
                    table.setdefault(user, set()).add(group)
            members = (self.clock(), {user: frozenset(groups) for user, groups in table.items()})
            with self._lock:
                self._members = members
        return members[1].get(user_id, frozenset())

    def is_direct_with_bot(self, channel_id: str, user_id: str) -> bool:
        """Whether Slack says `channel_id` is the bot's own direct message with `user_id`.

        A direct message between two people is not the bot's, whatever its id looks like: the bot is not
        in it, and conversations.info answers channel_not_found. Not known (Slack out of reach) means no."""
        if not channel_id.startswith("D"):
            return False  # only direct messages can be; channels need no look-up
        with self._lock:
            cached = self._direct.get(channel_id)
        if cached is None or self.clock() - cached[0] >= CACHE_SECONDS:
            try:
                channel = self.client.conversations_info(channel=channel_id).get("channel") or {}
            except (SlackClientError, OSError) as exc:
                LOGGER.info("%s is not a conversation I can read (%s): not my direct message", channel_id,
                            type(exc).__name__)
                return False
            other = str(channel.get("user") or "") if channel.get("is_im") else None
            cached = (self.clock(), other or None)
            with self._lock:
                self._direct[channel_id] = cached
        return cached[1] is not None and cached[1] == user_id
