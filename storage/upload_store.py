"""Files given in chat and waiting for their uploader's answer: kept, claimed by one click only, and gone after.

A pending upload holds the file's bytes in the shared database, so whichever process takes the Confirm can
import it. Confirm claims it with a compare-and-swap on its state, so of two clicks (or two replicas) one wins;
the winner's import deletes the row in its own transaction. Cancel and expiry delete it too: nothing of a file
that was not imported is kept.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.addresses import Address
from storage.db import Database
from storage.models import PendingUploadRow
from storage.repository import aware_utc

PENDING, IMPORTING = "pending", "importing"
KEPT_FOR = timedelta(minutes=30)
# An import that claimed the upload and died without finishing gives it back after this long.
CLAIM_HELD_FOR = timedelta(minutes=10)
TOKEN_BYTES = 9          # 12 characters of URL-safe base64


@dataclass(frozen=True)
class PendingUpload:
    token: str
    address: Address
    user_id: str
    filename: str
    kind: str
    sha256: str
    size: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Claimed:
    """The upload a click won, with its bytes."""

    upload: PendingUpload
    content: bytes


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _upload(row: PendingUploadRow) -> PendingUpload:
    return PendingUpload(row.token, Address(row.platform, row.conversation_id, row.workspace), row.user_id,
                         row.filename, row.kind, row.sha256, row.size, aware_utc(row.created_at),
                         aware_utc(row.expires_at))


def keep(db: Database, address: Address, user_id: str, filename: str, kind: str, content: bytes,
         now: datetime, kept_for: timedelta = KEPT_FOR) -> PendingUpload:
    """Keep a checked file until its uploader answers, or `kept_for` has passed; returns it with its token."""
    with db.session() as session:
        row = PendingUploadRow(token=secrets.token_urlsafe(TOKEN_BYTES), platform=address.platform,
                               workspace=address.workspace, conversation_id=address.conversation, user_id=user_id,
                               filename=filename, kind=kind, sha256=sha256_of(content), size=len(content),
                               content=content, state=PENDING, created_at=now, expires_at=now + kept_for)
        session.add(row)
        session.flush()
        return _upload(row)


def find(db: Database, token: str) -> PendingUpload | None:
    """The upload a token names, whatever its state; None once it is imported, cancelled or discarded."""
    with db.session() as session:
        row = session.scalar(select(PendingUploadRow).where(PendingUploadRow.token == token))
        return _upload(row) if row is not None else None


def claim(db: Database, token: str, process: str, now: datetime) -> Claimed | None:
    """Take the upload for importing; None when another click or process has it, or it is gone or expired."""
    with db.session() as session:
        row = session.scalar(select(PendingUploadRow).where(PendingUploadRow.token == token))
        if row is None or aware_utc(row.expires_at) <= now:
            return None
        taken = session.execute(update(PendingUploadRow).where(
            PendingUploadRow.id == row.id,
            (PendingUploadRow.state == PENDING)
            | ((PendingUploadRow.state == IMPORTING) & (PendingUploadRow.expires_at <= now + KEPT_FOR - CLAIM_HELD_FOR)),
        ).values(state=IMPORTING, claimed_by=process, expires_at=now + KEPT_FOR)
            .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            return None
        session.refresh(row)
        return Claimed(_upload(row), bytes(row.content))


def give_back(db: Database, token: str) -> None:
    """An import that claimed the upload failed: it can be confirmed again."""
    with db.session() as session:
        session.execute(update(PendingUploadRow).where(PendingUploadRow.token == token,
                                                       PendingUploadRow.state == IMPORTING).values(state=PENDING))


def remove(session: Session, token: str) -> bool:
    """Delete the upload in the caller's transaction (the import's own, or a cancel's); False if it was gone."""
    return session.execute(delete(PendingUploadRow).where(PendingUploadRow.token == token)).rowcount == 1


def cancel(db: Database, token: str) -> bool:
    """Discard a pending upload; False when it is gone already, or being imported."""
    with db.session() as session:
        return session.execute(delete(PendingUploadRow).where(
            PendingUploadRow.token == token, PendingUploadRow.state == PENDING)).rowcount == 1


def discard_expired(db: Database, now: datetime) -> int:
    """Delete every upload left unanswered past its time; how many went."""
    with db.session() as session:
        return session.execute(delete(PendingUploadRow).where(PendingUploadRow.expires_at <= now)).rowcount
