"""The delivery ledger through the platform port, on the in-memory platform: a crash after posting, a platform
that cannot look a message up, subscriptions on platforms this process does not serve, and held digests."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from answers.platform import Capabilities, DeliveryError, Failure
from answers.response import Response
from digests.content import Digest
from digests.delivery import DeliveryPolicy, Target, deliver, run_due
from digests.schedule import Occurrence
from storage import digest_store
from storage.addresses import Address
from tests.memory_platform import CrashAfterPosting, MemoryPlatform

MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)
OCCURRENCE = Occurrence("weekly", MONDAY_6_OCT, "2025-W41", date(2025, 10, 5))
DIGEST = Digest("weekly", "2025-W41", date(2025, 10, 5), Response(title="Weekly digest"))
POLICY = DeliveryPolicy(stale_claim=timedelta(minutes=10))


def _at(minutes: int):
    return lambda: MONDAY_6_OCT + timedelta(minutes=minutes)


def _subscribed(db, platform, channel="C0TEAM") -> Target:
    subscription, _ = digest_store.subscribe(db, platform.address(channel), "weekly", "mon", 8, 0, "Europe/London",
                                             "U0ADMIN", MONDAY_6_OCT - timedelta(days=30))
    return Target(subscription.address, subscription.id, subscription.created_by)


def _deliver(db, platform, target, minutes: int, digest=DIGEST):
    return deliver(db, platform, target, OCCURRENCE, lambda: digest, _at(minutes), POLICY, "test")


def _states(db, address):
    return [(r.state, r.message_ref, r.attempts) for r in digest_store.deliveries(db, address)]


def test_a_crash_after_posting_is_found_and_recorded_not_posted_again(db):
    platform = MemoryPlatform(crash_after_posting=1)
    target = _subscribed(db, platform)
    with pytest.raises(CrashAfterPosting):
        _deliver(db, platform, target, 1)
    assert _states(db, target.address) == [("claimed", None, 1)]
    assert _deliver(db, platform, target, 5).state == "already"   # the claim is not stale yet
    outcome = _deliver(db, platform, target, 30)
    assert (outcome.state, outcome.message_ref) == ("reconciled", "m1")
    assert len(platform.messages_to("C0TEAM")) == 1
    assert _states(db, target.address) == [("posted", "m1", 2)]
    assert platform.told == []


def test_a_platform_that_cannot_look_posts_again_after_an_error_it_gave(db):
    """An attempt the platform answered with an error (rate limited) did not post: it is made again, not marked
    uncertain, even where nothing can be looked up."""
    platform = MemoryPlatform(capabilities=Capabilities(finds_posted=False),
                              failures=[DeliveryError(Failure.RATE_LIMITED, "slow down")])
    target = _subscribed(db, platform)
    assert _deliver(db, platform, target, 1).state == "failed"
    assert _states(db, target.address) == [("failed", None, 1)]
    outcome = _deliver(db, platform, target, 2)
    assert (outcome.state, outcome.message_ref) == ("posted", "m1")
    assert platform.lookups == 0 and len(platform.messages_to("C0TEAM")) == 1
    assert _states(db, target.address) == [("posted", "m1", 2)]
    assert platform.told == []


def test_a_platform_that_cannot_look_marks_the_delivery_uncertain_and_tells_once(db):
    platform = MemoryPlatform(capabilities=Capabilities(finds_posted=False), crash_after_posting=1)
    target = _subscribed(db, platform)
    with pytest.raises(CrashAfterPosting):
        _deliver(db, platform, target, 1)
    outcome = _deliver(db, platform, target, 30)
    assert (outcome.state, outcome.message_ref) == ("uncertain", None)
    assert platform.lookups == 0                           # it was never asked to look
    assert len(platform.messages_to("C0TEAM")) == 1        # and nothing was posted a second time
    assert _states(db, target.address) == [("uncertain", None, 2)]
    assert platform.told == [("U0ADMIN", "The weekly digest for #C0TEAM (2025-W41) may or may not have been posted: "
                                         "an earlier attempt was cut short, and I can't look there to see. Check the "
                                         "conversation; if it is not there, post it with `kpibot digest run weekly "
                                         "--channel C0TEAM --again`.")]
    # Uncertain is final: later passes leave it, and the subscriber is not told again.
    assert _deliver(db, platform, target, 60).state == "already"
    assert len(platform.told) == 1


def test_a_platform_that_cannot_look_still_posts_a_fresh_claim(db):
    platform = MemoryPlatform(capabilities=Capabilities(finds_posted=False))
    target = _subscribed(db, platform)
    assert _deliver(db, platform, target, 1).state == "posted"
    assert _states(db, target.address) == [("posted", "m1", 1)]


def test_a_transient_failure_is_retried_and_a_success_clears_the_problem(db):
    platform = MemoryPlatform(failures=[DeliveryError(Failure.RATE_LIMITED, "slow down")])
    target = _subscribed(db, platform)
    first = _deliver(db, platform, target, 1)
    assert (first.state, first.error) == ("failed", "slow down")
    retry = _deliver(db, platform, target, 2)
    assert (retry.state, retry.message_ref) == ("posted", "m1")
    assert platform.told == [] and platform.lookups == 1


def test_a_subscription_on_a_platform_not_served_here_is_left_alone(db, caplog):
    memory = MemoryPlatform()
    here = _subscribed(db, memory, "C0HERE")
    teams = Address("teams", "19:leadership@thread.tacv2", "tenant-1", {"service_url": "https://smba.example/"})
    digest_store.subscribe(db, teams, "weekly", "mon", 8, 0, "Europe/London", "29:1abc", MONDAY_6_OCT - timedelta(days=30))
    caplog.set_level("DEBUG", logger="digests.delivery")
    outcomes = run_due(db, {memory.name: memory}, lambda occurrence: DIGEST, _at(1), POLICY)
    assert [(o.address, o.state) for o in outcomes] == [(here.address, "posted")]
    assert [r.address for r in digest_store.deliveries(db)] == [here.address]   # no ledger row for Teams
    assert any("teams:tenant-1:19:leadership@thread.tacv2" in r.getMessage() for r in caplog.records)
    # Not even a skip is written once the grace window has passed: that is for the process that serves it.
    run_due(db, {memory.name: memory}, lambda occurrence: DIGEST, _at(60 * 24 * 3), POLICY)
    assert {r.address.platform for r in digest_store.deliveries(db)} == {"memory"}


def test_the_same_conversation_id_on_two_platforms_is_two_subscriptions(db):
    one, other = MemoryPlatform(name="memory"), MemoryPlatform(name="other")
    _subscribed(db, one, "C0SAME")
    _subscribed(db, other, "C0SAME")
    outcomes = run_due(db, {"memory": one, "other": other}, lambda occurrence: DIGEST, _at(1), POLICY)
    assert [(o.address.platform, o.state) for o in outcomes] == [("memory", "posted"), ("other", "posted")]
    assert (len(one.delivered), len(other.delivered)) == (1, 1)


def test_the_platforms_reference_is_kept_and_handed_back(db):
    platform = MemoryPlatform()
    address = Address(platform.name, "C0REF", "", {"service_url": "https://example.test/", "bot": "b1"})
    digest_store.subscribe(db, address, "weekly", "mon", 8, 0, "Europe/London", "U0ADMIN",
                           MONDAY_6_OCT - timedelta(days=30))
    [subscription] = digest_store.active_subscriptions(db)
    assert subscription.address.reference == {"service_url": "https://example.test/", "bot": "b1"}
    run_due(db, platform, lambda occurrence: DIGEST, _at(1), POLICY)
    [message] = platform.delivered
    assert message.address.reference == {"service_url": "https://example.test/", "bot": "b1"}
    [record] = digest_store.deliveries(db)
    assert record.address.reference == {"service_url": "https://example.test/", "bot": "b1"}


def test_a_held_digest_is_told_in_neutral_words(db):
    platform = MemoryPlatform()
    target = _subscribed(db, platform, "C0LEAD")
    held = Digest("weekly", "2025-W41", date(2025, 10, 5), Response(title="Weekly"), held_reason="no figures yet")
    outcome = _deliver(db, platform, target, 1, held)
    assert (outcome.state, outcome.error) == ("held", "no figures yet")
    assert platform.delivered == []
    assert platform.told == [("U0ADMIN", "The weekly digest for #C0LEAD (2025-W41) was held back and not posted: "
                                         "no figures yet. Load the figures, then run `kpibot digest run weekly "
                                         "--channel C0LEAD --again`.")]


def test_the_key_a_digest_carries_is_the_conversation_kind_and_period():
    address = Address("slack", "C0LEAD", "T0WORK")
    assert digest_store.delivery_key(address, "weekly", "2025-W41") == "C0LEAD:weekly:2025-W41"


def test_an_uncertain_delivery_reopened_by_an_operator_is_posted_without_looking(db):
    platform = MemoryPlatform(capabilities=Capabilities(finds_posted=False), crash_after_posting=1)
    target = _subscribed(db, platform)
    with pytest.raises(CrashAfterPosting):
        _deliver(db, platform, target, 1)
    assert _deliver(db, platform, target, 30).state == "uncertain"
    platform.delivered.clear()   # the operator looked: it is not there
    assert not digest_store.reopen(db, target.address, "weekly", "2025-W40", _at(40)())   # no such delivery
    assert digest_store.reopen(db, target.address, "weekly", "2025-W41", _at(40)())
    assert (_deliver(db, platform, target, 41).state, len(platform.delivered)) == ("posted", 1)
    assert _states(db, target.address) == [("posted", "m2", 1)]
    assert not digest_store.reopen(db, target.address, "weekly", "2025-W41", _at(50)())   # posted is not reopened


def test_a_held_delivery_reopened_after_the_figures_are_loaded_is_posted(db):
    platform = MemoryPlatform()
    target = _subscribed(db, platform)
    held = Digest("weekly", "2025-W41", date(2025, 10, 5), Response(title="Weekly"), held_reason="no figures yet")
    assert _deliver(db, platform, target, 1, held).state == "held"
    assert _deliver(db, platform, target, 2).state == "already"   # held is final until reopened
    assert digest_store.reopen(db, target.address, "weekly", "2025-W41", _at(3)())
    assert _deliver(db, platform, target, 4).state == "posted"
    assert platform.lookups == 0
