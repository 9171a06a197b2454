"""What a Slack user typed, in the neutral words commands read: Slack's channel references as mention tokens.

Slack sends a channel someone picked as `<#C0123ABCD|name>` (or `<#C0123ABCD>`); a channel id pasted alone is
a word like C0123ABCD. Both become a conversation token, which a command reads with
`answers.mentions.mentioned_conversation`. Token brackets typed by the user are taken out first, so only
Slack's own references become mentions.
"""
from __future__ import annotations

import re

from answers.mentions import conversation, neutralised
from bot.slack.ids import is_bare_channel_id, is_channel_id

# Slack's reference to a channel: its id, and the name it had when it was picked (which is not kept).
CHANNEL_REFERENCE = re.compile(r"<#(?P<id>[^<>|\s]+)(?:\|[^<>]*)?>")
WORD = re.compile(r"(?<!\S)(?P<word>[^\s<>]+)(?!\S)")


def _channel_reference(match: re.Match) -> str:
    return conversation(match["id"]) if is_channel_id(match["id"]) else match[0]


def _bare_channel(match: re.Match) -> str:
    return conversation(match["word"]) if is_bare_channel_id(match["word"]) else match[0]


def incoming(text: str) -> str:
    """`text` as a command reads it: Slack's channel references and bare channel ids as conversation tokens."""
    text = CHANNEL_REFERENCE.sub(_channel_reference, neutralised(text))
    return WORD.sub(_bare_channel, text)
