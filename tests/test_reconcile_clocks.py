"""A digest posted by a process that died before recording it is found by the next run, whatever Slack's clock
says: the look-up never compares a time from our clock with one from Slack's."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from bot.slack.transport import DIGEST_EVENT, SlackDigestTransport
from answers.response import Response
from digests.content import Digest
from digests.delivery import DeliveryPolicy, Target, deliver
from digests.schedule import Schedule, weekly_occurrence
from storage import digest_store
from storage.addresses import Address
from tests.fake_slack import FakeSlack

# Monday 6 October 2025, 08:00 in London: the weekly digest of 2025-W41 falls due.
DUE = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)
CHANNEL = "C0CLOCKS"
ADDRESS = Address("slack", CHANNEL)
POLICY = DeliveryPolicy(stale_claim=timedelta(minutes=10))


class Killed(BaseException):
    """The process dying (kill -9) after Slack took the message and before the ledger heard of it."""


class DiesAfterPosting(SlackDigestTransport):
    def deliver(self, address: Address, response: Response, key: str) -> str:
        super().deliver(address, response, key)
        raise Killed()


class Moment:
    """The one true time of the test: the server reads it as it is; Slack reads it through its own offset."""

    def __init__(self, at: datetime):
        self.at = at

    def server_clock(self) -> datetime:
        return self.at

    def seconds(self) -> float:
        return self.at.timestamp()


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def _occurrence():
    day = date(2025, 10, 6)
    return replace(weekly_occurrence(Schedule("weekly"), day), as_of=day)


def _digest() -> Digest:
    return Digest("weekly", "2025-W41", date(2025, 10, 6), Response(title="Weekly performance digest"))


def _digests_in(fake) -> list[dict]:
    return [m for m in fake.messages(CHANNEL) if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT]


def _transport(fake, kind=SlackDigestTransport):
    return kind(WebClient(token="xoxb-clocks", base_url=fake.api_url))


@pytest.mark.parametrize("slack_offset", [timedelta(hours=-1), timedelta(hours=-2), timedelta(days=-1),
                                          timedelta(days=1), timedelta(0)],
                         ids=["slack-an-hour-behind", "slack-two-hours-behind", "slack-a-day-behind",
                              "slack-a-day-ahead", "clocks-agree"])
def test_a_digest_posted_before_a_crash_is_reconciled_whatever_slacks_clock_says(db, slack, slack_offset):
    moment = Moment(DUE + timedelta(minutes=1))
    slack.clock, slack.clock_offset = moment.seconds, slack_offset.total_seconds()
    occurrence = _occurrence()
    with pytest.raises(Killed):
        deliver(db, _transport(slack, DiesAfterPosting), Target(ADDRESS), occurrence, _digest, moment.server_clock,
                POLICY, "scheduler", process="first:1")
    [posted] = _digests_in(slack)
    assert float(posted["ts"]) == (DUE + timedelta(minutes=1) + slack_offset).timestamp()
    assert [r.state for r in digest_store.deliveries(db, ADDRESS)] == ["claimed"]

    moment.at = DUE + timedelta(minutes=25)   # the claim is stale: the next pass takes it over
    outcome = deliver(db, _transport(slack), Target(ADDRESS), occurrence, _digest, moment.server_clock, POLICY,
                      "catch-up", process="second:2")

    assert (outcome.state, outcome.message_ref) == ("reconciled", posted["ts"])
    assert len(_digests_in(slack)) == 1
    assert [r.state for r in digest_store.deliveries(db, ADDRESS)] == ["posted"]
    assert all("oldest" not in call.params for call in slack.calls("conversations.history"))


def test_a_digest_under_a_busy_channels_later_messages_is_still_found(db, slack):
    """Slack a day behind, and 450 messages posted in the channel after the digest: three pages back."""
    moment = Moment(DUE + timedelta(minutes=1))
    slack.clock, slack.clock_offset = moment.seconds, timedelta(days=-1).total_seconds()
    occurrence = _occurrence()
    with pytest.raises(Killed):
        deliver(db, _transport(slack, DiesAfterPosting), Target(ADDRESS), occurrence, _digest, moment.server_clock,
                POLICY, "scheduler", process="first:1")
    client = WebClient(token="xoxb-people", base_url=slack.api_url)
    for n in range(450):
        moment.at = DUE + timedelta(minutes=2, seconds=n)
        client.chat_postMessage(channel=CHANNEL, text=f"message {n}")

    moment.at = DUE + timedelta(minutes=30)
    outcome = deliver(db, _transport(slack), Target(ADDRESS), occurrence, _digest, moment.server_clock, POLICY,
                      "catch-up", process="second:2")

    assert outcome.state == "reconciled"
    assert len(_digests_in(slack)) == 1
    assert len(slack.calls("conversations.history")) == 3


def test_the_look_up_stops_at_messages_older_than_the_digest_can_be(db, slack):
    """A long history from the week before, nothing posted since the claim: one page read, then the digest."""
    client = WebClient(token="xoxb-people", base_url=slack.api_url)
    moment = Moment(DUE - timedelta(days=7))
    slack.clock, slack.clock_offset = moment.seconds, timedelta(days=-1).total_seconds()
    for n in range(600):   # one a minute, ten hours of chat a week before the digest fell due
        moment.at = DUE - timedelta(days=7) + timedelta(minutes=n)
        client.chat_postMessage(channel=CHANNEL, text=f"last week {n}")
    occurrence = _occurrence()
    digest_store.claim(db, ADDRESS, "weekly", occurrence.period, occurrence.scheduled_for, None, "first:1",
                       "scheduler", DUE, timedelta(minutes=10), 5)   # claimed, then died before posting

    moment.at = DUE + timedelta(minutes=20)
    outcome = deliver(db, _transport(slack), Target(ADDRESS), occurrence, _digest, moment.server_clock, POLICY,
                      "catch-up", process="second:2")

    assert outcome.state == "posted"
    assert len(_digests_in(slack)) == 1
    assert len(slack.calls("conversations.history")) == 1
