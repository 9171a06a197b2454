"""Alerts after a data change: what turned (storage.alert_rules), told once to each subscribed conversation.

Every turn a conversation is owed has its own key (subscription, metric, period, state) claimed in the delivery
ledger, as digests are; the turns one load causes for a conversation go in one message, so a load that changes
twenty metrics is one post listing them. A second load of the same figures turns nothing; a recovery re-arms
the metric, so turning worse again is told again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from answers.context import CommandContext
from answers.platform import DeliveryError, Platform
from answers.response import Response
from digests.delivery import DeliveryPolicy, process_name
from storage import digest_store as ledger
from storage.addresses import Address
from storage.alert_rules import (
    DueAlert, Facts, ThresholdSubscription, Turn, alert_message_lines, comparison_facts, due_alerts, rag_turns,
    threshold_turns, told_to,
)
from storage.alert_store import RAG, THRESHOLD, AlertSubscription, active_subscriptions
from storage.catalog import Catalog
from storage.repository import metric_comparison, read_catalog

LOGGER = logging.getLogger(__name__)

ALERT = "alert"   # the ledger's kind for an alert: its period is the alert's key
ONE_TITLE = "Alert: {line}"
MANY_TITLE = "Alerts: {count} changes in the figures just loaded"
FROM_FILE = "After {source} was loaded."
ASK_MORE = "Ask for the figures with /kpi; this channel's alerts: /alert list."
UNCERTAIN = "an earlier attempt may have posted it; the platform cannot look"


@dataclass(frozen=True)
class Standing:
    """Every metric's RAG, figure and period at one moment, with the catalog they were read against."""

    facts: Facts
    catalog: Catalog


@dataclass(frozen=True)
class AlertOutcome:
    address: Address
    state: str                 # posted, already, failed, uncertain, not-served
    title: str = ""            # what was posted (or would have been)
    message_ref: str | None = None
    error: str | None = None


def standing(context: CommandContext, session=None) -> Standing:
    """Where every metric stands now, as alerts judge it: its Panel comparison's RAG and figure, read in
    `session` when given (an import's own transaction, before it commits)."""
    if session is None:
        with context.db.session() as own:
            return standing(context, own)
    catalog = read_catalog(session)
    today = context.today()
    comparisons = [metric_comparison(session, metric, None, today, context.review_due_days)
                   for metric in catalog.metrics]
    return Standing(comparison_facts(comparisons), catalog)


def _in_section(catalog: Catalog, slug: str, section: str) -> bool:
    if not section:
        return True
    metric = catalog.find(slug)
    return metric is not None and metric.section.lower() == section.lower()


def turns_for(subscription: AlertSubscription, before: Standing, after: Standing) -> list[Turn]:
    """The turns one subscription is told of, between two standings."""
    catalog = after.catalog
    order = [m.slug for m in catalog.metrics]
    if subscription.kind == RAG:
        turns = rag_turns(before.facts.rags, after.facts.rags, order, periods=after.facts.periods,
                          figures=after.facts.figures)
        return told_to([t for t in turns if _in_section(catalog, t.slug, subscription.section)], subscription.id)
    if subscription.kind == THRESHOLD and subscription.limit is not None:
        metric = catalog.find(subscription.metric)
        units = {metric.slug: metric.unit} if metric is not None else {}
        line = ThresholdSubscription(subscription.id, subscription.metric, subscription.direction, subscription.limit)
        return threshold_turns(before.facts.values, after.facts.values, [line], order,
                               periods=after.facts.periods, figures=after.facts.figures, units=units)
    return []


def _place(address: Address) -> tuple[str, str, str]:
    return address.platform, address.workspace, address.conversation


def sent_keys(db, address: Address) -> set[str]:
    """The alert keys already told (or being told) at `address`: every ledger row of its alerts that did not fail."""
    return {record.period for record in ledger.deliveries(db, address)
            if record.kind == ALERT and record.state != ledger.FAILED}


def announce_change(context: CommandContext, before: Standing, after: Standing, source: str,
                    triggered_by: str, policy: DeliveryPolicy | None = None) -> list[AlertOutcome]:
    """Tell every subscribed conversation, once, what this data change turned: one message per conversation.
    A conversation on a platform this process does not serve is left out (and logged)."""
    owed: dict[tuple[str, str, str], tuple[Address, list[Turn]]] = {}
    for subscription in active_subscriptions(context.db):
        turns = turns_for(subscription, before, after)
        if turns:
            address, listed = owed.setdefault(_place(subscription.address), (subscription.address, []))
            listed.extend(turns)
    names = {m.slug: m.name for m in after.catalog.metrics}
    outcomes = []
    for address, turns in owed.values():
        platform = context.platforms.get(address.platform)
        if platform is None or not hasattr(platform, "deliver"):
            LOGGER.warning("alert for %s not posted: this process does not serve %s", address, address.platform)
            outcomes.append(AlertOutcome(address, "not-served"))
            continue
        due = due_alerts(turns, sent_keys(context.db, address))
        outcomes.append(post_once(context.db, platform, address, due,
                                  lambda won: alert_response(_once_each(alert_message_lines(won, names)), source),
                                  context.clock, policy or DeliveryPolicy(), triggered_by))
    return outcomes


def _once_each(lines: list[str]) -> list[str]:
    """A change heard through two of a conversation's alerts (every metric's RAG, and its section's) is told once."""
    return list(dict.fromkeys(lines))


def alert_response(lines: list[str], source: str) -> Response:
    title = ONE_TITLE.format(line=lines[0]) if len(lines) == 1 else MANY_TITLE.format(count=len(lines))
    notes = ([] if len(lines) == 1 else list(lines)) + [FROM_FILE.format(source=source), ASK_MORE]
    return Response(title=title, notes=notes, public=True)


def post_once(db, platform: Platform, address: Address, due: Iterable[DueAlert],
              message: Callable[[list[Turn]], Response], now: Callable[[], datetime], policy: DeliveryPolicy,
              triggered_by: str) -> AlertOutcome:
    """Claim each due alert's key in the ledger, post the ones won in one message (`message` writes it from
    their turns), and record how it went."""
    process = process_name()
    won = []
    for alert in due:
        claim = ledger.claim(db, address, ALERT, alert.key, now(), None, process, triggered_by, now(),
                             policy.stale_claim, policy.max_attempts)
        if claim is not None:
            won.append((claim, alert))
    if not won:
        return AlertOutcome(address, "already")
    response = message([alert.turn for _, alert in won])
    taken_over = [claim for claim, _ in won if not claim.fresh]
    if taken_over:
        # An earlier attempt may have posted and died before recording it: look, or leave it, never post twice.
        found = _posted_before(platform, address, won[0][0].key, min(c.first_claimed_at for c in taken_over), now)
        if found is not None:
            for claim, _ in won:
                ledger.finish(db, claim, ledger.POSTED, now(), message_ref=found)
            return AlertOutcome(address, "posted", response.title, found)
        if not platform.capabilities.finds_posted and any(c.interrupted for c in taken_over):
            for claim, _ in won:
                ledger.finish(db, claim, ledger.UNCERTAIN, now(), error=UNCERTAIN)
            LOGGER.warning("alert to %s may have been posted by an attempt cut short; not posted again", address)
            return AlertOutcome(address, ledger.UNCERTAIN, response.title, error=UNCERTAIN)
    try:
        ref = platform.deliver(address, response, won[0][0].key)
    except DeliveryError as exc:
        for claim, _ in won:
            ledger.finish(db, claim, ledger.FAILED, now(), error=exc.detail, permanent=exc.permanent)
        LOGGER.warning("alert to %s not posted (%s): %s", address, exc.failure.value, exc.detail)
        return AlertOutcome(address, "failed", response.title, error=exc.detail)
    for claim, _ in won:
        ledger.finish(db, claim, ledger.POSTED, now(), message_ref=ref)
    LOGGER.info("alert posted to %s (%s): %s", address, ref, response.title)
    return AlertOutcome(address, "posted", response.title, ref)


def _posted_before(platform: Platform, address: Address, key: str, first_claimed: datetime,
                   now: Callable[[], datetime]) -> str | None:
    """The earlier attempt's message, where the platform can look for it; None when it cannot, or it is not there."""
    if not platform.capabilities.finds_posted:
        return None
    try:
        return platform.find_posted(address, key, now() - first_claimed + timedelta(hours=1))
    except DeliveryError as exc:
        LOGGER.warning("could not look for an earlier alert at %s: %s", address, exc.detail)
        return None
