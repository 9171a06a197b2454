"""Render a Response as a Slack message: Block Kit within Slack's limits, with a plain-text fallback."""
from __future__ import annotations

from dataclasses import replace

from slack_sdk.models.blocks import (
    ActionsBlock, ButtonElement, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, PlainTextObject, SectionBlock,
)

from bot.render_text import render_table, render_text
from commands.response import Response

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
DEFAULT_TITLE = "kpibot"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mark_rag(value: str) -> str:
    for word, marked in RAG_MARKS.items():
        if value == word or value.startswith(word + " "):
            return marked + value[len(word):]
    return value


def _table_sections(response: Response) -> list[SectionBlock]:
    """A table as preformatted text, split into sections of at most 3,000 characters."""
    lines = render_table(response.table)
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


def render_blocks(response: Response, as_objects: bool = False) -> list:
    blocks = []
    title = " ".join(response.title.split()) or DEFAULT_TITLE
    if response.is_error:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(":warning: " + _escape(title), MAX_SECTION_TEXT))))
    else:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(title, MAX_HEADER_TEXT))))
    facts_or_blank = [f for f in response.facts if (f.label + f.value).strip()]
    fields = [
        MarkdownTextObject(text=_clip(f"*{_escape(f.label)}*\n{_mark_rag(_escape(f.value))}", MAX_FIELD_TEXT))
        for f in facts_or_blank
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append(SectionBlock(fields=fields[start:start + MAX_FIELDS]))
    if response.table is not None:
        blocks.extend(_table_sections(response))
    notes = [n for n in response.notes if n.strip()]
    for start in range(0, len(notes), MAX_CONTEXT_ELEMENTS):
        blocks.append(ContextBlock(elements=[
            MarkdownTextObject(text=_clip(_escape(n), MAX_SECTION_TEXT)) for n in notes[start:start + MAX_CONTEXT_ELEMENTS]
        ]))
    if response.suggestions:
        blocks.append(ActionsBlock(elements=[
            ButtonElement(text=_clip(s.split(" ", 1)[-1].strip() or s.strip() or "?", MAX_BUTTON_TEXT),
                          value=s[:2000], action_id=SUGGESTION_ACTION.format(index=i))
            for i, s in enumerate(response.suggestions[:MAX_BUTTONS])
        ]))
    for part in response.parts:
        blocks.append(DividerBlock())
        blocks.extend(_part_blocks(part))
    if len(blocks) > MAX_BLOCKS:
        hidden = len(blocks) - (MAX_BLOCKS - 1)
        blocks = blocks[: MAX_BLOCKS - 1] + [ContextBlock(elements=[
            MarkdownTextObject(text=TRUNCATED_NOTE.format(hidden=hidden))])]
    return blocks if as_objects else [block.to_dict() for block in blocks]


def fallback_text(response: Response) -> str:
    """The notification and screen-reader text that goes with every message."""
    return _clip(render_text(response).strip() or DEFAULT_TITLE, MAX_FALLBACK_TEXT)


def render_message(response: Response) -> dict:
    """Keyword arguments for ack(), respond() or chat.postMessage."""
    return {
        "text": fallback_text(response),
        "blocks": render_blocks(response),
        "response_type": "in_channel" if response.public else "ephemeral",
    }
