"""Slack markup in stored text is shown as text: a CSP area or a case reference carrying <!channel>, <!here>,
a user mention or a link reaches neither the blocks nor the message's text (what Slack notifies with) raw.
The only links are the bot's own mention tokens, written by the Slack renderer."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from bot.app import build_registry
from bot.slack.render import escape_mrkdwn, render_message
from bot.settings import Settings
from bot.slack.app import web_client
from bot.slack.transport import SlackDigestTransport
from answers.response import Fact, Response
from digests.content import digest_builder
from digests.delivery import DeliveryPolicy, Target, deliver
from digests.schedule import Schedule, weekly_occurrence
from storage.addresses import Address
from storage.importers.csp import import_csp_allocations, import_csp_spend
from storage.importers.reviews import import_reviews
from tests.fake_slack import FakeSlack

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)   # a Monday
AREA = "<!channel> <https://evil.example/login|Re-authenticate here>"
AREA_SHOWN = "&lt;!channel&gt; &lt;https://evil.example/login|Re-authenticate here&gt;"
REFERENCE = "CR-2025-0999 <!here> <@U0VICTIM>"
REFERENCE_SHOWN = "CR-2025-0999 &lt;!here&gt; &lt;@U0VICTIM&gt;"
PROJECT_SHOWN = "Project &amp; &lt;b&gt;"
RAW = ("<!channel>", "<!here>", "<@U", "<https://")
GOVERNANCE = "C0GOV"   # allowed to see case references
LEADERSHIP = "C0LEAD"  # subscribed, but not allowed


@pytest.fixture
def loaded(demo_db, tmp_path):
    """The bundled figures plus an area and a case whose names carry Slack markup, through the real importers."""
    allocations = tmp_path / "allocations.csv"
    allocations.write_text(f"area,year,allocation\n{AREA},2025/26,1000.00\n", encoding="utf-8")
    spend = tmp_path / "spend.csv"
    spend.write_text(f"date,area,project,amount\n2025-05-01,{AREA},Project & <b>,10.00\n", encoding="utf-8")
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(f"reference,received,completed,outcome,learning\n{REFERENCE},2025-09-01,,,no\n",
                       encoding="utf-8")
    with demo_db.session() as session:
        import_csp_allocations(session, allocations, "tester", PANEL_DAY)
        import_csp_spend(session, spend, "tester", PANEL_DAY)
        import_reviews(session, reviews, "tester", PANEL_DAY)
    settings = Settings(database_url=demo_db.url, sensitive_channel_ids=GOVERNANCE, _env_file=None)
    return build_registry(settings, demo_db, clock=lambda: PANEL_DAY), settings


def assert_no_raw_markup(message: dict) -> None:
    sent = json.dumps(message, ensure_ascii=False)
    for markup in RAW:
        assert markup not in sent, f"{markup} reaches Slack raw"


def block_texts(blocks: list[dict]) -> list[str]:
    """Every text a person can read in the blocks, in order."""
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"]["text"] if isinstance(e.get("text"), dict) else e.get("text", "")
                  for e in block.get("elements", [])]
    return texts


def in_blocks(text: str, message: dict) -> bool:
    return any(text in shown for shown in block_texts(message["blocks"]))


def test_csp_balances_show_the_area_escaped_in_blocks_and_notification(loaded):
    registry, _ = loaded
    message = render_message(registry.run_line("/csp", channel_id=LEADERSHIP))
    # The table row as render_table lays it out: the area's 60 characters set the column's width.
    row = f"{AREA_SHOWN}  £1,000.00    £10.00       £990.00      1%       Lagging"
    lagging = f"Spend lags the year in: SNWLP; Harborough; Oadby and Wigston; {AREA_SHOWN}."
    for shown in (row, lagging):
        assert shown in message["text"]
        assert in_blocks(shown, message)
    assert_no_raw_markup(message)


def test_an_areas_own_answer_puts_its_title_in_escaped_bold_not_a_raw_header(loaded):
    registry, _ = loaded
    message = render_message(registry.run_line("/csp re-authenticate", channel_id=LEADERSHIP))
    title = f"CSP {AREA_SHOWN}: £990.00 remaining of £1,000.00 (2025/26, as of 27 Oct 2025)"
    assert message["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}
    assert message["text"].startswith(title + "\n")
    assert "1 May 2025  " + PROJECT_SHOWN + "  £10.00" in message["text"]
    assert in_blocks("1 May 2025  " + PROJECT_SHOWN + "  £10.00", message)
    assert_no_raw_markup(message)


def test_a_choice_of_areas_offers_no_button_carrying_markup(loaded):
    registry, _ = loaded
    message = render_message(registry.run_line("/csp h", channel_id=LEADERSHIP))
    title = f"'h' could be more than one CSP area: Hinckley and Bosworth, Harborough, {AREA_SHOWN}."
    assert message["text"].startswith(title)
    assert in_blocks(f":warning: {title}", message)
    buttons = [b for b in message["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        ("Hinckley and Bosworth", "/csp Hinckley and Bosworth"), ("Harborough", "/csp Harborough")]
    assert_no_raw_markup(message)


def test_the_overdue_list_shows_the_reference_escaped(loaded):
    registry, _ = loaded
    message = render_message(registry.run_line("/reviews overdue", channel_id=GOVERNANCE))
    # Received 1 Sep 2025, due 28 days later on 29 Sep, 28 days overdue on 27 Oct; the demo log has 7 more.
    row = f"{REFERENCE_SHOWN}  1 Sep 2025   29 Sep 2025  28"
    assert message["text"].startswith("8 complaint reviews overdue on 27 Oct 2025\n")
    assert row in message["text"] and in_blocks(row, message)
    assert_no_raw_markup(message)


def test_the_weekly_digest_posted_to_slack_carries_no_raw_markup(loaded):
    registry, settings = loaded
    occurrence = replace(weekly_occurrence(Schedule("weekly"), date(2025, 10, 27)), as_of=date(2025, 10, 27))
    digest = digest_builder(registry.context)(occurrence)
    assert digest.held_reason is None
    with FakeSlack() as fake:
        client = web_client(settings.model_copy(update={"slack_bot_token": "xoxb-test", "slack_api_url": fake.api_url}))
        transport = SlackDigestTransport(client)
        for channel in (GOVERNANCE, LEADERSHIP):
            outcome = deliver(registry.context.db, transport, Target(Address(transport.name, channel)), occurrence, lambda: digest,
                              lambda: PANEL_DAY, DeliveryPolicy(), "test")
            assert outcome.state == "posted"
        posted = {call.params["channel"]: _message(call.params) for call in fake.calls("chat.postMessage")}
    for message in posted.values():
        assert_no_raw_markup(message)
        assert in_blocks(AREA_SHOWN, message)   # CSP areas lagging (the text stops short of it, at 3,000)
    row = f"{REFERENCE_SHOWN}  1 Sep 2025   29 Sep 2025  28"
    assert row in posted[GOVERNANCE]["text"] and in_blocks(row, posted[GOVERNANCE])
    leadership = posted[LEADERSHIP]
    assert "CR-2025-0999" not in json.dumps(leadership)   # counts only there, and the note says where
    assert "the case list is posted only to <#C0GOV>;" in leadership["text"]
    assert in_blocks("the case list is posted only to <#C0GOV>;", leadership)


def _message(params: dict) -> dict:
    """The text and blocks of a chat.postMessage as the fake received them (blocks may come JSON-encoded)."""
    blocks = params["blocks"]
    return {"text": params["text"], "blocks": blocks if isinstance(blocks, list) else json.loads(blocks)}


def test_the_bots_own_channel_mention_links_in_blocks_and_notification_alike(loaded):
    registry, _ = loaded
    message = render_message(registry.run_line("/reviews overdue", user_id="U0VIEWER", channel_id=LEADERSHIP))
    # Counts only here; the note names the allowed channel as a mention, the same in both.
    assert "<#C0GOV>" in message["text"] and in_blocks("<#C0GOV>", message)
    assert "&lt;#C0GOV&gt;" not in json.dumps(message)
    # Channel markup from data or typed is never the bot's, labelled or not: it stays text.
    for typed in ("<#C0GOV|Re-authenticate here>", "<#C0GOV>"):
        forged = render_message(Response(title="t", facts=[Fact("Area", typed)]))
        shown = typed.replace("<", "&lt;").replace(">", "&gt;")
        assert shown in forged["text"] and "<#" not in json.dumps(forged)
        assert forged["blocks"][1]["fields"][0]["text"] == f"*Area*\n{shown}"


def test_escape_mrkdwn_is_for_any_text_shown_as_mrkdwn():
    assert escape_mrkdwn("Trend <!here> & <@U0X> \x07") == "Trend &lt;!here&gt; &amp; &lt;@U0X&gt; "
    assert escape_mrkdwn("<#C0GOV>") == "&lt;#C0GOV&gt;"   # only the bot's mention tokens become links


def test_an_uploads_comment_carries_a_chart_title_from_data_inert_and_its_file_name_safe():
    # the comment of a chart upload is mrkdwn that Slack notifies on; the title comes from the catalog's names
    from bot.slack.app import SlackCommands
    from commands.registry import CommandRequest
    from answers.response import Chart, Response

    class Client:
        def __init__(self):
            self.uploads = []

        def files_upload_v2(self, **upload):
            self.uploads.append(upload)

    client = Client()
    commands = SlackCommands.__new__(SlackCommands)
    response = Response(title="t", charts=[Chart("<!channel> trend", b"\x89PNG", "alt", "../<!here>.png")])
    commands._send(response, CommandRequest("/kpi", "x", "U0ASKER", "C0GOV"), lambda **kw: None, client)
    assert client.uploads[0]["initial_comment"] == "&lt;!channel&gt; trend (asked for by <@U0ASKER>)"
    assert client.uploads[0]["filename"] == "here.png"
