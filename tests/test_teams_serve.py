"""`kpibot serve` with Teams configured, as an operator runs it: it listens on --teams-host/--teams-port, answers
a signed message and GET /healthz, and stops cleanly on SIGTERM; the local-only switch beside a password is
refused at start in one line with a non-zero exit."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.fake_teams import (  # noqa: F401  (fixtures)
    TeamsUser, fake_connector, fake_entra, message_activity, send_activity,
)
from tests.teams_e2e_kit import free_port, teams_environment

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
ANNE = TeamsUser("29:1anne-fake-id", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "Anne Analyst")
PERSONAL_CHAT = "a:1anne-personal"


def _env(extra: dict, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KPIBOT_", "SLACK_", "TEAMS_", "CLIENT_", "TENANT_"))}
    return {**env, **extra, "HOME": str(tmp_path)}


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 30.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                return json.loads(answer.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_serve_runs_teams_answers_and_stops_on_sigterm(demo_db, fake_entra, fake_connector, tmp_path):
    port = free_port()
    env = _env(teams_environment(demo_db.url, fake_entra), tmp_path)
    process = subprocess.Popen([KPIBOT, "serve", "--teams-port", str(port), "--teams-host", "127.0.0.1"],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert health["ok"] is True and health["scheduler"] is True
        activity = message_activity("kpi calls-under-25s", PERSONAL_CHAT, ANNE,
                                    service_url=fake_connector.service_url)
        status, _ = send_activity(f"http://127.0.0.1:{port}", activity,
                                  fake_entra.mint_inbound(fake_connector.service_url))
        assert status == 200
        assert "58%" in json.dumps(fake_connector.activities(PERSONAL_CHAT), ensure_ascii=False)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_local_only_switch_beside_a_password_is_refused_at_start(demo_db, fake_entra, tmp_path):
    env = _env({**teams_environment(demo_db.url, fake_entra), "KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED": "1"}, tmp_path)
    result = subprocess.run([KPIBOT, "serve", "--teams-port", str(free_port()), "--teams-host", "127.0.0.1"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED" in line]
    assert len(lines) == 1
    assert "together with TEAMS_APP_PASSWORD" in lines[0]
