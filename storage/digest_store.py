"""Digest subscriptions and the delivery ledger: claims that only one process can win, and the run log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage.addresses import Address, address_columns, address_of, where_at
from storage.db import Database
from storage.models import DigestAttemptRow, DigestDeliveryRow, DigestSubscriptionRow
from storage.repository import aware_utc

CLAIMED, POSTED, FAILED, SKIPPED, HELD = "claimed", "posted", "failed", "skipped", "held"
# An earlier attempt may have posted, and the platform cannot look: not posted again, the subscriber is told.
UNCERTAIN = "uncertain"
FINAL_STATES = (POSTED, SKIPPED, HELD, UNCERTAIN)
# A held or uncertain delivery an operator has looked at and asked for again: nothing of it is in the
# conversation, so the next claim posts without looking.
REOPENED = "reopened"


def delivery_key(address: Address, kind: str, period: str) -> str:
    """The name a posted digest carries where its platform keeps it (Slack's message metadata). The
    conversation id alone, as before addresses had platforms: digests already posted carry keys of this form,
    and are looked for by them after a restart."""
    return f"{address.conversation}:{kind}:{period}"


# --- subscriptions --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Subscription:
    id: int
    address: Address
    kind: str
    day_of_week: str
    hour: int
    minute: int
    timezone: str
    created_by: str
    problem_reported_at: datetime | None
    created_at: datetime


def _subscription(row: DigestSubscriptionRow) -> Subscription:
    return Subscription(row.id, address_of(row), row.kind, row.day_of_week, row.hour, row.minute, row.timezone,
                        row.created_by, aware_utc(row.problem_reported_at), aware_utc(row.updated_at))


def subscribe(db: Database, address: Address, kind: str, day_of_week: str, hour: int, minute: int, tz: str,
              user_id: str, now: datetime) -> tuple[Subscription, bool]:
    """Create or update a conversation's subscription; returns it and whether it is new. The platform's newest
    reference for the conversation is kept."""
    with db.session() as session:
        row = session.scalar(select(DigestSubscriptionRow).where(
            *where_at(DigestSubscriptionRow, address), DigestSubscriptionRow.kind == kind))
        created = row is None or not row.active
        if row is None:
            row = DigestSubscriptionRow(**address_columns(address), kind=kind, created_at=now)
            session.add(row)
        elif address.reference:
            row.reference = address.reference
        row.day_of_week, row.hour, row.minute, row.timezone = day_of_week, hour, minute, tz
        row.active, row.created_by, row.updated_at, row.problem_reported_at = True, user_id, now, None
        session.flush()
        return _subscription(row), created


def unsubscribe(db: Database, address: Address, kind: str, now: datetime) -> bool:
    with db.session() as session:
        result = session.execute(update(DigestSubscriptionRow).where(
            *where_at(DigestSubscriptionRow, address), DigestSubscriptionRow.kind == kind,
            DigestSubscriptionRow.active.is_(True)).values(active=False, updated_at=now))
        return result.rowcount == 1


def active_subscriptions(db: Database, kind: str | None = None) -> list[Subscription]:
    with db.session() as session:
        query = select(DigestSubscriptionRow).where(DigestSubscriptionRow.active.is_(True))
        if kind:
            query = query.where(DigestSubscriptionRow.kind == kind)
        return [_subscription(r) for r in session.scalars(query.order_by(DigestSubscriptionRow.id))]


def mark_problem_reported(db: Database, subscription_id: int, now: datetime) -> bool:
    """Record that the subscriber was told of a problem; False if someone already told them."""
    with db.session() as session:
        result = session.execute(update(DigestSubscriptionRow).where(
            DigestSubscriptionRow.id == subscription_id, DigestSubscriptionRow.problem_reported_at.is_(None)
        ).values(problem_reported_at=now))
        return result.rowcount == 1


# --- the ledger -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    delivery_id: int
    key: str
    fresh: bool  # False: an earlier attempt may have posted, so look before posting
    first_claimed_at: datetime
    attempt_id: int
    # Taken over from a process that died holding it (its claim went stale), rather than after an attempt that
    # ended in an error the platform gave: only such an attempt may have posted without anyone knowing.
    interrupted: bool = False


def claim(db: Database, address: Address, kind: str, period: str, scheduled_for: datetime,
          subscription_id: int | None, process: str, triggered_by: str, now: datetime, stale_after: timedelta,
          max_attempts: int, payload: dict | None = None) -> Claim | None:
    """Claim the delivery of (address, kind, period); None when it is done or another process holds it.
    `payload` (an alert's words) is kept with a new delivery, for a later attempt to post."""
    key = delivery_key(address, kind, period)
    try:
        with db.session() as session:
            row = DigestDeliveryRow(**address_columns(address), kind=kind, period=period, subscription_id=subscription_id,
                                    scheduled_for=scheduled_for, state=CLAIMED, claimed_by=process, claimed_at=now,
                                    attempts=1, triggered_by=triggered_by, payload=payload)
            session.add(row)
            session.flush()
            attempt = _log_attempt(session, row, now, process, triggered_by)
            return Claim(row.id, key, True, now, attempt)
    except IntegrityError:
        pass  # someone has (or had) this delivery: see whether it can be taken over
    with db.session() as session:
        row = session.scalar(select(DigestDeliveryRow).where(
            *where_at(DigestDeliveryRow, address), DigestDeliveryRow.kind == kind, DigestDeliveryRow.period == period))
        if row is None or row.state in FINAL_STATES or row.permanent or row.attempts >= max_attempts:
            return None
        if row.state == CLAIMED and now - aware_utc(row.claimed_at) < stale_after:
            return None
        first_claimed, fresh, interrupted = aware_utc(row.claimed_at), row.state == REOPENED, row.state == CLAIMED
        # Compare-and-swap on the attempt count: of several processes taking over, one wins.
        taken = session.execute(update(DigestDeliveryRow).where(
            DigestDeliveryRow.id == row.id, DigestDeliveryRow.attempts == row.attempts,
            DigestDeliveryRow.state == row.state,
        ).values(state=CLAIMED, claimed_by=process, claimed_at=now, attempts=row.attempts + 1,
                 triggered_by=triggered_by))
        if taken.rowcount != 1:
            return None
        attempt = _log_attempt(session, row, now, process, triggered_by)
        return Claim(row.id, key, fresh, first_claimed, attempt, interrupted)


def reopen(db: Database, address: Address, kind: str, period: str, now: datetime) -> bool:
    """Let a held or uncertain delivery be made again (an operator loaded the figures, or looked and found
    nothing posted); False when there is no such delivery."""
    with db.session() as session:
        result = session.execute(update(DigestDeliveryRow).where(
            *where_at(DigestDeliveryRow, address), DigestDeliveryRow.kind == kind, DigestDeliveryRow.period == period,
            DigestDeliveryRow.state.in_((HELD, UNCERTAIN))).values(state=REOPENED, attempts=0, finished_at=now))
        return result.rowcount == 1


def _log_attempt(session, row: DigestDeliveryRow, now: datetime, process: str, triggered_by: str) -> int:
    attempt = DigestAttemptRow(delivery_id=row.id, scheduled_for=row.scheduled_for, started_at=now, state=CLAIMED,
                               triggered_by=triggered_by, process=process)
    session.add(attempt)
    session.flush()
    return attempt.id


def finish(db: Database, claim: Claim, state: str, now: datetime, message_ref: str | None = None,
           error: str | None = None, permanent: bool = False) -> None:
    """Record how a claimed delivery ended; `message_ref` is the platform's reference to the posted message."""
    with db.session() as session:
        session.execute(update(DigestDeliveryRow).where(DigestDeliveryRow.id == claim.delivery_id).values(
            state=state, finished_at=now, message_ref=message_ref, error=error, permanent=permanent))
        session.execute(update(DigestAttemptRow).where(DigestAttemptRow.id == claim.attempt_id).values(
            state=state, finished_at=now, error=error))


def record_skipped(db: Database, address: Address, kind: str, period: str, scheduled_for: datetime,
                   subscription_id: int | None, process: str, now: datetime, reason: str) -> bool:
    """Note a digest missed beyond the grace window, so it is not considered again; False if already noted."""
    try:
        with db.session() as session:
            row = DigestDeliveryRow(**address_columns(address), kind=kind, period=period,
                                    subscription_id=subscription_id, scheduled_for=scheduled_for, state=SKIPPED, claimed_by=process, claimed_at=now,
                                    finished_at=now, attempts=0, error=reason, triggered_by="catch-up")
            session.add(row)
            session.flush()
            session.add(DigestAttemptRow(delivery_id=row.id, scheduled_for=scheduled_for, started_at=now,
                                         finished_at=now, state=SKIPPED, error=reason, triggered_by="catch-up",
                                         process=process))
        return True
    except IntegrityError:
        return False


@dataclass(frozen=True)
class DeliveryRecord:
    address: Address
    kind: str
    period: str
    state: str
    scheduled_for: datetime
    finished_at: datetime | None
    message_ref: str | None
    error: str | None
    attempts: int


def last_delivery(db: Database, address: Address, kind: str) -> DeliveryRecord | None:
    with db.session() as session:
        row = session.scalar(select(DigestDeliveryRow).where(
            *where_at(DigestDeliveryRow, address), DigestDeliveryRow.kind == kind,
        ).order_by(DigestDeliveryRow.scheduled_for.desc(), DigestDeliveryRow.id.desc()).limit(1))
        return _record(row) if row else None


def deliveries(db: Database, address: Address | None = None) -> list[DeliveryRecord]:
    with db.session() as session:
        query = select(DigestDeliveryRow).order_by(DigestDeliveryRow.scheduled_for, DigestDeliveryRow.id)
        if address is not None:
            query = query.where(*where_at(DigestDeliveryRow, address))
        return [_record(row) for row in session.scalars(query)]


def _record(row: DigestDeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(address_of(row), row.kind, row.period, row.state, aware_utc(row.scheduled_for),
                          aware_utc(row.finished_at), row.message_ref, row.error, row.attempts)


def clear_problem(db: Database, subscription_id: int) -> None:
    """A successful post: a later problem will be reported again."""
    with db.session() as session:
        # Only a row with a problem to clear is written: the usual post changes nothing and costs no disk write.
        session.execute(update(DigestSubscriptionRow).where(DigestSubscriptionRow.id == subscription_id,
                                                            DigestSubscriptionRow.problem_reported_at.is_not(None))
                        .values(problem_reported_at=None))


@dataclass(frozen=True)
class Waiting:
    """A delivery that failed and may be tried again, with what it is to say."""

    address: Address
    period: str
    payload: dict


def waiting(db: Database, kind: str, max_attempts: int) -> list[Waiting]:
    """The deliveries of `kind` with their words kept that failed short of a permanent refusal and have attempts
    left, oldest first: what a later check posts."""
    with db.session() as session:
        rows = session.scalars(select(DigestDeliveryRow).where(
            DigestDeliveryRow.kind == kind, DigestDeliveryRow.state == FAILED, DigestDeliveryRow.permanent.is_(False),
            DigestDeliveryRow.attempts < max_attempts, DigestDeliveryRow.payload.is_not(None),
        ).order_by(DigestDeliveryRow.id))
        return [Waiting(address_of(row), row.period, row.payload) for row in rows]
