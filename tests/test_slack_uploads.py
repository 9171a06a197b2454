"""Files dropped in Slack: the real Bolt app in HTTP mode takes a file shared in its direct message (or with an
@mention in a channel) into the registry as /upload, fetches it from the fake Slack a chunk at a time with the
bot's token, and answers with labelled buttons whose clicks run their lines as the person who clicked."""
from __future__ import annotations

import contextlib
import json
import threading
import time

import pytest
from slack_sdk import WebClient

from answers.incoming import FetchFailed, FileTooLarge
from answers.response import Button, Response, error
from bot.app import build_registry
from bot.settings import Settings
from bot.slack.app import build_slack_app
from bot.slack.http_server import SlackHTTPServer
from bot.slack.render import render_message
from bot.slack.uploads import fetch_file
from tests.conftest import PANEL_DAY
from tests.fake_slack import DOWNLOAD, SIGN_IN, FakeSlack, fake_slack  # noqa: F401  (fake_slack is a fixture)
from tests.slack_signing import (
    app_mention_event, block_actions_body, file_share_event, post_event, post_signed, post_signed_json,
    slash_command_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-0000-test-token"
EDITOR, VIEWER = "U0EDITOR", "U0VIEWER"
EDITOR_DM, VIEWER_DM = "D0EDITOR", "D0VIEWER"
FIGURES = b"metric,period,value\nvolunteer-hours,2025-09,40\n"   # 47 bytes
LIMIT = 1024
CONFIRM = Button("Confirm import", "/upload confirm tok1", "primary")
CANCEL = Button("Cancel", "/upload cancel tok1", "danger")


class Uploads:
    """A stand-in for the /upload command: what it was given, and a preview with Confirm and Cancel."""

    def __init__(self):
        self.requests, self.fetched = [], []
        self.hold = threading.Event()   # cleared: every file waits, as behind a slow download
        self.hold.set()

    def __call__(self, request, context) -> Response:
        if request.text:
            return Response(title=f"{request.text} run for {request.user_id} in {request.channel_id}")
        self.requests.append(request)
        self.hold.wait(timeout=30)
        try:
            content = request.file.fetch(LIMIT)
        except FileTooLarge:
            return error(f"{request.file.name} is too large")
        except FetchFailed as exc:
            return error(f"Couldn't read {request.file.name}: {exc.detail}")
        self.fetched.append(content)
        return Response(title=f"{request.file.name}: {len(content)} bytes", notes=["Nothing is imported yet."],
                        buttons=[CONFIRM, CANCEL])


@contextlib.contextmanager
def serving(fake: FakeSlack, db):
    settings = Settings(database_url=db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=fake.api_url, editor_user_ids=EDITOR, _env_file=None)
    registry = build_registry(settings, db, clock=lambda: PANEL_DAY)
    for table in (registry.handlers, registry.help_texts, registry.role_checks, registry.slow_checks):
        table.pop("/upload", None)   # the real command, where it is in: this test's own stands in for it
    handler = Uploads()
    registry.add("/upload", handler, "test only", needs=lambda text: "editor")
    server = SlackHTTPServer(build_slack_app(settings, registry), "127.0.0.1", 0)
    server.start_in_thread()
    try:
        yield f"http://127.0.0.1:{server.port}/slack/events", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def slack(db):
    """(events URL, fake Slack, the stand-in /upload) with the editor's and the viewer's direct messages open."""
    with FakeSlack(bot_token=TOKEN) as fake:
        fake.open_direct_message(EDITOR_DM, EDITOR)
        fake.open_direct_message(VIEWER_DM, VIEWER)
        with serving(fake, db) as (url, handler):
            yield url, fake, handler


def client_of(fake: FakeSlack, token: str = TOKEN) -> WebClient:
    return WebClient(token=token, base_url=fake.api_url)


def elements(message: dict) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


# -- the download ---------------------------------------------------------------------------------------------


def test_a_file_at_the_limit_comes_whole_and_one_byte_more_is_too_large(fake_slack):
    client = client_of(fake_slack)
    exact = fake_slack.add_file("exact.csv", b"x" * LIMIT)
    assert fetch_file(client, exact, LIMIT) == b"x" * LIMIT
    over = fake_slack.add_file("over.csv", b"x" * (LIMIT + 1), declare_length=False)
    with pytest.raises(FileTooLarge):
        fetch_file(client, over, LIMIT)
    assert fake_slack.calls(DOWNLOAD)[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("declared", [True, False])
def test_a_download_far_over_the_limit_stops_reading_there(fake_slack, declared):
    size = 40 * 1024 * 1024
    big = fake_slack.add_file("huge.csv", b"9" * size, declare_length=declared)
    started = time.monotonic()
    with pytest.raises(FileTooLarge):
        fetch_file(client_of(fake_slack), big, 100_000)
    assert time.monotonic() - started < 5
    record = fake_slack.wait_for(lambda: [d for d in fake_slack.downloads(big["id"]) if d["finished"]], timeout=10)[0]
    # The bot hung up: the fake could hand over no more than the sockets' buffers hold, far short of 40 MB.
    assert record["cut"] is True and record["sent"] < size // 2


def test_a_token_slack_does_not_take_gets_the_sign_in_page_and_a_word_about_files_read(fake_slack):
    fake_slack.bot_token = "xoxb-the-installed-token"
    file = fake_slack.add_file("figures.csv", FIGURES)
    with pytest.raises(FetchFailed) as caught:
        fetch_file(client_of(fake_slack), file, LIMIT)
    assert "files:read" in caught.value.detail
    sign_in = fake_slack.calls(SIGN_IN)
    # The sign-in page is at another address than the fake's: the token is not carried on to it.
    assert len(sign_in) == 1 and "authorization" not in sign_in[0].headers


def test_a_redirect_within_slacks_address_carries_the_token_on(fake_slack):
    file = fake_slack.add_file("figures.csv", FIGURES, moved=True)
    assert fetch_file(client_of(fake_slack), file, LIMIT) == FIGURES
    moved, served = fake_slack.calls(DOWNLOAD)
    assert moved.status == 302 and served.path.endswith("/figures.csv") and "/download/" not in served.path
    assert served.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("status, words", [(500, "Slack answered HTTP 500"), (404, "no longer in Slack (HTTP 404)"),
                                           (403, "refused to hand the file over (HTTP 403)")])
def test_slack_refusing_the_download_is_a_fetch_failure_in_a_few_words(fake_slack, status, words):
    file = fake_slack.add_file("figures.csv", FIGURES)
    fake_slack.fail_next(DOWNLOAD, status=status)
    with pytest.raises(FetchFailed) as caught:
        fetch_file(client_of(fake_slack), file, LIMIT)
    assert words in caught.value.detail
    assert fetch_file(client_of(fake_slack), file, LIMIT) == FIGURES   # the next one is served


def test_the_token_goes_only_to_slacks_own_addresses(fake_slack):
    file = {**fake_slack.add_file("figures.csv", FIGURES), "url_private_download": "https://files.example.org/x.csv"}
    with pytest.raises(FetchFailed) as caught:
        fetch_file(client_of(fake_slack), file, LIMIT)
    assert "not Slack's (files.example.org)" in caught.value.detail
    assert fake_slack.calls(DOWNLOAD) == []


def test_a_file_shared_without_its_address_is_looked_up_first(fake_slack):
    file = fake_slack.add_file("figures.csv", FIGURES)
    hidden = {"id": file["id"], "mode": "hidden_by_limit", "file_access": "check_file_info"}
    assert fetch_file(client_of(fake_slack), hidden, LIMIT) == FIGURES
    assert [c.params["file"] for c in fake_slack.calls("files.info")] == [file["id"]]


# -- the buttons ----------------------------------------------------------------------------------------------


def test_buttons_render_after_the_notes_with_their_labels_lines_and_styles():
    response = Response(title="figures.csv", notes=["Nothing is imported yet."], suggestions=["/kpi help"],
                        buttons=[CONFIRM, CANCEL, Button("Later", "/upload later tok1")])
    blocks = render_message(response)["blocks"]
    assert [b["type"] for b in blocks] == ["header", "context", "actions"]
    assert [(e["text"]["text"], e["value"], e["action_id"], e.get("style")) for e in blocks[2]["elements"]] == [
        ("Confirm import", "/upload confirm tok1", "kpi_button_0", "primary"),
        ("Cancel", "/upload cancel tok1", "kpi_button_1", "danger"),
        ("Later", "/upload later tok1", "kpi_button_2", None),
        ("help", "/kpi help", "kpi_suggestion_0", None),
    ]


def test_a_button_whose_label_or_line_carries_markup_is_not_offered():
    response = Response(title="x", buttons=[Button("<!channel>", "/upload confirm a", "primary"),
                                            Button("Cancel", "/upload cancel <@U0BOSS>", "danger"),
                                            Button("Long", "/upload confirm " + "a" * 2000),
                                            Button("Fine", "/upload cancel b", "fuchsia")])
    buttons = elements(render_message(response))
    assert [(e["text"]["text"], e["action_id"], e.get("style")) for e in buttons] == [("Fine", "kpi_button_0", None)]


# -- the adapter ----------------------------------------------------------------------------------------------


def test_a_file_dropped_in_the_bots_direct_message_is_an_upload_answered_there_with_buttons(slack):
    url, fake, handler = slack
    file = fake.add_file("figures.csv", FIGURES, user=EDITOR)
    answer = post_event(url, file_share_event([file], EDITOR, EDITOR_DM), SECRET, event_id="Ev0DROP")
    assert answer.status == 200 and answer.elapsed < 3.0
    message = fake.wait_for(lambda: fake.messages(EDITOR_DM))[0]
    assert "ephemeral" not in message and "figures.csv: 47 bytes" in message["text"]
    assert [(e["text"]["text"], e["value"], e.get("style")) for e in elements(message)] == [
        ("Confirm import", "/upload confirm tok1", "primary"), ("Cancel", "/upload cancel tok1", "danger")]
    request, = handler.requests
    assert (request.command, request.text, request.user_id, request.channel_id, request.platform) == (
        "/upload", "", EDITOR, EDITOR_DM, "slack")
    assert request.direct_with_bot is True and request.request_key == f"Ev0DROP:{file['id']}"
    assert (request.file.name, request.file.size) == ("figures.csv", 47)
    assert handler.fetched == [FIGURES]


def test_a_file_dropped_with_a_mention_in_a_channel_is_answered_to_the_uploader_alone(slack):
    url, fake, handler = slack
    file = fake.add_file("figures.csv", FIGURES, user=EDITOR)
    assert post_event(url, app_mention_event([file], EDITOR, "C0PERF"), SECRET).status == 200
    message = fake.wait_for(lambda: fake.messages("C0PERF"))[0]
    assert message["ephemeral"] is True and message["user"] == EDITOR
    assert "figures.csv: 47 bytes" in message["text"]
    assert handler.requests[0].direct_with_bot is False and handler.requests[0].channel_id == "C0PERF"


def test_the_bots_own_messages_and_other_messages_are_not_uploads(slack):
    url, fake, handler = slack
    file = fake.add_file("chart.png", b"\x89PNG", user="U0BOT")
    own = {**file_share_event([file], "U0BOT", EDITOR_DM), "bot_id": "B0BOT"}
    edited = {**file_share_event([file], EDITOR, EDITOR_DM), "subtype": "message_changed"}
    words = {k: v for k, v in file_share_event([], EDITOR, EDITOR_DM).items() if k not in ("subtype", "files")}
    mention = app_mention_event(None, EDITOR, "C0PERF")
    assert [post_event(url, e, SECRET).status for e in (own, edited, words, mention)] == [200] * 4
    time.sleep(0.5)   # the listeners have had their moment
    assert handler.requests == [] and fake.messages() == []


def test_a_viewers_upload_is_refused_by_the_registry(slack):
    url, fake, handler = slack
    file = fake.add_file("figures.csv", FIGURES, user=VIEWER)
    post_event(url, file_share_event([file], VIEWER, VIEWER_DM), SECRET)
    message = fake.wait_for(lambda: fake.messages(VIEWER_DM))[0]
    assert "That needs the editor role" in message["text"]
    assert handler.requests == [] and fake.calls(DOWNLOAD) == []


def test_slacks_retry_of_the_same_event_uploads_once_and_answers_once(slack):
    url, fake, handler = slack
    files = [fake.add_file(f"part-{n}.csv", FIGURES, user=EDITOR) for n in range(1, 5)]
    event = file_share_event(files, EDITOR, EDITOR_DM)
    assert post_event(url, event, SECRET, event_id="Ev0ONCE").status == 200
    fake.wait_for(lambda: len(fake.messages(EDITOR_DM)) == 4)   # three previews and the note on the fourth file
    for attempt in (1, 2):
        assert post_event(url, event, SECRET, event_id="Ev0ONCE", retry_num=attempt).status == 200
    time.sleep(0.5)
    assert len(handler.requests) == 3 and len(fake.messages(EDITOR_DM)) == 4
    assert len(fake.calls(DOWNLOAD)) == 3


def test_a_message_with_many_files_is_one_upload_each_up_to_three(slack):
    url, fake, handler = slack
    files = [fake.add_file(f"part-{n}.csv", FIGURES, user=EDITOR) for n in range(1, 6)]
    post_event(url, file_share_event(files, EDITOR, EDITOR_DM), SECRET)
    messages = fake.wait_for(lambda: len(fake.messages(EDITOR_DM)) == 4 and fake.messages(EDITOR_DM))
    texts = sorted(m["text"] for m in messages)
    assert texts[0] == ("I take up to 3 files from one message.\n"
                        "Not read: part-4.csv, part-5.csv. Send them in another message.")
    assert [t.splitlines()[0] for t in texts[1:]] == [f"part-{n}.csv: 47 bytes" for n in (1, 2, 3)]
    assert sorted(r.file.name for r in handler.requests) == ["part-1.csv", "part-2.csv", "part-3.csv"]
    assert len({r.request_key for r in handler.requests}) == 3


def test_a_name_holding_markup_is_shown_as_typed_not_read_as_markup(slack):
    url, fake, _ = slack
    files = [fake.add_file(f"part-{n}.csv", FIGURES, user=EDITOR) for n in range(1, 4)]
    files.append(fake.add_file("<!channel> & co.csv", FIGURES, user=EDITOR))
    post_event(url, file_share_event(files, EDITOR, EDITOR_DM), SECRET)
    notice = fake.wait_for(lambda: [m for m in fake.messages(EDITOR_DM) if m["text"].startswith("I take")])[0]
    assert "Not read: &lt;!channel&gt; &amp; co.csv. Send it in another message." in notice["text"]
    assert "<!channel>" not in json.dumps(notice)


def test_the_manifest_asks_for_what_the_file_listeners_need():
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).parent.parent / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"files:read", "im:history", "app_mentions:read", "chat:write"} <= scopes
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["message.im", "app_mention"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    alert, = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/alert"]
    assert alert["should_escape"] is True and alert["usage_hint"] == "subscribe rag #channel | list | help"


def test_slacks_check_of_the_events_address_is_answered_with_its_challenge(slack):
    url, _, _ = slack
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "fake-verification-token", "challenge": challenge, "type": "url_verification"})
    answer = post_signed_json(url, body, SECRET)
    assert answer.status == 200 and challenge in answer.body


def test_a_file_too_large_for_the_command_is_refused_without_reading_it_all(slack):
    url, fake, handler = slack
    file = fake.add_file("figures.csv", b"1" * (5 * 1024 * 1024), user=EDITOR)
    post_event(url, file_share_event([file], EDITOR, EDITOR_DM), SECRET)
    assert "figures.csv is too large" in fake.wait_for(lambda: fake.messages(EDITOR_DM))[0]["text"]


def test_a_click_runs_its_line_as_the_person_who_clicked_in_place_of_the_message_and_a_refusal_beside_it(slack):
    url, fake, _ = slack
    for user, channel, name in ((EDITOR, EDITOR_DM, "editor"), (VIEWER, VIEWER_DM, "viewer")):
        click = block_actions_body("kpi_button_0", value=CONFIRM.line, button_text=CONFIRM.label, user_id=user,
                                   channel_id=channel, response_url=fake.response_url(name))
        assert post_signed(url, click, SECRET).status == 200
    editor = fake.wait_for(lambda: fake.responses("editor"))[0]
    assert editor["replace_original"] is True
    assert editor["text"] == f"confirm tok1 run for {EDITOR} in {EDITOR_DM}"
    viewer = fake.wait_for(lambda: fake.responses("viewer"))[0]
    # Refused: said beside the message (ephemeral), which keeps its buttons for the person they are for.
    assert viewer["replace_original"] is False and viewer["response_type"] == "ephemeral"
    assert "That needs the editor role" in viewer["text"]
    assert "tok1 run for" not in json.dumps(viewer)


def test_slow_downloads_leave_the_command_workers_to_typed_commands(slack):
    """Four files held mid-download (more than there are command workers) and a /kpi typed meanwhile: the command
    is answered in its ack, not with "still working"; the four previews follow once the downloads end."""
    url, fake, handler = slack
    handler.hold.clear()
    try:
        for pair in range(2):
            files = [fake.add_file(f"figures-{pair}-{n}.csv", FIGURES, user=EDITOR) for n in range(2)]
            assert post_event(url, file_share_event(files, EDITOR, EDITOR_DM), SECRET).status == 200
        fake.wait_for(lambda: len(handler.requests) >= 2)   # the upload workers are busy
        answer = post_signed(url, slash_command_body("/kpi", "calls-under-25s", user_id=EDITOR, channel_id=EDITOR_DM,
                                                     response_url=fake.response_url("typed")), SECRET)
        assert answer.status == 200 and "Calls answered under 25 seconds" in answer.body
        assert "Still working" not in answer.body
    finally:
        handler.hold.set()
    def previews() -> list[str]:
        return sorted(m["text"].split(":")[0] for m in fake.messages(EDITOR_DM) if "47 bytes" in m["text"])

    fake.wait_for(lambda: len(previews()) == 4, timeout=20)
    assert previews() == ["figures-0-0.csv", "figures-0-1.csv", "figures-1-0.csv", "figures-1-1.csv"]
