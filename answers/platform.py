"""The platform port: what every chat platform's adapter offers the commands, the digests and the scheduler.

An adapter (Slack, the console, Teams) takes people's requests into the command registry, renders answers in
its own format, delivers messages with their charts and files to an address, looks a delivered message up
where it can, and says who a person is. What a platform can and cannot do is declared in its `Capabilities`;
nothing outside the adapter assumes it. Its failures arrive here as one of a few neutral `Failure`s.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Protocol

from answers.response import Response
from storage.addresses import Address


class Failure(str, Enum):
    """Why a platform would not take a message, in words every platform's errors map to."""

    NOT_A_MEMBER = "not a member"   # the bot is not in the conversation
    GONE = "gone"                   # the conversation (or person) no longer exists or is archived
    RATE_LIMITED = "rate limited"
    TRANSIENT = "transient"         # the platform or the network failed this time
    REFUSED = "refused"             # the platform will not let the bot do this: credentials, scopes, policy


PERMANENT_FAILURES = frozenset({Failure.NOT_A_MEMBER, Failure.GONE, Failure.REFUSED})


class DeliveryError(Exception):
    """The platform would not take the message. A permanent failure (see `PERMANENT_FAILURES`) is not retried.

    `detail` is the platform's own word for it (an SDK's error code, say): kept for the logs, the ledger's
    error text and the subscriber's message, never interpreted outside the adapter that raised it.
    """

    def __init__(self, failure: Failure, detail: str):
        super().__init__(detail)
        self.failure = failure
        self.detail = detail

    @property
    def permanent(self) -> bool:
        return self.failure in PERMANENT_FAILURES


@dataclass(frozen=True)
class CannotPost:
    """Why the bot cannot post in a conversation, as the platform's adapter puts it."""

    reason: str  # the platform's own word for it, shown in brackets
    hint: str    # what the person can do about it, in that platform's terms


@dataclass(frozen=True)
class Capabilities:
    """What a platform can do, declared by its adapter rather than assumed by the callers."""

    # It can find a message it delivered by the key the message carries (after a crash between posting and
    # recording). Without it, an interrupted delivery is marked uncertain and told, never posted twice.
    finds_posted: bool = False
    # It can put files (charts, documents) into a shared conversation, not only into a private one.
    files_in_channels: bool = False
    # It can answer one person privately inside a shared conversation (Slack's ephemeral messages).
    private_replies: bool = False


@dataclass(frozen=True)
class Asker:
    """Who is asking, as the platform says: their roles' groups, whether they are a guest, and whether the
    conversation is the bot's own direct message with them (asked of the platform, never guessed)."""

    user_id: str
    is_guest: bool = False
    groups: frozenset[str] = frozenset()
    direct_with_bot: bool = False


class Platform(Protocol):
    """One chat platform, as the rest of kpibot sees it."""

    name: str                  # "slack", "console", "teams": the platform of the addresses it serves
    capabilities: Capabilities

    def render(self, response: Response) -> object:
        """The answer in the platform's own message format (plain text for the console)."""

    def deliver(self, address: Address, response: Response, key: str) -> str:
        """Post `response` with its charts and files to `address`, carrying `key` where the platform keeps it;
        return the platform's reference to the message. Raises DeliveryError."""

    def find_posted(self, address: Address, key: str, within: timedelta) -> str | None:
        """The reference of a message already at `address` carrying `key`, posted no more than `within` ago.
        `within` is a length of time, never compared with the platform's clock. Only asked when
        `capabilities.finds_posted`. Raises DeliveryError."""

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        """A direct message to one person. Raises DeliveryError."""

    def can_post(self, address: Address) -> CannotPost | None:
        """None when the bot can post at `address`; else why not, and what to do, in the platform's words."""

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        """What a subscriber can do about a permanent `error`, in the platform's words ("" if nothing)."""

    def asker(self, user_id: str, address: Address) -> Asker:
        """Who `user_id` is, asking at `address`."""
