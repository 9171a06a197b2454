"""What a Slack user typed reaches the commands in neutral words: Slack's channel references become mention tokens,
token brackets typed by the user are taken out, and nothing but a Slack channel id becomes a mention."""
from __future__ import annotations

import re

from hypothesis import given, strategies as st

from answers.mentions import CLOSE, OPEN, mentioned_conversation
from bot.slack.markup import incoming


def test_a_picked_channel_becomes_a_conversation_token_without_its_name():
    assert incoming("subscribe weekly <#C0123ABCD|governance>") == "subscribe weekly \u27e6conversation:C0123ABCD\u27e7"
    assert incoming("subscribe weekly <#C0GOV> at 09:00") == "subscribe weekly \u27e6conversation:C0GOV\u27e7 at 09:00"
    assert mentioned_conversation(incoming("<#G0PRIVATE|board>")) == "G0PRIVATE"


def test_a_pasted_channel_id_becomes_a_token_but_a_word_in_capitals_does_not():
    assert incoming("unsubscribe weekly C0123456789") == "unsubscribe weekly \u27e6conversation:C0123456789\u27e7"
    assert incoming("D0DIRECT1") == "\u27e6conversation:D0DIRECT1\u27e7"
    # words that merely start with C, G or D: lower case, too short, or no digit in them
    assert incoming("/kpi DIGITAL CHANNEL GRADING c0123abcd C0LEAD") == "/kpi DIGITAL CHANNEL GRADING c0123abcd C0LEAD"
    assert incoming("C0123ABCD,C0456") == "C0123ABCD,C0456"   # part of a longer word is not a word of its own


def test_a_reference_whose_id_has_not_slacks_shape_stays_as_typed():
    assert incoming("<#c0gov|x> <#C_PANEL> <#U0PERSON>") == "<#c0gov|x> <#C_PANEL> <#U0PERSON>"


def test_token_brackets_typed_by_the_user_never_become_a_mention():
    typed = f"subscribe weekly {OPEN}conversation:C0GOV{CLOSE}"
    assert incoming(typed) == "subscribe weekly conversation:C0GOV"
    assert mentioned_conversation(incoming(typed).split()[-1]) is None
    # the brackets are taken out before Slack's references are read, not after
    assert incoming(f"<#C0{OPEN}GOV{CLOSE}|x>") == "\u27e6conversation:C0GOV\u27e7"


@given(st.text(alphabet="<>#|CGDU0123ab \u27e6\u27e7:conversation", max_size=60))
def test_every_token_in_what_comes_in_is_a_slack_channel_that_was_typed(typed):
    converted = incoming(typed)
    assert converted.count(OPEN) == converted.count(CLOSE)
    for piece in converted.split(OPEN)[1:]:
        token_id = piece.split(CLOSE)[0].removeprefix("conversation:")
        assert re.fullmatch(r"[CGD][A-Z0-9]+", token_id), converted
        assert token_id in typed.replace(OPEN, "").replace(CLOSE, "")
