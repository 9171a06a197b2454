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
    THRESHOLD_DIRECTIONS, TURNS_FOR_THE_WORSE, Facts, ThresholdSubscription, Turn, alert_message_lines,
    comparison_facts, due_alerts, rag_turns, threshold_state, threshold_turns, told_to,
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
NOT_SERVED_HERE = "kept for a kpibot process serving {platform}"
MOVED_ON = "not posted: the metric has changed since"
UNKNOWN_SOURCE = "a file"


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
    A conversation on a platform this process does not serve has its alerts kept in the ledger, for the next
    check of a process that serves it (`post_waiting`)."""
    owed: dict[tuple[str, str, str], tuple[Address, list[Turn]]] = {}
    for subscription in active_subscriptions(context.db):
        turns = turns_for(subscription, before, after)
        if turns:
            address, listed = owed.setdefault(_place(subscription.address), (subscription.address, []))
            listed.extend(turns)
    names = {m.slug: m.name for m in after.catalog.metrics}
    lines_of = {s.id: s for s in active_subscriptions(context.db, THRESHOLD)}
    policy = policy or DeliveryPolicy()
    outcomes = []
    for address, turns in owed.values():
        due = [(alert.key, _payload(alert.turn, names, source, lines_of.get(alert.turn.subscription_id)))
               for alert in due_alerts(turns, sent_keys(context.db, address))]
        platform = context.platforms.get(address.platform)
        if platform is None:
            outcomes.append(keep_for_later(context.db, address, due, context.clock, policy, triggered_by))
            continue
        outcomes.append(post_once(context.db, platform, address, due, change_message, context.clock, policy,
                                  triggered_by))
    return outcomes


def _payload(turn: Turn, names: dict[str, str], source: str, line_crossed: AlertSubscription | None) -> dict:
    """What the ledger keeps of one alert: its words, and the state it tells of, so that a later attempt posts it
    only while that state still holds."""
    [line] = alert_message_lines([turn], names)
    payload = {"line": line, "worse": turn.kind in TURNS_FOR_THE_WORSE, "source": source, "slug": turn.slug,
               "state": turn.new}
    if turn.direction and line_crossed is not None:
        payload.update(direction=turn.direction, limit=line_crossed.limit)
    return payload


def still_holds(payload: dict, now: Standing) -> bool:
    """Whether what a kept alert tells of is still so: its metric's RAG, or its side of the line, unchanged."""
    slug, state = payload.get("slug"), payload.get("state")
    if payload.get("direction") in THRESHOLD_DIRECTIONS and isinstance(payload.get("limit"), (int, float)):
        return threshold_state(now.facts.values.get(slug), payload["direction"], payload["limit"]) == state
    return now.facts.rags.get(slug) == state


def change_message(payloads: list[dict]) -> Response:
    """One message for the alerts a conversation is owed: turns for the worse first, each change once (one heard
    through two of its alerts, every metric's RAG and its section's, is told once)."""
    ordered = [p for p in payloads if p.get("worse")] + [p for p in payloads if not p.get("worse")]
    lines = list(dict.fromkeys(str(p.get("line", "")) for p in ordered))
    sources = list(dict.fromkeys(str(p.get("source", "")) for p in ordered if p.get("source")))
    return alert_response(lines, " and ".join(sources) or UNKNOWN_SOURCE)


def alert_response(lines: list[str], source: str) -> Response:
    title = ONE_TITLE.format(line=lines[0]) if len(lines) == 1 else MANY_TITLE.format(count=len(lines))
    notes = ([] if len(lines) == 1 else list(lines)) + [FROM_FILE.format(source=source), ASK_MORE]
    return Response(title=title, notes=notes, public=True)


Owed = tuple[str, "dict | None"]   # an alert's ledger key, and what it says (None: worked out when posted)


def _claim_all(db, address: Address, owed: Iterable[Owed], now, policy: DeliveryPolicy, triggered_by: str):
    process = process_name()
    won = []
    for key, payload in owed:
        claim = ledger.claim(db, address, ALERT, key, now(), None, process, triggered_by, now(),
                             policy.stale_claim, policy.max_attempts, payload=payload)
        if claim is not None:
            won.append((claim, payload))
    return won


def keep_for_later(db, address: Address, owed: Iterable[Owed], now: Callable[[], datetime], policy: DeliveryPolicy,
                   triggered_by: str) -> AlertOutcome:
    """Alerts for a platform this process does not serve: claimed and left as failed with their words, so the next
    check of a process that serves it posts them."""
    won = _claim_all(db, address, owed, now, policy, triggered_by)
    for claim, _ in won:
        ledger.finish(db, claim, ledger.FAILED, now(), error=NOT_SERVED_HERE.format(platform=address.platform))
    LOGGER.warning("alerts for %s kept for a process serving %s", address, address.platform)
    return AlertOutcome(address, "not-served" if won else "already")


def post_waiting(context: CommandContext, platforms, policy: DeliveryPolicy | None = None,
                 triggered_by: str = "alert retry") -> list[AlertOutcome]:
    """Post the alerts that failed, or waited for a process serving their platform, one message per conversation
    (the scheduler's check runs this every few minutes). An alert whose metric has moved on since (a red that
    has recovered) is closed as skipped instead: a late message must not say what is no longer so."""
    policy = policy or DeliveryPolicy()
    db, now = context.db, context.clock
    waiting = [w for w in ledger.waiting(db, ALERT, policy.max_attempts) if w.address.platform in platforms]
    if not waiting:
        return []
    current = standing(context)
    by_place: dict[tuple[str, str, str], tuple[Address, list[Owed]]] = {}
    for kept in waiting:
        if not still_holds(kept.payload, current):
            for claim, _ in _claim_all(db, kept.address, [(kept.period, None)], now, policy, triggered_by):
                ledger.finish(db, claim, ledger.SKIPPED, now(), error=MOVED_ON)
            continue
        address, owed = by_place.setdefault(_place(kept.address), (kept.address, []))
        owed.append((kept.period, kept.payload))
    return [post_once(db, platforms[address.platform], address, owed, change_message, now, policy, triggered_by)
            for address, owed in by_place.values()]


def post_once(db, platform: Platform, address: Address, due: Iterable[Owed],
              message: Callable[[list[dict]], Response], now: Callable[[], datetime], policy: DeliveryPolicy,
              triggered_by: str) -> AlertOutcome:
    """Claim each due alert's key in the ledger, post the ones won in one message (`message` writes it from
    their payloads), and record how it went."""
    won = _claim_all(db, address, due, now, policy, triggered_by)
    if not won:
        return AlertOutcome(address, "already")
    response = message([payload for _, payload in won if payload is not None])
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
