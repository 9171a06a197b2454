"""What a command handler may use: the database, the settings it needs and a clock it can be given."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from answers.access import AccessPolicy
from answers.platform import CannotPost
from storage.addresses import Address
from storage.db import Database
from storage.repository import utcnow


CONSOLE_USER = "console"


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
    # The platforms this process serves, by name (set where the process is put together).
    platforms: dict = field(default_factory=dict)
    # The chat platform whose conversations are meant when one is named at the console (a digest subscribed
    # there goes to that platform's channel); None where the process has none.
    chat_platform: str | None = None
    # Set by the scheduler: subscriptions changed, rebuild the jobs now.
    subscriptions_changed: Callable[[], None] | None = None

    def is_admin(self, user_id: str) -> bool:
        return user_id == CONSOLE_USER or user_id in self.admin_user_ids

    def can_post(self, address: Address) -> CannotPost | None:
        """Why the bot cannot post at `address`, from the platform's adapter; None when it can, or when no
        adapter of that platform runs here to ask."""
        platform = self.platforms.get(address.platform)
        return platform.can_post(address) if platform is not None else None

    def today(self) -> date:
        """Today in local time (the office's calendar, not UTC's)."""
        from zoneinfo import ZoneInfo

        return self.clock().astimezone(ZoneInfo(self.timezone)).date()
