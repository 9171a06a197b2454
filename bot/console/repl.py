"""The console adapter: read slash commands one per line, print each answer, stop at end of input.

Every line goes through the console platform (bot.console.platform): asked as the console's user, rendered
as plain text. `kpibot ask` answers one line through the same `answer_line`, so both save charts and
documents alike.
"""
from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.console.platform import ConsolePlatform
from commands.registry import CommandRegistry
from answers.response import Response

LOGGER = logging.getLogger(__name__)

BANNER = "kpibot console: type a slash command (try /kpi help, /kpi calls-under-25s); end input (Ctrl-D) to stop."
PROMPT = "kpibot> "
CHART_SAVED = "Chart saved to {path}"
FILE_SAVED = "Saved {path}"
CANNOT_SAVE = "Couldn't save {name} in {folder} ({reason}); set KPIBOT_OUTPUT_DIR to a folder you can write to."
CHARTS_FOLDER = "charts"
SNAPSHOTS_FOLDER = "snapshots"


def run_console(registry: CommandRegistry, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                output_dir: Path | None = None, platform: ConsolePlatform | None = None) -> int:
    platform = platform or ConsolePlatform()
    interactive = stdin.isatty()
    print(BANNER, file=stdout)
    answered = 0
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.strip().lower() in ("quit", "exit"):
            break
        if not interactive:
            print(f"{PROMPT}{line.strip()}", file=stdout)
        _, text = answer_line(registry, line, output_dir, platform=platform)
        print(text, file=stdout)
        print(file=stdout)
        answered += 1
    return answered


def answer_line(registry: CommandRegistry, line: str, output_dir: Path | None = None,
                as_of: date | None = None, platform: ConsolePlatform | None = None) -> tuple[Response, str]:
    """Run a typed line and render the answer for a terminal, saving its charts and documents under
    `output_dir` (default: the working directory) and saying where they are."""
    platform = platform or ConsolePlatform()
    response = platform.answer(registry, line, as_of=as_of)
    return response, "\n".join([platform.render(response), *save_attachments(response, output_dir or Path.cwd())])


def save_attachments(response: Response, output_dir: Path) -> list[str]:
    """Charts and documents have nowhere to show in a terminal: write them under charts/ and snapshots/."""
    saved = [_save(chart.filename, chart.png, output_dir / CHARTS_FOLDER, CHART_SAVED) for chart in response.charts]
    saved += [_save(f.filename, f.content, output_dir / SNAPSHOTS_FOLDER, FILE_SAVED) for f in response.files]
    return saved


def _save(filename: str, content: bytes, folder: Path, said: str) -> str:
    from storage.filenames import UnsafePath, path_inside, safe_filename

    name = safe_filename(filename)  # a name from data, never a path that climbs out of the folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = path_inside(folder, name)
        path.write_bytes(content)
    except UnsafePath as exc:
        LOGGER.warning("did not save %s: %s", name, exc)
        return CANNOT_SAVE.format(name=name, folder=folder, reason="it would not be inside that folder")
    except OSError as exc:
        LOGGER.warning("could not save %s in %s: %s", name, folder, exc)
        return CANNOT_SAVE.format(name=name, folder=folder, reason=exc.strerror or type(exc).__name__)
    return said.format(path=path)
