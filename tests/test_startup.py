"""`kpibot serve` at start and once running: a refusal or an unreachable Slack stops it in one line naming what to
check; a running Socket Mode connection rides out drops with one log line each."""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.app import build_registry
from bot.settings import Settings
from bot.slack.app import build_slack_app
from bot.slack.connection import SocketModeConnection
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
BOT_TOKEN = "xoxb-0000-test-token"
APP_TOKEN = "xapp-1-test-token"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory with an initialised database (the catalog, no figures): all `serve` needs to start."""
    path = tmp_path_factory.mktemp("serve")
    assert _kpibot(["init"], path).returncode == 0
    return path


def _kpibot(args, cwd, env_extra=None, **kwargs):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update(env_extra or {})
    return subprocess.run([KPIBOT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=90, **kwargs)


def _serve(workdir, env, args=("--port", "0", "--host", "127.0.0.1")):
    return _kpibot(["serve", *args], workdir, env)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _assert_one_line(result, *expected):
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("mode", [{"SLACK_SIGNING_SECRET": SECRET}, {"SLACK_APP_TOKEN": APP_TOKEN}],
                         ids=["http", "socket"])
def test_a_bot_token_slack_refuses_stops_serve_in_one_line(workdir, mode):
    with FakeSlack() as fake:
        result = _serve(workdir, {"SLACK_BOT_TOKEN": "not-a-bot-token", "KPIBOT_SLACK_API_URL": fake.api_url, **mode})
        assert [c.error for c in fake.calls("auth.test")] == ["invalid_auth"]
    _assert_one_line(result, "kpibot: Slack refused SLACK_BOT_TOKEN (invalid_auth)", "Bot User OAuth Token",
                     "Install App page")


def test_slack_refused_connection_stops_serve_in_one_line(workdir):
    port = _closed_port()
    result = _serve(workdir, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                              "KPIBOT_SLACK_API_URL": f"http://127.0.0.1:{port}/api/"})
    _assert_one_line(result, f"Can't reach Slack at http://127.0.0.1:{port}/api/ (connection refused)",
                     "check the network or KPIBOT_SLACK_API_URL")


def test_a_slack_address_that_does_not_resolve_stops_serve_in_one_line(workdir):
    result = _serve(workdir, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
                              "KPIBOT_SLACK_API_URL": "http://slack.invalid/api/"})
    _assert_one_line(result, "Can't reach Slack at http://slack.invalid/api/ (host name not found)",
                     "KPIBOT_SLACK_API_URL")


def test_an_address_that_is_not_slack_is_named(workdir):
    with FakeSlack() as fake:
        address = f"{fake.url}/not-the-api/"
        result = _serve(workdir, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                  "KPIBOT_SLACK_API_URL": address})
    _assert_one_line(result, f"{address} did not answer as Slack's Web API does (HTTP 404)", "KPIBOT_SLACK_API_URL")


def test_an_app_token_slack_refuses_stops_serve_in_one_line(workdir):
    with FakeSocketMode() as fake:
        result = _serve(workdir, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-pasted-in-the-wrong-place",
                                  "KPIBOT_SLACK_API_URL": fake.api_url})
        assert fake.api_calls.count("apps.connections.open") == 1 and fake.opened == 0
    _assert_one_line(result, "Slack refused SLACK_APP_TOKEN (invalid_auth)", "App-Level Token", "connections:write")


def test_a_socket_mode_address_out_of_reach_stops_serve_in_one_line(workdir):
    with FakeSocketMode() as fake:
        fake.socket_url = f"ws://127.0.0.1:{_closed_port()}/link"
        result = _serve(workdir, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
                                  "KPIBOT_SLACK_API_URL": fake.api_url})
    _assert_one_line(result, "Can't open the Socket Mode connection to Slack (connection refused)", "proxy")


def test_a_port_in_use_stops_http_mode_in_one_line(workdir):
    with socket.socket() as taken, FakeSlack() as fake:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(workdir, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                  "KPIBOT_SLACK_API_URL": fake.api_url}, ("--port", str(port), "--host", "127.0.0.1"))
    _assert_one_line(result, f"Can't listen for Slack on 127.0.0.1:{port} (Address already in use)", "--port")


def test_socket_mode_serves_commands_until_stopped(workdir):
    """`docker stop` sends SIGTERM: the bot stops as on Ctrl-C, exit code 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    with FakeSocketMode() as fake:
        env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "KPIBOT_SLACK_API_URL": fake.api_url})
        process = subprocess.Popen([KPIBOT, "serve"], cwd=workdir, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            fake.wait_for(lambda: fake.connections(), timeout=30)
            envelope = fake.send_command("/kpi", "help")
            reply = fake.wait_for(lambda: fake.replies.get(envelope), timeout=30)
            assert "Public Interaction" in reply["text"]
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "connected to Slack in Socket Mode" in stderr
    assert "Traceback" not in stderr


# --- once running: drops, in-process with a short check interval -------------------------------------------

# Pings this often; the SDK calls a connection stale after four intervals without a pong (counted in whole
# seconds), so a machine busy enough to answer a ping a second late must not look like a drop.
CHECK_SECONDS = 1.0


@pytest.fixture
def connection(db):
    with FakeSocketMode() as fake:
        settings = Settings(database_url=db.url, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                            slack_api_url=fake.api_url, _env_file=None)
        app = build_slack_app(settings, build_registry(settings, db), socket_mode=True)
        connection = SocketModeConnection(app, APP_TOKEN, ping_interval=CHECK_SECONDS)
        connection.open()
        try:
            yield fake
        finally:
            connection.close()


def _our_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.slack.connection"]


def _wait_for_lines(caplog, count: int, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(_our_lines(caplog)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return _our_lines(caplog)


# A reset reaches the reader as ECONNRESET, or, when the kernel has already taken the peer's shutdown
# as end of stream before the RST arrives (seen on a busy machine), as a plain end of stream.
RESET_REASONS = ["connection reset", "closed by the other end"]


def _reopened(fake, drop: str) -> None:
    opened = fake.opened
    fake.drop(drop)
    fake.wait_for(lambda: fake.opened > opened and fake.connections())


def test_each_dropped_connection_is_reopened_with_one_log_line(connection, caplog):
    fake = connection
    caplog.set_level(logging.INFO)
    for count, drop in enumerate(["reset", "end", "close"], start=1):
        _reopened(fake, drop)
        _wait_for_lines(caplog, count)
    _reopened(fake, "refresh")  # Slack's routine refresh is no drop: nothing to say
    envelope = fake.send_command("/kpi", "help")
    assert "Public Interaction" in fake.wait_for(lambda: fake.replies.get(envelope))["text"]
    lines = _our_lines(caplog)
    assert len(lines) == 3, lines
    for line, reasons in zip(lines, [RESET_REASONS, ["closed by the other end"],
                                     ["closed by Slack, code 1001: going away"]]):
        assert any(line.startswith(f"Slack's Socket Mode connection dropped ({reason}); reconnected in ")
                   for reason in reasons), line
    noisy = [f"{r.name}: {r.getMessage()}" for r in caplog.records
             if r.levelno >= logging.INFO and r.name != "bot.slack.connection" and "slack" in r.name]
    assert noisy == []
    assert all(r.exc_info is None for r in caplog.records) and "Traceback" not in caplog.text


def test_a_closed_connection_costs_no_cpu_while_it_is_noticed(connection):
    """A FIN with no close frame: the SDK alone read it as 'nothing yet' in a busy loop until its stale check."""
    fake = connection
    started = time.process_time()
    _reopened(fake, "end")
    assert time.process_time() - started < 1.0


def test_an_outage_is_told_once_and_its_end_once(connection, caplog):
    fake = connection
    caplog.set_level(logging.INFO)
    fake.open_status = 503
    opened = fake.opened
    fake.drop("reset")
    fake.wait_for(lambda: fake.api_calls.count("apps.connections.open") >= 4, timeout=30)
    fake.open_status = None
    fake.wait_for(lambda: fake.opened > opened and fake.connections(), timeout=30)
    lines = _wait_for_lines(caplog, 2)
    assert len(lines) == 2, lines
    assert lines[0] in [f"Slack's Socket Mode connection dropped ({reason}) and can't be opened again yet "
                        f"(Slack answered HTTP 503, internal_error); trying again every {CHECK_SECONDS:g} s"
                        for reason in RESET_REASONS]
    assert lines[1].startswith("Slack's Socket Mode connection is back after ")
