"""Alert subscriptions by address: a conversation's RAG, threshold and review alerts, made, changed and stopped."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from storage.addresses import Address, address_of, where_at
from storage.db import Database
from storage.models import AlertSubscriptionRow
from storage.repository import aware_utc

RAG, THRESHOLD, REVIEWS = "rag", "threshold", "reviews"
KINDS = (RAG, THRESHOLD, REVIEWS)


@dataclass(frozen=True)
class AlertSubscription:
    """One conversation's alert. `section` "" is every section; `metric`, `direction` and `limit` are a
    threshold's, `days` a review alert's."""

    id: int
    address: Address
    kind: str
    section: str = ""
    metric: str = ""
    direction: str = ""
    limit: float | None = None
    days: int | None = None
    created_by: str = ""
    created_at: datetime | None = None
    active: bool = True


def _subscription(row: AlertSubscriptionRow) -> AlertSubscription:
    return AlertSubscription(row.id, address_of(row),
                             row.kind, row.section, row.metric_slug, row.direction, row.limit_value, row.days,
                             row.created_by, aware_utc(row.created_at), row.active)


def _same(address: Address, kind: str, section: str, metric: str, direction: str) -> list:
    """The conditions that pick one alert of a conversation: its kind, section, metric and direction."""
    return [*where_at(AlertSubscriptionRow, address), AlertSubscriptionRow.kind == kind,
            AlertSubscriptionRow.section == section, AlertSubscriptionRow.metric_slug == metric,
            AlertSubscriptionRow.direction == direction]


def subscribe(db: Database, address: Address, kind: str, user_id: str, now: datetime, *, section: str = "",
              metric: str = "", direction: str = "", limit: float | None = None,
              days: int | None = None) -> tuple[AlertSubscription, bool]:
    """Create the alert, or update the same one (a threshold's new line, a review alert's new days); returns it
    and whether it is new. The platform's newest reference for the conversation is kept."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    with db.session() as session:
        row = session.scalar(select(AlertSubscriptionRow).where(*_same(address, kind, section, metric, direction)))
        created = row is None or not row.active
        if row is None:
            row = AlertSubscriptionRow(platform=address.platform, workspace=address.workspace,
                                       conversation_id=address.conversation, kind=kind, section=section,
                                       metric_slug=metric, direction=direction, created_at=now)
            session.add(row)
        if address.reference:
            row.reference = address.reference
        if created:
            row.created_at, row.created_by = now, user_id
        row.limit_value, row.days, row.active, row.updated_at = limit, days, True, now
        session.flush()
        return _subscription(row), created


def unsubscribe(db: Database, address: Address, kind: str, now: datetime, *, section: str = "", metric: str = "",
                direction: str = "") -> bool:
    """Stop the alert; False when the conversation had no such alert."""
    with db.session() as session:
        result = session.execute(update(AlertSubscriptionRow).where(
            *_same(address, kind, section, metric, direction), AlertSubscriptionRow.active.is_(True)
        ).values(active=False, updated_at=now))
        return result.rowcount == 1


def subscriptions_at(db: Database, address: Address) -> list[AlertSubscription]:
    """A conversation's active alerts, oldest first."""
    with db.session() as session:
        return [_subscription(row) for row in session.scalars(select(AlertSubscriptionRow).where(
            *where_at(AlertSubscriptionRow, address), AlertSubscriptionRow.active.is_(True),
        ).order_by(AlertSubscriptionRow.id))]


def active_subscriptions(db: Database, kind: str | None = None) -> list[AlertSubscription]:
    """Every active alert (of one kind, if given), oldest first."""
    with db.session() as session:
        query = select(AlertSubscriptionRow).where(AlertSubscriptionRow.active.is_(True))
        if kind:
            query = query.where(AlertSubscriptionRow.kind == kind)
        return [_subscription(row) for row in session.scalars(query.order_by(AlertSubscriptionRow.id))]
