"""An in-memory chat platform implementing the platform port, for ledger, digest and command tests.

It renders answers as plain text (mentions as `#id` and `@id`), keeps every delivered message in a list that a
test reads, finds them again by key when its capabilities say it can, and can be told to fail: the next
deliveries raise a given `DeliveryError`, or a delivery "crashes" after posting (the message is kept, the
caller never hears back). Who people are, and which conversations the bot is in, are set by the test.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from answers.mentions import plain
from answers.platform import Asker, CannotPost, Capabilities, DeliveryError, Failure
from answers.response import Response
from bot.render_text import render_text
from storage.addresses import Address

PLATFORM = "memory"
NOT_HERE_HINT = "Add me to that conversation first."


@dataclass
class Delivered:
    """One message the platform took: where, what (rendered and as built), the key it carries, and when."""

    address: Address
    text: str
    response: Response
    key: str
    ref: str
    at: datetime


class CrashAfterPosting(Exception):
    """The process 'died' after the platform took the message and before the caller recorded it."""


@dataclass
class MemoryPlatform:
    name: str = PLATFORM
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(
        finds_posted=True, files_in_channels=True, private_replies=True))
    # Conversations the bot is not in (can_post says so, deliveries there fail as NOT_A_MEMBER).
    outside: set[str] = field(default_factory=set)
    guests: set[str] = field(default_factory=set)
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    # (user, conversation) pairs that are the bot's own direct message with that user.
    direct: set[tuple[str, str]] = field(default_factory=set)
    delivered: list[Delivered] = field(default_factory=list)
    told: list[tuple[str, str]] = field(default_factory=list)
    # Raised by the next deliveries, one each, before anything is posted.
    failures: list[DeliveryError] = field(default_factory=list)
    crash_after_posting: int = 0   # this many next deliveries post and then raise CrashAfterPosting
    lookups: int = 0
    clock: callable = field(default=lambda: datetime.now(timezone.utc))

    def __post_init__(self):
        self._lock = threading.Lock()
        self._refs = itertools.count(1)

    def render(self, response: Response) -> str:
        return plain(render_text(response))

    def deliver(self, address: Address, response: Response, key: str) -> str:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            if address.conversation in self.outside:
                raise DeliveryError(Failure.NOT_A_MEMBER, "not_here")
            ref = f"m{next(self._refs)}"
            self.delivered.append(Delivered(address, self.render(response), response, key, ref, self.clock()))
            if self.crash_after_posting:
                self.crash_after_posting -= 1
                raise CrashAfterPosting(ref)
            return ref

    def find_posted(self, address: Address, key: str, within: timedelta) -> str | None:
        with self._lock:
            self.lookups += 1
            since = self.clock() - within
            for message in reversed(self.delivered):
                if message.address == address and message.key == key and message.at >= since:
                    return message.ref
            return None

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        with self._lock:
            self.told.append((user_id, plain(text)))

    def can_post(self, address: Address) -> CannotPost | None:
        return CannotPost("not_here", NOT_HERE_HINT) if address.conversation in self.outside else None

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        return NOT_HERE_HINT if error.failure is Failure.NOT_A_MEMBER else ""

    def asker(self, user_id: str, address: Address) -> Asker:
        return Asker(user_id, user_id in self.guests, self.groups.get(user_id, frozenset()),
                     (user_id, address.conversation) in self.direct)

    # --- what a test reads -----------------------------------------------------------------------------

    def messages_to(self, conversation: str) -> list[Delivered]:
        return [m for m in self.delivered if m.address.conversation == conversation]

    def address(self, conversation: str) -> Address:
        return Address(self.name, conversation)
