"""Conversation references: where the bot was added on a platform that can post only where it knows the way in
(Teams), stored from install events and messages, looked up to post, and marked removed when the app goes."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.addresses import Address, address_of, where_at
from storage.db import Database
from storage.models import ConversationRow


def _row(session, address: Address) -> ConversationRow | None:
    return session.scalar(select(ConversationRow).where(*where_at(ConversationRow, address)))


def remember(db: Database, address: Address, now: datetime, user_id: str | None = None) -> bool:
    """Store (or refresh) `address` with its reference; a conversation marked removed is live again (the app was
    added back). `user_id`: the person, for a personal chat. True when the reference is new or changed.

    Teams sends an install and a conversation update for the same conversation at the same moment: when
    another request stores the row first, this one refreshes that row instead of failing."""
    try:
        return _remember(db, address, now, user_id)
    except IntegrityError:   # inserted meanwhile by the other request: now there is a row to refresh
        return _remember(db, address, now, user_id)


def _remember(db: Database, address: Address, now: datetime, user_id: str | None) -> bool:
    with db.session() as session:
        row = _row(session, address)
        if row is None:
            session.add(ConversationRow(platform=address.platform, workspace=address.workspace,
                                        conversation_id=address.conversation, reference=dict(address.reference),
                                        user_id=user_id, updated_at=now))
            session.flush()
            return True
        changed = row.reference != address.reference or row.removed_at is not None
        if changed:
            row.reference = dict(address.reference)
            row.updated_at = now
        if user_id and row.user_id != user_id:
            row.user_id, row.updated_at, changed = user_id, now, True
        row.removed_at = None
        return changed


def reference(db: Database, address: Address) -> Address | None:
    """The stored, live address of `address`'s conversation (its reference filled in), or None."""
    with db.session() as session:
        row = _row(session, address)
        return address_of(row) if row is not None and row.removed_at is None else None


def personal_chat(db: Database, platform: str, workspace: str, user_id: str) -> Address | None:
    """The bot's live personal chat with `user_id` in `workspace`, or None when none is stored."""
    with db.session() as session:
        row = session.scalar(select(ConversationRow).where(
            ConversationRow.platform == platform, ConversationRow.workspace == workspace,
            ConversationRow.user_id == user_id, ConversationRow.removed_at.is_(None))
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc()).limit(1))
        return address_of(row) if row is not None else None


def mark_removed(db: Database, address: Address, now: datetime) -> bool:
    """The app was removed from `address`'s conversation: its reference is kept, marked removed. True if it was
    live."""
    with db.session() as session:
        row = _row(session, address)
        if row is None or row.removed_at is not None:
            return False
        row.removed_at = now
        return True


def tenant_service_url(db: Database, platform: str, workspace: str) -> str | None:
    """The service URL most recently stored for any live conversation in `workspace`: where a new personal
    chat is made when the person has none yet."""
    with db.session() as session:
        row = session.scalar(select(ConversationRow).where(
            ConversationRow.platform == platform, ConversationRow.workspace == workspace,
            ConversationRow.removed_at.is_(None))
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc()).limit(1))
        return (row.reference or {}).get("service_url") if row is not None else None


def by_conversation(db: Database, platform: str, conversation_id: str) -> Address | None:
    """The live stored address of a conversation named by its id alone (a conversation id names one tenant's
    conversation), or None."""
    with db.session() as session:
        row = session.scalar(select(ConversationRow).where(
            ConversationRow.platform == platform, ConversationRow.conversation_id == conversation_id,
            ConversationRow.removed_at.is_(None)).order_by(ConversationRow.updated_at.desc()).limit(1))
        return address_of(row) if row is not None else None


NAME_LENGTH = 400


def name_of(db: Database, address: Address) -> str | None:
    """The name stored for `address`'s conversation (a Teams channel's), or None when it has none yet."""
    with db.session() as session:
        row = _row(session, address)
        return row.name if row is not None else None


def set_names(db: Database, platform: str, workspace: str, names: Mapping[str, str]) -> int:
    """Give the stored conversations of `workspace` named in `names` (conversation id -> name) those names; the
    others are left as they are. How many changed."""
    if not names:
        return 0
    with db.session() as session:
        rows = session.scalars(select(ConversationRow).where(
            ConversationRow.platform == platform, ConversationRow.workspace == workspace,
            ConversationRow.conversation_id.in_(list(names))))
        changed = 0
        for row in rows:
            name = names[row.conversation_id][:NAME_LENGTH]
            if name and row.name != name:
                row.name, changed = name, changed + 1
        return changed


def names(db: Database, platform: str) -> dict[str, str]:
    """Every live conversation of `platform` that has a name, by its id: what a card writes for a mention."""
    with db.session() as session:
        rows = session.execute(select(ConversationRow.conversation_id, ConversationRow.name).where(
            ConversationRow.platform == platform, ConversationRow.name.is_not(None),
            ConversationRow.removed_at.is_(None)))
        return {conversation: name for conversation, name in rows}
