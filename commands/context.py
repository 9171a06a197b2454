"""What a command handler may use: the database, the settings it needs and a clock it can be given."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from commands.access import AccessPolicy
from storage.db import Database
from storage.repository import utcnow


CONSOLE_USER = "console"


@dataclass(frozen=True)
class CannotPost:
    """Why the bot cannot post in a conversation, as the platform's adapter puts it."""

    reason: str  # the platform's own word for it (not_in_channel), shown in brackets
    hint: str    # what the person can do about it, in that platform's terms


@dataclass
class CommandContext:
    db: Database
    review_due_days: int = 28
    csp_lag_margin_pp: float = 25.0
    clock: Callable[[], datetime] = field(default=utcnow)
    timezone: str = "Europe/London"
    classification: str = "OFFICIAL"
    admin_user_ids: frozenset[str] = frozenset()
    access: AccessPolicy = field(default_factory=AccessPolicy)
    # Set by the platform's adapter: why the bot cannot post in this conversation, or None when it can.
    can_post: Callable[[str], CannotPost | None] | None = None
    # Set by the scheduler: subscriptions changed, rebuild the jobs now.
    subscriptions_changed: Callable[[], None] | None = None

    def is_admin(self, user_id: str) -> bool:
        return user_id == CONSOLE_USER or user_id in self.admin_user_ids

    def today(self) -> date:
        """Today in local time (the office's calendar, not UTC's)."""
        from zoneinfo import ZoneInfo

        return self.clock().astimezone(ZoneInfo(self.timezone)).date()
