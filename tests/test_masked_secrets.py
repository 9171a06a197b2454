"""No credential in any message: the real `kpibot` run with database URLs and Slack credentials that will not do
(a bad scheme, a host out of reach, a wrong password, tokens Slack refuses or that were pasted badly) says what is
wrong and never prints the password or the token, on stdout, on stderr or in its logs."""
from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.settings import Settings, SettingsError, load_settings
from storage.masking import is_secret_name, mask, url_secrets
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
SECRET = "swordfish"   # in every credential below: it must appear in no output
SIGNING = "8f742231b10e8888abcd99yyyzzzswordfish"


# -- the masking rule ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("invalid (got 'mysql://u:SECRET@h/db')", "invalid (got 'mysql://u:***@h/db')"),
    ("postgresql+psycopg://kpibot:SEC@RET@db.internal:5432/kpi", "postgresql+psycopg://kpibot:***@db.internal:5432/kpi"),
    ("at postgresql://u:SE/CRET@h/db: refused", "at postgresql://u:***@h/db: refused"),
    ("at postgresql://u@h/db?sslmode=require&password=SECRET: refused",
     "at postgresql://u@h/db?sslmode=require&password=***: refused"),
    ("https://proxy:SECRET@proxy.example/api/ and https://other.example/", "https://proxy:***@proxy.example/api/ "
     "and https://other.example/"),
    ("Bearer xoxb-1234-5678-SECRET refused", "Bearer xoxb-*** refused"),
    ("app token xapp-1-A0-SECRET", "app token xapp-***"),
    ("postgresql://postgres@127.0.0.1:5432/kpibot", "postgresql://postgres@127.0.0.1:5432/kpibot"),
    ("sqlite:////data/kpibot.db", "sqlite:////data/kpibot.db"),
])
def test_urls_and_tokens_are_masked_wherever_they_appear(text, expected):
    assert mask(text) == expected


def test_a_known_secret_is_masked_as_written_decoded_and_encoded():
    assert mask("p=SE%40CRET, p=SE@CRET, Bearer SECRET-sig", ["SE%40CRET", "SECRET-sig"]) == "p=***, p=***, Bearer ***"
    assert mask("a short one: abc", ["abc"]) == "a short one: abc"


@pytest.mark.parametrize("name, secret", [
    ("SLACK_BOT_TOKEN", True), ("SLACK_SIGNING_SECRET", True), ("SLACK_APP_TOKEN", True),
    ("KPIBOT_SMTP_PASSWORD", True), ("teams_app_password", True), ("slack_bot_token", True),
    ("KPIBOT_DATABASE_URL", False), ("KPIBOT_LOADED_BY", False), ("KPIBOT_TOKENS_SEEN", False),
])
def test_secret_settings_are_known_by_name(name, secret):
    assert is_secret_name(name) is secret


def test_a_url_gives_up_its_password_and_query_secrets():
    assert url_secrets("postgresql+psycopg://u:SE%40CRET@h/db?sslmode=require&password=QSECRET") == [
        "SE%40CRET", "QSECRET"]
    assert url_secrets("postgresql+psycopg://postgres@h/db") == []


def test_settings_know_their_secrets_and_never_show_them_in_repr():
    settings = Settings(database_url="postgresql://kpibot:swordfish-db@h/db", slack_bot_token="xoxb-swordfish-bot",
                        slack_signing_secret=SIGNING, _env_file=None)
    assert sorted(settings.secret_values()) == sorted(["swordfish-db", "xoxb-swordfish-bot", SIGNING])
    assert SECRET not in repr(settings)
    assert "postgresql+psycopg://kpibot:***@h/db" in repr(settings)
    assert settings.mask(f"signed with {SIGNING}") == "signed with ***"


@pytest.mark.parametrize("env, expected", [
    ({"KPIBOT_DATABASE_URL": "mysql://u:swordfish@h/db"},
     "invalid setting KPIBOT_DATABASE_URL: must be a sqlite:/// or postgresql+psycopg:// URL "
     "(got 'mysql://u:***@h/db')"),
    ({"SLACK_BOT_TOKEN": "xoxb-swordfish\n"}, "invalid setting SLACK_BOT_TOKEN: holds a space, a line break"),
    ({"SLACK_SIGNING_SECRET": "8f74 swordfish"}, "invalid setting SLACK_SIGNING_SECRET: holds a space"),
    ({"SLACK_APP_TOKEN": "xapp-1-swordfish\u2013"}, "invalid setting SLACK_APP_TOKEN: holds a space"),
])
def test_an_invalid_setting_names_itself_but_not_its_secret(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None)
    assert str(refused.value).startswith(expected)
    assert SECRET not in str(refused.value)


# -- the real command line ----------------------------------------------------------------------------------

class WrongPasswordServer:
    """Speaks just enough of PostgreSQL's protocol to ask for a password and refuse it, as a server does
    for a wrong one (SQLSTATE 28P01)."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.passwords: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._refuse, args=(connection,), daemon=True).start()

    def _refuse(self, connection: socket.socket):
        with connection:
            try:
                while True:
                    length, code = struct.unpack("!II", _read(connection, 8))
                    _read(connection, length - 8)
                    if code in (80877103, 80877104):   # SSLRequest, GSSENCRequest: not here
                        connection.sendall(b"N")
                        continue
                    break
                connection.sendall(b"R" + struct.pack("!II", 8, 3))   # AuthenticationCleartextPassword
                kind, length = _read(connection, 1), struct.unpack("!I", _read(connection, 4))[0]
                self.passwords.append(_read(connection, length - 4))
                fields = b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"kpibot\"\0\0"
                connection.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)
            except (OSError, struct.error):
                pass

    def close(self):
        self._listener.close()


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


@pytest.fixture(scope="module")
def wrong_password():
    server = WrongPasswordServer()
    yield server
    server.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kpibot(args, cwd, env_extra, timeout=90):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update(env_extra)
    return subprocess.run([KPIBOT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _assert_masked(result, *expected):
    shown = result.stdout + result.stderr
    assert result.returncode != 0, shown
    assert SECRET not in shown, shown
    assert "Traceback" not in shown, shown
    for text in expected:
        assert text in shown, shown


COMMANDS = {
    "init": ["init"],
    "run": ["run"],
    "serve": ["serve", "--port", "0", "--host", "127.0.0.1"],
    "import": ["import", "observations", "figures.csv"],
    "digest-dry-run": ["digest", "run", "weekly", "--dry-run", "--out", "out"],
    "digest-post": ["digest", "run", "weekly", "--channel", "C0LEAD"],
}
DATABASE_URLS = {
    "bad-scheme": ("mysql://kpibot:swordfish@db.internal/kpi", "invalid setting KPIBOT_DATABASE_URL"),
    "at-sign-in-password": ("postgresql://kpibot:swordfish@swordfish@db.internal/kpi", "%40"),
    "unreadable-port": ("postgresql://kpibot:swordfish@db.internal:fivefourthreetwo/kpi", "port is not a number"),
    "unknown-driver": ("postgresql+asyncpg://kpibot:swordfish@db.internal/kpi", "driver kpibot does not have"),
    "host-not-found": ("postgresql://kpibot:swordfish@db.invalid/kpi", "cannot reach the database"),
    "port-closed": ("postgresql://kpibot:swordfish@127.0.0.1:{closed}/kpi", "Connection refused"),
    "password-in-query": ("postgresql://kpibot@127.0.0.1:{closed}/kpi?password=swordfish", "password=***"),
    "wrong-password": ("postgresql://kpibot:swordfish@127.0.0.1:{wrong}/kpi", "password authentication failed"),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("masked")
    (path / "figures.csv").write_text("metric,period,value\ncalls-under-25s,2025-09,58\n")
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
@pytest.mark.parametrize("case", DATABASE_URLS, ids=list(DATABASE_URLS))
def test_no_database_password_in_what_any_command_says(workdir, wrong_password, command, case):
    url, expected = DATABASE_URLS[case]
    url = url.format(closed=_closed_port(), wrong=wrong_password.port)
    result = _kpibot(COMMANDS[command], workdir, {
        "KPIBOT_DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-1-swordfish", "SLACK_SIGNING_SECRET": SIGNING,
        "KPIBOT_SLACK_API_URL": f"http://127.0.0.1:{_closed_port()}/api/", "KPIBOT_LOG_LEVEL": "DEBUG"})
    _assert_masked(result, expected)
    if case == "wrong-password":
        assert wrong_password.passwords and all(p.rstrip(b"\0") == SECRET.encode() for p in wrong_password.passwords)


@pytest.fixture(scope="module")
def ready(tmp_path_factory):
    """A directory with an initialised SQLite database: Slack's credentials are all that can go wrong."""
    path = tmp_path_factory.mktemp("slack")
    assert _kpibot(["init"], path, {}).returncode == 0
    return path


SERVE = COMMANDS["serve"]
DIGEST = COMMANDS["digest-post"]


@pytest.mark.parametrize("args, env, expected", [
    (SERVE, {"SLACK_BOT_TOKEN": "swordfish-not-a-bot-token", "SLACK_SIGNING_SECRET": SIGNING},
     "Slack refused SLACK_BOT_TOKEN (invalid_auth)"),
    (["run"], {"SLACK_BOT_TOKEN": "swordfish-not-a-bot-token", "SLACK_SIGNING_SECRET": SIGNING},
     "Slack refused SLACK_BOT_TOKEN (invalid_auth)"),
    (DIGEST, {"SLACK_BOT_TOKEN": "swordfish-not-a-bot-token"}, "failed: invalid_auth"),
    (SERVE, {"SLACK_BOT_TOKEN": "xoxb-1-swordfish\n", "SLACK_SIGNING_SECRET": SIGNING},
     "invalid setting SLACK_BOT_TOKEN: holds a space, a line break"),
    (DIGEST, {"SLACK_BOT_TOKEN": "xoxb-1-swordfish token"}, "invalid setting SLACK_BOT_TOKEN"),
    (SERVE, {"SLACK_BOT_TOKEN": "xoxb-1-swordfish", "SLACK_SIGNING_SECRET": SIGNING + "\r\n"},
     "invalid setting SLACK_SIGNING_SECRET"),
    (SERVE, {"SLACK_BOT_TOKEN": "xoxb-1-swordfish\u2019", "SLACK_SIGNING_SECRET": SIGNING},
     "invalid setting SLACK_BOT_TOKEN"),
], ids=["serve-refused", "run-refused", "digest-refused", "serve-line-break", "digest-space", "secret-line-break",
        "serve-not-ascii"])
def test_no_slack_credential_in_what_serve_run_or_digest_say(ready, args, env, expected):
    with FakeSlack() as fake:
        result = _kpibot(args, ready, {**env, "KPIBOT_SLACK_API_URL": fake.api_url, "KPIBOT_LOG_LEVEL": "DEBUG"})
    _assert_masked(result, expected)


def test_no_app_token_when_slack_refuses_it(ready):
    with FakeSocketMode() as fake:
        result = _kpibot(SERVE, ready, {"SLACK_BOT_TOKEN": "xoxb-1-swordfish", "SLACK_APP_TOKEN": "xoxb-swordfish-pasted",
                                        "KPIBOT_SLACK_API_URL": fake.api_url, "KPIBOT_LOG_LEVEL": "DEBUG"})
    _assert_masked(result, "Slack refused SLACK_APP_TOKEN (invalid_auth)")


def test_no_password_of_a_slack_address_out_of_reach(ready):
    port = _closed_port()
    result = _kpibot(SERVE, ready, {"SLACK_BOT_TOKEN": "xoxb-1-swordfish", "SLACK_SIGNING_SECRET": SIGNING,
                                    "KPIBOT_SLACK_API_URL": f"http://proxy:swordfish@127.0.0.1:{port}/api/"})
    _assert_masked(result, f"Can't reach Slack at http://proxy:***@127.0.0.1:{port}/api/ (")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_with_password(request, ready):
    """The database a running bot uses, its URL carrying a password where the database takes one (PostgreSQL
    here trusts local connections, so any password is let in and then carried in the URL all the while)."""
    if request.param == "sqlite":
        return f"sqlite:///{ready / 'kpibot.db'}"
    url = make_url(request.getfixturevalue("postgres_migrated")).set(password="swordfish-db-password")
    return url.render_as_string(hide_password=False)


def test_a_running_bot_logs_no_credential_even_at_debug(ready, database_with_password):
    """serve starts, answers a slash command, and stops: its debug log holds neither token nor password."""
    from tests.slack_signing import post_signed, slash_command_body

    with FakeSlack() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
        env.update({"SLACK_BOT_TOKEN": "xoxb-1-swordfish", "SLACK_SIGNING_SECRET": SIGNING,
                    "KPIBOT_SLACK_API_URL": fake.api_url, "KPIBOT_LOG_LEVEL": "DEBUG",
                    "KPIBOT_DATABASE_URL": database_with_password})
        process = subprocess.Popen([KPIBOT, *SERVE], cwd=ready, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        lines = []
        try:
            for line in process.stdout:
                lines.append(line)
                if "listening for Slack on" in line:
                    break
            port = int(lines[-1].rsplit(":", 1)[1].split("/")[0])
            body = slash_command_body("/kpi", "calls-under-25s", response_url=fake.response_url())
            assert post_signed(f"http://127.0.0.1:{port}/slack/events", body, SIGNING).status == 200
        finally:
            process.send_signal(signal.SIGTERM)
            rest, _ = process.communicate(timeout=30)
    shown = "".join(lines) + rest
    assert "listening for Slack on" in shown
    assert SECRET not in shown, shown
