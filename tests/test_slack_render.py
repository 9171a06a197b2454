"""Block Kit answers stay inside Slack's limits whatever their size, and always carry a plain-text fallback."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from bot.render_slack import render_message
from commands.response import Fact, Response, Table

LIMITS = {"blocks": 50, "section_text": 3000, "fields": 10, "field_text": 2000, "header_text": 150}


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
    assert_within_slack_limits(render_message(response))
