"""Case references only where they may be seen (DESIGN.md, "What is sensitive"): the allowed channels and the bot's
own direct message with an editor or admin. Everywhere else the same answer carries counts only and says where
the list can be seen: command answers, /digest preview, and digests posted to a channel that is not allowed."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.app import build_registry
from bot.slack.render import SUGGESTION_ACTION
from bot.render_text import render_text
from bot.settings import Settings
from bot.slack.app import WORKING, web_client
from bot.slack.transport import DIGEST_EVENT, SlackDigestTransport
from answers.response import Fact, Response, Table, counts_only, shows_cases
from digests.content import LISTS_CASES, digest_builder
from digests.delivery import DeliveryPolicy, run_due
from digests.schedule import occurrence_for
from tests.fake_slack import FakeSlack
from tests.slack_signing import block_actions_body, post_signed, slash_command_body
from tests.test_slack_e2e import SECRET, TOKEN, serving

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
ALLOWED = "C0GOV"
COUNTS_ONLY_HERE = ("Counts only here: the case list can be seen in <#C0GOV>, or in a direct message with me "
                    "if you are an editor or admin.")
# What the Slack path is checked for: the note without its channel mention, which each renderer formats its own way.
COUNTS_ONLY_MARK = "Counts only here: the case list can be seen in"
NOT_POSTED = "Shown to you only: `public` posts an answer about cases only where the case list can be seen."
# The open September cases of the bundled log, overdue (or due within the week) on the Panel day.
OVERDUE_ON_PANEL_DAY = ["CR-2025-0058", "CR-2025-0059", "CR-2025-0060", "CR-2025-0061", "CR-2025-0062",
                        "CR-2025-0063", "CR-2025-0064"]
DUE_SOON_ON_PANEL_DAY = ["CR-2025-0065", "CR-2025-0066"]
OPEN_CASES = OVERDUE_ON_PANEL_DAY + DUE_SOON_ON_PANEL_DAY


def _settings(db, **extra) -> Settings:
    return Settings(database_url=db.url, sensitive_channel_ids=ALLOWED, editor_user_ids="U0EDITOR",
                    admin_user_ids="U0ADMIN", _env_file=None, **extra)


def _named(text: str) -> list[str]:
    return [reference for reference in OPEN_CASES if reference in text]


# --- one function makes the counts-only answer ----------------------------------------------------------------

OVERDUE_LIST = Table(["Reference", "Due"], [["CR-1", "17 Oct 2025"], ["CR-2", "20 Oct 2025"]],
                     caption="and 1 more overdue, not shown", lists_cases=True)
SOON_LIST = Table(["Reference", "Due"], [["CR-4", "28 Oct 2025"]], lists_cases=True)
COUNTS = Table(["Month", "Received"], [["Sep 2025", "24"]])


def test_counts_only_takes_the_lists_out_and_keeps_the_counts():
    answer = Response(title="3 overdue", facts=[Fact("Overdue", "3"), Fact("Due in the next 7 days", "1")],
                      table=OVERDUE_LIST, notes=["A review is due 28 days after it is received."], public=True,
                      parts=[Response(title="Due in the next 7 days", table=SOON_LIST),
                             Response(title="Received by month", table=COUNTS)])
    assert counts_only(answer, "See it in #gov.") == Response(
        title="3 overdue", facts=[Fact("Overdue", "3"), Fact("Due in the next 7 days", "1")],
        notes=["A review is due 28 days after it is received.", "See it in #gov."], public=False,
        # the part that was only a list goes; a part of counts stays as it was
        parts=[Response(title="Received by month", table=COUNTS)])


def test_a_part_that_keeps_its_counts_says_where_its_list_is():
    """A digest: the complaint reviews part loses its lists (its own and its due-soon part) and says so itself."""
    reviews = Response(title="Complaint reviews: 3 overdue", facts=[Fact("Overdue", "3")], table=OVERDUE_LIST,
                       parts=[Response(title="Due in the next 7 days", table=SOON_LIST)])
    digest = Response(title="Weekly digest", notes=["Figures as of 27 Oct 2025."],
                      parts=[Response(title="Red and amber metrics", table=COUNTS), reviews])
    shown = counts_only(digest, "See it in #gov.")
    assert shown.notes == ["Figures as of 27 Oct 2025."]
    assert shown.parts == [Response(title="Red and amber metrics", table=COUNTS),
                           Response(title="Complaint reviews: 3 overdue", facts=[Fact("Overdue", "3")],
                                    notes=["See it in #gov."])]
    assert shows_cases(digest) and not shows_cases(shown)


def test_an_answer_that_is_only_a_list_keeps_its_title_and_says_where_the_list_is():
    only = Response(title="No reviews overdue", parts=[Response(title="Due in the next 7 days", table=SOON_LIST)])
    assert counts_only(only, "See it in #gov.") == Response(title="No reviews overdue", notes=["See it in #gov."])
    bare = Response(title="Cases", table=SOON_LIST)
    assert counts_only(bare, "See it in #gov.") == Response(title="Cases", notes=["See it in #gov."])


def test_an_answer_without_cases_comes_back_as_it_was():
    answer = Response(title="Complaint reviews", table=COUNTS, public=True, parts=[Response(title="x", table=COUNTS)])
    assert counts_only(answer, "See it in #gov.") is answer


# --- /reviews overdue: counts only outside the places that may see cases --------------------------------------

def test_reviews_overdue_outside_allowed_places_gives_the_counts_and_where_to_see_the_list(demo_db):
    registry = build_registry(_settings(demo_db), demo_db, clock=lambda: PANEL_DAY)
    shown = registry.run_line("/reviews overdue public", user_id="U0VIEWER", channel_id="C0GENERAL")
    assert shown.title == "7 complaint reviews overdue on 27 Oct 2025"
    assert {f.label: f.value for f in shown.facts} == {"Open on 27 Oct 2025": "9", "Overdue": "7",
                                                       "Due in the next 7 days": "2"}
    assert shown.table is None and shown.parts == []
    assert shown.notes == ["A review is due 28 days after it is received.", COUNTS_ONLY_HERE, NOT_POSTED]
    assert shown.public is False
    assert _named(render_text(shown)) == []
    # In the allowed channel the same request lists the cases, posted for the channel.
    listed = registry.run_line("/reviews overdue public", user_id="U0VIEWER", channel_id=ALLOWED)
    assert [row[0] for row in listed.table.rows] == OVERDUE_ON_PANEL_DAY
    assert [row[0] for row in listed.parts[0].table.rows] == DUE_SOON_ON_PANEL_DAY
    assert listed.public is True and COUNTS_ONLY_HERE not in listed.notes


# --- item 1: /digest preview -----------------------------------------------------------------------------------

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


# --- item 2: digests posted to a channel ------------------------------------------------------------------------

def test_a_digest_posted_to_a_channel_not_allowed_has_counts_only(demo_db):
    moment = {"now": PANEL_DAY - timedelta(days=7)}
    registry = build_registry(_settings(demo_db), demo_db, clock=lambda: moment["now"])
    lead = registry.run_line("/digest subscribe weekly <#C0LEAD|leadership>", user_id="U0ADMIN", channel_id="C0LEAD")
    assert lead.title == "<#C0LEAD> will get the weekly digest every Monday at 08:00 (Europe/London), counts only."
    assert lead.notes == ["It carries no case references: they go only to <#C0GOV>, and to editors and admins "
                          "in a direct message with me."]
    gov = registry.run_line("/digest subscribe weekly", user_id="U0ADMIN", channel_id=ALLOWED)
    assert gov.title == ("<#C0GOV> will get the weekly digest every Monday at 08:00 (Europe/London), "
                         "with case references (an allowed channel).")
    quarterly = registry.run_line("/digest subscribe quarterly", user_id="U0ADMIN", channel_id=ALLOWED)
    assert quarterly.title.endswith(", counts only (it lists no cases).")
    listed = registry.run_line("/digest list", user_id="U0ADMIN", channel_id="C0LEAD")
    assert [(row[0], row[1], row[3]) for row in listed.table.rows] == [
        ("<#C0LEAD>", "weekly", "counts only"), ("<#C0GOV>", "weekly", "case references"),
        ("<#C0GOV>", "quarterly", "counts only")]

    moment["now"] = PANEL_DAY   # Monday 27 Oct 2025, 09:00: the 08:00 weekly digest is due
    with FakeSlack() as fake:
        client = web_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake.api_url, _env_file=None))
        outcomes = run_due(demo_db, SlackDigestTransport(client), digest_builder(registry.context),
                           lambda: PANEL_DAY, DeliveryPolicy(), kind="weekly")
        assert sorted((o.channel_id, o.state) for o in outcomes) == [("C0GOV", "posted"), ("C0LEAD", "posted")]
        posted = {m["channel"]: m for m in fake.messages()
                  if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT}
        uploads = [{k: v for k, v in u.items() if k != "bytes"} for u in fake.uploads() if u["channel"] == "C0LEAD"]
    lead_text = json.dumps(posted["C0LEAD"])
    assert _named(lead_text) == [] and _named(json.dumps(uploads)) == []
    assert "Complaint reviews: 7 complaint reviews overdue on 27 Oct 2025" in posted["C0LEAD"]["text"]
    assert "Counts only in this channel: the case list is posted only to" in posted["C0LEAD"]["text"]
    assert _named(json.dumps(posted["C0GOV"]["blocks"])) == OPEN_CASES


def test_which_digests_list_cases_is_what_they_carry(demo_db):
    """/digest subscribe says a quarterly digest lists no case: pinned to what the builders make."""
    context = build_registry(_settings(demo_db), demo_db, clock=lambda: PANEL_DAY).context
    build = digest_builder(context)
    for kind in ("weekly", "quarterly"):
        digest = build(occurrence_for(kind, PANEL_DAY.date()))
        assert digest.held_reason is None
        assert shows_cases(digest.message) is LISTS_CASES[kind]
        assert digest.for_channel(ALLOWED) is digest
        assert not shows_cases(digest.for_channel("C0LEAD").message)
    # A digest rendered for one channel of counts is the one every such channel gets (rendered once).
    assert digest.for_channel("C0LEAD") is digest.for_channel("C0OTHER")
    weekly = build(occurrence_for("weekly", PANEL_DAY.date())).for_channel("C0LEAD")
    reviews = next(p for p in weekly.message.parts if p.title.startswith("Complaint reviews:"))
    assert reviews.title == "Complaint reviews: 7 complaint reviews overdue on 27 Oct 2025"
    assert {f.label: f.value for f in reviews.facts}["Due in the next 7 days"] == "2"
    assert reviews.table is None and reviews.parts == []
    assert reviews.notes[-1] == ("Counts only in this channel: the case list is posted only to <#C0GOV>; editors "
                                 "and admins can also see it with /reviews overdue in a direct message with me.")


# --- item 3: the bot's own direct message, as Slack says it is ---------------------------------------------------

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

