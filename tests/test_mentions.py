"""Mention tokens: an answer names a conversation or a person with a token, each renderer writes it its own way
(plain text as #id and @id), and what people type never becomes one."""
from __future__ import annotations

from answers.mentions import conversation, format_mentions, mentioned_conversation, neutralised, person, plain
from answers.response import Fact, Response, Table
from bot.render_text import kept, render_text
from tests.memory_platform import MemoryPlatform


def test_a_token_names_its_kind_and_id_and_plain_text_reads_it_as_hash_and_at():
    text = f"Ask in {conversation('C0GOV')} or ask {person('U0ADMIN')}."
    assert text == "Ask in \u27e6conversation:C0GOV\u27e7 or ask \u27e6person:U0ADMIN\u27e7."
    assert plain(text) == "Ask in #C0GOV or ask @U0ADMIN."
    assert format_mentions(text, lambda c: f"[{c}]", lambda p: f"({p})") == "Ask in [C0GOV] or ask (U0ADMIN)."


def test_a_conversation_is_read_back_only_from_a_word_that_is_exactly_one_token():
    assert mentioned_conversation(conversation("19:abc@thread.tacv2")) == "19:abc@thread.tacv2"
    assert mentioned_conversation(f" {conversation('C0GOV')} ") == "C0GOV"
    assert mentioned_conversation(person("U0ADMIN")) is None
    assert mentioned_conversation(f"x{conversation('C0GOV')}") is None
    assert mentioned_conversation("C0GOV") is None and mentioned_conversation("<#C0GOV>") is None


def test_typed_brackets_are_taken_out():
    assert neutralised(f"see {conversation('C0GOV')}") == "see conversation:C0GOV"
    assert neutralised("\u27e6\u27e7") == ""


def test_render_text_writes_every_mention_as_plain_text():
    response = Response(
        title=f"{conversation('C0LEAD')} will get the weekly digest",
        facts=[Fact("Asked by", person("U0ADMIN"))],
        table=Table(["Channel", "Digest"], [[conversation("C0GOV"), "weekly"], [conversation("C0LEAD"), "quarterly"]],
                    caption=f"and {conversation('C0X')}"),
        notes=[f"Case lists go to {conversation('C0GOV')}."],
        parts=[Response(title=f"Part for {person('U0ADMIN')}")])
    assert render_text(response) == (
        "#C0LEAD will get the weekly digest\n"
        "  Asked by  @U0ADMIN\n"
        "\n"
        "Channel  Digest\n"       # the columns are as wide as the text shown, not the token
        "-------  ---------\n"
        "#C0GOV   weekly\n"
        "#C0LEAD  quarterly\n"
        "and #C0X\n"
        "\n"
        "Case lists go to #C0GOV.\n"
        "\n"
        "Part for @U0ADMIN")
    assert MemoryPlatform().render(response) == render_text(response)


def test_a_renderer_that_writes_mentions_itself_gets_the_tokens():
    response = Response(title="t", notes=[conversation("C0GOV")])
    assert render_text(response, kept) == "t\n\u27e6conversation:C0GOV\u27e7"
