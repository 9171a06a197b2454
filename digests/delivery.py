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
from typing import Callable, Mapping

from answers.mentions import conversation as mention
from answers.platform import DeliveryError, Failure, PERMANENT_FAILURES, Platform  # noqa: F401  (delivery's words)
from digests.content import Digest
from digests.schedule import Occurrence, Schedule, latest_due
from storage import digest_store as ledger
from storage.addresses import Address
from storage.db import Database

LOGGER = logging.getLogger(__name__)

TOLD_FAILED = ("The {kind} digest for {conversation} ({period}) could not be posted: {reason}. "
               "{fix}")
TOLD_HELD = ("The {kind} digest for {conversation} ({period}) was held back and not posted: {reason}. "
             "Load the figures, then run `kpibot digest run {kind} --channel {channel} --again`.")
TOLD_UNCERTAIN = ("The {kind} digest for {conversation} ({period}) may or may not have been posted: an earlier "
                  "attempt was cut short, and I can't look there to see. Check the conversation; if it is not "
                  "there, post it with `kpibot digest run {kind} --channel {channel} --again`.")
UNCERTAIN_REASON = "an earlier attempt may have posted; the platform cannot look"
RETRY_LATER = "I will try again shortly."


@dataclass(frozen=True)
class DeliveryPolicy:
    grace: timedelta = timedelta(hours=24)
    stale_claim: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    # Conversations posted to at once. Each gets one message, well inside any platform's per-conversation
    # rate; an adapter waits out the rate limits it is told of for the workspace as a whole.
    concurrency: int = 4

    @classmethod
    def from_settings(cls, settings) -> DeliveryPolicy:
        """The policy a settings object asks for: anything with the `digest_*` values that bot's Settings has."""
        return cls(grace=timedelta(hours=settings.digest_grace_hours),
                   stale_claim=timedelta(minutes=settings.digest_stale_claim_minutes),
                   max_attempts=settings.digest_max_attempts, concurrency=settings.digest_concurrency)


@dataclass(frozen=True)
class Target:
    """Where a digest goes, and for a subscription, who to tell when it cannot."""

    address: Address
    subscription_id: int | None = None
    subscriber: str | None = None


@dataclass(frozen=True)
class Outcome:
    address: Address
    kind: str
    period: str
    state: str  # posted, reconciled, already, held, failed, skipped, uncertain
    message_ref: str | None = None   # the platform's reference to the posted message
    error: str | None = None

    @property
    def channel_id(self) -> str:
        """The conversation's id, as the logs and `kpibot digest run` print it."""
        return self.address.conversation


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver(db: Database, platform: Platform, target: Target, occurrence: Occurrence,
            digest_for: Callable[[], Digest], now: Callable[[], datetime], policy: DeliveryPolicy,
            triggered_by: str, process: str | None = None) -> Outcome:
    """Deliver one digest to one conversation through `platform`, at most once whatever other processes do."""
    process = process or process_name()
    kind, period, address = occurrence.kind, occurrence.period, target.address
    claim = ledger.claim(db, address, kind, period, occurrence.scheduled_for, target.subscription_id, process,
                         triggered_by, now(), policy.stale_claim, policy.max_attempts)
    if claim is None:
        return Outcome(address, kind, period, "already")
    if not claim.fresh and platform.capabilities.finds_posted:
        # An earlier attempt may have posted and died before recording it: look before posting again.
        try:
            found = platform.find_posted(address, claim.key, now() - min(claim.first_claimed_at,
                                                                         occurrence.scheduled_for) + timedelta(hours=1))
        except DeliveryError as exc:
            return _failed(db, platform, target, occurrence, claim, exc, now)
        if found:
            ledger.finish(db, claim, ledger.POSTED, now(), message_ref=found)
            LOGGER.info("digest %s was already in the conversation (%s); recorded, not re-posted", claim.key, found)
            return Outcome(address, kind, period, "reconciled", found)
    elif claim.interrupted:
        # The platform cannot look, and the process that held this died mid-way: it may have posted. Leave it
        # and say so rather than risk posting twice. (An attempt that ended in the platform's own error did not
        # post, and is simply made again.)
        return _uncertain(db, platform, target, occurrence, claim, now)
    digest = digest_for()
    if digest.held_reason:
        ledger.finish(db, claim, ledger.HELD, now(), error=digest.held_reason)
        LOGGER.warning("digest %s held back: %s", claim.key, digest.held_reason)
        _tell_once(db, platform, target, now, TOLD_HELD.format(
            kind=kind, conversation=mention(address.conversation), channel=address.conversation, period=period,
            reason=digest.held_reason))
        return Outcome(address, kind, period, "held", error=digest.held_reason)
    try:
        # Case references go only to the allowed channels; every other conversation gets the counts.
        ref = platform.deliver(address, digest.for_platform(address.platform).for_channel(address.conversation).message,
                               claim.key)
    except DeliveryError as exc:
        return _failed(db, platform, target, occurrence, claim, exc, now)
    ledger.finish(db, claim, ledger.POSTED, now(), message_ref=ref)
    if target.subscription_id is not None:
        ledger.clear_problem(db, target.subscription_id)
    LOGGER.info("digest %s posted (%s)", claim.key, ref)
    return Outcome(address, kind, period, "posted", ref)


def _uncertain(db, platform: Platform, target: Target, occurrence: Occurrence, claim, now) -> Outcome:
    ledger.finish(db, claim, ledger.UNCERTAIN, now(), error=UNCERTAIN_REASON)
    LOGGER.warning("digest %s: an earlier attempt may have posted and %s cannot look; not posted again",
                   claim.key, platform.name)
    conversation = target.address.conversation
    _tell_once(db, platform, target, now, TOLD_UNCERTAIN.format(
        kind=occurrence.kind, conversation=mention(conversation), channel=conversation, period=occurrence.period))
    return Outcome(target.address, occurrence.kind, occurrence.period, ledger.UNCERTAIN, error=UNCERTAIN_REASON)


def _failed(db, platform: Platform, target: Target, occurrence: Occurrence, claim, exc: DeliveryError,
            now) -> Outcome:
    ledger.finish(db, claim, ledger.FAILED, now(), error=exc.detail, permanent=exc.permanent)
    LOGGER.warning("digest %s failed (%s, %s): %s", claim.key, exc.failure.value,
                   "permanent" if exc.permanent else "will retry", exc.detail)
    if exc.permanent:
        fix = platform.hint(exc, occurrence.kind)
        _tell_once(db, platform, target, now, TOLD_FAILED.format(
            kind=occurrence.kind, conversation=mention(target.address.conversation), period=occurrence.period,
            reason=exc.detail, fix=fix))
    return Outcome(target.address, occurrence.kind, occurrence.period, "failed", error=exc.detail)


def _tell_once(db, platform: Platform, target: Target, now, text: str) -> None:
    """Tell the subscriber by direct message, once per problem, not at every attempt."""
    if target.subscriber is None or target.subscription_id is None:
        return
    if not ledger.mark_problem_reported(db, target.subscription_id, now()):
        return
    try:
        platform.tell_user(target.subscriber, text, target.address.workspace)
    except DeliveryError as exc:
        LOGGER.warning("could not tell %s about a digest problem: %s", target.subscriber, exc.detail)


DigestBuilder = Callable[[Occurrence], Digest]


def serving(platforms: Mapping[str, Platform] | Platform) -> Mapping[str, Platform]:
    """The platforms by name; a single platform is taken as the only one served."""
    return {platforms.name: platforms} if hasattr(platforms, "deliver") else platforms


def run_due(db: Database, platforms: Mapping[str, Platform] | Platform, build: DigestBuilder,
            now: Callable[[], datetime], policy: DeliveryPolicy, triggered_by: str = "scheduler",
            kind: str | None = None, subscription_ids: set[int] | None = None,
            process: str | None = None) -> list[Outcome]:
    """Deliver every subscription's latest due digest that has no ledger row yet (the catch-up pass), each
    through its own platform's adapter.

    A digest missed by more than the grace window is recorded as skipped with a log line, not posted late.
    Each digest is built once and posted to every conversation that wants it. A subscription on a platform
    this process does not serve is left to a process that does: no ledger row, nothing skipped.
    """
    platforms = serving(platforms)
    built: dict[tuple[str, str], Digest] = {}
    building = threading.Lock()
    # One job per subscription, in subscription order: a skip is already decided, a delivery is to be done.
    jobs: list[Callable[[], Outcome]] = []
    moment = now()
    for subscription in ledger.active_subscriptions(db, kind):
        if subscription_ids is not None and subscription.id not in subscription_ids:
            continue
        platform = platforms.get(subscription.address.platform)
        if platform is None:
            LOGGER.debug("subscription %s is on %s, which this process does not serve", subscription.id,
                         subscription.address)
            continue
        schedule = Schedule(subscription.kind, subscription.day_of_week, subscription.hour, subscription.minute,
                            subscription.timezone)
        occurrence = latest_due(schedule, moment)
        if occurrence.scheduled_for < subscription.created_at:
            continue  # due before this conversation (re)subscribed
        target = Target(subscription.address, subscription.id, subscription.created_by)
        if moment - occurrence.scheduled_for > policy.grace:
            if ledger.record_skipped(db, subscription.address, occurrence.kind, occurrence.period,
                                     occurrence.scheduled_for, subscription.id, process or process_name(), moment,
                                     f"missed by more than the {policy.grace} grace window"):
                LOGGER.warning("skipped the %s digest %s for %s: due %s, more than %s ago", occurrence.kind,
                               occurrence.period, subscription.address, occurrence.scheduled_for, policy.grace)
                skipped = Outcome(subscription.address, occurrence.kind, occurrence.period, "skipped")
                jobs.append(lambda skipped=skipped: skipped)
            continue
        cache_key = (occurrence.kind, occurrence.period)

        def digest_for(occurrence=occurrence, cache_key=cache_key) -> Digest:
            with building:   # built once, by whichever conversation's delivery gets there first
                if cache_key not in built:
                    built[cache_key] = build(occurrence)
                return built[cache_key]

        jobs.append(functools.partial(deliver, db, platform, target, occurrence, digest_for, now, policy,
                                      triggered_by, process))

    if policy.concurrency <= 1 or len(jobs) <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=min(policy.concurrency, len(jobs)), thread_name_prefix="digest-post") as pool:
        return list(pool.map(lambda job: job(), jobs))   # map keeps the jobs' order

