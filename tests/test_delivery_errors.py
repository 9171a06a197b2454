"""Delivery errors in neutral words: which are permanent, the policy from settings, and the adapter's hint passed
on to the subscriber as given (Slack's codes and hints are in test_slack_delivery_errors.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from answers.response import Response
from digests.content import Digest
from digests.delivery import DeliveryError, DeliveryPolicy, Failure, Target, deliver
from digests.schedule import Occurrence
from storage import digest_store
from tests.memory_platform import NOT_HERE_HINT, MemoryPlatform

MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("failure, permanent", [
    (Failure.NOT_A_MEMBER, True), (Failure.GONE, True), (Failure.REFUSED, True),
    (Failure.RATE_LIMITED, False), (Failure.TRANSIENT, False),
])
def test_permanence_follows_from_the_failure(failure, permanent):
    assert DeliveryError(failure, "detail").permanent is permanent


def test_the_policy_is_built_from_settings_once():
    settings = SimpleNamespace(digest_grace_hours=6, digest_stale_claim_minutes=3, digest_max_attempts=2,
                               digest_concurrency=1)
    assert DeliveryPolicy.from_settings(settings) == DeliveryPolicy(
        grace=timedelta(hours=6), stale_claim=timedelta(minutes=3), max_attempts=2, concurrency=1)


def _deliver(db, platform):
    subscription, _ = digest_store.subscribe(db, platform.address("C0TEAM"), "weekly", "mon", 8, 0, "Europe/London",
                                             "U0ADMIN", MONDAY_6_OCT - timedelta(days=30))
    occurrence = Occurrence("weekly", MONDAY_6_OCT, "2025-W41", date(2025, 10, 5))
    digest = Digest("weekly", "2025-W41", date(2025, 10, 5), Response(title="Weekly"))
    return deliver(db, platform, Target(subscription.address, subscription.id, "U0ADMIN"), occurrence,
                   lambda: digest, lambda: MONDAY_6_OCT, DeliveryPolicy(), "test")


def test_the_subscribers_message_carries_the_adapters_hint(db):
    platform = MemoryPlatform(failures=[DeliveryError(Failure.NOT_A_MEMBER, "no_membership")])
    outcome = _deliver(db, platform)
    assert outcome.state == "failed" and outcome.error == "no_membership"
    assert platform.told == [("U0ADMIN", "The weekly digest for #C0TEAM (2025-W41) could not be posted: "
                                         "no_membership. " + NOT_HERE_HINT)]


def test_a_permanent_failure_without_a_hint_says_what_went_wrong(db):
    platform = MemoryPlatform(failures=[DeliveryError(Failure.REFUSED, "no_permission")])
    assert _deliver(db, platform).state == "failed"
    [(user, text)] = platform.told
    assert text == "The weekly digest for #C0TEAM (2025-W41) could not be posted: no_permission. "


def test_a_transient_failure_tells_no_one(db):
    platform = MemoryPlatform(failures=[DeliveryError(Failure.RATE_LIMITED, "slow_down")])
    outcome = _deliver(db, platform)
    assert outcome.state == "failed" and outcome.error == "slow_down"
    assert platform.told == []
