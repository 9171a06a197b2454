"""Files given to the bot in Teams: a file sent in the personal chat becomes one `/upload` request carrying it,
fetched from Teams' download URL in chunks and stopped at the limit; a download Teams refuses is said to the
sender; a file shared in a channel is answered with where files are taken; the answer's labelled buttons are
Adaptive Card Submit actions that run their line as whoever presses them; the same message delivered twice is
carried out once. Here `/upload` is a stand-in registered by the test (the real one is tests/test_teams_upload_e2e.py's)."""
from __future__ import annotations

import hashlib

import pytest

from tests.teams_e2e_kit import require_serving

require_serving()

from answers.incoming import FetchFailed, FileTooLarge  # noqa: E402
from answers.response import Button, Response, error  # noqa: E402
from bot.teams.cards import render_cards  # noqa: E402
from bot.teams.uploads import download  # noqa: E402
from tests.adaptive_cards import card_elements, card_texts, validate_card  # noqa: E402
from tests.fake_teams import (  # noqa: E402
    TENANT_ID, FakeFileHost, file_message, inline_image_message, shared_file_message,
)
from tests.teams_e2e_kit import ADMIN, ANNE, ANNE_CHAT, CHANNEL, VIEWER, activity_texts, running_rig  # noqa: E402

MB = 1024 * 1024
CSV = b"metric,period,value\nvolunteer-hours,2025-09,40\n"
ADMIN_CHAT = "a:1ada-personal-chat-fake"
VIEWER_CHAT = "a:1vic-personal-chat-fake"


class StandInUpload:
    """An `/upload` that fetches the file (at most `limit` bytes) and offers Confirm and Cancel, remembering each
    request; `confirm` and `cancel` answer with who pressed."""

    def __init__(self, limit: int = MB):
        self.limit = limit
        self.requests = []

    def __call__(self, request, context) -> Response:
        self.requests.append(request)
        if request.text:
            return Response(title=f"{request.text.split()[0]} by {request.user_id}")
        try:
            content = request.file.fetch(self.limit)
        except FetchFailed as exc:
            return error(f"I couldn't get {request.file.name}: {exc.detail}.")
        except FileTooLarge:
            return error(f"{request.file.name} is too large.")
        token = f"tok{len(self.requests)}"
        return Response(title=f"{request.file.name}: {hashlib.sha256(content).hexdigest()}",
                        notes=["Nothing is imported until you confirm."],
                        buttons=[Button("Confirm import", f"/upload confirm {token}", "primary"),
                                 Button("Cancel", f"/upload cancel {token}", "danger")])


def taking_uploads(registry, handler) -> None:
    """`handler` as the registry's `/upload` (in place of the real one, where it is registered), for editors."""
    for table in (registry.handlers, registry.help_texts, registry.slow_checks, registry.role_checks,
                  registry.sensitive_checks):
        table.pop("/upload", None)
    registry.add("/upload", handler, "Import a file of figures", needs=lambda text: "editor")


@pytest.fixture
def rig(demo_db):
    with running_rig(demo_db, editor_user_ids=ANNE.aad_object_id) as running:
        running.upload = StandInUpload()
        taking_uploads(running.root.registry, running.upload)
        yield running


def answers_in(rig, chat: str, count: int = 1) -> list[dict]:
    return rig.connector.wait_for(lambda: len(rig.connector.activities(chat)) >= count
                                  and rig.connector.activities(chat))


def posted_in(rig, conversation: str) -> list[dict]:
    """What the bot posted in a conversation or any thread of it."""
    return [r.body for r in rig.connector.requests() if r.kind in ("activity", "reply") and r.status < 300
            and (r.conversation_id or "").split(";")[0] == conversation]


def words(activity: dict) -> str:
    return " ".join(activity_texts(activity))


# --- a file in the personal chat -----------------------------------------------------------------------------

def test_a_file_sent_in_personal_chat_is_one_upload_request_carrying_it(rig):
    url = rig.host_file("figures.csv", CSV)
    status, sent = rig.send_files([("figures.csv", url)])
    assert status == 200
    [answer] = answers_in(rig, ANNE_CHAT)
    [request] = rig.upload.requests
    assert (request.command, request.text, request.platform) == ("/upload", "", "teams")
    assert (request.user_id, request.channel_id, request.workspace) == (ANNE.aad_object_id, ANNE_CHAT, TENANT_ID)
    assert request.direct_with_bot is True
    assert (request.file.name, request.file.size) == ("figures.csv", None)   # Teams does not say a file's size
    unique_id = rig.files.unique_id(url)
    assert request.request_key == f"teams:{sent['id']}:{ANNE_CHAT}:{unique_id}"
    # The bytes as sent, fetched once, with no token: the download URL is pre-authenticated.
    assert words(answer).startswith(f"figures.csv: {hashlib.sha256(CSV).hexdigest()}")
    assert rig.files.fetches(url) == 1
    [download_request] = rig.files.downloads()
    assert download_request.bearer is None


def test_the_preview_shows_its_buttons_labelled_and_styled_after_its_notes(rig):
    rig.send_files([("figures.csv", rig.host_file("figures.csv", CSV))])
    [answer] = answers_in(rig, ANNE_CHAT)
    [attachment] = answer["attachments"]
    card = attachment["content"]
    validate_card(card)
    kinds = [element["type"] for element in card["body"]]
    assert kinds[-2:] == ["TextBlock", "ActionSet"]
    assert card_texts(card)[1] == "Nothing is imported until you confirm."
    [buttons] = card_elements(card, "ActionSet")
    assert [(a["type"], a["title"], a.get("style"), a["data"]) for a in buttons["actions"]] == [
        ("Action.Submit", "Confirm import", "positive", {"kpibot": "run", "line": "/upload confirm tok1"}),
        ("Action.Submit", "Cancel", "destructive", {"kpibot": "run", "line": "/upload cancel tok1"}),
    ]


def test_pressing_a_button_runs_its_line_as_whoever_pressed_it(rig):
    rig.send_files([("figures.csv", rig.host_file("figures.csv", CSV))])
    answers_in(rig, ANNE_CHAT)
    assert rig.press("/upload confirm tok1")[0] == 200
    assert rig.press("/upload cancel tok1", ADMIN_CHAT, ADMIN)[0] == 200
    [_, confirmed] = answers_in(rig, ANNE_CHAT, 2)
    [cancelled] = answers_in(rig, ADMIN_CHAT)
    assert words(confirmed) == f"confirm by {ANNE.aad_object_id}"
    assert words(cancelled) == f"cancel by {ADMIN.aad_object_id}"
    # A viewer's press is refused by the registry before the command runs.
    assert rig.press("/upload confirm tok1", VIEWER_CHAT, VIEWER)[0] == 200
    [refused] = answers_in(rig, VIEWER_CHAT)
    assert "confirm by" not in words(refused)
    assert [r.text for r in rig.upload.requests] == ["", "confirm tok1", "cancel tok1"]


def test_teams_request_is_answered_before_the_file_is_downloaded(rig):
    """Teams sends again a request it has no answer to within seconds: a slow download must not hold it."""
    url = rig.host_file("figures.csv", CSV)
    rig.files.hold()
    assert rig.send_files([("figures.csv", url)])[0] == 200
    rig.files.wait_for(lambda: rig.files.downloads())          # asked for, and still held
    assert rig.connector.activities(ANNE_CHAT) == []
    rig.files.release()
    [answer] = answers_in(rig, ANNE_CHAT)
    assert words(answer).startswith(f"figures.csv: {hashlib.sha256(CSV).hexdigest()}")


def test_the_same_message_delivered_twice_is_carried_out_once(rig):
    url = rig.host_file("figures.csv", CSV)
    activity = file_message([("figures.csv", url)], ANNE_CHAT, ANNE, TENANT_ID, rig.service_url)
    assert rig.send(activity)[0] == 200
    assert rig.send(activity)[0] == 200   # a fresh token, the same activity id
    said = sorted(words(a) for a in answers_in(rig, ANNE_CHAT, 2))   # in either order: each is taken after
    assert len(rig.upload.requests) == 1 and rig.files.fetches(url) == 1  # its request is answered
    assert said[0].startswith("Already done: this exact request arrived before")
    assert said[1].startswith("figures.csv: ")


def test_several_files_are_one_request_each_and_only_the_first_three(rig):
    files = [(f"part{n}.csv", rig.host_file(f"part{n}.csv", CSV + b"%d\n" % n)) for n in range(1, 6)]
    assert rig.send_files(files)[0] == 200
    answers = answers_in(rig, ANNE_CHAT, 4)
    assert [r.file.name for r in rig.upload.requests] == ["part1.csv", "part2.csv", "part3.csv"]
    assert len({r.request_key for r in rig.upload.requests}) == 3
    assert words(answers[3]) == ("I took the first 3 files of the 5 you sent: send the others in another "
                                 "message (at most 3 at a time).")
    assert [rig.files.fetches(url) for _, url in files] == [1, 1, 1, 0, 0]


@pytest.mark.parametrize("status, said", [
    (404, "I couldn't get figures.csv: Teams no longer has the file, HTTP 404."),
    (403, "I couldn't get figures.csv: Teams refused the download, HTTP 403: its link may have expired."),
    (500, "I couldn't get figures.csv: Teams answered HTTP 500."),
])
def test_a_download_teams_refuses_is_said_to_the_sender(rig, status, said):
    url = rig.host_file("figures.csv", CSV)
    rig.files.fail_next(status)
    rig.send_files([("figures.csv", url)])
    [answer] = answers_in(rig, ANNE_CHAT)
    assert words(answer) == said


def test_a_file_shared_in_a_channel_or_group_chat_is_answered_with_where_files_are_taken(rig):
    group = "19:perf0group0chat@thread.v2"
    rig.send(shared_file_message("figures.xlsx", CHANNEL, ANNE, TENANT_ID, rig.service_url, "channel"))
    rig.send(shared_file_message("figures.xlsx", group, ANNE, TENANT_ID, rig.service_url, "groupChat"))
    in_channel = rig.connector.wait_for(lambda: posted_in(rig, CHANNEL))
    [in_group] = rig.connector.wait_for(lambda: rig.connector.activities(group))
    expected = ("I take files in our personal chat only: open kpibot in Teams (Apps, then kpibot) and send the "
                "file there.")
    assert [words(a) for a in in_channel] == [expected]
    assert words(in_group) == expected
    assert rig.upload.requests == []


def test_a_picture_pasted_in_personal_chat_is_not_a_file(rig):
    rig.send(inline_image_message(ANNE_CHAT, ANNE, TENANT_ID, rig.service_url))
    [answer] = answers_in(rig, ANNE_CHAT)
    assert words(answer).startswith("I answer ")
    assert rig.upload.requests == [] and rig.files.downloads() == []


def test_a_link_to_a_file_in_personal_chat_is_not_told_to_use_the_personal_chat(rig):
    rig.send(shared_file_message("figures.xlsx", ANNE_CHAT, ANNE, TENANT_ID, rig.service_url, "personal"))
    [answer] = answers_in(rig, ANNE_CHAT)
    assert words(answer).startswith("I answer ")
    assert rig.upload.requests == []


def test_a_channel_message_that_names_a_command_is_that_command_whatever_it_shares(rig):
    rig.send(shared_file_message("figures.xlsx", CHANNEL, ANNE, TENANT_ID, rig.service_url, "channel",
                                 text="kpi calls-under-25s"))
    chat = rig.connector.wait_for(lambda: rig.connector.personal_chat(ANNE.id))
    [answer] = answers_in(rig, chat)
    assert words(answer).startswith("Calls answered under 25 seconds: 58%")
    assert rig.upload.requests == []


# --- the download itself -------------------------------------------------------------------------------------

@pytest.fixture
def host():
    with FakeFileHost() as files:
        yield files


@pytest.mark.parametrize("length_sent", [True, False])
def test_a_download_holding_exactly_the_limit_is_whole_and_one_byte_more_is_too_large(host, length_sent):
    content = bytes(range(256)) * 4096        # 1 MB
    assert download(host.host_file("a.csv", content, length_sent=length_sent), MB) == content
    with pytest.raises(FileTooLarge):
        download(host.host_file("b.csv", content + b"x", length_sent=length_sent), MB)


@pytest.mark.parametrize("length_sent", [True, False])
def test_a_download_past_the_limit_is_stopped_not_read_to_its_end(host, length_sent):
    """200 MB offered, 1 MB allowed: the client stops reading and closes; the host could not send it all (with
    a Content-Length the client stops before reading any of it; without one, once past the limit)."""
    url = host.host_file("big.csv", b"7" * (64 * 1024), length_sent=length_sent, repeat=3200)
    with pytest.raises(FileTooLarge):
        download(url, MB)
    [(written, whole)] = host.wait_for(lambda: host.file(url).sent)
    assert whole is False
    assert written < 40 * MB    # of 200 MB: what the sockets' buffers took before the client hung up


def test_a_download_from_nowhere_is_fetch_failed(host):
    url = host.host_file("a.csv", CSV)
    host.stop()
    with pytest.raises(FetchFailed, match="Teams could not be reached: ConnectError"):
        download(url, MB)
    with pytest.raises(FetchFailed, match="Teams gave no download link"):
        download("", MB)


# --- the buttons as cards ------------------------------------------------------------------------------------

def test_labelled_buttons_render_after_the_notes_and_before_suggestions():
    response = Response(title="Preview of figures.csv", notes=["2 rows checked."],
                        suggestions=["/kpi volunteer-hours"],
                        buttons=[Button("Confirm import", "/upload confirm abc", "primary"),
                                 Button("Cancel", "/upload cancel abc", "danger"),
                                 Button("Look again", "/upload show abc"),
                                 Button("Broken", "/upload confirm \x07")])
    [card] = render_cards(response)
    validate_card(card)
    body = card["body"]
    assert [e["type"] for e in body] == ["TextBlock", "TextBlock", "ActionSet", "ActionSet"]
    labelled, suggested = body[2]["actions"], body[3]["actions"]
    assert [(a["title"], a.get("style"), a["data"]["line"]) for a in labelled] == [
        ("Confirm import", "positive", "/upload confirm abc"),
        ("Cancel", "destructive", "/upload cancel abc"),
        ("Look again", None, "/upload show abc"),   # neither: the default style
    ]
    assert all(a["type"] == "Action.Submit" and a["data"]["kpibot"] == "run" for a in labelled)
    assert [a["title"] for a in suggested] == ["kpi volunteer-hours"]
