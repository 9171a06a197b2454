"""Replays: a signed state-changing request is carried out once, however often it is sent, on any replica.

A chat platform signs each request over the time it was made and its body, and its adapter accepts the
signature for a few minutes either side of that time (Slack's 5 minutes), so the same request can be sent
again within that window and still pass the signature check. Each state-changing request's key (opaque
here: the platform's adapter makes it) goes into one table of the shared database before it runs; a second
arrival finds it there. Keys are kept until their request's time is out of the window (with a margin for
the replicas' clocks) and pruned then: an expired key's request is refused by the signature check itself.
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import SeenRequestRow

# The longest a platform's signed request passes its signature check after it was made (Slack: 5 minutes).
SIGNATURE_WINDOW_SECONDS = 5 * 60
# Replicas' clocks may disagree by a little; a key is kept this much longer than the window.
CLOCK_MARGIN_SECONDS = 60


def first_time(db: Database, key: str, timestamp: int | None, now: float | None = None,
               window: int | None = None) -> bool:
    """True the first time `key` (signed at `timestamp`, Unix seconds; now if the platform gave no time) is
    seen, False on every repeat. `window`: how long after `timestamp` the platform would still take the
    request (default SIGNATURE_WINDOW_SECONDS); the key is kept that long.

    Whoever inserts the key first wins; the key is committed before the request runs, so two copies
    arriving together on two replicas cannot both be carried out. Database errors propagate: a request
    whose key cannot be recorded is not carried out either.
    """
    now = time.time() if now is None else now
    timestamp = int(now) if timestamp is None else timestamp
    _prune(db, now)
    window = SIGNATURE_WINDOW_SECONDS if window is None else window
    expires = datetime.fromtimestamp(timestamp + window + CLOCK_MARGIN_SECONDS, timezone.utc)
    try:
        with db.session() as session:
            session.add(SeenRequestRow(key=_digest(key), expires_at=expires))
    except IntegrityError:
        return False
    return True


def _prune(db: Database, now: float) -> None:
    """Keys whose request the signature check would refuse by now are no longer needed."""
    with db.session() as session:
        session.execute(delete(SeenRequestRow).where(
            SeenRequestRow.expires_at < datetime.fromtimestamp(now, timezone.utc)))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
