"""The benchmark's vocabulary: a table row with its verdict, the run's plan, and the shared constants."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import Scale
from bench.measure import Stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
GENERATOR_VERSION = "1"
SECRET = "bench-signing-secret"
COMMANDS = {
    "/kpi metric": "/kpi calls-under-25s",
    "/kpi section": "/kpi public interaction",
    "/reviews overdue": "/reviews overdue",
    "/csp": "/csp",
}
# What `kpibot serve` is sent: the four measured commands and the others people type, charts included.
MIXED = [("/kpi", "calls-under-25s"), ("/kpi", "public interaction"), ("/reviews", "overdue"), ("/csp", ""),
         ("/kpi", "volunteer-hours"), ("/csp", "leicester"), ("/reviews", ""), ("/kpi", "help"),
         ("/kpi", "neighbourhood officers"), ("/kpi", "calls-under-25s chart")]
SECTIONS = ("handlers", "http", "ask", "chart", "digest", "snapshot")
CHART_METRIC = "correspondence-within-28-days"   # 18 months in the bundled data: a full 13-month chart
TINY = Scale("T", 90, 500, 12, 100)   # the smoke test's stand-in for L


@dataclass
class Row:
    group: str
    name: str
    stats: Stats | None
    unit: str = "ms"
    budget: str = "reference"
    measured: str = ""
    verdict: str = "ref"

    @property
    def failed(self) -> bool:
        return self.verdict == "FAIL"


@dataclass
class Plan:
    quick: bool
    scales: list[Scale]
    repeats: int
    http_requests: int
    serve_commands: int
    digest_channels: int
    process_repeats: int
    postgres_url: str | None
    rows: list[Row] = field(default_factory=list)

    @property
    def big(self) -> Scale:
        return self.scales[-1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def ratio_row(group: str, name: str, stats: Stats, reference: Stats, limit: float, what: str) -> Row:
    ratio = stats.median / reference.median
    return Row(group, name, stats, budget=f"≤ {limit:g} × {what}", measured=f"{ratio:.2f} ×",
               verdict="pass" if ratio <= limit else "FAIL")


class BenchError(RuntimeError):
    """The benchmark could not measure something; the message says what went wrong."""


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
