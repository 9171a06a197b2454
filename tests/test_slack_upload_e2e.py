"""Figures from chat, end to end: the real Bolt app in HTTP mode, wired as `kpibot serve` wires it, against the fake
Slack. An admin subscribes #leaders to RAG alerts; an editor drops an Excel file into the bot's direct message,
sees what it would change, confirms, and #leaders is told once that volunteer hours turned Red.

The demo data's volunteer hours for Jul-Sep 2025 are 48, 52 and 52 hours against a baseline of 75 (Red). With
September loaded as 140, the quarter averages (48 + 52 + 140) / 3 = 80 hours, over 75 + 5% = 78.75: Green. The
upload puts September back to 40: (48 + 52 + 40) / 3 = 46.7 hours, Red again, a turn worse from Green.
"""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.slack.app import build_slack_app
from bot.slack.http_server import SlackHTTPServer
from bot.wiring import build_kpibot
from storage.audit import entries
from storage.importers.load import load
from storage.models import MetricRow, ObservationRow, PendingUploadRow
from tests.figure_files import workbook
from tests.conftest import PANEL_DAY
from tests.fake_slack import DOWNLOAD, FakeSlack
from tests.slack_signing import block_actions_body, file_share_event, post_event, post_signed, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-0000-test-token"
ADMIN, EDITOR, VIEWER = "U0ADMIN", "U0EDITOR", "U0VIEWER"
EDITOR_DM, VIEWER_DM = "D0EDITOR", "D0VIEWER"
LEADERS = "C0LEADERS"
TURNED_RED = "Volunteer hours turned Red (was Green)"


@pytest.fixture
def slack(demo_db, tmp_path):
    """(events URL, fake Slack, database) with #leaders subscribed to RAG alerts and September's volunteer hours
    loaded as 140 (Green)."""
    with FakeSlack(bot_token=TOKEN) as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, admin_user_ids=ADMIN, editor_user_ids=EDITOR,
                            sensitive_channel_ids="C0GOV", _env_file=None)
        root = build_kpibot(settings, demo_db, clock=lambda: PANEL_DAY, metrics=True)   # as `kpibot serve`
        server = SlackHTTPServer(build_slack_app(settings, root.registry, platform=root.slack), "127.0.0.1", 0)
        server.start_in_thread()
        url = f"http://127.0.0.1:{server.port}/slack/events"
        fake.open_direct_message(EDITOR_DM, EDITOR)
        fake.open_direct_message(VIEWER_DM, VIEWER)
        try:
            body = slash_command_body("/alert", f"subscribe rag <#{LEADERS}|leaders>", user_id=ADMIN,
                                      response_url=fake.response_url("alert"))
            subscribed = post_signed(url, body, SECRET)
            assert subscribed.status == 200 and f"<#{LEADERS}>" in json.loads(subscribed.body)["text"]
            first = tmp_path / "september.csv"
            first.write_text("metric,period,value\nvolunteer-hours,2025-09,140\n", encoding="utf-8")
            with demo_db.session() as session:
                load(session, "observations", first, "U0ANALYST", PANEL_DAY)
            kpi = post_signed(url, slash_command_body("/kpi", "volunteer-hours", response_url=fake.response_url()),
                              SECRET)
            assert ":large_green_circle: Green" in json.dumps(json.loads(kpi.body)["blocks"])
            yield url, fake, demo_db
        finally:
            server.shutdown()
            server.server_close()


def september_hours(db) -> list[float]:
    with db.session() as session:
        query = (select(ObservationRow.value).join(MetricRow, MetricRow.id == ObservationRow.metric_id)
                 .where(MetricRow.slug == "volunteer-hours", ObservationRow.period == "2025-09"))
        return list(session.scalars(query))


def observations(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ObservationRow))


def drop(url: str, fake: FakeSlack, name: str, content: bytes, user: str = EDITOR, channel: str = EDITOR_DM) -> dict:
    """Share a file in `channel` and wait for the bot's answer there."""
    before = len(fake.messages(channel))
    file = fake.add_file(name, content, user=user)
    assert post_event(url, file_share_event([file], user, channel), SECRET).status == 200
    return fake.wait_for(lambda: fake.messages(channel)[before:], timeout=20)[0]


def press(url: str, fake: FakeSlack, message: dict, label: str, name: str, user: str = EDITOR,
          channel: str = EDITOR_DM) -> dict:
    """Click the button labelled `label` on `message` and wait for the answer (in its place, or a refusal beside it)."""
    button, = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["text"]["text"] == label]
    click = block_actions_body(button["action_id"], value=button["value"], button_text=label, user_id=user,
                               channel_id=channel, message_ts=message["ts"], response_url=fake.response_url(name))
    assert post_signed(url, click, SECRET).status == 200
    return fake.wait_for(lambda: fake.responses(name), timeout=20)[0]


def leaders_told(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.messages(LEADERS) if TURNED_RED in m["text"]]


def test_an_editors_excel_upload_previews_confirms_loads_audits_and_alerts_once(slack):
    url, fake, db = slack
    content = workbook(("volunteer-hours", "2025-09", 40))
    preview = drop(url, fake, "volunteer-hours-sep.xlsx", content)
    shown = preview["text"] + json.dumps(preview["blocks"])
    assert "Volunteer hours, Sep 2025: 140 hours -&gt; 40 hours" in shown   # "->", escaped as Slack reads it
    assert "Volunteer hours turns Red (was Green)" in shown
    assert september_hours(db) == [140]                      # nothing is loaded by the preview
    assert fake.messages(LEADERS) == []

    loaded = press(url, fake, preview, "Confirm import", "confirm")
    assert loaded["replace_original"] is True and "Loaded volunteer-hours-sep.xlsx" in loaded["text"]
    assert september_hours(db) == [40]
    sha256 = hashlib.sha256(content).hexdigest()
    audited = [e for e in entries(db) if e.action == "upload confirmed"]
    assert len(audited) == 1 and "volunteer-hours-sep.xlsx" in audited[0].detail and sha256 in audited[0].detail
    assert audited[0].actor == EDITOR
    told = leaders_told(fake)
    assert len(told) == 1 and len(fake.messages(LEADERS)) == 1

    count = observations(db)
    again = press(url, fake, preview, "Confirm import", "confirm-again")
    assert "Loaded" not in again["text"] and "Nothing more was loaded" in again["text"]
    # Said beside the message, not in its place: the message still says what the first click loaded.
    assert again["replace_original"] is False and again["response_type"] == "ephemeral"
    assert observations(db) == count and september_hours(db) == [40]
    assert len(fake.messages(LEADERS)) == 1
    assert len([e for e in entries(db) if e.action == "upload confirmed"]) == 1


def test_a_file_with_a_bad_row_is_answered_with_its_row_and_column_and_nothing_is_written(slack):
    url, fake, db = slack
    count = observations(db)
    answer = drop(url, fake, "bad.xlsx", workbook(("volunteer-hours", "2025-09", "lots")))
    text = answer["text"]
    assert "bad.xlsx was not loaded: nothing was written or kept." in text
    assert "bad.xlsx, row 2, column value: 'lots' is not a number" in text   # the header is row 1
    assert not [b for b in answer["blocks"] if b["type"] == "actions"]
    assert observations(db) == count and september_hours(db) == [140]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PendingUploadRow)) == 0


def test_a_viewers_upload_is_refused_and_never_fetched(slack):
    url, fake, db = slack
    answer = drop(url, fake, "figures.xlsx", workbook(("volunteer-hours", "2025-09", 40)), user=VIEWER,
                  channel=VIEWER_DM)
    assert "That needs the editor role" in answer["text"]
    assert fake.calls(DOWNLOAD) == []
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PendingUploadRow)) == 0


def test_a_cancelled_upload_is_not_kept_and_loads_nothing(slack):
    url, fake, db = slack
    preview = drop(url, fake, "figures.xlsx", workbook(("volunteer-hours", "2025-09", 40)))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PendingUploadRow)) == 1
    cancelled = press(url, fake, preview, "Cancel", "cancel")
    assert cancelled["replace_original"] is True
    assert "Cancelled: figures.xlsx was discarded and nothing was loaded" in cancelled["text"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PendingUploadRow)) == 0
    late = press(url, fake, preview, "Confirm import", "late")
    assert "no longer waiting" in late["text"] and late["replace_original"] is False
    assert september_hours(db) == [140] and fake.messages(LEADERS) == []
