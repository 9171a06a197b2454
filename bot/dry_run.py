"""A digest written to a folder instead of posted: the Slack message as JSON, its plain text, and its charts.

Every file is named by the digest and its period (weekly-2025-W41-complaint-reviews.png), so the weekly
and the quarterly digest can be written to one folder without either overwriting the other's charts.
"""
from __future__ import annotations

import json
from pathlib import Path

from bot.render_slack import render_message
from bot.render_text import render_text
from digests.content import Digest


def digest_stem(digest: Digest) -> str:
    """The digest and its period, safe in a file name: weekly-2025-W41, quarterly-2025-26-Q2."""
    return f"{digest.kind}-{digest.period.replace('/', '-').replace(' ', '-')}"


def write_digest(digest: Digest, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = digest_stem(digest)
    charts = [(chart, folder / f"{stem}-{Path(chart.filename).name}") for chart in digest.charts]
    message = render_message(digest.message)
    message.pop("response_type", None)
    written = [folder / f"{stem}.json", folder / f"{stem}.txt"]
    written[0].write_text(json.dumps({"held_reason": digest.held_reason, **message,
                                      "charts": [{"file": path.name, "title": chart.title, "alt_text": chart.alt_text}
                                                 for chart, path in charts]}, indent=2), encoding="utf-8")
    written[1].write_text(render_text(digest.message) + "\n", encoding="utf-8")
    for chart, path in charts:
        path.write_bytes(chart.png)
        written.append(path)
    return written
