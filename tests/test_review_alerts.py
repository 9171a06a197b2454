"""The working-morning review alert on the demo review log: at 09:00 London time on a working day, once that day,
never at weekends or on bank holidays; case references only in the allowed channel; and the scheduler's own
check posts it and discards uploads left unanswered.

Hand-worked from storage/demo/reviews.csv (a review is due 28 days after receipt). From October 2025 nine
cases are open, received 19 Sep (CR-2025-0058, due 17 Oct) to 30 Sep (CR-2025-0066, due 28 Oct). On Monday
13 Oct two fall due within 7 days (0058 on 17 Oct, 0059 on 20 Oct); on Tuesday 14 Oct four (and 0060, 0061 on
21 Oct). On Monday 27 Oct, after the clocks went back, two (0065 that day, 0066 the next) and seven are
overdue. Tuesday 26 Aug, the day after the bank holiday, has four: 0017, 0018, 0019 and 0021 (0020, received
4 Aug, was completed on 25 Aug).
"""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from answers.platform import Capabilities, DeliveryError, Failure
from digests.review_alerts import announce_due_reviews
from storage import alert_store, upload_store
from storage.addresses import Address
from storage.digest_store import deliveries
from tests.alert_kit import ADMIN, GOVERNANCE, Clock, make_desk
from tests.memory_platform import CrashAfterPosting, MemoryPlatform

TEAM = "C0TEAM"   # not an allowed channel: counts only
REVIEW_LOG = Path(__file__).resolve().parents[1] / "storage" / "demo" / "reviews.csv"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


MONDAY_13_OCT_9AM_BST = utc(2025, 10, 13, 8, 0)
TUESDAY_14_OCT_9AM_BST = utc(2025, 10, 14, 8, 0)


@pytest.fixture
def clock():
    return Clock(MONDAY_13_OCT_9AM_BST)


@pytest.fixture
def desk(demo_db, clock):
    return make_desk(demo_db, clock=clock)


def announce(desk, moment: datetime):
    desk.clock.now = moment
    return announce_due_reviews(desk.db, {desk.platform.name: desk.platform}, desk.clock, desk.context.access,
                                due_days=28)


def titles(desk, channel: str) -> list[str]:
    return [message.response.title for message in desk.platform.messages_to(channel)]


def test_posted_at_nine_london_time_once_a_working_day(desk):
    desk.subscribe("reviews due 7", TEAM)
    assert announce(desk, utc(2025, 10, 13, 7, 59)) == []   # 08:59 BST
    [posted] = announce(desk, MONDAY_13_OCT_9AM_BST)
    assert posted.state == "posted"
    assert [o.state for o in announce(desk, utc(2025, 10, 13, 16, 30))] == ["already"]
    assert titles(desk, TEAM) == ["Complaint reviews due within 7 days: 2 on 13 Oct 2025"]
    announce(desk, TUESDAY_14_OCT_9AM_BST)
    assert titles(desk, TEAM)[1:] == ["Complaint reviews due within 7 days: 4 on 14 Oct 2025"]


def test_after_the_clocks_go_back_nine_london_time_is_nine_utc(desk):
    desk.subscribe("reviews due 7", TEAM)
    assert announce(desk, utc(2025, 10, 27, 8, 30)) == []   # 08:30 GMT
    announce(desk, utc(2025, 10, 27, 9, 0))
    [message] = desk.platform.messages_to(TEAM)
    assert message.response.title == "Complaint reviews due within 7 days: 2 on 27 Oct 2025"
    assert "Already overdue: 7 (/reviews overdue lists them)." in message.text


def test_nothing_at_the_weekend_or_on_a_bank_holiday(desk):
    desk.subscribe("reviews due 7", TEAM)
    assert announce(desk, utc(2025, 10, 18, 8, 0)) == []   # Saturday
    assert announce(desk, utc(2025, 10, 19, 12, 0)) == []  # Sunday
    assert announce(desk, utc(2025, 8, 25, 8, 0)) == []    # the August bank holiday, 0016 due that day
    assert announce(desk, utc(2025, 8, 25, 15, 0)) == []
    assert desk.platform.delivered == []
    announce(desk, utc(2025, 8, 26, 8, 0))
    assert titles(desk, TEAM) == ["Complaint reviews due within 7 days: 4 on 26 Aug 2025"]


def test_the_allowed_channel_gets_the_references_and_any_other_the_count(desk):
    desk.subscribe("reviews due 7", GOVERNANCE)
    desk.subscribe("reviews due 7", TEAM)
    announce(desk, MONDAY_13_OCT_9AM_BST)
    [allowed] = desk.platform.messages_to(GOVERNANCE)
    [counted] = desk.platform.messages_to(TEAM)
    assert allowed.text.splitlines() == [
        "Complaint reviews due within 7 days: 2 on 13 Oct 2025",
        "  Due      2",
        "  Open     9",
        "  Overdue  0",
        "",
        "Reference     Received     Due          Days left",
        "------------  -----------  -----------  ---------",
        "CR-2025-0058  19 Sep 2025  17 Oct 2025  4",
        "CR-2025-0059  22 Sep 2025  20 Oct 2025  7",
        "",
        "A review is due 28 days after it was received.",
    ]
    overdue = desk.platform.render(desk.run("/reviews overdue", channel=GOVERNANCE)).splitlines()
    assert "  Due in the next 7 days  2" in overdue
    assert overdue[-2:] == allowed.text.splitlines()[-4:-2]
    assert counted.response.title == "Complaint reviews due within 7 days: 2 on 13 Oct 2025"
    assert "  Due      2" in counted.text.splitlines()
    assert f"Counts only here: the case references go to #{GOVERNANCE}." in counted.text
    with REVIEW_LOG.open(encoding="utf-8") as log:
        references = [row["reference"] for row in csv.DictReader(log)]
    assert len(references) == 66
    assert [reference for reference in references if reference in counted.text] == []


def test_the_schedulers_check_posts_the_review_alert_and_discards_unanswered_uploads(demo_db):
    from bot.app import build_registry
    from bot.settings import Settings
    from bot.wiring import build_scheduler

    clock = Clock(MONDAY_13_OCT_9AM_BST)
    platform = MemoryPlatform(clock=clock)
    settings = Settings(database_url=demo_db.url, _env_file=None)
    scheduler = build_scheduler(settings, build_registry(settings, demo_db, clock), {platform.name: platform})
    alert_store.subscribe(demo_db, platform.address(TEAM), "reviews", ADMIN, clock.now, days=7)
    kept = upload_store.keep(demo_db, Address(platform.name, "D0EDITOR"), "U0EDITOR", "september.csv",
                             "observations", b"metric,period,value\nvolunteer-hours,2025-09,40\n", clock.now)
    scheduler.check()
    [message] = platform.messages_to(TEAM)
    assert message.response.title == "Complaint reviews due within 7 days: 2 on 13 Oct 2025"
    assert "CR-2025-" not in message.text
    clock.now += timedelta(minutes=29)
    scheduler.check()
    assert upload_store.find(demo_db, kept.token) is not None
    assert len(platform.delivered) == 1
    clock.now += timedelta(minutes=2)
    scheduler.check()
    assert upload_store.find(demo_db, kept.token) is None


def test_a_post_the_platform_failed_is_made_at_the_next_check_and_a_refused_one_is_not(desk):
    desk.subscribe("reviews due 7", TEAM)
    desk.subscribe("reviews due 7", GOVERNANCE)
    desk.platform.failures += [DeliveryError(Failure.TRANSIENT, "timeout"), DeliveryError(Failure.GONE, "archived")]
    assert [o.state for o in announce(desk, MONDAY_13_OCT_9AM_BST)] == ["failed", "failed"]
    assert desk.platform.delivered == []
    assert [o.state for o in announce(desk, MONDAY_13_OCT_9AM_BST + timedelta(minutes=5))] == ["posted", "already"]
    assert titles(desk, TEAM) == ["Complaint reviews due within 7 days: 2 on 13 Oct 2025"]
    assert titles(desk, GOVERNANCE) == []
    assert [(r.state, r.attempts) for r in deliveries(desk.db, desk.platform.address(TEAM))] == [("posted", 2)]


def _crash_while_posting(desk) -> None:
    desk.subscribe("reviews due 7", TEAM)
    desk.platform.crash_after_posting = 1
    with pytest.raises(CrashAfterPosting):
        announce(desk, MONDAY_13_OCT_9AM_BST)
    assert len(desk.platform.delivered) == 1


def test_a_check_taking_over_from_a_process_that_died_after_posting_finds_the_message(desk):
    _crash_while_posting(desk)
    announce(desk, MONDAY_13_OCT_9AM_BST + timedelta(minutes=11))   # the claim is stale after 10 minutes
    assert len(desk.platform.messages_to(TEAM)) == 1
    [row] = deliveries(desk.db, desk.platform.address(TEAM))
    assert (row.state, row.message_ref) == ("posted", "m1")


def test_where_the_platform_cannot_look_a_cut_short_post_is_not_made_again(demo_db, clock):
    desk = make_desk(demo_db, clock=clock, platform=MemoryPlatform(
        clock=clock, capabilities=Capabilities(finds_posted=False, files_in_channels=True, private_replies=True)))
    _crash_while_posting(desk)
    announce(desk, MONDAY_13_OCT_9AM_BST + timedelta(minutes=11))
    assert len(desk.platform.messages_to(TEAM)) == 1
    [row] = deliveries(desk.db, desk.platform.address(TEAM))
    assert row.state == "uncertain"


def test_a_one_day_alert_and_a_morning_with_nothing_due(desk):
    desk.subscribe("reviews due 1", TEAM)
    announce(desk, utc(2025, 10, 16, 8, 0))   # Thursday: 0058 is due the next day
    assert announce(desk, utc(2026, 4, 6, 8, 0)) == []   # Easter Monday
    announce(desk, utc(2026, 4, 7, 8, 0))   # by April 2026 all nine are overdue
    [thursday, tuesday] = desk.platform.messages_to(TEAM)
    assert thursday.response.title == "Complaint reviews due within 1 day: 1 on 16 Oct 2025"
    assert tuesday.response.title == "Complaint reviews due within 1 day: 0 on 7 Apr 2026"
    assert "Already overdue: 9 (/reviews overdue lists them)." in tuesday.text


def test_a_one_day_alert_with_nothing_due_says_so_in_the_singular(desk):
    desk.subscribe("reviews due 1", TEAM)
    announce(desk, utc(2026, 4, 7, 8, 0))
    [message] = desk.platform.messages_to(TEAM)
    assert "No open complaint review falls due within 1 day." in message.text.splitlines()
