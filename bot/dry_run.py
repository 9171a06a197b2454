"""A digest written to a folder instead of posted: the message as a platform would receive it (as JSON, rendered by
that platform's renderer, which the caller passes), its plain text, and its charts.

Every file is named by the digest and its period (weekly-2025-W41-complaint-reviews.png), so the weekly
and the quarterly digest can be written to one folder without either overwriting the other's charts.
Chart names come from data (a section's name), so each is made safe and every path is checked to be
inside the folder before anything is written.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

from answers.response import Response
from bot.render_text import render_text
from digests.content import Digest
from storage.filenames import path_inside, period_stem, safe_filename, safe_stem


def digest_stem(digest: Digest) -> str:
    """The digest and its period, safe in a file name: weekly-2025-W41, quarterly-2025-26-Q2."""
    return f"{safe_stem(digest.kind, fallback='digest')}-{period_stem(digest.period)}"


def chart_names(stem: str, filenames: list[str]) -> list[str]:
    """Each chart's file name: the digest's stem, then the chart's own name made safe; two charts whose
    names come out the same (sections `a/b` and `a b`) get -2, -3 rather than one overwriting the other."""
    names: list[str] = []
    for filename in filenames:
        name = f"{stem}-{safe_filename(filename, fallback='chart')}"
        base, dot, extension = name.rpartition(".")
        count = 1
        while name in names:
            count += 1
            name = f"{base}-{count}{dot}{extension}"
        names.append(name)
    return names


# A platform's message as it would be sent: JSON-serialisable keys and values (Slack's: text and blocks).
Render = Callable[[Response], Mapping]


def write_digest(digest: Digest, folder: Path, render: Render, suffix: str = ".json") -> list[Path]:
    """Write the digest's files into `folder`: the message as `render` makes it, in `{stem}{suffix}`, the plain
    text, the charts. Raises storage.filenames.UnsafePath, writing nothing, if any of them would land outside it."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = digest_stem(digest)
    names = [f"{stem}{suffix}", f"{stem}.txt", *chart_names(stem, [chart.filename for chart in digest.charts])]
    paths = [path_inside(folder, name) for name in names]   # all checked before the first is written
    charts = list(zip(digest.charts, paths[2:]))
    message = dict(render(digest.message))
    paths[0].write_text(json.dumps({"held_reason": digest.held_reason, **message,
                                    "charts": [{"file": path.name, "title": chart.title, "alt_text": chart.alt_text}
                                               for chart, path in charts]}, indent=2), encoding="utf-8")
    paths[1].write_text(render_text(digest.message) + "\n", encoding="utf-8")
    for chart, path in charts:
        path.write_bytes(chart.png)
    return paths
