"""Case references only where they may be seen, through Slack: /digest preview and its button, a digest posted to
Slack's channels, and the bot's own direct message as Slack says it is (never guessed from a D). The rules
themselves, on the responses: tests/test_case_references.py."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.app import build_registry
from bot.settings import Settings
from bot.slack.app import WORKING, web_client
from bot.slack.render import SUGGESTION_ACTION
from bot.slack.transport import DIGEST_EVENT, SlackDigestTransport
from digests.content import digest_builder
from digests.delivery import DeliveryPolicy, run_due
from tests.fake_slack import FakeSlack
from tests.slack_signing import block_actions_body, post_signed, slash_command_body
from tests.test_case_references import ALLOWED, NOT_POSTED, OPEN_CASES, PANEL_DAY, _named, _settings
from tests.test_slack_e2e import SECRET, TOKEN, serving

# What the Slack path is checked for: the note up to its channel mention.
COUNTS_ONLY_MARK = "Counts only here: the case list can be seen in"


# --- /digest preview -----------------------------------------------------------------------------------

@pytest.fixture
def slack(demo_db):
    """The app in HTTP mode against the fake Slack: (events URL, fake Slack)."""
    with FakeSlack() as fake:
        settings = _settings(demo_db, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake.api_url)
        with serving(settings, build_registry(settings, demo_db, clock=lambda: PANEL_DAY)) as events:
            yield events, fake


def _preview(events, fake, channel, name, user="U0VIEWER") -> dict:
    body = slash_command_body("/digest", "preview weekly", user_id=user, channel_id=channel,
                              response_url=fake.response_url(name))
    assert json.loads(post_signed(events, body, SECRET).body)["text"] == WORKING
    return fake.wait_for(lambda: fake.responses(name), timeout=60)[0]


def test_digest_preview_by_a_viewer_in_a_channel_not_allowed_has_counts_only(slack):
    events, fake = slack
    preview = _preview(events, fake, "C0GENERAL", "general")
    text = json.dumps(preview)
    assert _named(text) == []
    assert "Complaint reviews: 7 complaint reviews overdue on 27 Oct 2025" in preview["text"]
    assert COUNTS_ONLY_MARK in preview["text"]
    # A button carrying the same text is answered the same way.
    click = block_actions_body(SUGGESTION_ACTION.format(index=0), value="/digest preview weekly", user_id="U0VIEWER",
                               channel_id="C0GENERAL", response_url=fake.response_url("click"))
    assert post_signed(events, click, SECRET).status == 200
    clicked = fake.wait_for(lambda: fake.responses("click"), timeout=60)[0]
    assert _named(json.dumps(clicked)) == [] and COUNTS_ONLY_MARK in clicked["text"]
    # The charts went to the viewer alone, and name no case either.
    uploads = fake.wait_for(lambda: [u for u in fake.uploads() if u.get("channels")] or None, timeout=60)
    assert {u["channel"] for u in uploads} == {"U0VIEWER"}
    assert _named(json.dumps([{k: v for k, v in u.items() if k != "bytes"} for u in uploads])) == []


def test_digest_preview_in_the_allowed_channel_lists_the_cases(slack):
    events, fake = slack
    preview = _preview(events, fake, ALLOWED, "gov")
    assert _named(json.dumps(preview["blocks"])) == OPEN_CASES
    assert COUNTS_ONLY_MARK not in json.dumps(preview)


# --- digests posted to Slack's channels -------------------------------------------------------------------------

def test_a_digest_posted_to_a_slack_channel_not_allowed_has_counts_only_and_links_the_allowed_one(demo_db):
    moment = {"now": PANEL_DAY - timedelta(days=7)}
    registry = build_registry(_settings(demo_db), demo_db, clock=lambda: moment["now"])
    with FakeSlack() as fake:
        client = web_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake.api_url, _env_file=None))
        transport = SlackDigestTransport(client)
        for channel in ("C0LEAD", ALLOWED):
            subscribed = registry.run_line("/digest subscribe weekly", user_id="U0ADMIN", channel_id=channel,
                                           platform=transport.name)
            assert "will get the weekly digest" in subscribed.title
        moment["now"] = PANEL_DAY   # Monday 27 Oct 2025, 09:00: the 08:00 weekly digest is due
        outcomes = run_due(demo_db, transport, digest_builder(registry.context), lambda: PANEL_DAY, DeliveryPolicy(),
                           kind="weekly")
        assert sorted((o.channel_id, o.state) for o in outcomes) == [("C0GOV", "posted"), ("C0LEAD", "posted")]
        posted = {m["channel"]: m for m in fake.messages()
                  if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT}
        uploads = [{k: v for k, v in u.items() if k != "bytes"} for u in fake.uploads() if u["channel"] == "C0LEAD"]
    lead_text = json.dumps(posted["C0LEAD"])
    assert _named(lead_text) == [] and _named(json.dumps(uploads)) == []
    assert "Complaint reviews: 7 complaint reviews overdue on 27 Oct 2025" in posted["C0LEAD"]["text"]
    assert "Counts only in this channel: the case list is posted only to <#C0GOV>;" in posted["C0LEAD"]["text"]
    blocks = posted["C0GOV"]["blocks"]
    assert _named(blocks if isinstance(blocks, str) else json.dumps(blocks)) == OPEN_CASES


# --- the bot's own direct message, as Slack says it is ---------------------------------------------------

def _ask(events, fake, text, user, channel, name) -> dict:
    body = slash_command_body("/reviews", text, user_id=user, channel_id=channel, channel_name="directmessage",
                              response_url=fake.response_url(name))
    answer = post_signed(events, body, SECRET)
    assert answer.status == 200
    return json.loads(answer.body)


def test_case_lists_in_direct_messages_go_by_what_slack_says_the_conversation_is(slack):
    events, fake = slack
    fake.open_direct_message("D0EDITOR", "U0EDITOR")     # the bot's own DM with the editor
    fake.open_direct_message("D0VIEWER", "U0VIEWER")     # the bot's own DM with someone without a role
    fake.make_guest("U0GUEST")
    # An editor in the bot's own direct message sees the cases.
    own = _ask(events, fake, "overdue", "U0EDITOR", "D0EDITOR", "own")
    assert _named(own["text"]) == OPEN_CASES
    # In a direct message between two people (Slack says the bot is not in it), the same editor gets counts only,
    # and `public` posts nothing there for the other person to see.
    others = _ask(events, fake, "overdue public", "U0EDITOR", "D0PEOPLE", "others")
    assert others["response_type"] == "ephemeral"
    assert _named(json.dumps(others)) == []
    assert "7 complaint reviews overdue on 27 Oct 2025" in others["text"] and COUNTS_ONLY_MARK in others["text"]
    assert NOT_POSTED in others["text"]
    # Someone without a role gets counts only even in the bot's own direct message with them.
    viewer = _ask(events, fake, "overdue", "U0VIEWER", "D0VIEWER", "viewer")
    assert _named(json.dumps(viewer)) == [] and COUNTS_ONLY_MARK in viewer["text"]
    # A guest in the two people's direct message is refused.
    guest = _ask(events, fake, "overdue public", "U0GUEST", "D0PEOPLE", "guest")
    assert guest["text"].startswith("Sorry, kpibot is not available to guest accounts.")
    assert _named(json.dumps(guest)) == []
    assert fake.messages("D0PEOPLE") == [] and [r for r in fake.responses() if _named(json.dumps(r))] == []
    # Slack was asked what each conversation is, not guessed from its D.
    asked = {call.params.get("channel") for call in fake.calls("conversations.info")}
    assert {"D0EDITOR", "D0PEOPLE", "D0VIEWER"} <= asked

