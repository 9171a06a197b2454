"""The signing kit against the real Slack libraries: requests built by tests.slack_signing pass slack_sdk's
verifier and a Bolt app's (talking to FakeSlack), and tampered or stale ones are refused as Slack's would be."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from tests.fake_slack import fake_slack  # noqa: F401  (a fixture)
from tests.slack_signing import block_actions_body, post_signed, sign, slash_command_body

SECRET = "kpibot-test-signing-secret"
NOW = 1_760_000_000
CHANNEL = "C0KPI"


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_sign_reproduces_slacks_documented_example():
    # The worked example in Slack's "Verifying requests from Slack".
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")

    headers = sign(body, "8f742231b10e8888abcd99yyyzzz85a5", timestamp=1531420618)

    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def test_signature_verifier_accepts_sign_and_rejects_tampering_and_stale_timestamps():
    verifier = SignatureVerifier(SECRET, clock=FixedClock(NOW))
    body = slash_command_body("/kpi", "calls-under-25s")
    fresh = sign(body, SECRET, timestamp=NOW)
    stale = sign(body, SECRET, timestamp=NOW - 6 * 60)

    assert verifier.is_valid(body, fresh["X-Slack-Request-Timestamp"], fresh["X-Slack-Signature"])
    assert not verifier.is_valid(body.replace("calls", "falls"), fresh["X-Slack-Request-Timestamp"],
                                 fresh["X-Slack-Signature"])
    assert not verifier.is_valid(body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])


def test_slash_command_body_carries_every_field_slack_sends():
    body = slash_command_body("/kpi", "public interaction", response_url="http://127.0.0.1:1/response/x")

    fields = {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}
    assert list(fields) == ["token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
                            "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id"]
    assert (fields["command"], fields["text"], fields["user_id"]) == ("/kpi", "public interaction", "U0USER")
    assert "command=%2Fkpi&text=public+interaction" in body


class _BoltHandler(BaseHTTPRequestHandler):
    """Hands each request to the server's Bolt app, as any HTTP adapter does."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        answer = self.server.app.dispatch(BoltRequest(body=body, headers=dict(self.headers.items())))
        payload = answer.body.encode("utf-8")
        self.send_response(answer.status)
        for name, values in answer.headers.items():
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def bolt_url(fake_slack):
    """A small Bolt app in HTTP mode, talking to the fake: /kpi responds, a button click posts."""
    app = App(token="xoxb-test", signing_secret=SECRET,
              client=WebClient(token="xoxb-test", base_url=fake_slack.api_url))

    @app.command("/kpi")
    def kpi(ack, respond, command):
        ack()
        respond(text=f"You asked for {command['text']}")

    @app.action("show_chart")
    def show_chart(ack, say, action):
        ack()
        say(text=f"Chart for {action['value']}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), _BoltHandler)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_bolt_app_accepts_signed_requests_and_reaches_the_fake(bolt_url, fake_slack):
    command = slash_command_body("/kpi", "calls-under-25s", response_url=fake_slack.response_url("kpi"))
    click = block_actions_body("show_chart", value="calls-under-25s", channel_id=CHANNEL)

    command_answer = post_signed(bolt_url, command, SECRET)
    click_answer = post_signed(bolt_url, click, SECRET)

    assert (command_answer.status, click_answer.status) == (200, 200)
    assert command_answer.elapsed < 3
    assert fake_slack.wait_for(lambda: fake_slack.responses("kpi")) == [{"text": "You asked for calls-under-25s"}]
    [posted] = fake_slack.wait_for(lambda: fake_slack.messages(CHANNEL))
    assert posted["text"] == "Chart for calls-under-25s"


def test_a_bolt_app_refuses_tampered_and_stale_requests(bolt_url, fake_slack):
    command = slash_command_body("/kpi", "calls-under-25s", response_url=fake_slack.response_url("kpi"))

    tampered = post_signed(bolt_url, command, SECRET, tamper=True)
    stale = post_signed(bolt_url, command, SECRET, timestamp=int(time.time()) - 6 * 60)

    assert (tampered.status, stale.status) == (401, 401)
    assert fake_slack.responses() == []
