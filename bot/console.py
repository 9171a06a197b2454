"""The console adapter: read slash commands one per line, print each answer, stop at end of input."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.render_text import render_text
from commands.registry import CommandRegistry

BANNER = "kpibot console: type a slash command (try /kpi help, /kpi calls-under-25s); end input (Ctrl-D) to stop."
PROMPT = "kpibot> "


def run_console(registry: CommandRegistry, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
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
        response = registry.run_line(line)
        print(render_text(response), file=stdout)
        for chart in response.charts:
            print(f"Chart saved to {save_file(chart.filename, chart.png, 'charts')}", file=stdout)
        for attachment in response.files:
            print(f"Saved {save_file(attachment.filename, attachment.content, 'snapshots')}", file=stdout)
        print(file=stdout)
        answered += 1
    return answered


def save_file(filename: str, content: bytes, folder_name: str) -> Path:
    """Charts and documents have nowhere to show in a terminal: write them under ./charts or ./snapshots."""
    folder = Path.cwd() / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_bytes(content)
    return path
