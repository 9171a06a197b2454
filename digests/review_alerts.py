"""The working-morning review alert: at 09:00 local on each working day, every conversation subscribed to
`/alert subscribe reviews due <days>` hears which open complaint reviews fall due within that many days.

Posted once per subscription and day through the delivery ledger, whichever process's check gets there first;
case references go only to the allowed channels, every other conversation gets the count.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable, Mapping

from answers.access import AccessPolicy
from answers.platform import Platform
from answers.response import Fact, Response, counts_only
from answers.reviews import day_text, due_soon_table
from digests.alerts import AlertOutcome, post_once
from digests.delivery import DeliveryPolicy
from storage.alert_rules import alert_key, review_alert_due
from storage.alert_store import REVIEWS, AlertSubscription, active_subscriptions
from storage.db import Database
from storage.review_queries import review_deadlines

REVIEWS_SLUG = "reviews"
DUE_STATE = "due"
TITLE = "Complaint reviews due within {days} days: {count} on {day}"
TITLE_ONE_DAY = "Complaint reviews due within 1 day: {count} on {day}"
NONE_DUE = "No open complaint review falls due within {days} days."
NONE_DUE_ONE_DAY = "No open complaint review falls due within 1 day."
OVERDUE = "Already overdue: {count} (/reviews overdue lists them)."
DEADLINE = "A review is due {due_days} days after it was received."
COUNTS_ONLY = "Counts only here: the case references go to {channels}."


def review_message(db: Database, subscription: AlertSubscription, day: date, due_days: int,
                   access: AccessPolicy) -> Response:
    """The morning's message for one subscription: the cases due within its days, as its conversation may see them."""
    days = subscription.days or 7
    with db.session() as session:
        deadlines = review_deadlines(session, day, due_days, days)
    due = deadlines.due_soon
    title = (TITLE_ONE_DAY if days == 1 else TITLE).format(days=days, count=len(due), day=day_text(day))
    facts = [Fact("Due", str(len(due))), Fact("Open", str(deadlines.open_count)),
             Fact("Overdue", str(len(deadlines.overdue)))]
    notes = [] if due else [NONE_DUE_ONE_DAY if days == 1 else NONE_DUE.format(days=days)]
    if deadlines.overdue:
        notes.append(OVERDUE.format(count=len(deadlines.overdue)))
    notes.append(DEADLINE.format(due_days=due_days))
    table = due_soon_table(due, days) if due else None
    response = Response(title=title, facts=facts, table=table, notes=notes, public=True)
    if access.channel_sees_cases(subscription.address.conversation):
        return response
    return counts_only(response, COUNTS_ONLY.format(channels=access.case_channels_text()))


def announce_due_reviews(db: Database, platforms: Mapping[str, Platform], now: Callable[[], datetime],
                         access: AccessPolicy, due_days: int = 28, timezone: str = "Europe/London",
                         policy: DeliveryPolicy | None = None) -> list[AlertOutcome]:
    """Post this working morning's review alert to every subscription that has not had it; nothing before 09:00,
    at weekends or on bank holidays."""
    day = review_alert_due(now(), timezone)
    if day is None:
        return []
    outcomes = []
    for subscription in active_subscriptions(db, REVIEWS):
        platform = platforms.get(subscription.address.platform)
        if platform is None:
            continue
        key = alert_key(subscription.id, REVIEWS_SLUG, day.isoformat(), DUE_STATE)
        outcomes.append(post_once(
            db, platform, subscription.address, [(key, None)],
            lambda won, subscription=subscription: review_message(db, subscription, day, due_days, access),
            now, policy or DeliveryPolicy(), "review schedule"))
    return outcomes
