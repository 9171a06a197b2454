"""A digest written to a folder instead of posted: the Slack message as JSON, its plain text, and its charts."""
from __future__ import annotations

import json
from pathlib import Path

from bot.render_slack import render_message
from bot.render_text import render_text
from digests.content import Digest


def write_digest(digest: Digest, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{digest.kind}-{digest.period.replace('/', '-').replace(' ', '-')}"
    message = render_message(digest.message)
    message.pop("response_type", None)
    written = [folder / f"{stem}.json", folder / f"{stem}.txt"]
    written[0].write_text(json.dumps({"held_reason": digest.held_reason, **message,
                                      "charts": [{"file": c.filename, "title": c.title, "alt_text": c.alt_text}
                                                 for c in digest.charts]}, indent=2), encoding="utf-8")
    written[1].write_text(render_text(digest.message) + "\n", encoding="utf-8")
    for chart in digest.charts:
        path = folder / chart.filename
        path.write_bytes(chart.png)
        written.append(path)
    return written
