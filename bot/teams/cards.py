"""Render a Response as Adaptive Cards 1.5 for Teams, built with the typed models of microsoft-teams-cards.

An answer reads as it does elsewhere: its title larger and bolder, its facts as a FactSet, its table as a 1.5
Table with a header row, its charts inside the card as data-URI PNGs with their alt text, its notes small and
subtle, each part after a separator, its labelled buttons (an upload's Confirm and Cancel) after the notes, and
each suggestion as a button that runs the command. A RAG word keeps
its word and gains a coloured mark beside it (colour is never the only sign). Every card is at most CARD_LIMIT
bytes: a long answer becomes several cards, in order, each after the first titled "(continued)". Text from data
is made inert (bot/teams/card_text.py); mention tokens are written as plain text, a conversation by its name
where the caller knows it.
"""
from __future__ import annotations

from typing import Mapping

from microsoft_teams.cards import (
    ActionSet, AdaptiveCard, ColumnDefinition, Container, Fact as CardFact, FactSet, Image, RichTextBlock,
    SubmitAction, Table as CardTable, TableCell, TableRow, TextBlock, TextRun,
)

from answers.response import Button, Chart, Response, Table
from bot.render_text import render_text
from bot.teams.card_layout import ChartPiece, Layout, TablePiece
from bot.teams.card_text import inert, mention_writer, plain
from storage.text_rules import without_control_characters

# Teams takes a message of about 100 KB (some of its documents say 28 KB or 40 KB, for older clients): a card
# keeps to 90 KB, leaving room for the activity around it, so a digest's words and its charts arrive as one
# card. Anything larger is split, and charts are re-encoded smaller before they are moved to a card of their own.
CARD_LIMIT = 90 * 1024
CARD_VERSION = "1.5"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
KEY_PREFIX = "kpibot-key:"
RUN_ACTION = "run"
# The typed models spell the colours capitalised; the schema takes any case.
RAG_COLOURS = {"Green": "Good", "Amber": "Warning", "Red": "Attention"}
RAG_MARK = "\u25cf"  # ●, in the RAG's colour, before the word
MAX_TITLE, MAX_TEXT, MAX_CELL, MAX_SHORT_CELL, MAX_BUTTON_TITLE, MAX_ALT_TEXT = 300, 2000, 300, 40, 60, 1500
MAX_BUTTONS = 5
MAX_COLUMN_WEIGHT = 4
# A labelled button's style as Adaptive Cards names it: Teams colours "positive" as the main action, and
# "destructive" red.
BUTTON_STYLES = {"primary": "positive", "danger": "destructive"}

# What the cards say in their own words.
DEFAULT_TITLE = "kpibot"
CONTINUED = "{title} (continued)"
FILES_LINE = "Files with this answer: {names} (offered separately)."
CHART_TOO_LARGE = "Chart not shown, too large for a Teams card: {title}. {alt_text}"


def _dump(model) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class _Writer:
    """One answer's elements, with its mentions written one way throughout."""

    def __init__(self, conversation_names: Mapping[str, str]):
        self.mentions = mention_writer(conversation_names)

    def text(self, text: str, limit: int = MAX_TEXT) -> str:
        return inert(text, self.mentions, limit)

    def title(self, response: Response, continued: bool = False) -> TextBlock:
        words = " ".join(plain(response.title, self.mentions, MAX_TITLE).split()) or DEFAULT_TITLE
        if continued:
            words = CONTINUED.format(title=words)
        return TextBlock(text=self.text(words, MAX_TITLE + len(CONTINUED)), size="Large", weight="Bolder",
                         wrap=True, color="Attention" if response.is_error else None)

    def part_title(self, part: Response) -> dict:
        words = " ".join(plain(part.title, self.mentions, MAX_TITLE).split()) or DEFAULT_TITLE
        return _dump(TextBlock(text=self.text(words, MAX_TITLE), size="Medium", weight="Bolder", wrap=True,
                               separator=True, spacing="Large"))

    def note(self, note: str) -> dict:
        return _dump(TextBlock(text=self.text(note), size="Small", is_subtle=True, wrap=True))

    def facts(self, response: Response) -> list[dict]:
        """A FactSet for the facts; a RAG fact as its own line with the coloured mark, where it falls in order."""
        elements, run = [], []
        for fact in response.facts:
            if not without_control_characters(fact.label + fact.value).strip():
                continue
            colour = _rag_colour(fact.value)
            if colour is None:
                run.append(CardFact(title=self.text(fact.label, MAX_CELL), value=self.text(fact.value, MAX_TEXT)))
                continue
            if run:
                elements.append(_dump(FactSet(facts=run)))
                run = []
            elements.append(_dump(RichTextBlock(inlines=[
                TextRun(text=plain(fact.label, self.mentions, MAX_CELL) + ": ", weight="Bolder"),
                TextRun(text=f"{RAG_MARK} {plain(fact.value, self.mentions, MAX_CELL)}", color=colour,
                        weight="Bolder")])))
        if run:
            elements.append(_dump(FactSet(facts=run)))
        return elements

    def cell(self, value: str, header: bool = False, limit: int = MAX_CELL) -> TableCell:
        colour = None if header else _rag_colour(value)
        words = self.text(value, limit)
        if colour is not None:
            words = f"{RAG_MARK} {words}"
        return TableCell(items=[TextBlock(text=words, wrap=True, color=colour,
                                          weight="Bolder" if header or colour else None)])

    def table(self, table: Table) -> TablePiece:
        shown = [[plain(c, self.mentions, MAX_CELL) for c in row] for row in [table.columns, *table.rows]]
        widths = [max((len(row[i]) for row in shown if i < len(row)), default=1) for i in range(len(table.columns))]
        columns = [ColumnDefinition(width=min(MAX_COLUMN_WEIGHT, max(1, round(w / 12)))) for w in widths]
        header = _dump(TableRow(cells=[self.cell(c, header=True) for c in table.columns]))
        rows = [_dump(TableRow(cells=[self.cell(c) for c in row])) for row in table.rows]
        short_header = _dump(TableRow(cells=[self.cell(c, header=True, limit=MAX_SHORT_CELL) for c in table.columns]))

        def shortened(index: int) -> dict:
            return _dump(TableRow(cells=[self.cell(c, limit=MAX_SHORT_CELL) for c in table.rows[index]]))

        base = _dump(CardTable(columns=columns, show_grid_lines=True))
        return TablePiece(table=base, header=header, rows=rows, shortened_row=shortened, shortened_header=short_header)

    def chart(self, chart: Chart) -> ChartPiece:
        alt_text = plain(chart.alt_text, self.mentions, MAX_ALT_TEXT) or plain(chart.title, self.mentions, MAX_TITLE)
        image = _dump(Image(url="", alt_text=alt_text, size="Stretch"))
        too_large = self.note(CHART_TOO_LARGE.format(title=chart.title, alt_text=chart.alt_text))
        return ChartPiece(image=image, png=chart.png, too_large=too_large)

    def buttons(self, suggestions: list[str]) -> dict | None:
        """A button for each suggested command (the first few): its title the command's words, its data the line
        the app runs when it is pressed. A line holding a control character is not offered (the notes name it)."""
        offered = [s for s in suggestions if s.strip() and without_control_characters(s) == s][:MAX_BUTTONS]
        if not offered:
            return None
        actions = [SubmitAction(title=plain(s.strip().lstrip("/"), self.mentions, MAX_BUTTON_TITLE),
                                data={"kpibot": RUN_ACTION, "line": s.strip()}) for s in offered]
        return _dump(ActionSet(actions=actions))

    def labelled(self, buttons: list[Button]) -> dict | None:
        """The answer's own buttons (the first few), each titled with its label and styled as its kind; pressing
        one runs its line as the person who pressed it. A line holding a control character is not offered."""
        actions = []
        for button in buttons:
            title, line = plain(button.label, self.mentions, MAX_BUTTON_TITLE).strip(), button.line.strip()
            if title and line and without_control_characters(line) == line:
                actions.append(SubmitAction(title=title, style=BUTTON_STYLES.get(button.style),
                                            data={"kpibot": RUN_ACTION, "line": line}))
        return _dump(ActionSet(actions=actions[:MAX_BUTTONS])) if actions else None


def _rag_colour(value: str) -> str | None:
    """The colour of a RAG word that begins a value ("Red", "Amber (baseline)"), else None."""
    for word, colour in RAG_COLOURS.items():
        if value == word or value.startswith(word + " "):
            return colour
    return None


def _lay_out(layout: Layout, writer: _Writer, response: Response, is_part: bool) -> None:
    if is_part:
        layout.add(writer.part_title(response))
    for element in writer.facts(response):
        layout.add(element)
    if response.table is not None:
        layout.add_table(writer.table(response.table))
        if response.table.caption:
            layout.add(writer.note(response.table.caption))
    if response.files:
        layout.add(writer.note(FILES_LINE.format(names=", ".join(f.filename for f in response.files))))
    for note in response.notes:
        if without_control_characters(note).strip():
            layout.add(writer.note(note))
    labelled = writer.labelled(response.buttons)
    if labelled is not None:
        layout.add(labelled)
    buttons = writer.buttons(response.suggestions)
    if buttons is not None:
        layout.add(buttons)
    for part in response.parts:
        _lay_out(layout, writer, part, is_part=True)
    # The words first, then the pictures: a digest reads through its sections before its charts.
    layout.add_charts([writer.chart(chart) for chart in response.charts])


def _card(body: list[dict]) -> dict:
    card = _dump(AdaptiveCard(version=CARD_VERSION, body=[]))
    # The typed model writes the schema's address as "schema"; Teams and the schema expect "$schema".
    return {"type": card["type"], "$schema": SCHEMA_URL, "version": card["version"], "body": body}


def render_cards(response: Response, key: str | None = None, conversation_names: Mapping[str, str] | None = None,
                 limit: int = CARD_LIMIT) -> list[dict]:
    """The answer as one or more complete Adaptive Cards, each at most `limit` bytes (card_text.card_size).
    `key` (the delivery ledger's) is carried in the first card as the id of the Container around its title, so a
    posted card can be recognised later."""
    writer = _Writer(conversation_names or {})
    key_id = KEY_PREFIX + without_control_characters(key) if key else None

    def skeleton(first: bool) -> dict:
        title = writer.title(response, continued=not first)
        return _card([_dump(Container(id=key_id, items=[title]) if first and key_id else title)])

    layout = Layout(skeleton=skeleton, limit=limit)
    _lay_out(layout, writer, response, is_part=False)
    return layout.cards


def fallback_text(response: Response, conversation_names: Mapping[str, str] | None = None) -> str:
    """The answer as plain text (a notification's summary, a client that cannot show cards), mentions plain."""
    return render_text(response, mention_writer(conversation_names or {}))


def attachment(card: dict) -> dict:
    """A card as a message activity's attachment."""
    return {"contentType": CONTENT_TYPE, "content": card}

