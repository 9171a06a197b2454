"""Delivery errors: Slack's codes mapped to delivery's neutral failures, and the adapter's hint in the notice."""
from __future__ import annotations

import socket
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.slack.transport import SlackDigestTransport, _error
from answers.response import Response
from digests.content import Digest
from digests.delivery import DeliveryError, DeliveryPolicy, Failure, Target, deliver
from digests.schedule import Occurrence
from storage import digest_store

MONDAY_6_OCT = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)


def _slack_error(code: str | None, status: int = 200) -> SlackApiError:
    data = {"ok": False, "error": code} if code else {"ok": False}
    response = SlackResponse(client=None, http_verb="POST", api_url="https://slack.test/api/chat.postMessage",
                             req_args={}, data=data, headers={}, status_code=status)
    return SlackApiError(f"The request to the Slack API failed: {code}", response)


@pytest.mark.parametrize("code, status, failure", [
    ("not_in_channel", 200, Failure.NOT_A_MEMBER),
    ("channel_not_found", 200, Failure.GONE),
    ("is_archived", 200, Failure.GONE),
    ("user_not_found", 200, Failure.GONE),
    ("ratelimited", 429, Failure.RATE_LIMITED),
    (None, 429, Failure.RATE_LIMITED),
    (None, 500, Failure.TRANSIENT),
    (None, 503, Failure.TRANSIENT),
    ("internal_error", 500, Failure.TRANSIENT),
    ("invalid_auth", 200, Failure.REFUSED),
    ("not_authed", 200, Failure.REFUSED),
    ("account_inactive", 200, Failure.REFUSED),
    ("token_revoked", 200, Failure.REFUSED),
    ("missing_scope", 200, Failure.REFUSED),
    ("restricted_action", 200, Failure.REFUSED),
])
def test_each_slack_code_maps_to_its_neutral_failure(code, status, failure):
    error = _error(_slack_error(code, status))
    assert error.failure is failure
    assert error.detail == (code or f"http_{status}")   # Slack's own word, kept for the logs and the ledger


@pytest.mark.parametrize("failure, permanent", [
    (Failure.NOT_A_MEMBER, True), (Failure.GONE, True), (Failure.REFUSED, True),
    (Failure.RATE_LIMITED, False), (Failure.TRANSIENT, False),
])
def test_permanence_follows_from_the_failure(failure, permanent):
    assert DeliveryError(failure, "detail").permanent is permanent


@pytest.mark.parametrize("exc", [SlackClientError("no answer"), ConnectionResetError(), socket.timeout()])
def test_a_connection_error_is_transient(exc):
    error = _error(exc)
    assert error.failure is Failure.TRANSIENT and not error.permanent
    assert error.detail == f"connection: {type(exc).__name__}"


def test_the_slack_hints_are_slacks_words():
    transport = SlackDigestTransport(client=None)
    assert transport.hint(DeliveryError(Failure.NOT_A_MEMBER, "not_in_channel"), "weekly") == (
        "Invite me with `/invite @kpibot` in that channel; the next digest will be posted.")
    assert transport.hint(DeliveryError(Failure.GONE, "is_archived"), "quarterly") == (
        "The channel is archived; subscribe another with `/digest subscribe quarterly #channel`.")
    assert transport.hint(DeliveryError(Failure.GONE, "channel_not_found"), "weekly") == (
        "The channel may have been deleted or made private; subscribe another with "
        "`/digest subscribe weekly #channel`.")
    assert transport.hint(DeliveryError(Failure.REFUSED, "invalid_auth"), "weekly") == ""


def test_the_policy_is_built_from_settings_once():
    settings = SimpleNamespace(digest_grace_hours=6, digest_stale_claim_minutes=3, digest_max_attempts=2,
                               digest_concurrency=1)
    assert DeliveryPolicy.from_settings(settings) == DeliveryPolicy(
        grace=timedelta(hours=6), stale_claim=timedelta(minutes=3), max_attempts=2, concurrency=1)


class RefusingPlatform:
    """A platform that will not take the digest, with its own hint: delivery must pass the hint on as given."""

    def __init__(self, error: DeliveryError):
        self.error = error
        self.told: list[tuple[str, str]] = []

    def post_digest(self, channel_id, digest, key):
        raise self.error

    def find_posted(self, channel_id, key, within):
        return None

    def tell_user(self, user_id, text):
        self.told.append((user_id, text))

    def hint(self, error, digest_kind):
        return f"Ask the {digest_kind} owner to add me ({error.failure.value})."


def _deliver(db, platform):
    subscription, _ = digest_store.subscribe(db, "C0TEAM", "weekly", "mon", 8, 0, "Europe/London", "U0ADMIN",
                                             MONDAY_6_OCT - timedelta(days=30))
    occurrence = Occurrence("weekly", MONDAY_6_OCT, "2025-W41", date(2025, 10, 5))
    digest = Digest("weekly", "2025-W41", date(2025, 10, 5), Response(title="Weekly"))
    return deliver(db, platform, Target("C0TEAM", subscription.id, "U0ADMIN"), occurrence, lambda: digest,
                   lambda: MONDAY_6_OCT, DeliveryPolicy(), "test")


def test_the_subscribers_message_carries_the_adapters_hint(db):
    platform = RefusingPlatform(DeliveryError(Failure.NOT_A_MEMBER, "no_membership"))
    outcome = _deliver(db, platform)
    assert outcome.state == "failed" and outcome.error == "no_membership"
    [(user, text)] = platform.told
    assert user == "U0ADMIN"
    assert "could not be posted: no_membership." in text
    assert text.endswith("Ask the weekly owner to add me (not a member).")


def test_a_transient_failure_tells_no_one(db):
    platform = RefusingPlatform(DeliveryError(Failure.RATE_LIMITED, "ratelimited"))
    outcome = _deliver(db, platform)
    assert outcome.state == "failed" and outcome.error == "ratelimited"
    assert platform.told == []
