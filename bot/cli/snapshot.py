"""`kpibot snapshot`: the Panel paper's performance section for a quarter, written to Word and/or PDF."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import LOADED_BY, Failure, cli_settings, echo, kpibot


def snapshot(
    quarter: Optional[str] = typer.Argument(None, help='The quarter: "2025/26 Q2", "Q2", "last quarter" (default: the '
                                            'last complete one with office figures).'),
    out: list[Path] = typer.Option(..., "--out", help="FILE.docx or FILE.pdf; give --out twice for both."),
    by: Optional[str] = LOADED_BY,
) -> None:
    """Write the Panel paper's performance section for a quarter as Word and/or PDF, and record it."""
    from commands.snapshot import choose_quarter, produce

    settings = cli_settings()
    formats = []
    for path in out:
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in ("docx", "pdf"):
            raise Failure(f"--out {path}: the file must end in .docx or .pdf")
        formats.append(suffix)
    context = kpibot(settings).context
    choice = choose_quarter(context, quarter or "")   # held back, as /snapshot is, when there are no figures
    if choice.quarter is None:
        raise Failure(" ".join([choice.problem, *choice.hints]))
    response = produce(context, choice.quarter, formats, by or settings.loaded_by)
    for path, attachment in zip(out, response.files):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(attachment.content)
        echo(f"wrote {path} ({len(attachment.content):,} bytes)")
    echo(response.notes[0])
