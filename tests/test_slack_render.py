"""Block Kit answers stay inside Slack's limits whatever their size, and always carry a plain-text fallback."""
from __future__ import annotations

import json
import re

from hypothesis import given, settings, strategies as st

from answers.mentions import conversation, person
from answers.response import Fact, Response, Table
from bot.slack.render import posted_message, render_message

LIMITS = {"blocks": 50, "section_text": 3000, "fields": 10, "field_text": 2000, "header_text": 150}
# The only markup a message may carry: the bot's own mentions, written from its tokens, an ID without a label.
BOTS_MENTION = re.compile(r"<#[CGD][A-Z0-9]+>|<@[UW][A-Z0-9]+>")


def assert_within_slack_limits(message: dict) -> None:
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= LIMITS["blocks"]
    assert message["text"].strip()
    for block in blocks:
        if block["type"] == "header":
            assert 1 <= len(block["text"]["text"].strip()) and len(block["text"]["text"]) <= LIMITS["header_text"]
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert len(block["text"]["text"]) <= LIMITS["section_text"]
            fields = block.get("fields", [])
            assert len(fields) <= LIMITS["fields"]
            assert all(0 < len(f["text"].strip()) and len(f["text"]) <= LIMITS["field_text"] for f in fields)
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(e["text"].strip() for e in block["elements"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
    json.dumps(message)  # serialisable as Slack receives it


def test_a_kpi_answer_renders_facts_as_fields_with_rag_in_words():
    response = Response(title="Volunteer hours: 50.7 hours (Jul-Sep 2025)",
                        facts=[Fact("Last 3 months (Jul-Sep 2025)", "50.7 hours"), Fact("RAG", "Red")])
    message = render_message(response)
    assert_within_slack_limits(message)
    assert message["response_type"] == "ephemeral"
    fields = message["blocks"][1]["fields"]
    assert fields[1]["text"] == "*RAG*\n:red_circle: Red"  # colour and the word
    assert "Volunteer hours: 50.7 hours" in message["text"]


def test_a_huge_table_is_split_and_then_truncated_with_a_note():
    rows = [[f"Area {i}", "£1,000.00", "x" * 120] for i in range(2000)]
    message = render_message(Response(title="CSP", table=Table(["Area", "Allocation", "Notes"], rows)))
    assert_within_slack_limits(message)
    assert len(message["blocks"]) == 50
    assert "Answer shortened to fit in Slack" in message["blocks"][-1]["elements"][0]["text"]


def test_public_answers_go_in_channel_and_markup_is_escaped():
    message = render_message(Response(title="t", facts=[Fact("<!channel>", "a & b")], public=True))
    assert message["response_type"] == "in_channel"
    assert "&lt;!channel&gt;" in message["blocks"][1]["fields"][0]["text"]


def _text_objects(value) -> list[dict]:
    if isinstance(value, dict):
        found = [value] if value.get("type") in ("mrkdwn", "plain_text") else []
        return found + [t for item in value.values() for t in _text_objects(item)]
    if isinstance(value, list):
        return [t for item in value for t in _text_objects(item)]
    return []


def assert_markup_inert(message: dict) -> None:
    """No < or > outside the bot's own channel mentions in the text or any text object (plain_text too), and in
    mrkdwn no & that does not start an entity. Button values are not shown: they come back as commands."""
    shown = [("mrkdwn", message["text"])] + [(t["type"], t["text"]) for t in _text_objects(message["blocks"])]
    for kind, string in shown:
        bare = BOTS_MENTION.sub("", string)
        assert "<" not in bare and ">" not in bare, string
        if kind == "mrkdwn":
            assert not re.search(r"&(?!amp;|lt;|gt;)", bare), string


def test_the_notification_text_is_escaped_as_the_blocks_are():
    response = Response(title="CSP <!channel> & co", facts=[Fact("Reference", "CR-1 <!here> <@U0X>")],
                        notes=[f"Ask in {conversation('C0GOV')}."])
    message = render_message(response)
    assert message["text"] == ("CSP &lt;!channel&gt; &amp; co\n  Reference  CR-1 &lt;!here&gt; &lt;@U0X&gt;\n\n"
                               "Ask in <#C0GOV>.")
    assert message["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": "*CSP &lt;!channel&gt; &amp; co*"}}
    assert message["blocks"][1]["fields"][0]["text"] == "*Reference*\nCR-1 &lt;!here&gt; &lt;@U0X&gt;"
    assert message["blocks"][2]["elements"][0]["text"] == "Ask in <#C0GOV>."
    assert_markup_inert(message)


def test_mention_tokens_become_slack_links_after_the_text_around_them_is_escaped():
    response = Response(title="Subscriptions", facts=[Fact("Asked by", f"{person('U0ASKER')} <b>")],
                        notes=[f"{conversation('C0GOV')} & {conversation('G0PRIVATE')} get it"])
    message = render_message(response)
    assert message["blocks"][1]["fields"][0]["text"] == "*Asked by*\n<@U0ASKER> &lt;b&gt;"
    assert message["blocks"][2]["elements"][0]["text"] == "<#C0GOV> &amp; <#G0PRIVATE> get it"
    assert message["text"] == "Subscriptions\n  Asked by  <@U0ASKER> &lt;b&gt;\n\n<#C0GOV> &amp; <#G0PRIVATE> get it"


def test_a_token_whose_id_has_not_slacks_shape_is_plain_text_never_a_link():
    response = Response(title="t", notes=[f"Ask in {conversation('C_PANEL')}, {conversation('c0gov|x')}, "
                                          f"{conversation('#general')} or ask {person('console')}."])
    note = render_message(response)["blocks"][1]["elements"][0]["text"]
    assert note == "Ask in #C_PANEL, #c0gov|x, ##general or ask @console."
    # an id with markup in it is escaped before it is written out: it cannot close or open a link
    odd = render_message(Response(title="t", notes=[conversation("C0>|<!here")]))
    assert odd["blocks"][1]["elements"][0]["text"] == "#C0&gt;|&lt;!here"


def test_channel_markup_typed_by_people_is_escaped_like_any_other():
    """The bot's own tokens are the only mentions that link: `<#C0GOV>` in data or typed text is characters."""
    message = render_message(Response(title="t", facts=[Fact("Area", "<#C0GOV>")], notes=["see <#C0GOV|gov>"]))
    assert message["blocks"][1]["fields"][0]["text"] == "*Area*\n&lt;#C0GOV&gt;"
    assert message["blocks"][2]["elements"][0]["text"] == "see &lt;#C0GOV|gov&gt;"
    assert "<#" not in message["text"]


def test_a_title_with_a_mention_is_set_in_bold_so_that_the_mention_links():
    message = render_message(Response(title=f"{conversation('C0LEAD')} will get the weekly digest"))
    assert message["blocks"][0] == {"type": "section",
                                    "text": {"type": "mrkdwn", "text": "*<#C0LEAD> will get the weekly digest*"}}
    assert message["text"] == "<#C0LEAD> will get the weekly digest"


def test_a_table_cell_with_a_mention_links_in_the_table_and_the_notification():
    table = Table(["Channel", "Digest"], [[conversation("C0GOV"), "weekly"]])
    message = render_message(Response(title="Subscriptions", table=table))
    # Slack shows the channel's name, whose width nobody knows here: the column is as wide as the token was
    assert message["blocks"][1]["text"]["text"] == ("```Channel               Digest\n"
                                                    "--------------------  ------\n<#C0GOV>  weekly```")
    assert "<#C0GOV>  weekly" in message["text"]


def test_a_suggestion_with_a_mention_gets_no_button():
    message = render_message(Response(title="t", suggestions=["/kpi calls", f"/digest list {conversation('C0X1')}"]))
    buttons = [b for b in message["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [b["value"] for b in buttons] == ["/kpi calls"]


def test_a_posted_message_is_the_reply_without_its_response_type():
    response = Response(title="Weekly digest", notes=[conversation("C0GOV")], public=True)
    assert posted_message(response) == {k: v for k, v in render_message(response).items() if k != "response_type"}
    assert "response_type" not in posted_message(response)


def test_a_plain_title_is_still_a_header():
    message = render_message(Response(title="Hinckley & Bosworth: £14,874.55 remaining"))
    assert message["blocks"][0]["type"] == "header"
    assert message["blocks"][0]["text"]["text"] == "Hinckley & Bosworth: £14,874.55 remaining"
    assert message["text"] == "Hinckley &amp; Bosworth: £14,874.55 remaining"


def test_a_shortened_notification_never_ends_in_half_an_entity():
    # 2,997 x's and an ampersand: escaped, the cut at 2,999 characters falls inside "&amp;".
    message = render_message(Response(title="x" * 2997 + "& more"))
    assert message["text"] == "x" * 2997 + "…"


def test_control_characters_never_reach_slack():
    message = render_message(Response(title="Note\x07", notes=["\x00", "Visits resumed\x07 in August"]))
    assert message["text"] == "Note\n\nVisits resumed in August"   # the note that was only a NUL: a blank line
    assert message["blocks"][1]["elements"] == [{"type": "mrkdwn", "text": "Visits resumed in August"}]


text = st.text(max_size=400)


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(min_size=1, max_size=500),
    facts=st.lists(st.tuples(text, text), max_size=40),
    rows=st.lists(st.lists(st.text(max_size=80), min_size=3, max_size=3), max_size=150),
    notes=st.lists(text, max_size=25),
    suggestions=st.lists(st.text(min_size=1, max_size=120), max_size=8),
    is_error=st.booleans(),
)
def test_any_response_fits_slack(title, facts, rows, notes, suggestions, is_error):
    response = Response(title=title, facts=[Fact(a, b) for a, b in facts],
                        table=Table(["A", "B", "C"], rows) if rows else None, notes=notes,
                        suggestions=suggestions, is_error=is_error)
    message = render_message(response)
    assert_within_slack_limits(message)
    assert_markup_inert(message)
    assert "<#" not in json.dumps(message)   # typed channel markup never links: only the bot's tokens do


markup = st.text(alphabet="<>&!#@CGU0|;: xhere\x07\n", max_size=60)


@settings(max_examples=200, deadline=None)
@given(title=markup, facts=st.lists(st.tuples(markup, markup), max_size=5), notes=st.lists(markup, max_size=5),
       cells=st.lists(markup, min_size=2, max_size=2), suggestions=st.lists(markup, max_size=4),
       is_error=st.booleans(), part_title=markup)
def test_text_made_of_markup_characters_is_inert_everywhere(title, facts, notes, cells, suggestions, is_error,
                                                            part_title):
    response = Response(title=title, facts=[Fact(a, b) for a, b in facts], table=Table(["A", "B"], [cells]),
                        notes=notes, suggestions=suggestions, is_error=is_error,
                        parts=[Response(title=part_title, notes=notes)])
    message = render_message(response)
    assert_within_slack_limits(message)
    assert_markup_inert(message)
    assert "<#" not in json.dumps(message)   # typed channel markup never links: only the bot's tokens do


def test_a_dry_run_writes_slacks_message_as_chat_post_message_would_send_it(tmp_path):
    from datetime import date

    from bot.dry_run import write_digest
    from digests.content import Digest

    digest = Digest("weekly", "2025-W41", date(2025, 10, 6), Response(title="Weekly digest", notes=[conversation("C0GOV")]))
    passed = write_digest(digest, tmp_path, render=posted_message, suffix=".json")
    payload = json.loads(passed[0].read_text())
    assert payload == {"held_reason": None, **posted_message(digest.message), "charts": []}
    assert payload["text"] == "Weekly digest\n<#C0GOV>" and payload["blocks"][1]["elements"][0]["text"] == "<#C0GOV>"
    assert passed[0].name == "weekly-2025-W41.json"
