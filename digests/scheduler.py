"""Each process's digest timetable: APScheduler cron jobs built from the subscriptions table, plus a catch-up pass.

Jobs live in memory only: APScheduler 3 cannot share a job store between processes, so every
process builds its own from the database, and the delivery ledger makes sure that whichever
process fires first posts, and the others find the work done.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Callable, Mapping

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from answers.platform import Platform
from digests.delivery import DeliveryPolicy, DigestBuilder, run_due, serving
from digests.schedule import Schedule
from storage import digest_store as ledger
from storage.db import Database
from storage.repository import utcnow

LOGGER = logging.getLogger(__name__)
CATCH_UP_JOB = "digest-catch-up"


def cron_trigger(schedule: Schedule) -> CronTrigger:
    """A local-time cron trigger. Day names, not numbers: from_crontab would count Monday as 0."""
    if schedule.kind == "weekly":
        return CronTrigger(day_of_week=schedule.day_of_week, hour=schedule.hour, minute=schedule.minute,
                           timezone=schedule.zone)
    # The first working day after a quarter ends falls in the first days of Jan, Apr, Jul or Oct;
    # firing on each of them is harmless, since a delivery happens once per quarter in the ledger.
    return CronTrigger(month="1,4,7,10", day="1-10", hour=schedule.hour, minute=schedule.minute,
                       timezone=schedule.zone)


class DigestScheduler:
    def __init__(self, db: Database, platforms: Mapping[str, Platform] | Platform, build: DigestBuilder,
                 policy: DeliveryPolicy, check_minutes: float = 5.0, clock: Callable[[], datetime] = utcnow,
                 on_outcome: Callable[[str, str], None] | None = None,
                 also: Mapping[str, Callable[[], object]] | None = None):
        """`platforms`: the platforms this process delivers to, by name (one platform alone is taken as the
        only one); subscriptions on any other platform are left to the processes that serve it. `also`: work
        each check does after the digests, by name (the morning review alert, discarding stale uploads), each
        safe to run on every process and every few minutes."""
        self.on_outcome = on_outcome
        self.also = dict(also or {})
        self.db = db
        self.platforms = serving(platforms)
        self.build = build
        self.policy = policy
        self.clock = clock
        self.check_minutes = check_minutes
        self._scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": int(policy.grace.total_seconds())})
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> None:
        self._scheduler.start()
        self._scheduler.add_job(self.check, "interval", minutes=self.check_minutes, id=CATCH_UP_JOB,
                                next_run_time=utcnow())
        LOGGER.info("digest scheduler started; looking for due digests every %g minutes", self.check_minutes)

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def poke(self) -> None:
        """Subscriptions changed: rebuild the jobs and check for due digests now, in the background."""
        if self._scheduler.running:
            self._scheduler.add_job(self.check, id="digest-poke", replace_existing=True)

    def sync_jobs(self) -> dict[str, Schedule]:
        """Make the in-memory jobs match the subscriptions table."""
        wanted: dict[str, tuple[int, Schedule]] = {}
        for sub in ledger.active_subscriptions(self.db):
            schedule = Schedule(sub.kind, sub.day_of_week, sub.hour, sub.minute, sub.timezone)
            job_id = f"digest-{sub.id}-{sub.kind}-{sub.day_of_week}-{sub.hour:02d}{sub.minute:02d}-{sub.timezone}"
            wanted[job_id] = (sub.id, schedule)
        with self._lock:
            for job in self._scheduler.get_jobs():
                if job.id.startswith("digest-") and job.id not in (CATCH_UP_JOB, "digest-poke") and job.id not in wanted:
                    job.remove()
            for job_id, (subscription_id, schedule) in wanted.items():
                if self._scheduler.get_job(job_id) is None:
                    self._scheduler.add_job(self.fire, cron_trigger(schedule), args=[subscription_id], id=job_id)
        return {job_id: schedule for job_id, (_, schedule) in wanted.items()}

    def next_run(self, subscription_id: int) -> datetime | None:
        for job in self._scheduler.get_jobs():
            if job.id.startswith(f"digest-{subscription_id}-"):
                return job.next_run_time
        return None

    def fire(self, subscription_id: int) -> None:
        """A subscription's time has come: deliver its digest unless some process already has."""
        self._run(subscription_ids={subscription_id}, triggered_by="schedule")

    def check(self) -> None:
        """Startup and periodic pass: rebuild jobs, then deliver anything due and not yet in the ledger."""
        try:
            self.sync_jobs()
        except Exception:
            LOGGER.exception("could not read digest subscriptions; will try again")
            return
        self._run(subscription_ids=None, triggered_by="catch-up")
        for name, work in self.also.items():
            try:
                work()
            except Exception:
                LOGGER.exception("%s failed; the next check will retry", name)

    def _run(self, subscription_ids, triggered_by: str) -> None:
        try:
            for outcome in run_due(self.db, self.platforms, self.build, self.clock, self.policy, triggered_by,
                                   subscription_ids=subscription_ids):
                if self.on_outcome is not None:
                    self.on_outcome(outcome.kind, outcome.state)
                if outcome.state not in ("already",):
                    LOGGER.info("digest %s %s to %s: %s", outcome.kind, outcome.period, outcome.address,
                                outcome.state)
        except Exception:
            # A database or platform outage must not kill the scheduler; the next pass picks the work up.
            LOGGER.exception("digest run failed; the next check will retry")
