"""Answers as Teams shows them: the commands' real answers on the demo data rendered as Adaptive Cards 1.5, every
card checked against the official schema, within the size guard, and read back as a person would read it."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone

import pytest

from answers import mentions
from answers.response import Chart, Fact, Response, Table
from bot.render_text import render_text
from bot.teams.cards import CARD_LIMIT, attachment, fallback_text, render_cards
from bot.teams.card_text import card_size
from digests.content import digest_builder
from digests.schedule import asked_for
from tests.adaptive_cards import card_elements, card_texts, validate_card
from tests.conftest import PANEL_DAY

MONDAY_6_OCT = datetime(2025, 10, 6, 7, 5, tzinfo=timezone.utc)


def cards_of(response: Response, **kwargs) -> list[dict]:
    """The cards, each checked against the schema and the size guard."""
    cards = render_cards(response, **kwargs)
    assert cards
    for card in cards:
        validate_card(card)
        assert card_size(card) <= kwargs.get("limit", CARD_LIMIT)
        assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    return cards


def facts_of(card: dict) -> dict[str, str]:
    return {f["title"]: f["value"] for fact_set in card_elements(card, "FactSet") for f in fact_set["facts"]}


def table_rows(card: dict) -> list[list[str]]:
    """Each table's rows in the card as the words shown (the header rows included)."""
    return [[" ".join(card_texts({"body": cell["items"]})) for cell in row["cells"]]
            for table in card_elements(card, "Table") for row in table["rows"]]


@pytest.fixture
def registry(registry_at, demo_db):
    return registry_at(PANEL_DAY)


# --- the validator is not blind ------------------------------------------------------------------------------

def test_the_validator_refuses_wrong_cards():
    good = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5",
            "body": [{"type": "TextBlock", "text": "58%", "color": "good"}]}
    validate_card(good)
    planted = [
        # A colour the schema does not know.
        ({**good, "body": [{"type": "TextBlock", "text": "58%", "color": "green"}]}, "$.body[0].color: 'green'"),
        # The Table's header switch as the typed models spell it, which the 1.5 schema does not take.
        ({**good, "body": [{"type": "Table", "firstRowAsHeaders": True, "rows": []}]},
         "$.body[0]: Additional properties are not allowed ('firstRowAsHeaders' was unexpected)"),
        # The schema's address as the typed models write it ("schema", not "$schema").
        ({"type": "AdaptiveCard", "schema": good["$schema"], "version": "1.5", "body": []},
         "$: Additional properties are not allowed ('schema' was unexpected)"),
        # An element type that does not exist.
        ({**good, "body": [{"type": "Paragraph", "text": "58%"}]}, "$.body[0]: {'type': 'Paragraph'"),
        # A cell's text that is not text, deep in a table.
        ({**good, "body": [{"type": "Table", "rows": [{"type": "TableRow", "cells": [
            {"type": "TableCell", "items": [{"type": "TextBlock", "text": 58}]}]}]}]},
         "$.body[0].rows[0].cells[0].items[0].text: 58 is not of type 'string'"),
    ]
    for card, where in planted:
        with pytest.raises(AssertionError) as refused:
            validate_card(card)
        assert str(refused.value).startswith(where)
    with pytest.raises(AssertionError, match="version '1.6'"):
        validate_card({**good, "version": "1.6"})


# --- the commands' answers -----------------------------------------------------------------------------------

def test_calls_under_25s_shows_58_percent_with_its_comparison(registry):
    [card] = cards_of(registry.run_line("/kpi calls-under-25s", as_of=PANEL_DAY.date()), key="answer-1")
    title = card["body"][0]
    assert title["type"] == "Container" and title["id"] == "kpibot-key:answer-1"
    assert title["items"][0]["size"] == "Large" and title["items"][0]["weight"] == "Bolder"
    texts = card_texts(card)
    assert texts[0] == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    facts = facts_of(card)
    assert facts["Last 3 months \\(Jul-Sep 2025\\)"] == "58%"
    assert facts["Latest month \\(Sep 2025\\)"] == "58%"
    assert facts["Baseline comparison"] == "N/A"
    assert facts["RAG"] == "No RAG \\(no target or baseline to judge against\\)"
    note = card["body"][-1]
    assert note["size"] == "Small" and note["isSubtle"] is True
    assert texts[-1] == "Public Interaction · calls-under-25s · monthly"


def test_a_red_rag_has_its_word_and_a_coloured_mark_beside_it(registry):
    [card] = cards_of(registry.run_line("/kpi volunteer-hours", as_of=PANEL_DAY.date()))
    [rag] = card_elements(card, "RichTextBlock")
    assert [(run["text"], run.get("color")) for run in rag["inlines"]] == [("RAG: ", None), ("\u25cf Red", "Attention")]
    assert facts_of(card)["Baseline comparison"] == "-24.3 hours"
    # The RAG line stands where the fact stood: between Target and Direction.
    texts = card_texts(card)
    assert texts.index("No target") < texts.index("RAG: \u25cf Red") < texts.index("Direction")


def test_a_section_is_a_table_with_a_header_row(registry):
    [card] = cards_of(registry.run_line("/kpi public interaction", as_of=PANEL_DAY.date()))
    [table] = card_elements(card, "Table")
    assert "firstRowAsHeaders" not in table   # the default (true): the first row is the header row
    assert [c["width"] for c in table["columns"]] == [4, 1, 1, 1, 1, 1]
    rows = table_rows(card)
    assert rows[0] == ["Metric", "Period", "Current", "Baseline", "Diff. to previous", "RAG"]
    assert rows[1] == ["Correspondence responded to within 28 working days", "Jul-Sep 2025", "100%", "35%", "+54pp",
                       "\u25cf Green"]
    assert rows[4] == ["Calls answered under 25 seconds", "Jul-Sep 2025", "58%", "N/A", "N/A", "No RAG"]
    green = table["rows"][1]["cells"][5]["items"][0]
    assert green["color"] == "Good"
    assert card_texts(card)[-2:] == ["Current: the last 3 months for monthly figures, the latest period for the others.",
                                     "/kpi <metric> gives the full comparison for one metric."]


def test_overdue_reviews_list_their_cases_and_the_part_after_a_separator(registry):
    [card] = cards_of(registry.run_line("/reviews overdue", as_of=PANEL_DAY.date()))
    assert card_texts(card)[0] == "7 complaint reviews overdue on 27 Oct 2025"
    assert facts_of(card) == {"Open on 27 Oct 2025": "9", "Overdue": "7", "Due in the next 7 days": "2"}
    rows = table_rows(card)
    assert rows[0] == ["Reference", "Received", "Due", "Days overdue"]
    assert rows[1] == ["CR-2025-0058", "19 Sep 2025", "17 Oct 2025", "10"]
    assert [r[0] for r in rows[1:8]] == [f"CR-2025-00{n}" for n in range(58, 65)]
    part_title = next(b for b in card["body"] if b.get("separator"))
    assert part_title["text"] == "Due in the next 7 days" and part_title["weight"] == "Bolder"
    assert rows[8] == ["Reference", "Received", "Due", "Days left"]
    assert rows[9:] == [["CR-2025-0065", "29 Sep 2025", "27 Oct 2025", "0"], ["CR-2025-0066", "30 Sep 2025", "28 Oct 2025", "1"]]


def test_csp_balances(registry):
    [card] = cards_of(registry.run_line("/csp", as_of=PANEL_DAY.date()))
    facts = facts_of(card)
    assert facts["Total allocated"] == "£639,675.00" and facts["Total remaining"] == "£293,899.51"
    rows = table_rows(card)
    assert rows[0] == ["Area", "Allocation", "Spent", "Remaining", "% spent", "Status"]
    assert ["SNWLP", "£53,776.10", "£0.00", "£53,776.10", "0%", "Lagging"] in rows
    assert len(rows) == 11
    assert "Spend lags the year in: SNWLP; Harborough; Oadby and Wigston." in card_texts(card)


def test_a_miss_offers_its_suggestions_as_buttons_that_run_them(registry):
    [card] = cards_of(registry.run_line("/kpi neighbourhod crime", as_of=PANEL_DAY.date()))
    assert card["body"][0]["color"] == "Attention"
    [buttons] = card_elements(card, "ActionSet")
    assert [(a["type"], a["title"], a["data"]) for a in buttons["actions"]] == [
        ("Action.Submit", "kpi neighbourhood-crime-offences", {"kpibot": "run", "line": "/kpi neighbourhood-crime-offences"}),
        ("Action.Submit", "kpi neighbourhood-outcome-rate", {"kpibot": "run", "line": "/kpi neighbourhood-outcome-rate"}),
        ("Action.Submit", "kpi neighbourhood-officers", {"kpibot": "run", "line": "/kpi neighbourhood-officers"}),
        ("Action.Submit", "kpi neighbourhood crime", {"kpibot": "run", "line": "/kpi neighbourhood crime"}),
    ]


def test_a_chart_is_inside_the_card_as_a_png_with_its_alt_text(registry):
    response = registry.run_line("/kpi calls-under-25s chart", as_of=PANEL_DAY.date())
    [card] = cards_of(response)
    [image] = card_elements(card, "Image")
    assert image["url"].startswith("data:image/png;base64,")
    png = base64.b64decode(image["url"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert card_size(card) <= CARD_LIMIT
    assert image["altText"].startswith("Calls answered under 25 seconds, Jul 2025 to Sep 2025: latest 58%")
    assert image["altText"] == response.charts[0].alt_text
    assert facts_of(card)["Last 3 months \\(Jul-Sep 2025\\)"] == "58%"


def test_a_weekly_digest_with_its_charts(registry_at, demo_db):
    registry = registry_at(MONDAY_6_OCT)
    digest = digest_builder(registry.context)(asked_for("weekly", date(2025, 10, 6)))
    cards = cards_of(digest.message, key="weekly:2025-10-06")
    assert len(cards) == 1   # the words and the three charts in one card: one message in the channel
    assert cards[0]["body"][0]["id"] == "kpibot-key:weekly:2025-10-06"
    assert all(card_elements(c, "Container") == [] for c in cards[1:])   # the key is in the first card only
    title = "Weekly performance digest: week of 6 Oct 2025"
    assert card_texts(cards[0])[0] == title
    assert [card_texts(c)[0] for c in cards[1:]] == [f"{title} (continued)"] * (len(cards) - 1)
    words = [t for c in cards for t in card_texts(c)]
    assert words.index("What changed since last week") < words.index("Red and amber metrics") \
        < words.index("CSP areas lagging the year")
    rows = [row for c in cards for row in table_rows(c)]
    assert ["Volunteer hours", "Jul-Sep 2025", "50.7 hours", "baseline 75 hours", "\u25cf Red"] in rows
    images = [image for c in cards for image in card_elements(c, "Image")]
    assert [i["altText"] for i in images] == [chart.alt_text for chart in digest.charts]
    assert len(images) == 3 and all(i["url"].startswith("data:image/png;base64,") for i in images)


# --- size, order and inert text ------------------------------------------------------------------------------

def spend_lines(count: int) -> Response:
    rows = [[f"Line {n}", "Oadby and Wigston", f"£{n},000.00", "Lagging" if n % 7 == 0 else ""] for n in range(1, count + 1)]
    return Response(title="CSP spend lines", facts=[Fact("Lines", str(count))],
                    table=Table(["Line", "Area", "Amount", "Status"], rows, caption="All lines shown."),
                    notes=["Amounts as of 27 Oct 2025."])


@pytest.mark.parametrize("limit", [CARD_LIMIT, 6 * 1024])
def test_a_long_table_is_split_between_cards_with_every_row_once(limit):
    cards = cards_of(spend_lines(200), key="k", limit=limit)
    shown, per_card = [], []
    for card in cards:
        [table] = card_elements(card, "Table")
        rows = table_rows({"body": [table]})
        assert rows[0] == ["Line", "Area", "Amount", "Status"]
        shown += [row[0] for row in rows[1:]]
        per_card.append(len(rows) - 1)
    assert shown == [f"Line {n}" for n in range(1, 201)]
    if limit == CARD_LIMIT:   # 50 rows to a card at most (readable on a phone), and 50 of these fit in 28 KB
        assert per_card == [50, 50, 50, 50]
    else:                     # about 400 bytes a row: a 6 KB card holds far fewer
        assert len(cards) > 10 and max(per_card) < 20
    assert card_texts(cards[1])[0] == "CSP spend lines (continued)"
    assert card_texts(cards[-1])[-2:] == ["All lines shown.", "Amounts as of 27 Oct 2025."]


def test_a_chart_too_large_for_any_card_is_said_so_in_words(registry):
    response = registry.run_line("/kpi calls-under-25s chart", as_of=PANEL_DAY.date())
    cards = cards_of(response, limit=5 * 1024)
    assert not any(card_elements(c, "Image") for c in cards)
    words = [t for c in cards for t in card_texts(c)]
    assert any(t.startswith("Chart not shown, too large for a Teams card: Calls answered under 25 seconds trend. "
                            "Calls answered under 25 seconds, Jul 2025 to Sep 2025") for t in words)


def test_markup_and_mentions_in_data_stay_inert():
    channel, person = "19:abc123@thread.tacv2", "29:1a2b3c"
    response = Response(
        title="**Leicester** [click](https://example.invalid)",
        facts=[Fact("_Area_", "<at>Chief Constable</at> in charge")],
        table=Table(["Area", "Note"], [["# not a heading", "- not a list\n1. nor this"], ["a\\b", "\x1b[31mRed"]]),
        notes=[f"Ask in {mentions.conversation(channel)} or {mentions.person(person)}.",
               f"Or in {mentions.conversation('19:unknown@thread.tacv2')}."],
        suggestions=["/kpi *bold*"])
    [card] = cards_of(response, conversation_names={channel: "Governance"})
    blocks = card_elements(card, "TextBlock")
    assert blocks[0]["text"] == "\\*\\*Leicester\\*\\* \\[click\\]\\(https://example.invalid\\)"
    assert facts_of(card) == {"\\_Area\\_": "Chief Constable in charge"}
    assert [b["text"] for b in blocks[1:5]] == ["Area", "Note", "\\# not a heading", "\\- not a list\n1\\. nor this"]
    assert [b["text"] for b in blocks[5:7]] == ["a\\\\b", "\\[31mRed"]
    assert card_texts(card) == [
        "**Leicester** [click](https://example.invalid)", "_Area_", "Chief Constable in charge", "Area", "Note",
        "# not a heading", "- not a list\n1. nor this", "a\\b", "[31mRed",
        "Ask in #Governance or @29:1a2b3c.", "Or in #19:unknown@thread.tacv2.", "kpi *bold*"]
    raw = json.dumps(card)
    assert "<at" not in raw and "\\u001b" not in raw and mentions.OPEN not in raw


def test_fallback_text_and_attachment(registry):
    response = registry.run_line("/kpi calls-under-25s", as_of=PANEL_DAY.date())
    assert fallback_text(response) == render_text(response)
    assert fallback_text(response).splitlines()[0] == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    named = Response(title="Ask in " + mentions.conversation("19:gov@thread.tacv2"))
    assert fallback_text(named, conversation_names={"19:gov@thread.tacv2": "Governance"}) == "Ask in #Governance"
    [card] = render_cards(response)
    assert attachment(card) == {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}


def test_a_chart_that_fits_is_sent_as_drawn():
    png = Chart("Tiny", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "A tiny chart.").png
    [card] = cards_of(Response(title="Tiny", charts=[Chart("Tiny", png, "A tiny chart.")]))
    [image] = card_elements(card, "Image")
    assert base64.b64decode(image["url"].split(",", 1)[1]) == png


def test_cells_and_notes_too_large_for_a_card_are_clipped_to_fit():
    wide = "€" * 400   # six bytes each as the guard counts them ("\u20ac")
    response = Response(title="T" * 1000, table=Table([wide] * 10, [[wide] * 10, ["Leicester"] * 10]),
                        notes=["N" * 50_000])
    cards = cards_of(response, limit=28 * 1024)   # the smallest limit Teams' documents name
    rows = [row for card in cards for row in table_rows(card)]
    assert rows[0][0] == "€" * 39 + "…" and rows[1][0] == "€" * 39 + "…"   # header and row clipped together
    assert ["Leicester"] * 10 in rows
    words = [t for card in cards for t in card_texts(card)]
    assert words[0] == "T" * 299 + "…" and "N" * 1999 + "…" in words
