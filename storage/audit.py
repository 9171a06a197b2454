"""The audit log: every command and data change, written so that no secret can reach it."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import AuditRow
from storage.repository import aware_utc
from storage.text_rules import without_control_characters

LOGGER = logging.getLogger(__name__)
MAX_DETAIL = 500
COMMAND_LINE = "cli"   # the place of a change made from the command line (chat changes name their channel)
# Slack tokens and anything that looks like a credential are masked before they are stored.
_SECRET_RE = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:(?:secret|password|token)=\S+)")


def _scrub(text: str) -> str:
    """No secret, and nothing PostgreSQL can't store (a NUL byte): the entry is written whatever was typed."""
    return without_control_characters(_SECRET_RE.sub("[redacted]", text))[:MAX_DETAIL]


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    place: str
    action: str
    detail: str
    outcome: str


def record(db: Database, at: datetime, actor: str, place: str, action: str, detail: str, outcome: str) -> None:
    """Write one entry. A failure to audit is logged, never allowed to break the answer itself."""
    try:
        with db.session() as session:
            session.add(_row(at, actor, place, action, detail, outcome))
    except Exception as exc:  # the database may be the thing that is down
        LOGGER.warning("could not write the audit log (%s): %s %s", type(exc).__name__, action, outcome)


def record_change(session, at: datetime, actor: str, place: str, action: str, detail: str) -> None:
    """Audit a data change in the change's own transaction: the two are committed together or not at all."""
    session.add(_row(at, actor, place, action, detail, "ok"))


def _row(at: datetime, actor: str, place: str, action: str, detail: str, outcome: str) -> AuditRow:
    return AuditRow(at=at, actor=_scrub(actor)[:120], place=_scrub(place)[:120], action=_scrub(action)[:60],
                    detail=_scrub(detail),
                    outcome=outcome[:20])


def entries(db: Database, since: datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
    with db.session() as session:
        query = select(AuditRow).order_by(AuditRow.at, AuditRow.id)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        return [AuditEntry(aware_utc(r.at), r.actor, r.place, r.action, r.detail, r.outcome)
                for r in session.scalars(query.limit(limit))]
