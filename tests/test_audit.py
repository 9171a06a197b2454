"""The audit log records every command and data change; secrets never reach it or the logs."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot.app import build_registry
from storage.audit import entries

PANEL_DAY = datetime(2025, 10, 27, 9, tzinfo=timezone.utc)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))
TOKEN = "xoxb-1111-2222-abcdefSECRETtoken"
SIGNING = "0123456789abcdefSECRETsigning"
APP_TOKEN = "xapp-1-A0-SECRETapptoken"


def test_every_command_is_audited(demo_db, settings):
    registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
    registry.run_line("/kpi calls-under-25s", user_id="U0ANALYST", channel_id="C0PERF")
    registry.run_line("/kpi no-such-metric", user_id="U0ANALYST", channel_id="C0PERF")
    registry.run_line("/digest subscribe weekly C0LEAD", user_id="U0NOBODY", channel_id="C0PERF")
    log = [(e.actor, e.place, e.action, e.detail, e.outcome) for e in entries(demo_db)]
    assert log == [
        ("U0ANALYST", "C0PERF", "/kpi", "calls-under-25s", "ok"),
        ("U0ANALYST", "C0PERF", "/kpi", "no-such-metric", "refused"),
        ("U0NOBODY", "C0PERF", "/digest", "subscribe weekly C0LEAD", "refused"),
    ]


def test_secrets_appear_in_no_log_line_and_no_audit_row(demo_db, caplog, tmp_path):
    from bot.settings import Settings

    caplog.set_level(logging.DEBUG)
    settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SIGNING,
                        slack_app_token=APP_TOKEN, _env_file=None)
    logging.getLogger("test").info("settings at start: %r", settings)
    registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
    registry.run_line(f"/kpi {TOKEN}")
    registry.run_line(f"/csp token={SIGNING}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update({"KPIBOT_DATABASE_URL": demo_db.url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING,
                "SLACK_APP_TOKEN": APP_TOKEN, "KPIBOT_LOG_LEVEL": "DEBUG"})
    process = subprocess.run([KPIBOT, "ask", "/kpi calls-under-25s"], env=env, capture_output=True, text=True,
                             timeout=120)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"metric,period,value\n{TOKEN},2025-07,1\n")
    rejected = subprocess.run([KPIBOT, "import", "observations", str(bad)], env=env, capture_output=True, text=True,
                              timeout=120)
    texts = [r.getMessage() for r in caplog.records] + [process.stdout, process.stderr, rejected.stderr]
    texts += [f"{e.actor} {e.place} {e.action} {e.detail} {e.outcome}" for e in entries(demo_db)]
    for secret in ("SECRETtoken", "SECRETsigning", "SECRETapptoken"):
        leaks = [t for t in texts if secret in t and "was not imported" not in t]
        assert leaks == [], f"{secret} leaked: {leaks[:1]}"
    assert any("[redacted]" in e.detail for e in entries(demo_db))


def test_cli_audit_prints_imports_and_rejections(demo_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update({"KPIBOT_DATABASE_URL": demo_db.url, "KPIBOT_LOADED_BY": "analyst.one"})
    good = tmp_path / "good.csv"
    good.write_text("metric,period,value\nfoi-requests,2025-10,2\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("metric,period,value\nfoi-requests,2025-10,two\n")
    subprocess.run([KPIBOT, "import", "observations", str(good)], env=env, capture_output=True, timeout=120)
    subprocess.run([KPIBOT, "import", "observations", str(bad)], env=env, capture_output=True, timeout=120)
    shown = subprocess.run([KPIBOT, "audit", "--since", "2000-01-01"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if "import observations" in line]
    assert len(lines) == 2
    assert "analyst.one" in lines[0] and " ok " in lines[0]
    assert "rejected" in lines[1]


def test_json_logs_are_one_object_per_line(capsys):
    import json

    from bot.app import configure_logging
    from bot.settings import Settings

    configure_logging(Settings(log_json=True, slack_bot_token=TOKEN, _env_file=None))
    try:
        logging.getLogger("kpibot.test").warning("digest %s held: %s", "C1:weekly:2025-W41", "no figures")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("kpibot.test").exception("it failed")
    finally:
        configure_logging(Settings(_env_file=None))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert entries[0]["level"] == "WARNING" and entries[0]["message"] == "digest C1:weekly:2025-W41 held: no figures"
    assert "ValueError: boom" in entries[1]["exception"]
    assert all(line.count("\n") == 0 for line in lines)
