"""Render a Response as plain text: the console, `kpibot ask`, and the text a chat platform notifies with.

Mentions are written as plain text reads them (`#conversation`, `@person`) unless the caller formats them itself
(a chat platform escapes the text first, then writes its own links). Control characters stored before they were
refused (an ESC in an area's name, say) are dropped: on a terminal they would move the cursor or recolour the
screen, and in a chat message they are noise.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from answers.mentions import plain
from answers.response import Response, Table
from storage.text_rules import without_control_characters

Mentions = Callable[[str], str]


def kept(text: str) -> str:
    """Mention tokens left as they are, for a renderer that formats them itself."""
    return text


def render_table(table: Table, mentions: Mentions = plain) -> list[str]:
    """The table's lines, columns aligned on the text as it is shown (mentions already written out)."""
    shown = lambda cell: mentions(without_control_characters(cell))  # noqa: E731
    table = replace(table, columns=[shown(c) for c in table.columns], rows=[[shown(cell) for cell in row] for row in table.rows])
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = lambda cells: "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()  # noqa: E731
    lines = [line(table.columns), line(["-" * w for w in widths])]
    lines += [line(row) for row in table.rows]
    if table.caption:
        lines.append(mentions(table.caption))
    return lines


def render_text(response: Response, mentions: Mentions = plain) -> str:
    lines = [response.title]
    if response.facts:
        width = max(len(mentions(f.label)) for f in response.facts)
        lines += [f"  {mentions(f.label).ljust(width)}  {f.value}" for f in response.facts]
    if response.table is not None:
        lines += [""] + render_table(response.table, mentions)
    if response.charts:
        lines += [f"[chart: {chart.title}]" for chart in response.charts]
    if response.files:
        lines += [f"[file: {f.filename}]" for f in response.files]
    if response.notes:
        lines += [""] + response.notes if (response.facts or response.table) else response.notes
    for part in response.parts:
        lines += ["", render_text(part, mentions)]
    # Written out once more as a whole: the title, values and notes (a table's cells and a part's text already
    # are, and are left as they are: what a renderer writes is never a token again).
    return mentions(without_control_characters("\n".join(lines)))
