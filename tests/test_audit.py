"""The audit log records every command and data change; secrets never reach it or the logs."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.app import build_registry
from storage.addresses import Address
from storage.audit import COMMAND_LINE, entries, record

PANEL_DAY = datetime(2025, 10, 27, 9, tzinfo=timezone.utc)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))
TOKEN = "xoxb-1111-2222-abcdefSECRETtoken"
SIGNING = "0123456789abcdefSECRETsigning"
APP_TOKEN = "xapp-1-A0-SECRETapptoken"


def test_every_command_is_audited(demo_db, settings):
    registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
    registry.run_line("/kpi calls-under-25s", user_id="U0ANALYST", channel_id="C0PERF")
    registry.run_line("/kpi no-such-metric", user_id="U0ANALYST", channel_id="C0PERF")
    registry.run_line("/digest subscribe weekly C0LEAD", user_id="U0NOBODY", channel_id="C0PERF",
                      platform="memory", workspace="W0OFFICE")
    log = [(e.actor, e.platform, e.workspace, e.place, e.action, e.detail, e.outcome) for e in entries(demo_db)]
    assert log == [
        ("init", "cli", "", "cli", "init", "catalog.yaml: 58 metrics added, 0 updated", "ok"),
        ("demo", "cli", "", "cli", "load-demo", "Imported observations from observations.csv: 235 rows, 235 new.",
         "ok"),
        ("demo", "cli", "", "cli", "load-demo", "Imported reviews from reviews.csv: 66 rows, 66 new.", "ok"),
        ("demo", "cli", "", "cli", "load-demo", "Imported CSP allocations from csp_allocations.csv: 9 rows, 9 new.",
         "ok"),
        ("demo", "cli", "", "cli", "load-demo", "Imported CSP spend from csp_spend.csv: 32 rows, 32 new.", "ok"),
        ("U0ANALYST", "console", "", "C0PERF", "/kpi", "calls-under-25s", "ok"),
        ("U0ANALYST", "console", "", "C0PERF", "/kpi", "no-such-metric", "refused"),
        ("U0NOBODY", "memory", "W0OFFICE", "C0PERF", "/digest", "subscribe weekly C0LEAD", "refused"),
    ]


def test_an_entry_names_a_conversation_by_its_address_and_the_command_line_by_name(db):
    long_id = "19:" + "a" * 380 + "@thread.tacv2"   # Teams' conversation ids run to hundreds of characters
    assert record(db, PANEL_DAY, "29:1person", Address("teams", long_id, "tenant-7"), "/kpi", "x", "ok")
    assert record(db, PANEL_DAY, "analyst", COMMAND_LINE, "import reviews", "reviews.csv", "ok")
    assert record(db, PANEL_DAY, "console", Address("console", "console"), "/kpi", "y", "ok")
    written = [e for e in entries(db) if e.action != "init"]
    assert [(e.platform, e.workspace, e.place, e.where) for e in written] == [
        ("teams", "tenant-7", long_id, f"teams:tenant-7:{long_id}"),
        ("cli", "", "cli", "cli"),
        ("console", "", "console", "console"),
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
    assert len(lines) == 2   # one row each: the importer's own, not a second from the command line
    assert "analyst.one" in lines[0] and " ok " in lines[0] and "good.csv: 1 row, 1 new." in lines[0]
    assert "rejected" in lines[1] and "bad.csv: 1 problem; nothing written" in lines[1]


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


def test_load_demo_is_audited_whichever_path_calls_it(db):
    from storage.bootstrap import load_demo
    from storage.db import NotEmptyError

    load_demo(db, "demo", PANEL_DAY)   # as `kpibot run` and the test factories call it, not through `kpibot load-demo`
    loads = [(e.at, e.actor, e.action, e.detail, e.outcome) for e in entries(db) if e.action == "load-demo"]
    assert loads == [
        (PANEL_DAY, "demo", "load-demo", "Imported observations from observations.csv: 235 rows, 235 new.", "ok"),
        (PANEL_DAY, "demo", "load-demo", "Imported reviews from reviews.csv: 66 rows, 66 new.", "ok"),
        (PANEL_DAY, "demo", "load-demo", "Imported CSP allocations from csp_allocations.csv: 9 rows, 9 new.", "ok"),
        (PANEL_DAY, "demo", "load-demo", "Imported CSP spend from csp_spend.csv: 32 rows, 32 new.", "ok"),
    ]
    with pytest.raises(NotEmptyError):
        load_demo(db, "demo", PANEL_DAY)
    assert len([e for e in entries(db) if e.action == "load-demo"]) == 4   # a refused second load adds none


def test_cli_load_demo_writes_one_audit_row_per_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env["KPIBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"
    for args in (["init"], ["load-demo"]):
        done = subprocess.run([KPIBOT, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    shown = subprocess.run([KPIBOT, "audit"], env=env, capture_output=True, text=True, timeout=120)
    actions = [line.split()[4] for line in shown.stdout.splitlines()[2:]]   # after the heading and its rule
    assert actions == ["init", "load-demo", "load-demo", "load-demo", "load-demo"]


def test_an_import_and_its_audit_row_are_written_together_or_not_at_all(db, write_file):
    from storage.importers.common import ImportRejected
    from storage.importers.reviews import import_reviews

    good = write_file("reviews.csv", "reference,received\nCR-1,2025-07-01\n")
    bad = write_file("later.csv", "reference,received\nCR-2,2025-13-01\n")
    with db.session() as session:
        import_reviews(session, good, "analyst.one", PANEL_DAY, place=Address("slack", "C0PERF", "T0WORK"))
    with pytest.raises(ImportRejected), db.session() as session:
        import_reviews(session, bad, "analyst.one", PANEL_DAY)
    log = [(e.actor, e.where, e.action, e.detail, e.outcome) for e in entries(db) if e.action != "init"]
    assert log == [("analyst.one", "slack:T0WORK:C0PERF", "import reviews",
                    "Imported reviews from reviews.csv: 1 row, 1 new.", "ok")]
