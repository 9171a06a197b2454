"""`make bench`: kpibot measured where it will hurt, each figure against its budget, in one table.

    python -m bench.run                 # the full run: S, M and L, SQLite and PostgreSQL
    python -m bench.run --quick         # the suite's smoke version: tiny data, few repeats

Every budget is a ratio measured side by side in the same run (or an absolute limit far from the
measured value), so a busy machine moves both sides of it. The table is printed and written to
bench/RESULTS.md with the machine it ran on and, after it, bench/OPTIMISATIONS.md.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from bench.data import bench_settings, postgres_database, sqlite_database
from bench.generate import PANEL_DAY, SCALES
from bench.http_mode import bench_http, fake_slack_process
from bench.measure import Stats, side_by_side
from bench.plan import (
    CHART_METRIC,
    COMMANDS,
    HERE,
    ROOT,
    SECTIONS,
    TINY,
    BenchError,
    Plan,
    Row,
    ms,
    progress,
    ratio_row,
)

# --- 1. handlers in process --------------------------------------------------------------------------------

def bench_handlers(plan: Plan, urls: dict[str, str]) -> None:
    from bot.app import build_registry
    from bot.render_text import render_text
    from storage.db import Database

    progress("1. command handlers in process")
    registries, databases = {}, []
    for scale in plan.scales:
        db = Database(urls[scale.name])
        databases.append(db)
        registries[scale.name] = build_registry(bench_settings(urls[scale.name]), db, clock=lambda: PANEL_DAY)
    try:
        cases: dict[str, Callable[[], object]] = {}
        for label, line in COMMANDS.items():
            answers = {}
            for scale in plan.scales:
                registry = registries[scale.name]
                answers[scale.name] = render_text(registry.run_line(line))
                cases[f"{label}|{scale.name}"] = lambda registry=registry, line=line: registry.run_line(line)
            if len(set(answers.values())) != 1:
                raise BenchError(f"{line} answers differently at {', '.join(answers)}: the generator changed an answer")
        stats = side_by_side(cases, plan.repeats, warmup=3)
    finally:
        for db in databases:
            db.dispose()
    small = plan.scales[0].name
    for label in COMMANDS:
        reference = stats[f"{label}|{small}"]
        plan.rows.append(Row("handler", f"{label} at {small}", reference))
        for scale in plan.scales[1:]:
            plan.rows.append(ratio_row("handler", f"{label} at {scale.name}", stats[f"{label}|{scale.name}"],
                                        reference, 2, small))


# --- 3. one-shot `kpibot ask` ------------------------------------------------------------------------------

def bench_ask(plan: Plan, url: str) -> None:
    progress("3. one-shot kpibot ask against a bare import of sqlalchemy")
    env = dict(os.environ, KPIBOT_DATABASE_URL=url)
    kpibot = str(Path(sys.executable).with_name("kpibot"))

    def ask() -> None:
        done = subprocess.run([kpibot, "ask", "/kpi calls-under-25s"], env=env, cwd=ROOT, capture_output=True,
                              text=True)
        if done.returncode != 0 or "Calls answered" not in done.stdout:
            raise BenchError(f"kpibot ask failed ({done.returncode}): {done.stderr[-500:]}")

    def bare() -> None:
        subprocess.run([sys.executable, "-c", "import sqlalchemy"], check=True, env=env, cwd=ROOT)

    stats = side_by_side({"ask": ask, "bare": bare}, plan.process_repeats, warmup=2)
    plan.rows.append(Row("process", "python -c 'import sqlalchemy'", stats["bare"]))
    plan.rows.append(ratio_row("process", "kpibot ask '/kpi calls-under-25s'", stats["ask"], stats["bare"], 3,
                                "bare import"))


# --- 4. a trend chart --------------------------------------------------------------------------------------

def bench_chart(plan: Plan, url: str) -> None:
    import io

    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from digests.charts import DPI, trend_chart
    from storage.db import Database
    from storage.repository import metric_comparison, metric_history, read_catalog

    progress("4. a trend chart against a bare matplotlib line chart")
    db = Database(url)
    try:
        with db.session() as session:
            metric = read_catalog(session).get(CHART_METRIC)
            points = metric_history(session, metric, today=PANEL_DAY.date())
            comparison = metric_comparison(session, metric, today=PANEL_DAY.date())
    finally:
        db.dispose()
    ours = trend_chart(metric, points, comparison)
    width, height = struct.unpack(">II", ours.png[16:24])   # the PNG's IHDR: draw the bare chart the same size
    xs = list(range(len(points)))
    ys = [p.value if p.value is not None else float("nan") for p in points]

    def bare() -> bytes:
        figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        axes = figure.add_subplot()
        axes.plot(xs, ys)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()

    stats = side_by_side({"ours": lambda: trend_chart(metric, points, comparison), "bare": bare},
                         max(5, plan.repeats // 3), warmup=2)
    plan.rows.append(Row("chart", f"bare matplotlib line chart, {len(points)} points", stats["bare"]))
    plan.rows.append(ratio_row("chart", f"trend chart ({CHART_METRIC})", stats["ours"], stats["bare"], 2, "bare"))


# --- 5. weekly digest fan-out ------------------------------------------------------------------------------

def bench_digest(plan: Plan, url: str) -> None:
    from bot.app import build_registry
    from bot.slack.app import web_client
    from bot.slack.transport import SlackDigestTransport
    from digests.content import digest_builder
    from digests.delivery import DeliveryPolicy, run_due
    from storage import digest_store
    from storage.addresses import Address
    from storage.db import Database

    progress(f"5. the weekly digest to 1 and to {plan.digest_channels} channels")
    monday = datetime(2025, 10, 27, 8, 0, tzinfo=timezone.utc)   # 08:00 in London: GMT again from 26 Oct
    with fake_slack_process() as api_url, tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "digest.db"
        shutil.copy(url.removeprefix("sqlite:///"), copy)
        db = Database(f"sqlite:///{copy}")
        settings = bench_settings(db.url, slack_bot_token="xoxb-bench", slack_api_url=api_url)
        clock = lambda: monday + timedelta(minutes=2)  # noqa: E731
        registry = build_registry(settings, db, clock=clock)
        transport = SlackDigestTransport(web_client(settings))
        build_digest = digest_builder(registry.context)
        counter = itertools.count()

        def run(channels: int) -> None:
            batch = next(counter)
            ids = set()
            for n in range(channels):
                subscription, _ = digest_store.subscribe(db, Address("slack", f"CB{batch:04d}X{n:04d}"), "weekly", "mon", 8, 0,
                                                         "Europe/London", "U0BENCH", monday - timedelta(days=7))
                ids.add(subscription.id)
            started = time.perf_counter()
            outcomes = run_due(db, transport, build_digest, clock, DeliveryPolicy(), subscription_ids=ids)
            samples[channels].append(time.perf_counter() - started)
            if len(outcomes) != channels or any(o.state != "posted" for o in outcomes):
                raise BenchError(f"digest delivery: {[o.state for o in outcomes][:5]} ...")

        samples: dict[int, list[float]] = {1: [], plan.digest_channels: []}
        run(1)
        for _ in range(max(3, plan.process_repeats // 3)):
            run(1)
            run(plan.digest_channels)
        samples[1] = samples[1][1:]
        db.dispose()
    one, many = Stats.of(samples[1]), Stats.of(samples[plan.digest_channels])
    plan.rows.append(Row("digest", "weekly digest to 1 channel", one))
    plan.rows.append(ratio_row("digest", f"weekly digest to {plan.digest_channels} channels", many, one, 5,
                                "1 channel"))


# --- 6. the Panel snapshot ---------------------------------------------------------------------------------

def bench_snapshot(plan: Plan, urls: dict[str, str]) -> None:
    from bot.app import build_registry
    from commands.snapshot import produce
    from storage.db import Database
    from storage.periods import parse_period

    progress("6. the Panel snapshot, docx and pdf")
    quarter = parse_period("2025/26 Q2")
    cases, databases = {}, []
    for scale in (plan.scales[0], plan.big):
        db = Database(urls[scale.name])
        databases.append(db)
        context = build_registry(bench_settings(db.url), db, clock=lambda: PANEL_DAY).context
        cases[scale.name] = lambda context=context: produce(context, quarter, ["docx", "pdf"], "bench")
    try:
        stats = side_by_side(cases, max(3, plan.repeats // 10), warmup=1)
    finally:
        for db in databases:
            db.dispose()
    small, big = plan.scales[0].name, plan.big.name
    plan.rows.append(Row("snapshot", f"Panel snapshot Q2 2025/26 at {small}", stats[small]))
    plan.rows.append(ratio_row("snapshot", f"Panel snapshot Q2 2025/26 at {big}", stats[big], stats[small], 2, small))


# --- the table ---------------------------------------------------------------------------------------------

def machine() -> str:
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cores} cores ({platform.processor() or platform.machine()}), {memory} memory, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def table(rows: list[Row]) -> str:
    header = ["Measurement", "Median ms", "p95 ms", "p99 ms", "Runs", "Budget", "Measured", "Verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for row in rows:
        s = row.stats
        cells = [row.name, ms(s.median) if s else "", ms(s.p95) if s else "", ms(s.p99) if s else "",
                 str(s.samples) if s else "", row.budget, row.measured or "", row.verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(plan: Plan, started: float) -> str:
    failed = [row for row in plan.rows if row.failed]
    verdict = "every budget holds" if not failed else f"{len(failed)} budget(s) FAIL: " + "; ".join(r.name for r in failed)
    sizes = ", ".join(f"{s.name} = {s.metrics or 'bundled'} metrics, {s.reviews:,} extra reviews, "
                      f"{s.areas or 9} CSP areas" for s in plan.scales)
    return "\n".join([
        f"# kpibot benchmark{' (quick)' if plan.quick else ''}",
        "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}; {time.monotonic() - started:.0f} s in all.",
        f"Scales: {sizes}. Medians and tails are over the runs shown, after a warm-up.",
        "",
        table(plan.rows),
        "",
        f"**Result: {verdict}.**",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny data and few repeats: the test suite's smoke run")
    parser.add_argument("--postgres", default=os.environ.get("KPIBOT_BENCH_POSTGRES_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                        help="PostgreSQL server for the HTTP round trips ('' to skip PostgreSQL)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the table (default bench/RESULTS.md for a full run, "
                             "bench/RESULTS-partial.md for --quick or --only)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated parts to run (default all: {','.join(SECTIONS)})")
    args = parser.parse_args(argv)
    wanted = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in SECTIONS]
    if unknown:
        parser.error(f"--only: {', '.join(unknown)} is not a part; choose from {', '.join(SECTIONS)}")
    started = time.monotonic()
    if args.quick:
        plan = Plan(True, [SCALES["S"], TINY], repeats=5, http_requests=10, serve_commands=0, digest_channels=5,
                    process_repeats=3, postgres_url=args.postgres or None)
    else:
        plan = Plan(False, [SCALES["S"], SCALES["M"], SCALES["L"]], repeats=60, http_requests=200,
                    serve_commands=1000, digest_channels=100, process_repeats=12, postgres_url=args.postgres or None)
    # PostgreSQL first: a server that cannot be reached stops the run before minutes of SQLite building.
    postgres = postgres_database(plan.postgres_url, plan.big) if plan.postgres_url and "http" in wanted else None
    urls = {scale.name: sqlite_database(scale) for scale in plan.scales}
    backends = {"SQLite": urls[plan.big.name], **({"PostgreSQL": postgres} if postgres else {})}
    parts = {
        "handlers": lambda: bench_handlers(plan, urls),
        "http": lambda: bench_http(plan, backends),
        "ask": lambda: bench_ask(plan, urls[plan.big.name]),
        "chart": lambda: bench_chart(plan, urls["S"]),
        "digest": lambda: bench_digest(plan, urls["S"]),
        "snapshot": lambda: bench_snapshot(plan, urls),
    }
    for part in SECTIONS:
        if part in wanted:
            parts[part]()
    text = report(plan, started)
    notes = HERE / "OPTIMISATIONS.md"
    complete = not args.quick and wanted == list(SECTIONS)
    written = text + ("\n\n" + notes.read_text(encoding="utf-8") if notes.exists() and complete else "")
    out = args.out or HERE / ("RESULTS.md" if complete else "RESULTS-partial.md")
    out.write_text(written + "\n", encoding="utf-8")
    progress(f"written to {out}")
    print(text)
    return 1 if any(row.failed for row in plan.rows) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        progress("stopped; nothing written")
        sys.exit(130)
    except BenchError as exc:
        progress(f"the benchmark stopped: {exc}; nothing written")
        sys.exit(2)
    except Exception:  # a crash is not a budget verdict: exit 2, so `make bench` and the smoke test can tell
        traceback.print_exc()
        progress("the benchmark stopped on the error above; nothing written")
        sys.exit(2)
