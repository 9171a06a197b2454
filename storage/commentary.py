"""Analysts' commentary: the observation and planned action written for a metric and quarter, with author and time.

Commentary is refused here as well as at the command door: whatever path a note takes into the database
(a chat command today, a CLI or an import tomorrow), a control character never reaches the table, so a
quarter's Word and PDF snapshot can always be written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CommentaryRow, MetricRow
from storage.repository import aware_utc
from storage.text_rules import REMOVE_IT, control_character_problem

KINDS = ("observation", "action")


class CommentRefused(ValueError):
    """A note that cannot be stored as given; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Comment:
    slug: str
    quarter: str
    kind: str
    text: str
    author: str
    created_at: datetime


def add_comment(session: Session, slug: str, quarter: str, kind: str, text: str, author: str,
                now: datetime) -> Comment:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    for value, what in ((text, "The note"), (author, "The author's name")):
        problem = control_character_problem(value, what)
        if problem is not None:
            raise CommentRefused(f"{problem} {REMOVE_IT}")
    metric_id = session.scalar(select(MetricRow.id).where(MetricRow.slug == slug))
    if metric_id is None:
        raise ValueError(f"unknown metric {slug!r}")
    session.add(CommentaryRow(metric_id=metric_id, quarter=quarter, kind=kind, text=text, author=author,
                              created_at=now))
    session.flush()
    return Comment(slug, quarter, kind, text, author, now)


def latest_comments(session: Session, quarter: str) -> dict[tuple[str, str], Comment]:
    """The newest observation and action of each metric for a quarter, keyed by (slug, kind)."""
    query = (select(MetricRow.slug, CommentaryRow)
             .join(MetricRow, MetricRow.id == CommentaryRow.metric_id)
             .where(CommentaryRow.quarter == quarter)
             .order_by(CommentaryRow.created_at, CommentaryRow.id))
    latest: dict[tuple[str, str], Comment] = {}
    for slug, row in session.execute(query):
        latest[(slug, row.kind)] = Comment(slug, row.quarter, row.kind, row.text, row.author,
                                           aware_utc(row.created_at))
    return latest
