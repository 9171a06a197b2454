"""Render a Response as plain text: the console, `kpibot ask`, and Slack's notification fallback.

Control characters stored before they were refused (an ESC in an area's name, say) are dropped: on a terminal
they would move the cursor or recolour the screen, and in Slack they are noise.
"""
from __future__ import annotations

from dataclasses import replace

from answers.response import Response, Table
from storage.text_rules import without_control_characters


def render_table(table: Table) -> list[str]:
    table = replace(table, columns=[without_control_characters(c) for c in table.columns],
                    rows=[[without_control_characters(cell) for cell in row] for row in table.rows])
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = lambda cells: "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()  # noqa: E731
    lines = [line(table.columns), line(["-" * w for w in widths])]
    lines += [line(row) for row in table.rows]
    if table.caption:
        lines.append(table.caption)
    return lines


def render_text(response: Response) -> str:
    lines = [response.title]
    if response.facts:
        width = max(len(f.label) for f in response.facts)
        lines += [f"  {f.label.ljust(width)}  {f.value}" for f in response.facts]
    if response.table is not None:
        lines += [""] + render_table(response.table)
    if response.charts:
        lines += [f"[chart: {chart.title}]" for chart in response.charts]
    if response.files:
        lines += [f"[file: {f.filename}]" for f in response.files]
    if response.notes:
        lines += [""] + response.notes if (response.facts or response.table) else response.notes
    for part in response.parts:
        lines += ["", render_text(part)]
    return without_control_characters("\n".join(lines))
