"""`kpibot audit`: the audit log as a table."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import typer

from bot.cli.common import cli_settings, day_option, echo, open_database


def audit(since: Optional[str] = typer.Option(None, "--since", help="Only entries on or after this date "
                                             "(2025-09-30, 30/09/2025, 30 Sep 2025, last month).")) -> None:
    """Print the audit log: every command and data change, who, where, what, when and how it ended."""
    from bot.render_text import render_table
    from answers.response import Table
    from storage.audit import entries

    settings = cli_settings()
    day = day_option(since, settings, "--since")
    start = datetime.combine(day, datetime.min.time(), timezone.utc) if day else None
    rows = [[e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.where, e.action, e.outcome, e.detail[:80]]
            for e in entries(open_database(settings), start)]
    if not rows:
        echo("No audit entries" + (f" since {since}." if since else "."))
        return
    echo("\n".join(render_table(Table(["When (UTC)", "Who", "Where", "What", "Outcome", "Detail"], rows))))
