"""Slack's delivery errors: each error code mapped to delivery's neutral failure, and the hint the subscriber reads
in Slack's words (the neutral side is in test_delivery_errors.py)."""
from __future__ import annotations

import socket

import pytest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from answers.platform import DeliveryError, Failure
from bot.slack.transport import SlackDigestTransport, _error

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
