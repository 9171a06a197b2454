"""Reminders to a metric's owner: one direct message per late period, exactly once across runs and processes,
only on a platform this process serves, and tried again after a failure the platform calls passing."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from answers.platform import DeliveryError, Failure
from digests.delivery import DeliveryPolicy
from digests.reminders import remind_owners
from storage import digest_store
from storage.catalog import Catalog
from storage.importers.observations import import_observations
from storage.repository import read_catalog, sync_catalog
from tests.memory_platform import MemoryPlatform

UTC = timezone.utc
# Mon 17 Nov 2025, 10:00 in London (GMT): October's figures were due Fri 14 Nov, its tenth working day.
MONDAY_17_NOV = datetime(2025, 11, 17, 10, 0, tzinfo=UTC)
# Mon 15 Dec 2025: November's were due Fri 12 Dec (1-5 Dec, 8-12 Dec).
MONDAY_15_DEC = datetime(2025, 12, 15, 10, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=3)
OCTOBER = ("Figures for Volunteer hours, October 2025, were due on Fri 14 Nov 2025 and are not loaded yet. Load "
           "them with `kpibot import observations`, or send the file to me here.")
NOVEMBER = ("Figures for Volunteer hours, November 2025, were due on Fri 12 Dec 2025 and are not loaded yet. Load "
            "them with `kpibot import observations`, or send the file to me here.")


@dataclass
class FailingPlatform(MemoryPlatform):
    """The in-memory platform whose next direct messages fail, one each, with the errors given."""

    tell_failures: list[DeliveryError] = field(default_factory=list)

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        if self.tell_failures:
            raise self.tell_failures.pop(0)
        super().tell_user(user_id, text, workspace)


def _owned(db, owners: dict[str, str], slug: str = "volunteer-hours") -> None:
    with db.session() as session:
        catalog = read_catalog(session)
        metrics = [replace(m, owners=owners) if m.slug == slug else m for m in catalog.metrics]
        sync_catalog(session, Catalog(catalog.sections, metrics), "office.yaml", MONDAY_17_NOV)


def _run(db, platforms, moment: datetime, process: str = "host-a:1"):
    return remind_owners(db, platforms, lambda: moment, POLICY, process=process)


def test_the_owner_is_reminded_once_for_a_late_period(demo_db):
    _owned(demo_db, {"slack": "U0ANALYST"})
    slack = MemoryPlatform(name="slack")
    outcomes = _run(demo_db, {"slack": slack}, MONDAY_17_NOV)
    # Twelve office KPIs are late for October; only Volunteer hours has an owner.
    assert [o.state for o in outcomes] == ["posted"]
    assert slack.told == [("U0ANALYST", OCTOBER)]
    # The next run, and another process after a restart, send nothing more.
    assert [o.state for o in _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(days=1))] == ["already"]
    assert [o.state for o in _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(days=2), "host-b:7")] == [
        "already"]
    assert slack.told == [("U0ANALYST", OCTOBER)]
    [record] = digest_store.deliveries(demo_db)
    assert (record.address.platform, record.address.conversation, record.kind, record.state) == (
        "slack", "owner:U0ANALYST", "reminder", "posted")
    assert len(record.period) <= 16


def test_the_next_late_period_gets_its_own_reminder(demo_db, write_file):
    _owned(demo_db, {"slack": "U0ANALYST"})
    slack = MemoryPlatform(name="slack")
    _run(demo_db, {"slack": slack}, MONDAY_17_NOV)
    with demo_db.session() as session:
        import_observations(session, write_file("october.csv", "metric,period,value\nvolunteer-hours,2025-10,55\n"),
                            read_catalog(session), "analyst", MONDAY_17_NOV + timedelta(hours=2))
    assert _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(days=7)) == []   # October is in; November not due
    assert [o.state for o in _run(demo_db, {"slack": slack}, MONDAY_15_DEC)] == ["posted"]
    assert slack.told == [("U0ANALYST", OCTOBER), ("U0ANALYST", NOVEMBER)]


def test_a_metric_without_an_owner_reminds_nobody(demo_db):
    slack = MemoryPlatform(name="slack")
    assert _run(demo_db, {"slack": slack}, MONDAY_17_NOV) == []
    assert slack.told == []
    assert digest_store.deliveries(demo_db) == []


def test_an_owner_on_a_platform_not_served_here_is_left_to_the_process_that_serves_it(demo_db):
    _owned(demo_db, {"teams": "29:1a2b3c"})
    slack = MemoryPlatform(name="slack")
    assert _run(demo_db, {"slack": slack}, MONDAY_17_NOV) == []
    assert slack.told == [] and digest_store.deliveries(demo_db) == []
    teams = MemoryPlatform(name="teams")
    assert [o.state for o in _run(demo_db, {"slack": slack, "teams": teams}, MONDAY_17_NOV)] == ["posted"]
    assert teams.told == [("29:1a2b3c", OCTOBER)] and slack.told == []


def test_each_platform_the_owner_is_on_gets_one(demo_db):
    _owned(demo_db, {"slack": "U0ANALYST", "teams": "29:1a2b3c"})
    slack, teams = MemoryPlatform(name="slack"), MemoryPlatform(name="teams")
    assert len(_run(demo_db, {"slack": slack, "teams": teams}, MONDAY_17_NOV)) == 2
    _run(demo_db, {"slack": slack, "teams": teams}, MONDAY_17_NOV + timedelta(hours=1))
    assert slack.told == [("U0ANALYST", OCTOBER)] and teams.told == [("29:1a2b3c", OCTOBER)]


def test_a_failed_reminder_is_logged_and_sent_on_the_next_run(demo_db, caplog):
    _owned(demo_db, {"slack": "U0ANALYST"})
    slack = FailingPlatform(name="slack", tell_failures=[DeliveryError(Failure.TRANSIENT, "service_unavailable")])
    with caplog.at_level(logging.WARNING, logger="digests.reminders"):
        [failed] = _run(demo_db, {"slack": slack}, MONDAY_17_NOV)
    assert (failed.state, failed.error) == ("failed", "service_unavailable")
    assert "volunteer-hours 2025-10 failed (transient, will retry): service_unavailable" in caplog.text
    assert slack.told == []
    assert [o.state for o in _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(hours=1))] == ["posted"]
    assert slack.told == [("U0ANALYST", OCTOBER)]
    [record] = digest_store.deliveries(demo_db)
    assert (record.state, record.attempts) == ("posted", 2)


def test_failures_stop_at_the_policys_attempts_and_a_permanent_one_at_once(demo_db):
    _owned(demo_db, {"slack": "U0ANALYST"})
    _owned(demo_db, {"slack": "U0OTHER"}, slug="foi-requests")
    transient = [DeliveryError(Failure.TRANSIENT, "timeout") for _ in range(3)]
    slack = FailingPlatform(name="slack", tell_failures=[DeliveryError(Failure.GONE, "user_not_found"), *transient])
    for hour in range(5):
        _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(hours=hour))
    # Catalog order: Volunteer hours first (user_not_found, never again), then FOI (three timeouts: the limit).
    assert slack.told == []
    states = {r.address.conversation: (r.state, r.attempts) for r in digest_store.deliveries(demo_db)}
    assert states == {"owner:U0ANALYST": ("failed", 1), "owner:U0OTHER": ("failed", 3)}


def test_a_reminder_whose_sender_died_is_not_sent_twice(demo_db):
    _owned(demo_db, {"slack": "U0ANALYST"})
    slack = MemoryPlatform(name="slack")

    class Dies(Exception):
        pass

    class DiesAfterSending(MemoryPlatform):
        def tell_user(self, user_id, text, workspace=""):
            super().tell_user(user_id, text, workspace)
            raise Dies()

    dying = DiesAfterSending(name="slack")
    try:
        _run(demo_db, {"slack": dying}, MONDAY_17_NOV, "host-a:1")
    except Dies:
        pass
    assert dying.told == [("U0ANALYST", OCTOBER)]
    # Within the stale-claim window the claim is still held; after it, the reminder is marked uncertain, not resent.
    assert [o.state for o in _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(minutes=5), "host-b:7")] == [
        "already"]
    assert [o.state for o in _run(demo_db, {"slack": slack}, MONDAY_17_NOV + timedelta(minutes=30), "host-b:7")] == [
        "uncertain"]
    assert slack.told == []


def test_reminders_wait_for_ten_oclock_on_a_working_day(demo_db):
    _owned(demo_db, {"slack": "U0ANALYST"})
    slack = MemoryPlatform(name="slack")
    assert _run(demo_db, {"slack": slack}, datetime(2025, 11, 17, 9, 59, tzinfo=UTC)) == []
    # Sat 22 Nov 2025, and Thu 25 Dec 2025 (Christmas Day), at noon: days off.
    assert _run(demo_db, {"slack": slack}, datetime(2025, 11, 22, 12, 0, tzinfo=UTC)) == []
    assert _run(demo_db, {"slack": slack}, datetime(2025, 12, 25, 12, 0, tzinfo=UTC)) == []
    assert slack.told == []
    # In summer time 10:00 in London is 09:00 UTC: Mon 15 Sep 2025, when August's (due Fri 12 Sep) are missing.
    with demo_db.session() as session:
        session.execute(text("DELETE FROM observations WHERE period = '2025-08' OR period = '2025-09'"))
    assert _run(demo_db, {"slack": slack}, datetime(2025, 9, 15, 8, 59, tzinfo=UTC)) == []
    assert [o.state for o in _run(demo_db, {"slack": slack}, datetime(2025, 9, 15, 9, 0, tzinfo=UTC))] == ["posted"]
    assert slack.told[0][1].startswith("Figures for Volunteer hours, August 2025, were due on Fri 12 Sep 2025")
