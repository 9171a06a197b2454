"""HTTP mode under load: `kpibot serve` against the fake Slack, round trips from many clients, then peak memory."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.measure import Stats
from bench.plan import MIXED, ROOT, SECRET, BenchError, Plan, Row, ms, progress


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve_process(url: str, api_url: str):
    """`kpibot serve` in HTTP mode on a free loopback port, as its own process; yields (process, events URL)."""
    port = _free_port()
    env = dict(os.environ, KPIBOT_DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
               KPIBOT_SLACK_API_URL=api_url, KPIBOT_LOG_LEVEL="WARNING", KPIBOT_DIGEST_CHECK_MINUTES="60")
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen([str(Path(sys.executable).with_name("kpibot")), "serve", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchError(f"kpibot serve exited: {process.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError("kpibot serve did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield process, f"http://127.0.0.1:{port}/slack/events"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def fake_slack_process():
    """The fake Slack Web API in its own process (Slack's work is not ours); yields its API base URL."""
    process = subprocess.Popen([sys.executable, "-m", "bench.fake_slack_server"], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        api_url = process.stdout.readline().strip()
        if not api_url.startswith("http"):
            raise BenchError("the fake Slack API did not start")
        yield api_url
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _post_commands(events_url: str, fake, count: int, clients: int, mix=MIXED, start: int = 0) -> list[float]:
    """`count` signed slash commands from `clients` concurrent clients, each waiting for its answer."""
    from tests.slack_signing import post_signed, slash_command_body

    def one(index: int) -> float:
        command, text = mix[index % len(mix)]
        body = slash_command_body(command, text, response_url=fake.response_url(f"bench{index}"))
        answer = post_signed(events_url, body, SECRET, timeout=30)
        if answer.status != 200:
            raise BenchError(f"{command} {text} answered HTTP {answer.status}: {answer.body[:300]}")
        return answer.elapsed

    indices = range(start, start + count)
    if clients == 1:
        return [one(i) for i in indices]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(one, indices))


def _peak_rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    kb = lambda name: float(fields[name].split()[0]) / 1024  # noqa: E731
    return kb("VmHWM"), kb("VmRSS")


def bench_http(plan: Plan, backends: dict[str, str]) -> None:
    from tests.fake_slack import FakeSlack

    progress(f"2. HTTP round trips at {plan.big.name}" + (" and 7. serve's memory" if plan.serve_commands else ""))
    quick_mix = MIXED[:4]   # the four measured commands: answered in the ack, so the round trip is the answer
    with FakeSlack() as fake:
        for backend, url in backends.items():
            with serve_process(url, fake.api_url) as (process, events_url):
                _post_commands(events_url, fake, 20, 1, quick_mix)             # warm-up
                single = _post_commands(events_url, fake, plan.http_requests, 1, quick_mix)
                crowd = _post_commands(events_url, fake, plan.http_requests * 2, 20, quick_mix)
                sent = 20 + plan.http_requests * 3
                for clients, samples in ((1, single), (20, crowd)):
                    stats = Stats.of(samples)
                    plan.rows.append(Row("http", f"round trip, {backend}, {clients} client{'s' * (clients > 1)}",
                                         stats, budget="p99 < 300 ms", measured=f"p99 {ms(stats.p99)} ms",
                                         verdict="pass" if stats.p99 < 0.300 else "FAIL"))
                if backend == "SQLite" and plan.serve_commands:
                    rest = max(0, plan.serve_commands - sent)
                    _post_commands(events_url, fake, rest, 4, MIXED, start=sent)
                    fake.wait_for(lambda: len(fake.calls("files.completeUploadExternal")) >= rest // len(MIXED),
                                  timeout=120)
                    peak, now = _peak_rss_mb(process.pid)
                    plan.rows.append(Row("memory", f"serve RSS after {sent + rest:,} mixed commands at "
                                                   f"{plan.big.name}", None, unit="MB", budget="< 300 MB",
                                         measured=f"peak {peak:,.0f} MB (now {now:,.0f})",
                                         verdict="pass" if peak < 300 else "FAIL"))
