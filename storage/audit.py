"""The audit log: every command and data change, written so that no secret can reach it."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from storage.addresses import CONVERSATION_ID_LENGTH, PLATFORM_LENGTH, WORKSPACE_LENGTH, Address
from storage.db import Database
from storage.models import AuditRow
from storage.repository import aware_utc
from storage.text_rules import without_control_characters

LOGGER = logging.getLogger(__name__)
MAX_DETAIL = 500
# How long an entry waits for another writer's lock (an import, another process) before it is given up. A
# sensitive answer waits on its entry, inside Slack's 3 seconds; the database's own busy and lock timeouts are
# for other work, and longer.
AUDIT_WAIT_SECONDS = 1.0
# The place of a change made from the command line. A place that is not a chat conversation is stored as its own
# platform ("cli", and "console" for the console and `kpibot ask`); a conversation by its address.
COMMAND_LINE = "cli"
# Slack tokens and anything that looks like a credential are masked before they are stored.
_SECRET_RE = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:(?:secret|password|token)=\S+)")


def _scrub(text: str) -> str:
    """No secret, and nothing PostgreSQL can't store (a NUL byte): the entry is written whatever was typed."""
    return without_control_characters(_SECRET_RE.sub("[redacted]", text))[:MAX_DETAIL]


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    place: str       # a conversation's id, or the name of a place that is not one ("cli", "console")
    action: str
    detail: str
    outcome: str
    platform: str = COMMAND_LINE
    workspace: str = ""

    @property
    def where(self) -> str:
        """The place as a reader of the log wants it: with its platform (and workspace) when it is a conversation."""
        if self.platform == self.place:
            return self.place
        return ":".join(part for part in (self.platform, self.workspace, self.place) if part)


AuditPlace = Address | str   # a chat conversation, or a place that is not one (COMMAND_LINE)


def record(db: Database, at: datetime, actor: str, place: AuditPlace, action: str, detail: str, outcome: str) -> bool:
    """Write one entry; True once it is committed. A failure is logged and answered False, never raised: the
    caller decides whether its answer may go without the entry (a sensitive one may not)."""
    row = _row(at, actor, place, action, detail, outcome)
    values = {column.key: getattr(row, column.key) for column in AuditRow.__table__.columns if column.key != "id"}
    try:
        with db.engine.begin() as connection, _short_lock_wait(connection, AUDIT_WAIT_SECONDS):
            connection.execute(insert(AuditRow).values(**values))
        return True
    except Exception as exc:  # the database may be the thing that is down, or locked by another writer
        LOGGER.warning("could not write the audit log (%s): %s %s", type(exc).__name__, action, outcome)
        return False


@contextmanager
def _short_lock_wait(connection, seconds: float):
    """Wait at most `seconds` for another writer's lock, in this transaction only: SQLite's busy timeout is
    the connection's, so it is put back afterwards; PostgreSQL's lock_timeout is set for the transaction."""
    milliseconds = max(1, int(seconds * 1000))
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds * 2}")
        yield
        return
    if dialect != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")


def record_change(session, at: datetime, actor: str, place: AuditPlace, action: str, detail: str) -> None:
    """Audit a data change in the change's own transaction: the two are committed together or not at all."""
    session.add(_row(at, actor, place, action, detail, "ok"))


def _row(at: datetime, actor: str, place: AuditPlace, action: str, detail: str, outcome: str) -> AuditRow:
    if isinstance(place, Address):
        platform, workspace, where = place.platform, place.workspace, place.conversation
    else:
        platform, workspace, where = place, "", place
    return AuditRow(at=at, actor=_scrub(actor)[:120], platform=_scrub(platform)[:PLATFORM_LENGTH],
                    workspace=_scrub(workspace)[:WORKSPACE_LENGTH], place=_scrub(where)[:CONVERSATION_ID_LENGTH],
                    action=_scrub(action)[:60], detail=_scrub(detail), outcome=outcome[:20])


def entries(db: Database, since: datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
    with db.session() as session:
        query = select(AuditRow).order_by(AuditRow.at, AuditRow.id)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        return [AuditEntry(aware_utc(r.at), r.actor, r.place, r.action, r.detail, r.outcome, r.platform, r.workspace)
                for r in session.scalars(query.limit(limit))]
