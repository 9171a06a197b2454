"""Reminders to a metric's owner, by direct message, once for each period whose figures are late."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Callable, Mapping

from answers.platform import DeliveryError, Platform
from digests.delivery import DeliveryPolicy, Outcome, process_name, serving
from digests.late_words import due_day, period_name
from storage import digest_store as ledger
from storage.addresses import Address
from storage.alert_rules import review_alert_due
from storage.db import Database
from storage.lateness import Late, late_figures, latest_periods
from storage.repository import latest_period_starts, read_catalog

LOGGER = logging.getLogger(__name__)

REMINDER = ("Figures for {metric}, {period}, were due on {due} and are not loaded yet. Load them with "
            "`kpibot import observations`, or send the file to me here.")
KIND = "reminder"
# Reminders go out from this hour of a working day, local time: the office is in, the morning alerts are read.
REMINDER_HOUR = 10
OWNER_PREFIX = "owner:"
UNCERTAIN_REASON = "an earlier attempt may have sent it; a direct message cannot be looked for"


def reminder_text(late: Late) -> str:
    return REMINDER.format(metric=late.metric.name, period=period_name(late.period), due=due_day(late.due))


def owner_address(platform: str, user_id: str) -> Address:
    """Where the ledger records reminders to one owner: their direct message on that platform."""
    return Address(platform, OWNER_PREFIX + user_id)


def reminder_period(late: Late) -> str:
    """The ledger's period for one metric's late period: a short digest of both, the same in every process."""
    return hashlib.sha256(f"{late.metric.slug}:{late.period.label}".encode()).hexdigest()[:16]


def remind_owners(db: Database, platforms: Mapping[str, Platform] | Platform, now: Callable[[], datetime],
                  policy: DeliveryPolicy, timezone: str = "Europe/London", hour: int = REMINDER_HOUR,
                  triggered_by: str = "scheduler", process: str | None = None) -> list[Outcome]:
    """Tell each late metric's owner, on every platform this process serves where the catalog names them, that
    the figures are late: once per (metric, period), whatever other processes do and however often this runs.
    Nothing before `hour`:00 local time, at weekends or on bank holidays. An owner on a platform not served here
    is left to a process that serves it."""
    platforms = serving(platforms)
    moment = now()
    today = review_alert_due(moment, timezone, hour)
    if today is None:
        return []
    with db.session() as session:
        catalog = read_catalog(session)
        if not any(platform in platforms for metric in catalog.metrics for platform in metric.owners):
            return []   # nobody to remind here: the figures are not read every few minutes for nothing
        late = late_figures(catalog, latest_periods(catalog, latest_period_starts(session, today)), today)
    outcomes = []
    for item in late:
        for platform_name, user_id in item.metric.owners.items():
            platform = platforms.get(platform_name)
            if platform is None:
                LOGGER.debug("%s's owner is on %s, which this process does not serve", item.metric.slug, platform_name)
                continue
            outcomes.append(_remind(db, platform, user_id, item, moment, now, policy, triggered_by,
                                    process or process_name()))
    return outcomes


def _remind(db: Database, platform: Platform, user_id: str, late: Late, moment: datetime,
            now: Callable[[], datetime], policy: DeliveryPolicy, triggered_by: str, process: str) -> Outcome:
    address, period = owner_address(platform.name, user_id), reminder_period(late)
    claim = ledger.claim(db, address, KIND, period, moment, None, process, triggered_by, now(), policy.stale_claim,
                         policy.max_attempts)
    if claim is None:
        return Outcome(address, KIND, period, "already")
    if claim.interrupted:
        # The process that held this died mid-way and may have sent it: a second reminder is worse than none.
        ledger.finish(db, claim, ledger.UNCERTAIN, now(), error=UNCERTAIN_REASON)
        LOGGER.warning("reminder to %s about %s %s may have been sent already; not sent again", address,
                       late.metric.slug, late.period.label)
        return Outcome(address, KIND, period, ledger.UNCERTAIN, error=UNCERTAIN_REASON)
    try:
        platform.tell_user(user_id, reminder_text(late), address.workspace)
    except DeliveryError as exc:
        ledger.finish(db, claim, ledger.FAILED, now(), error=exc.detail, permanent=exc.permanent)
        LOGGER.warning("reminder to %s about %s %s failed (%s, %s): %s", address, late.metric.slug,
                       late.period.label, exc.failure.value, "permanent" if exc.permanent else "will retry",
                       exc.detail)
        return Outcome(address, KIND, period, "failed", error=exc.detail)
    ledger.finish(db, claim, ledger.POSTED, now())
    LOGGER.info("reminded %s that %s %s is late", address, late.metric.slug, late.period.label)
    return Outcome(address, KIND, period, "posted")
