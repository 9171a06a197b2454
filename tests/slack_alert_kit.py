"""The office's Slack for alert tests, end to end: the real Bolt app in HTTP mode, wired as `kpibot serve` wires
it, against the fake Slack, on a clock the test moves; an admin's slash commands and an editor's uploads signed
as Slack signs them."""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from bot.settings import Settings
from bot.slack.app import build_slack_app
from bot.slack.http_server import SlackHTTPServer
from bot.wiring import Kpibot, build_kpibot
from storage.db import Database
from tests.fake_slack import FakeSlack
from tests.slack_signing import block_actions_body, file_share_event, post_event, post_signed, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-0000-test-token"
ADMIN, EDITOR = "U0ADMIN", "U0EDITOR"
EDITOR_DM = "D0EDITOR"
LEADERS, GOVERNANCE = "C0LEADERS", "C0GOV"   # governance is the allowed channel: it sees case references


@dataclass
class OfficeSlack:
    """The running app, the fake Slack it talks to, the composition root behind it and the clock's one hand."""

    url: str
    fake: FakeSlack
    root: Kpibot
    settings: Settings
    hand: list[datetime]

    @property
    def db(self) -> Database:
        return self.root.db

    def admin(self, text: str, name: str = "/alert") -> dict:
        """An admin's slash command: the ack's body."""
        body = slash_command_body(name, text, user_id=ADMIN, response_url=self.fake.response_url("admin"))
        answer = post_signed(self.url, body, SECRET)
        assert answer.status == 200, answer.body
        return json.loads(answer.body)

    def drop(self, name: str, content: bytes) -> dict:
        """The editor shares a file in the bot's direct message: the bot's answer there."""
        before = len(self.fake.messages(EDITOR_DM))
        file = self.fake.add_file(name, content, user=EDITOR)
        assert post_event(self.url, file_share_event([file], EDITOR, EDITOR_DM), SECRET).status == 200
        return self.fake.wait_for(lambda: self.fake.messages(EDITOR_DM)[before:], timeout=20)[0]

    def press(self, message: dict, label: str, name: str) -> dict:
        """The editor clicks the button labelled `label` on `message`: the message that replaces it."""
        button, = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["text"]["text"] == label]
        click = block_actions_body(button["action_id"], value=button["value"], button_text=label, user_id=EDITOR,
                                   channel_id=EDITOR_DM, message_ts=message["ts"],
                                   response_url=self.fake.response_url(name))
        assert post_signed(self.url, click, SECRET).status == 200
        return self.fake.wait_for(lambda: self.fake.responses(name), timeout=20)[0]


@contextlib.contextmanager
def office_slack(db: Database, moment: datetime) -> Iterator[OfficeSlack]:
    """The app serving on a free port, its clock standing at `moment` until the test moves `hand[0]`."""
    hand = [moment]
    with FakeSlack(bot_token=TOKEN) as fake:
        settings = Settings(database_url=db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, admin_user_ids=ADMIN, editor_user_ids=EDITOR,
                            sensitive_channel_ids=GOVERNANCE, _env_file=None)
        root = build_kpibot(settings, db, clock=lambda: hand[0], metrics=True)   # as `kpibot serve`
        server = SlackHTTPServer(build_slack_app(settings, root.registry, platform=root.slack), "127.0.0.1", 0)
        server.start_in_thread()
        fake.open_direct_message(EDITOR_DM, EDITOR)
        try:
            yield OfficeSlack(f"http://127.0.0.1:{server.port}/slack/events", fake, root, settings, hand)
        finally:
            server.shutdown()
            server.server_close()
