"""The fake Slack against the real Slack libraries: slack_sdk's clients get Slack's answers from FakeSlack (the
signing kit's own tests are test_slack_signed_requests)."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import RESPONSE_URL, UPLOAD, fake_slack  # noqa: F401  (fake_slack is a fixture)

NOW = 1_760_000_000
CHANNEL = "C0KPI"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Calls answered under 25 s:* 58%"}}]
METADATA = {"event_type": "kpi_digest_posted", "event_payload": {"digest": "weekly", "period": "2025-09"}}
# Binary on purpose: CR LF pairs and dashes would expose a multipart or text mishandling.
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR--boundary\r\n\r\n\xff\x00chart"


@pytest.fixture
def client(fake_slack) -> WebClient:
    """A WebClient that reports every failure at once: no retry handlers."""
    return WebClient(token="xoxb-test", base_url=fake_slack.api_url, retry_handlers=[])


# -- Web API ------------------------------------------------------------------------


def test_auth_test_answers_the_bot_identity(client):
    response = client.auth_test()

    assert response.data == {"ok": True, "url": "https://fake.slack.com/", "team": "OPCC", "user": "kpibot",
                             "team_id": "T0001", "user_id": "U0BOT", "bot_id": "B0BOT"}


def test_post_message_answers_increasing_timestamps_and_echoes_blocks_and_metadata(client, fake_slack):
    fake_slack.clock = lambda: NOW + 0.25   # Slack's clock standing still: two posts in one microsecond
    first = client.chat_postMessage(channel=CHANNEL, text="Weekly KPIs", blocks=BLOCKS, metadata=METADATA)
    second = client.chat_postMessage(channel=CHANNEL, text="again")

    assert first["channel"] == CHANNEL
    assert first["ts"] == "1760000000.250000"
    assert second["ts"] == "1760000000.250001"
    assert first["message"]["text"] == "Weekly KPIs"
    assert first["message"]["blocks"] == BLOCKS
    assert first["message"]["metadata"] == METADATA
    assert [message["text"] for message in fake_slack.messages(CHANNEL)] == ["Weekly KPIs", "again"]


@pytest.mark.parametrize("offset, expected", [(0, "1760000000.500000"), (-3600, "1759996400.500000"),
                                              (-86400, "1759913600.500000"), (90, "1760000090.500000")])
def test_messages_are_stamped_by_slacks_own_clock_however_far_from_ours(client, fake_slack, offset, expected):
    """Slack stamps a message with its clock; a test sets that clock behind or ahead of the machine's."""
    fake_slack.clock = lambda: NOW + 0.5
    fake_slack.clock_offset = offset
    posted = client.chat_postMessage(channel=CHANNEL, text="stamped")

    assert posted["ts"] == expected
    assert fake_slack.now() == NOW + 0.5 + offset
    assert client.conversations_history(channel=CHANNEL)["messages"][0]["ts"] == expected


def test_by_default_slacks_clock_is_the_machines(client, fake_slack):
    before = time.time()
    posted = float(client.chat_postMessage(channel=CHANNEL, text="now")["ts"])
    assert before <= posted <= time.time()


def test_a_clock_set_back_still_never_repeats_a_timestamp(client, fake_slack):
    fake_slack.clock = lambda: NOW
    first = client.chat_postMessage(channel=CHANNEL, text="first")["ts"]
    fake_slack.clock_offset = -60
    second = client.chat_postMessage(channel=CHANNEL, text="second")["ts"]
    assert (first, second) == ("1760000000.000000", "1760000000.000001")


def test_concurrent_posts_get_distinct_timestamps_and_are_all_kept(client, fake_slack):
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda n: client.chat_postMessage(channel=CHANNEL, text=str(n)), range(20)))

    stamps = [message["ts"] for message in fake_slack.messages(CHANNEL)]
    assert sorted(stamps) == sorted(answer["ts"] for answer in answers)
    assert len(set(stamps)) == 20
    assert stamps == sorted(stamps)


def test_post_message_without_channel_or_content_fails_as_slack_does(client):
    with pytest.raises(SlackApiError) as no_channel:
        client.api_call("chat.postMessage", json={"text": "hello"})
    with pytest.raises(SlackApiError) as no_text:
        client.api_call("chat.postMessage", json={"channel": CHANNEL})

    assert no_channel.value.response["error"] == "channel_not_found"
    assert no_text.value.response["error"] == "no_text"


def test_form_encoded_calls_are_recorded_with_params_and_headers(client, fake_slack):
    client.api_call("chat.postMessage", params={"channel": CHANNEL, "text": "form", "blocks": json.dumps(BLOCKS)})

    [call] = fake_slack.calls("chat.postMessage")
    assert call.params == {"channel": CHANNEL, "text": "form", "blocks": json.dumps(BLOCKS)}
    assert call.headers["authorization"] == "Bearer xoxb-test"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (call.status, call.error) == (200, None)
    assert fake_slack.messages(CHANNEL)[0]["blocks"] == BLOCKS


def test_post_ephemeral_is_recorded_for_its_user_and_kept_out_of_history(client, fake_slack):
    response = client.chat_postEphemeral(channel=CHANNEL, user="U0USER", text="Only you can see this")

    [message] = fake_slack.messages(CHANNEL)
    assert response["message_ts"] == message["ts"]
    assert (message["user"], message["ephemeral"], message["text"]) == ("U0USER", True, "Only you can see this")
    assert client.conversations_history(channel=CHANNEL)["messages"] == []


def test_history_is_newest_first_with_metadata_only_when_asked(client):
    client.chat_postMessage(channel=CHANNEL, text="digest", metadata=METADATA)
    latest = client.chat_postMessage(channel=CHANNEL, text="chart follows")
    client.chat_postMessage(channel="C0OTHER", text="elsewhere")

    plain = client.conversations_history(channel=CHANNEL)
    with_metadata = client.conversations_history(channel=CHANNEL, include_all_metadata=True)

    assert [message["text"] for message in plain["messages"]] == ["chart follows", "digest"]
    assert plain["messages"][0]["ts"] == latest["ts"]
    assert plain["has_more"] is False
    assert "metadata" not in plain["messages"][1]
    assert with_metadata["messages"][1]["metadata"] == METADATA


def test_history_leaves_out_thread_replies_and_pages_by_cursor(client):
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")
    client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"])
    client.chat_postMessage(channel=CHANNEL, text="newest")

    first_page = client.conversations_history(channel=CHANNEL, limit=1)
    second_page = client.conversations_history(channel=CHANNEL, limit=1,
                                               cursor=first_page["response_metadata"]["next_cursor"])

    assert [message["text"] for message in first_page["messages"]] == ["newest"]
    assert first_page["has_more"] is True
    assert [message["text"] for message in second_page["messages"]] == ["parent"]
    assert second_page["has_more"] is False


def test_unknown_method_and_missing_token_fail_as_slack_does(client, fake_slack):
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("kpis.explain")
    with pytest.raises(SlackApiError) as anonymous:
        WebClient(base_url=fake_slack.api_url).auth_test()

    assert (unknown.value.response.status_code, unknown.value.response["error"]) == (200, "unknown_method")
    assert anonymous.value.response["error"] == "not_authed"


# -- files ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["content", "file"])
def test_files_upload_v2_stores_the_exact_bytes_and_shares_them_to_the_channel(client, fake_slack, source):
    response = client.files_upload_v2(channel=CHANNEL, filename="calls.png", title="Calls under 25 s",
                                      initial_comment="Chart for September", **{source: PNG_BYTES})

    [upload] = fake_slack.uploads()
    assert upload["bytes"] == PNG_BYTES
    assert (upload["filename"], upload["title"], upload["channel"]) == ("calls.png", "Calls under 25 s", CHANNEL)
    assert upload["initial_comment"] == "Chart for September"
    assert response["file"] == {"id": upload["file_id"], "name": "calls.png", "title": "Calls under 25 s",
                                "size": len(PNG_BYTES)}
    [share] = client.conversations_history(channel=CHANNEL)["messages"]
    assert share["text"] == "Chart for September"
    assert [file["id"] for file in share["files"]] == [upload["file_id"]]
    assert fake_slack.messages(CHANNEL) == []


def test_upload_url_takes_a_multipart_form_too(client, fake_slack):
    ticket = client.files_getUploadURLExternal(filename="calls.png", length=len(PNG_BYTES))
    boundary = "kpibot-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"calls.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + PNG_BYTES + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(ticket["upload_url"], data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    with urllib.request.urlopen(request) as answer:
        assert answer.read().decode() == f"OK - {len(PNG_BYTES)}"
    assert fake_slack.uploads()[0]["bytes"] == PNG_BYTES


def test_a_failed_upload_shares_nothing(client, fake_slack):
    fake_slack.fail_next(UPLOAD, status=500)

    # slack_sdk lets urllib's HTTPError out of the upload step, not a SlackRequestError.
    with pytest.raises(urllib.error.HTTPError):
        client.files_upload_v2(channel=CHANNEL, filename="calls.png", content=PNG_BYTES)

    assert [upload["channel"] for upload in fake_slack.uploads()] == [None]
    assert fake_slack.calls("files.completeUploadExternal") == []


# -- response_url -----------------------------------------------------------------------


def test_webhook_client_posts_to_a_response_url_are_recorded(fake_slack):
    response = WebhookClient(fake_slack.response_url("kpi")).send(text="58%", response_type="ephemeral")

    assert (response.status_code, response.body) == (200, "ok")
    assert fake_slack.responses("kpi") == [{"text": "58%", "response_type": "ephemeral"}]
    assert fake_slack.calls(RESPONSE_URL)[0].path == "/response/kpi"


def test_wait_for_returns_once_a_delivery_from_another_thread_arrives(fake_slack):
    deliver = threading.Thread(target=WebhookClient(fake_slack.response_url("late")).send, kwargs={"text": "done"})
    deliver.start()

    assert fake_slack.wait_for(lambda: fake_slack.responses("late")) == [{"text": "done"}]
    deliver.join()


def test_wait_for_gives_up_after_its_timeout_even_with_time_sleep_patched(fake_slack, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: pytest.fail("wait_for must not sleep"))

    with pytest.raises(TimeoutError, match="no requests"):
        fake_slack.wait_for(lambda: fake_slack.responses(), timeout=0.1)


# -- fault injection --------------------------------------------------------------------


def test_fail_next_answers_a_slack_error_then_recovers(client, fake_slack):
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")

    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel=CHANNEL, text="digest")
    client.chat_postMessage(channel=CHANNEL, text="digest")

    assert (failure.value.response.status_code, failure.value.response["error"]) == (200, "not_in_channel")
    assert [call.error for call in fake_slack.calls("chat.postMessage")] == ["not_in_channel", None]
    assert len(fake_slack.messages(CHANNEL)) == 1


def test_fail_next_rate_limits_with_retry_after(client, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)

    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel=CHANNEL, text="digest")

    assert failure.value.response.status_code == 429
    assert failure.value.response.headers["Retry-After"] == "30"
    assert failure.value.response["error"] == "ratelimited"


def test_fail_next_answers_a_server_error(client, fake_slack):
    fake_slack.fail_next("files.getUploadURLExternal", status=500)

    with pytest.raises(SlackApiError) as failure:
        client.files_upload_v2(channel=CHANNEL, filename="calls.png", content=PNG_BYTES)

    assert (failure.value.response.status_code, failure.value.response["error"]) == (500, "internal_error")


def test_fail_next_counts_its_times_and_reset_forgets_everything(client, fake_slack):
    fake_slack.fail_next("auth.test", error="invalid_auth", times=2)
    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(client.auth_test()["ok"])
        except SlackApiError as failure:
            outcomes.append(failure.response["error"])
    fake_slack.fail_next("auth.test", error="invalid_auth")
    fake_slack.reset()

    assert outcomes == ["invalid_auth", "invalid_auth", True]
    assert fake_slack.calls() == []
    assert client.auth_test()["ok"] is True
