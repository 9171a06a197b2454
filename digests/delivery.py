"""Delivering digests exactly once: claim in the ledger, look before re-posting, post, record the outcome."""
from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol

from answers.platform import DeliveryError, Failure, PERMANENT_FAILURES  # noqa: F401  (delivery's words)
from digests.content import Digest
from digests.schedule import Occurrence, Schedule, latest_due
from storage import digest_store as ledger
from storage.db import Database

LOGGER = logging.getLogger(__name__)

TOLD_FAILED = ("The {kind} digest for <#{channel}> ({period}) could not be posted: {reason}. "
               "{fix}")
TOLD_HELD = ("The {kind} digest for <#{channel}> ({period}) was held back and not posted: {reason}. "
             "Load the figures, then run `kpibot digest run {kind} --channel {channel}`.")
RETRY_LATER = "I will try again shortly."


class DigestTransport(Protocol):
    """Where digests go. The Slack one lives in bot/; digests never import Slack."""

    def post_digest(self, channel_id: str, digest: Digest, key: str) -> str:
        """Post the message (carrying `key` in its metadata) and its charts; return the message's id (ts)."""

    def find_posted(self, channel_id: str, key: str, within: timedelta) -> str | None:
        """The id of a message already in the channel carrying `key` and posted no more than `within` ago, if
        there is one. `within` is a length of time, not a time of day: the platform stamps messages with its
        own clock, which need not agree with ours, so the look-up never compares our times with its."""

    def tell_user(self, user_id: str, text: str) -> None:
        """A direct message to one person."""

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        """What the subscriber can do about a permanent `error`, in the platform's words ("" if nothing)."""


@dataclass(frozen=True)
class DeliveryPolicy:
    grace: timedelta = timedelta(hours=24)
    stale_claim: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    # Channels posted to at once. Each channel gets one message, well inside Slack's one-a-second per
    # channel; the Web API client waits out any 429 it gets for the workspace as a whole.
    concurrency: int = 4

    @classmethod
    def from_settings(cls, settings) -> DeliveryPolicy:
        """The policy a settings object asks for: anything with the `digest_*` values that bot's Settings has."""
        return cls(grace=timedelta(hours=settings.digest_grace_hours),
                   stale_claim=timedelta(minutes=settings.digest_stale_claim_minutes),
                   max_attempts=settings.digest_max_attempts, concurrency=settings.digest_concurrency)


@dataclass(frozen=True)
class Target:
    channel_id: str
    subscription_id: int | None = None
    subscriber: str | None = None


@dataclass(frozen=True)
class Outcome:
    channel_id: str
    kind: str
    period: str
    state: str  # posted, reconciled, already, held, failed, skipped
    message_ts: str | None = None
    error: str | None = None


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver(db: Database, transport: DigestTransport, target: Target, occurrence: Occurrence,
            digest_for: Callable[[], Digest], now: Callable[[], datetime], policy: DeliveryPolicy,
            triggered_by: str, process: str | None = None) -> Outcome:
    """Deliver one digest to one channel, at most once whatever other processes do."""
    process = process or process_name()
    kind, period, channel = occurrence.kind, occurrence.period, target.channel_id
    claim = ledger.claim(db, channel, kind, period, occurrence.scheduled_for, target.subscription_id, process,
                         triggered_by, now(), policy.stale_claim, policy.max_attempts)
    if claim is None:
        return Outcome(channel, kind, period, "already")
    if not claim.fresh:
        # An earlier attempt may have posted and died before recording it: look before posting again.
        try:
            found = transport.find_posted(channel, claim.key, now() - min(claim.first_claimed_at,
                                                                          occurrence.scheduled_for) + timedelta(hours=1))
        except DeliveryError as exc:
            return _failed(db, transport, target, occurrence, claim, exc, now)
        if found:
            ledger.finish(db, claim, ledger.POSTED, now(), message_ts=found)
            LOGGER.info("digest %s was already in the channel (%s); recorded, not re-posted", claim.key, found)
            return Outcome(channel, kind, period, "reconciled", found)
    digest = digest_for()
    if digest.held_reason:
        ledger.finish(db, claim, ledger.HELD, now(), error=digest.held_reason)
        LOGGER.warning("digest %s held back: %s", claim.key, digest.held_reason)
        _tell_once(db, transport, target, now, TOLD_HELD.format(kind=kind, channel=channel, period=period,
                                                              reason=digest.held_reason))
        return Outcome(channel, kind, period, "held", error=digest.held_reason)
    try:
        # Case references go only to the allowed channels; every other channel gets the counts.
        ts = transport.post_digest(channel, digest.for_channel(channel), claim.key)
    except DeliveryError as exc:
        return _failed(db, transport, target, occurrence, claim, exc, now)
    ledger.finish(db, claim, ledger.POSTED, now(), message_ts=ts)
    if target.subscription_id is not None:
        ledger.clear_problem(db, target.subscription_id)
    LOGGER.info("digest %s posted (%s)", claim.key, ts)
    return Outcome(channel, kind, period, "posted", ts)


def _failed(db, transport, target: Target, occurrence: Occurrence, claim, exc: DeliveryError, now) -> Outcome:
    ledger.finish(db, claim, ledger.FAILED, now(), error=exc.detail, permanent=exc.permanent)
    LOGGER.warning("digest %s failed (%s, %s): %s", claim.key, exc.failure.value,
                   "permanent" if exc.permanent else "will retry", exc.detail)
    if exc.permanent:
        fix = transport.hint(exc, occurrence.kind)
        _tell_once(db, transport, target, now, TOLD_FAILED.format(
            kind=occurrence.kind, channel=target.channel_id, period=occurrence.period, reason=exc.detail, fix=fix))
    return Outcome(target.channel_id, occurrence.kind, occurrence.period, "failed", error=exc.detail)


def _tell_once(db, transport, target: Target, now, text: str) -> None:
    """Tell the subscriber by direct message, once per problem, not at every attempt."""
    if target.subscriber is None or target.subscription_id is None:
        return
    if not ledger.mark_problem_reported(db, target.subscription_id, now()):
        return
    try:
        transport.tell_user(target.subscriber, text)
    except DeliveryError as exc:
        LOGGER.warning("could not tell %s about a digest problem: %s", target.subscriber, exc.detail)


DigestBuilder = Callable[[Occurrence], Digest]


def run_due(db: Database, transport: DigestTransport, build: DigestBuilder, now: Callable[[], datetime],
            policy: DeliveryPolicy, triggered_by: str = "scheduler", kind: str | None = None,
            subscription_ids: set[int] | None = None, process: str | None = None) -> list[Outcome]:
    """Deliver every subscription's latest due digest that has no ledger row yet (the catch-up pass).

    A digest missed by more than the grace window is recorded as skipped with a log line, not posted late.
    Each digest is built once and posted to every channel that wants it.
    """
    built: dict[tuple[str, str], Digest] = {}
    building = threading.Lock()
    # One job per subscription, in subscription order: a skip is already decided, a delivery is to be done.
    jobs: list[Callable[[], Outcome]] = []
    moment = now()
    for subscription in ledger.active_subscriptions(db, kind):
        if subscription_ids is not None and subscription.id not in subscription_ids:
            continue
        schedule = Schedule(subscription.kind, subscription.day_of_week, subscription.hour, subscription.minute,
                            subscription.timezone)
        occurrence = latest_due(schedule, moment)
        if occurrence.scheduled_for < subscription.created_at:
            continue  # due before this channel (re)subscribed
        target = Target(subscription.channel_id, subscription.id, subscription.created_by)
        if moment - occurrence.scheduled_for > policy.grace:
            if ledger.record_skipped(db, subscription.channel_id, occurrence.kind, occurrence.period,
                                     occurrence.scheduled_for, subscription.id, process or process_name(), moment,
                                     f"missed by more than the {policy.grace} grace window"):
                LOGGER.warning("skipped the %s digest %s for %s: due %s, more than %s ago", occurrence.kind,
                               occurrence.period, subscription.channel_id, occurrence.scheduled_for, policy.grace)
                skipped = Outcome(subscription.channel_id, occurrence.kind, occurrence.period, "skipped")
                jobs.append(lambda skipped=skipped: skipped)
            continue
        cache_key = (occurrence.kind, occurrence.period)

        def digest_for(occurrence=occurrence, cache_key=cache_key) -> Digest:
            with building:   # built once, by whichever channel's delivery gets there first
                if cache_key not in built:
                    built[cache_key] = build(occurrence)
                return built[cache_key]

        jobs.append(functools.partial(deliver, db, transport, target, occurrence, digest_for, now, policy,
                                      triggered_by, process))

    if policy.concurrency <= 1 or len(jobs) <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=min(policy.concurrency, len(jobs)), thread_name_prefix="digest-post") as pool:
        return list(pool.map(lambda job: job(), jobs))   # map keeps the jobs' order

