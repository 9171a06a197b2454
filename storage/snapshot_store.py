"""The record of produced Panel snapshots: which quarter, who asked, when, and the figures they printed."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import SnapshotRow
from storage.repository import aware_utc


@dataclass(frozen=True)
class SnapshotRecord:
    id: int
    quarter: str
    requested_by: str
    created_at: datetime
    data_as_of: date
    formats: str
    figures_sha256: str


def record_snapshot(db: Database, quarter: str, requested_by: str, now: datetime, data_as_of: date,
                    formats: list[str], sha256: str, figures: dict) -> SnapshotRecord:
    with db.session() as session:
        row = SnapshotRow(quarter=quarter, requested_by=requested_by, created_at=now, data_as_of=data_as_of,
                          formats=",".join(formats), figures_sha256=sha256,
                          figures=json.dumps(figures, sort_keys=True))
        session.add(row)
        session.flush()
        return _record(row)


def recent_snapshots(db: Database, limit: int = 20) -> list[SnapshotRecord]:
    with db.session() as session:
        rows = session.scalars(select(SnapshotRow).order_by(SnapshotRow.created_at.desc(), SnapshotRow.id.desc())
                               .limit(limit))
        return [_record(row) for row in rows]


def snapshot_figures(db: Database, snapshot_id: int) -> dict | None:
    """The figures exactly as a snapshot printed them, to reproduce a published paper."""
    with db.session() as session:
        text = session.scalar(select(SnapshotRow.figures).where(SnapshotRow.id == snapshot_id))
        return json.loads(text) if text else None


def _record(row: SnapshotRow) -> SnapshotRecord:
    return SnapshotRecord(row.id, row.quarter, row.requested_by, aware_utc(row.created_at), row.data_as_of,
                          row.formats, row.figures_sha256)
