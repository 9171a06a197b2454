"""What a command handler may use: the database, the settings it needs and a clock it can be given."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from storage.db import Database


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class CommandContext:
    db: Database
    review_due_days: int = 28
    csp_lag_margin_pp: float = 25.0
    clock: Callable[[], datetime] = field(default=_utcnow)

    def today(self) -> date:
        return self.clock().date()
