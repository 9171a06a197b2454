"""The composition root: settings -> database -> registry -> platforms -> digest scheduler, built once, in order,
and what every entry point (serve, run, digest run, console, ask) is given."""
from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from bot.console.platform import ConsolePlatform
from bot.metrics import observe_command
from bot.settings import Settings
from bot.wiring import build_kpibot
from storage import digest_store
from storage.addresses import Address
from storage.audit import entries
from tests.fake_slack import FakeSlack

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
TOKEN = "xoxb-composition-test"
SECRET = "composition-test-secret"


def test_each_piece_is_given_what_the_ones_before_it_built(db):
    settings = Settings(database_url=db.url, _env_file=None)
    root = build_kpibot(settings, db, clock=lambda: PANEL_DAY)
    context = root.registry.context
    assert root.settings is settings and context.db is root.db is db
    assert context.clock() == PANEL_DAY
    assert {"/kpi", "/reviews", "/csp", "/snapshot", "/digest"} <= set(root.registry.handlers)
    assert observe_command not in root.registry.observers   # counted only where a process serves (/metrics)
    assert observe_command in build_kpibot(settings, db, metrics=True).registry.observers
    assert set(root.platforms) == {"console"} and isinstance(root.console, ConsolePlatform)
    assert root.slack is None and root.chat is None
    assert context.platforms is root.platforms
    assert root._scheduler is None   # not built until a process asks for it: a one-shot ask never does
    context.subscriptions_changed()   # and with none, a changed subscription has nothing to tell
    assert root.scheduler.db is db and dict(root.scheduler.platforms) == {}   # the console takes no digests
    assert root.scheduler is root.scheduler and root.scheduler.clock() == PANEL_DAY
    assert context.subscriptions_changed == root.subscriptions_changed
    assert not root.scheduler.running   # building starts nothing; the Slack adapter starts it


def test_the_console_runs_its_lines_through_the_console_platform(demo_db):
    from bot.console.repl import run_console

    root = build_kpibot(Settings(database_url=demo_db.url, _env_file=None), demo_db, clock=lambda: PANEL_DAY)
    out = io.StringIO()
    assert run_console(root.registry, stdin=io.StringIO("/kpi calls-under-25s\n"), stdout=out,
                       platform=root.console) == 1
    assert "Calls answered under 25 seconds: 58% (Jul-Sep 2025)" in out.getvalue()
    [entry] = [e for e in entries(demo_db) if e.action == "/kpi"]
    assert (entry.actor, entry.platform, entry.place) == ("console", "console", "console")


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """`kpibot` run in this process: settings from the environment only, no .env file found."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "KPIBOT_SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(args: list[str], **env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        from bot.cli import build_app

        return CliRunner().invoke(build_app(), args)
    return run


def test_kpibot_ask_goes_through_the_console_platform(demo_db, cli_env):
    result = cli_env(["ask", "/kpi calls-under-25s"], KPIBOT_DATABASE_URL=demo_db.url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("Calls answered under 25 seconds: 58%")
    [entry] = [e for e in entries(demo_db) if e.action == "/kpi"]
    assert (entry.actor, entry.platform, entry.place, entry.outcome) == ("console", "console", "console", "ok")


def test_a_slack_configured_root_serves_the_console_and_slack(db):
    with FakeSlack() as fake:
        settings = Settings(database_url=db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, _env_file=None)
        root = build_kpibot(settings, db, clock=lambda: PANEL_DAY)
        assert set(root.platforms) == {"console", "slack"}
        assert root.chat is root.slack and root.slack.name == "slack"
        assert dict(root.scheduler.platforms) == {"slack": root.slack}
        assert root.slack.address("C0GOV") == Address("slack", "C0GOV")   # one workspace per deployment: ""
        fake.leave_channel("C0NOPE")
        assert root.context.can_post(Address("slack", "C0NOPE")) is not None   # asked of Slack
        assert root.context.can_post(Address("slack", "C0GOV")) is None


def test_digest_run_delivers_to_the_channel_given_through_the_roots_slack(demo_db, cli_env):
    with FakeSlack() as fake:
        result = cli_env(["digest", "run", "weekly", "--channel", "C0GOV", "--as-of", "2025-10-27"],
                         KPIBOT_DATABASE_URL=demo_db.url, SLACK_BOT_TOKEN=TOKEN, KPIBOT_SLACK_API_URL=fake.api_url)
        posted = fake.messages("C0GOV")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("weekly digest 2025-W44 to C0GOV: posted (")
    assert len(posted) == 1
    [record] = digest_store.deliveries(demo_db)
    assert record.address == Address("slack", "C0GOV") and record.state == "posted"


def test_digest_run_without_slack_says_so_and_a_dry_run_needs_no_slack(demo_db, cli_env, tmp_path):
    from bot.cli import Failure

    refused = cli_env(["digest", "run", "weekly", "--channel", "C0GOV"], KPIBOT_DATABASE_URL=demo_db.url)
    assert isinstance(refused.exception, Failure)
    assert str(refused.exception).startswith("SLACK_BOT_TOKEN is not set: posting needs Slack")
    out = tmp_path / "digest"
    written = cli_env(["digest", "run", "weekly", "--dry-run", "--out", str(out), "--as-of", "2025-10-27"],
                      KPIBOT_DATABASE_URL=demo_db.url)
    assert written.exit_code == 0, written.output
    assert sorted(path.name for path in out.iterdir() if not path.name.endswith(".png")) == \
        ["weekly-2025-W44.json", "weekly-2025-W44.txt"]
    assert json.loads((out / "weekly-2025-W44.json").read_text())["held_reason"] is None
    assert "response_type" not in json.loads((out / "weekly-2025-W44.json").read_text())   # a post, not a reply


def test_digest_run_again_posts_a_held_digest_once_its_figures_are_in(demo_db, cli_env):
    """Held back (no figures for the week yet), then run again with --again: posted once; --again never posts
    a digest that was posted."""
    from sqlalchemy import update

    from storage.models import DigestDeliveryRow

    run = ["digest", "run", "weekly", "--channel", "C0GOV", "--as-of", "2025-10-27"]
    env = dict(KPIBOT_DATABASE_URL=demo_db.url, SLACK_BOT_TOKEN=TOKEN)
    with FakeSlack() as fake:
        env["KPIBOT_SLACK_API_URL"] = fake.api_url
        # As if this week's run had found no figures: the ledger says held.
        first = cli_env(run, **env)
        assert first.exit_code == 0, first.output
        with demo_db.session() as session:
            session.execute(update(DigestDeliveryRow).values(state="held", error="no figures", message_ref=None))
        before = len(fake.messages("C0GOV"))
        plain = cli_env(run, **env)
        assert "already delivered or being delivered: nothing posted" in plain.output
        again = cli_env([*run, "--again"], **env)
        assert again.exit_code == 0, again.output
        assert "reopened, posting it again" in again.output and "posted (" in again.output
        assert len(fake.messages("C0GOV")) == before + 1
        twice = cli_env([*run, "--again"], **env)
        assert "already delivered or being delivered: nothing posted" in twice.output
        assert len(fake.messages("C0GOV")) == before + 1
    [record] = digest_store.deliveries(demo_db)
    assert record.state == "posted"
