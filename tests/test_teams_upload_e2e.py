"""Figures from chat in Teams, end to end: the real Teams app against the fake Entra, Bot Connector and file host.
An admin subscribes a channel to RAG alerts there; an editor sends an Excel file in the bot's personal chat, sees
what it would change, presses Confirm, and the channel is told once that volunteer hours turned Red.

The demo data's volunteer hours for Jul-Sep 2025 are 48, 52 and 52 hours against a baseline of 75 (Red). With
September loaded as 140, the quarter averages (48 + 52 + 140) / 3 = 80 hours, over 75 + 5% = 78.75: Green. The
upload puts September back to 40: (48 + 52 + 40) / 3 = 46.7 hours, Red again, a turn worse from Green.
"""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from tests.figure_files import workbook
from tests.teams_e2e_kit import require_serving

require_serving()

from storage.audit import entries  # noqa: E402
from storage.importers.load import load  # noqa: E402
from storage.models import MetricRow, ObservationRow, PendingUploadRow  # noqa: E402
from tests.adaptive_cards import card_elements, card_texts, validate_card  # noqa: E402
from tests.conftest import PANEL_DAY  # noqa: E402
from tests.teams_e2e_kit import (  # noqa: E402
    ADMIN, ANNE, ANNE_CHAT, CHANNEL, VIEWER, activity_texts, running_rig,
)

CASES_CHANNEL = "19:perf0cases@thread.tacv2"
VIEWER_CHAT = "a:1vic-personal-chat-fake"
TURNED_RED = "Volunteer hours turned Red (was Green)"


def posted_to_channel(rig) -> list[dict]:
    """What the bot posted to the channel itself (not the thread of a message in it)."""
    return [r.body for r in rig.connector.requests("activity") if r.status < 300 and r.conversation_id == CHANNEL]


@pytest.fixture
def rig(demo_db, tmp_path):
    """The Teams app with Anne an editor and Ada an admin, the channel subscribed to RAG alerts by Ada there, and
    September's volunteer hours loaded as 140 (Green)."""
    with running_rig(demo_db, editor_user_ids=ANNE.aad_object_id, sensitive_channel_ids=CASES_CHANNEL) as running:
        running.install_in_channel()
        assert running.say("alert subscribe rag", CHANNEL, ADMIN, "channel")[0] == 200
        admin_chat = running.connector.wait_for(lambda: running.connector.personal_chat(ADMIN.id))
        [subscribed] = running.connector.wait_for(lambda: running.connector.activities(admin_chat))
        assert "will hear when any metric turns worse" in " ".join(activity_texts(subscribed))
        first = tmp_path / "september.csv"
        first.write_text("metric,period,value\nvolunteer-hours,2025-09,140\n", encoding="utf-8")
        with demo_db.session() as session:
            load(session, "observations", first, "analyst", PANEL_DAY)
        assert running.say("kpi volunteer-hours")[0] == 200
        [green] = running.connector.wait_for(lambda: running.cards(ANNE_CHAT))
        assert "\u25cf Green" in " ".join(card_texts(green))
        running.connector.reset()
        yield running


def september_hours(db) -> list[float]:
    with db.session() as session:
        return list(session.scalars(select(ObservationRow.value).join(MetricRow, MetricRow.id == ObservationRow.metric_id)
                                    .where(MetricRow.slug == "volunteer-hours", ObservationRow.period == "2025-09")))


def observations(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ObservationRow))


def pending_uploads(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(PendingUploadRow))


def answer(rig, chat: str, since: int) -> dict:
    """The first activity the bot posted in `chat` after the `since` it had there."""
    return rig.connector.wait_for(lambda: rig.connector.activities(chat)[since:], timeout=20)[0]


def send(rig, name: str, content: bytes, chat: str = ANNE_CHAT, user=ANNE) -> tuple[dict, str]:
    """Send a file in the personal chat; the bot's answer there, and the file's download URL."""
    since = len(rig.connector.activities(chat))
    url = rig.host_file(name, content)
    assert rig.send_files([(name, url)], chat, user)[0] == 200
    return answer(rig, chat, since), url


def press(rig, message: dict, label: str, chat: str = ANNE_CHAT, user=ANNE) -> dict:
    """Press the button labelled `label` on the card in `message` as Teams sends it (a message with the
    button's data, in reply to `message`); the bot's answer, a new message or `message` updated in place."""
    [button] = [a for s in card_elements(the_card(message), "ActionSet") for a in s["actions"] if a["title"] == label]
    since = len(rig.connector.activities(chat))
    assert rig.press(button["data"]["line"], chat, user, on=message["id"])[0] == 200
    return answer(rig, chat, since)


def updates(rig, chat: str = ANNE_CHAT) -> list:
    """The messages the bot changed in place in `chat` (PUT), oldest first."""
    return [r for r in rig.connector.requests("update") if r.conversation_id == chat]


def the_card(activity: dict) -> dict:
    [attachment] = activity["attachments"]
    validate_card(attachment["content"])
    return attachment["content"]


def test_an_editors_excel_file_previews_confirms_loads_audits_and_alerts_the_channel_once(rig, demo_db):
    db = demo_db
    content = workbook(("volunteer-hours", "2025-09", 40))
    preview, url = send(rig, "volunteer-hours-sep.xlsx", content)
    card = the_card(preview)
    shown = " ".join(card_texts(card))
    assert "Volunteer hours, Sep 2025: 140 hours -> 40 hours" in shown
    assert "Volunteer hours turns Red (was Green)" in shown
    [buttons] = card_elements(card, "ActionSet")
    assert [(a["title"], a["style"]) for a in buttons["actions"]] == [("Confirm import", "positive"),
                                                                       ("Cancel", "destructive")]
    assert rig.files.fetches(url) == 1
    assert september_hours(db) == [140]                      # nothing is loaded by the preview
    assert posted_to_channel(rig) == []

    loaded = press(rig, preview, "Confirm import")
    assert "Loaded volunteer-hours-sep.xlsx" in " ".join(activity_texts(loaded))
    # The preview itself turns into the answer: updated in place, its buttons gone, so it cannot be pressed again.
    assert [r.path.rsplit("/", 1)[1] for r in updates(rig)] == [preview["id"]] and loaded["id"] == preview["id"]
    assert card_elements(the_card(loaded), "ActionSet") == []
    assert september_hours(db) == [40]
    sha256 = hashlib.sha256(content).hexdigest()
    audited = [e for e in entries(db) if e.action == "upload confirmed"]
    assert len(audited) == 1 and "volunteer-hours-sep.xlsx" in audited[0].detail and sha256 in audited[0].detail
    assert audited[0].actor == ANNE.aad_object_id
    [alert] = rig.connector.wait_for(lambda: posted_to_channel(rig))
    assert TURNED_RED in " ".join(activity_texts(alert))

    count = observations(db)
    # A second press that raced the first (a double click, on the card as it was): a message of its own, and
    # the "Loaded" card stays as it is.
    again = press(rig, preview, "Confirm import")
    assert "Nothing more was loaded" in " ".join(activity_texts(again))
    assert again["id"] != preview["id"] and len(updates(rig)) == 1
    assert observations(db) == count and september_hours(db) == [40]
    assert len(posted_to_channel(rig)) == 1
    assert len([e for e in entries(db) if e.action == "upload confirmed"]) == 1
    assert rig.files.fetches(url) == 1


def test_a_file_with_a_bad_row_is_answered_with_its_row_and_column_and_nothing_is_written(rig, demo_db):
    count = observations(demo_db)
    refused, _ = send(rig, "bad.xlsx", workbook(("volunteer-hours", "2025-09", "lots")))
    card = the_card(refused)
    said = " ".join(card_texts(card))
    assert "bad.xlsx was not loaded" in said
    assert "row 2" in said.lower() and "value" in said and "lots" in said
    assert card_elements(card, "ActionSet") == []
    assert observations(demo_db) == count and september_hours(demo_db) == [140]
    assert pending_uploads(demo_db) == 0


def test_a_viewers_file_is_refused_and_never_fetched(rig, demo_db):
    refused, url = send(rig, "figures.xlsx", workbook(("volunteer-hours", "2025-09", 40)), VIEWER_CHAT, VIEWER)
    assert "That needs the editor role" in " ".join(activity_texts(refused))
    assert rig.files.fetches(url) == 0
    assert pending_uploads(demo_db) == 0 and september_hours(demo_db) == [140]


def test_a_file_teams_will_not_hand_over_is_said_and_nothing_is_kept(rig, demo_db):
    rig.files.fail_next(404)
    refused, url = send(rig, "figures.xlsx", workbook(("volunteer-hours", "2025-09", 40)))
    said = " ".join(activity_texts(refused))
    assert "I couldn't fetch figures.xlsx (Teams no longer has the file, HTTP 404)." in said
    assert rig.files.fetches(url) == 1
    assert pending_uploads(demo_db) == 0 and september_hours(demo_db) == [140]


@pytest.mark.parametrize("length_sent", [True, False])
def test_a_file_over_50_mb_is_refused_and_its_download_stopped(rig, demo_db, length_sent):
    """200 MB offered (with its Content-Length, or chunked so only the bytes tell): the download stops at 50 MB
    and the sender is told the limit."""
    since = len(rig.connector.activities(ANNE_CHAT))
    url = rig.host_file("huge.csv", b"9" * (64 * 1024), length_sent=length_sent, repeat=3200)
    assert rig.send_files([("huge.csv", url)])[0] == 200
    refused = answer(rig, ANNE_CHAT, since)
    assert "more than the 50 MB a single import accepts" in " ".join(activity_texts(refused))
    [(written, whole)] = rig.files.wait_for(lambda: rig.files.file(url).sent)
    assert whole is False and written < 100 * 1024 * 1024
    assert pending_uploads(demo_db) == 0


def test_a_cancelled_upload_loads_nothing_and_its_confirm_is_then_refused(rig, demo_db):
    preview, _ = send(rig, "figures.xlsx", workbook(("volunteer-hours", "2025-09", 40)))
    assert pending_uploads(demo_db) == 1
    cancelled = press(rig, preview, "Cancel")
    assert "Cancelled: figures.xlsx was discarded and nothing was loaded" in " ".join(activity_texts(cancelled))
    assert cancelled["id"] == preview["id"] and card_elements(the_card(cancelled), "ActionSet") == []
    assert pending_uploads(demo_db) == 0
    late = press(rig, preview, "Confirm import")
    assert "no longer waiting" in " ".join(activity_texts(late))
    assert late["id"] != preview["id"] and len(updates(rig)) == 1
    assert september_hours(demo_db) == [140] and posted_to_channel(rig) == []


def test_a_preview_teams_will_not_update_gets_its_answer_as_a_new_message_and_loads_once(rig, demo_db):
    preview, _ = send(rig, "figures.xlsx", workbook(("volunteer-hours", "2025-09", 40)))
    rig.connector.fail_next(404, kind="update", conversation_id=ANNE_CHAT)   # the preview was deleted meanwhile
    loaded = press(rig, preview, "Confirm import")
    assert "Loaded figures.xlsx" in " ".join(activity_texts(loaded))
    assert loaded["id"] != preview["id"]
    assert [r.status for r in updates(rig)] == [404]   # tried once: a 404 is not retried
    assert september_hours(demo_db) == [40]
