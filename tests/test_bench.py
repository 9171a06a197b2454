"""The benchmark harness: its statistics, its synthetic data, and a smoke run of `make bench` at a tiny scale.

The smoke run checks the harness end to end (every row printed with a budget and a verdict, RESULTS
written with the machine); it does not judge the timings, which belong to `make bench` itself.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.generate import Scale, build
from bench.measure import Stats, percentile
from bot.app import build_registry
from bot.render_text import render_text
from bot.settings import Settings
from storage.db import Database
from storage.models import CspAllocationRow, CspSpendRow, MetricRow, ObservationRow, ReviewRow

ROOT = Path(__file__).resolve().parent.parent
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
DEMO = {"metrics": 58, "reviews": 66, "allocations": 9}


def test_nearest_rank_percentiles():
    ordered = [float(n) for n in range(1, 101)]
    assert percentile(ordered, 95) == 95.0
    assert percentile(ordered, 99) == 99.0
    assert percentile([10.0, 20.0, 30.0], 95) == 30.0
    assert percentile([10.0, 20.0, 30.0], 50) == 20.0
    stats = Stats.of([0.3, 0.1, 0.2, 0.4])
    assert (stats.samples, stats.median, stats.p95, stats.p99) == (4, pytest.approx(0.25), 0.4, 0.4)


def test_no_samples_is_an_error():
    with pytest.raises(ValueError):
        Stats.of([])


def test_generator_adds_the_scale_and_changes_no_answer(db, tmp_path):
    """At 70 metrics, 300 extra reviews, 11 areas x 40 spend lines, every measured command answers as at S."""
    settings = Settings(database_url=db.url, _env_file=None)
    url = db.url
    db.dispose()
    scale = Scale("X", metrics=70, reviews=300, areas=11, spend_per_area=40)
    timings = build(url, scale, tmp_path / "files", progress=lambda _: None)
    assert set(timings) == {"demo", "catalog", "observations", "reviews", "csp_allocations", "csp_spend"}
    grown = Database(url)
    try:
        with grown.session() as session:
            count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
            assert count(MetricRow) == 70
            assert count(ObservationRow) - session.scalar(
                select(func.count()).select_from(ObservationRow).where(ObservationRow.source == "demo")) == 12 * 120
            assert count(ReviewRow) == DEMO["reviews"] + 300
            # 11 areas x 10 past years, plus the demo's nine 2025/26 allocations.
            assert count(CspAllocationRow) == 11 * 10 + DEMO["allocations"]
            synthetic_spend = session.scalar(select(func.count()).select_from(CspSpendRow)
                                             .where(CspSpendRow.spent_on < datetime(2023, 4, 1).date()))
            assert synthetic_spend == 11 * 40
        registry = build_registry(settings.model_copy(update={"database_url": url}), grown, clock=lambda: PANEL_DAY)
        answers = {line: render_text(registry.run_line(line)) for line in
                   ("/kpi calls-under-25s", "/kpi public interaction", "/reviews overdue", "/csp")}
    finally:
        grown.dispose()
    assert "58%" in answers["/kpi calls-under-25s"]
    assert "£639,675.00" in answers["/csp"]          # the Panel pack's total allocation, unchanged
    assert "Synthetic" not in "".join(answers.values())


def test_quick_bench_prints_every_row_with_a_budget_and_verdict(tmp_path):
    out = tmp_path / "RESULTS.md"
    postgres = os.environ.get("KPIBOT_TEST_POSTGRES_URL", "")
    done = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--out", str(out), "--postgres", postgres],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), done.stderr[-3000:]   # 1 means a budget failed: a finding, not a crash
    assert out.exists(), f"exit {done.returncode} and no table written:\n{done.stderr[-3000:]}"
    written = out.read_text(encoding="utf-8")
    assert "2 cores" in written or "cores" in written.splitlines()[2]
    assert "Python 3." in written
    rows = [line for line in written.splitlines() if line.startswith("| ") and not line.startswith("| Measurement")]
    names = [row.split(" | ")[0].lstrip("| ") for row in rows]
    expected = ["/kpi metric at S", "/kpi metric at T", "/kpi section at T", "/reviews overdue at T", "/csp at T",
                "round trip, SQLite, 1 client", "round trip, SQLite, 20 clients",
                "python -c 'import sqlalchemy'", "kpibot ask '/kpi calls-under-25s'",
                "bare matplotlib line chart, 13 points", "weekly digest to 5 channels",
                "Panel snapshot Q2 2025/26 at T"]
    for name in expected:
        assert name in names, f"{name!r} missing from {names}"
    if postgres:
        assert "round trip, PostgreSQL, 20 clients" in names
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        budget, verdict = cells[5], cells[7]
        assert verdict in ("pass", "FAIL", "ref"), row
        assert budget, row
        if verdict != "ref":
            assert cells[6], f"no measured value: {row}"
    assert written.count("\n| ") == len(rows) + 1  # the header and the rows: one table
    assert ("every budget holds" in written) == (done.returncode == 0)
    assert done.stdout.strip().startswith("# kpibot benchmark (quick)")


def test_an_unreachable_postgresql_stops_the_run_with_what_to_do(tmp_path):
    out = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--only", "http", "--out", str(out),
                           "--postgres", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2          # not 1: no budget was judged
    assert "cannot reach PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:1/nowhere" in done.stderr
    assert "--postgres ''" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
