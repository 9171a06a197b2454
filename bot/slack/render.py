"""Render a Response as a Slack message: Block Kit within Slack's limits, with a plain-text fallback.

Text from data (an area's name, a case reference, a note, the words someone typed) is escaped wherever Slack
would read markup in it: every mrkdwn block and the message's `text`, which Slack shows in notifications.
Both carry the same words, so `<!channel>` or `<#C0123ABCD>` typed into a cell is shown as those characters,
never as a ping or a link. The only links are the bot's own mentions: the answer's mention tokens, written as
`<#C0123ABCD>` and `<@U0123ABCD>` after the text around them is escaped, so that "Ask in #governance" links to
the channel in the blocks and in the notification alike. A token whose id has not Slack's shape is shown as
plain text (`#id`), so nothing but an id ever goes inside the link.
"""
from __future__ import annotations

import re
from dataclasses import replace

from slack_sdk.models.blocks import (
    ActionsBlock, ButtonElement, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, PlainTextObject, SectionBlock,
)

from answers.mentions import CLOSE, OPEN, format_mentions
from answers.response import Button, Response
from bot.render_text import kept, render_table, render_text
from bot.slack.ids import is_channel_id, is_user_id
from storage.text_rules import without_control_characters

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTONS = 5
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000
RAG_MARKS = {"Green": ":large_green_circle: Green", "Amber": ":large_orange_circle: Amber", "Red": ":red_circle: Red"}
TRUNCATED_NOTE = "Answer shortened to fit in Slack: {hidden} more part(s) not shown. Narrow the question, or run it with `kpibot ask`."
SUGGESTION_ACTION = "kpi_suggestion_{index}"
BUTTON_ACTION = "kpi_button_{index}"
BUTTON_STYLES = ("primary", "danger")
MAX_BUTTON_VALUE = 2000
DEFAULT_TITLE = "kpibot"
_CUT_ENTITY = re.compile(r"&[a-z]{0,3}$")
# What a plain_text header or button cannot carry: Slack's markup, and a mention token (written as a link only
# in mrkdwn).
MARKUP_CHARACTERS = ("<", ">", OPEN, CLOSE)


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, never ending in half an escaped character ("&am")."""
    if len(text) <= limit:
        return text
    return _CUT_ENTITY.sub("", text[: limit - 1]) + "…"


def escape_mrkdwn(text: str) -> str:
    """Text from data made inert for Slack: &, < and > as entities (Slack reads them as markup), control
    characters dropped. For any mrkdwn Slack shows: a block, a message's text, a file's initial_comment."""
    text = without_control_characters(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if is_channel_id(channel_id) else f"#{channel_id}"


def _person_link(user_id: str) -> str:
    return f"<@{user_id}>" if is_user_id(user_id) else f"@{user_id}"


def _escape(text: str) -> str:
    """A response's text, which mixes data and the bot's own words: escaped, then its mention tokens written as
    Slack's links (an id alone, so no label can be smuggled in with one)."""
    return format_mentions(escape_mrkdwn(text), _channel_link, _person_link)


def _mark_rag(value: str) -> str:
    for word, marked in RAG_MARKS.items():
        if value == word or value.startswith(word + " "):
            return marked + value[len(word):]
    return value


def _table_sections(response: Response) -> list[SectionBlock]:
    """A table as preformatted text, split into sections of at most 3,000 characters."""
    lines = render_table(response.table, kept)
    header, body = lines[:2], lines[2:]
    sections, chunk = [], list(header)
    for line in body:
        candidate = "\n".join([*chunk, line])
        if len(candidate) + 6 > MAX_SECTION_TEXT and len(chunk) > len(header):
            sections.append(chunk)
            chunk = list(header)
        chunk.append(_clip(line, MAX_SECTION_TEXT - 200))
    sections.append(chunk)
    return [SectionBlock(text=MarkdownTextObject(text="```" + _escape("\n".join(c)) + "```")) for c in sections]


def _part_blocks(part: Response) -> list:
    """A section of a longer answer: its title in bold rather than as another header."""
    blocks = [SectionBlock(text=MarkdownTextObject(text=_clip(f"*{_escape(part.title)}*", MAX_SECTION_TEXT)))]
    rest = [b for b in render_blocks(replace(part, title=DEFAULT_TITLE), as_objects=True)[1:]]
    return blocks + rest


def _carries_markup(text: str) -> bool:
    return any(character in text for character in MARKUP_CHARACTERS)


def _buttons(suggestions: list[str]) -> list[ButtonElement]:
    """A button for each suggested command, except one whose text holds < or > or a mention: a button's label is
    plain text that cannot be escaped, and its value comes back as a command. The answer's text still names it."""
    offered = [s for s in suggestions if not _carries_markup(s) and without_control_characters(s) == s]
    return [ButtonElement(text=_clip(s.split(" ", 1)[-1].strip() or s.strip() or "?", MAX_BUTTON_TEXT),
                          value=s[:2000], action_id=SUGGESTION_ACTION.format(index=i))
            for i, s in enumerate(offered[:MAX_BUTTONS])]


def _offerable(text: str) -> bool:
    return bool(text.strip()) and not _carries_markup(text) and without_control_characters(text) == text


def _labelled_buttons(buttons: list[Button]) -> list[ButtonElement]:
    """A button for each of the answer's own buttons: its label shown, its line sent back when it is pressed,
    its style when it has one. One whose label or line holds < or > or a mention, or whose line is too long to
    come back whole, is not offered: a label cannot be escaped, and a line cut short would run another command."""
    offered = [b for b in buttons if _offerable(b.label) and _offerable(b.line) and len(b.line) <= MAX_BUTTON_VALUE]
    return [ButtonElement(text=_clip(b.label.strip(), MAX_BUTTON_TEXT), value=b.line,
                          action_id=BUTTON_ACTION.format(index=i), style=b.style if b.style in BUTTON_STYLES else None)
            for i, b in enumerate(offered[:MAX_BUTTONS])]


def render_blocks(response: Response, as_objects: bool = False) -> list:
    blocks = []
    title = " ".join(without_control_characters(response.title).split()) or DEFAULT_TITLE
    if response.is_error:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(":warning: " + _escape(title), MAX_SECTION_TEXT))))
    elif _carries_markup(title):
        # A header is plain_text: Slack would not ping from it, but it would carry the raw markup in the
        # message. A title holding < or > (an area's name, say), or a mention, is set in bold, escaped, instead.
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(f"*{_escape(title)}*", MAX_SECTION_TEXT))))
    else:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(title, MAX_HEADER_TEXT))))
    facts_or_blank = [f for f in response.facts if without_control_characters(f.label + f.value).strip()]
    fields = [
        MarkdownTextObject(text=_clip(f"*{_escape(f.label)}*\n{_mark_rag(_escape(f.value))}", MAX_FIELD_TEXT))
        for f in facts_or_blank
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append(SectionBlock(fields=fields[start:start + MAX_FIELDS]))
    if response.table is not None:
        blocks.extend(_table_sections(response))
    notes = [n for n in map(without_control_characters, response.notes) if n.strip()]
    for start in range(0, len(notes), MAX_CONTEXT_ELEMENTS):
        blocks.append(ContextBlock(elements=[
            MarkdownTextObject(text=_clip(_escape(n), MAX_SECTION_TEXT)) for n in notes[start:start + MAX_CONTEXT_ELEMENTS]
        ]))
    buttons = _labelled_buttons(response.buttons) + _buttons(response.suggestions)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    for part in response.parts:
        blocks.append(DividerBlock())
        blocks.extend(_part_blocks(part))
    if len(blocks) > MAX_BLOCKS:
        hidden = len(blocks) - (MAX_BLOCKS - 1)
        blocks = blocks[: MAX_BLOCKS - 1] + [ContextBlock(elements=[
            MarkdownTextObject(text=TRUNCATED_NOTE.format(hidden=hidden))])]
    return blocks if as_objects else [block.to_dict() for block in blocks]


def fallback_text(response: Response) -> str:
    """The notification and screen-reader text that goes with every message: the plain-text answer, escaped
    as the blocks are (Slack reads markup in a message's text too, and shows it in the notification)."""
    return _clip(_escape(render_text(response, kept)).strip() or DEFAULT_TITLE, MAX_FALLBACK_TEXT)


def render_message(response: Response) -> dict:
    """Keyword arguments for ack() or respond()."""
    return {
        "text": fallback_text(response),
        "blocks": render_blocks(response),
        "response_type": "in_channel" if response.public else "ephemeral",
    }


def posted_message(response: Response) -> dict:
    """Keyword arguments for chat.postMessage (a digest, a dry run's file): the message without a reply's
    response_type."""
    message = render_message(response)
    message.pop("response_type", None)
    return message
