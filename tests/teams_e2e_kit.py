"""The Teams adapter served for real against the fake Entra and Bot Connector, for the end-to-end tests: the demo
data, the Panel day as the clock, the bot's settings pointed at the fakes, and the people who talk to it."""
from __future__ import annotations

import importlib.util
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from bot.settings import Settings
from bot.wiring import build_kpibot
from tests.conftest import PANEL_DAY
from tests.fake_teams import (
    ADAPTIVE_CARD, APP_ID, APP_PASSWORD, TENANT_ID, FakeConnector, FakeEntra, FakeFileHost, TeamsUser,
    file_message, installation_activity, message_activity, send_activity,
)

SERVING = "bot.teams.serving"
SERVING_MISSING = f"{SERVING} (start_teams) has not landed yet: the Teams adapter's serving module is missing"

ANNE = TeamsUser("29:1anne-analyst-fake", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "Anne Analyst")
ADMIN = TeamsUser("29:1ada-admin-fake", "3c2b1a09-8f7e-4d6c-9b5a-493827161504", "Ada Admin")
GUEST = TeamsUser("29:1gus-guest-fake", "7f6e5d4c-3b2a-4190-8807-f6e5d4c3b2a1", "Gus Guest", role="guest")
VIEWER = TeamsUser("29:1vic-viewer-fake", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "Vic Viewer")
ANNE_CHAT = "a:1anne-personal-chat-fake"
# A team's General channel: its id is the team's own.
CHANNEL = "19:perf0scrutiny0general@thread.tacv2"


def require_serving() -> None:
    """Skip the module when the adapter's serving module is not there yet (and only then: an import error in
    it fails the tests, as it should)."""
    if importlib.util.find_spec(SERVING) is None:
        pytest.skip(SERVING_MISSING, allow_module_level=True)


def teams_settings(db_url: str, entra: FakeEntra, **extra: Any) -> Settings:
    return Settings(database_url=db_url, teams_app_id=APP_ID, teams_app_password=APP_PASSWORD,
                    teams_tenant_id=TENANT_ID, teams_openid_metadata_url=entra.metadata_url,
                    teams_token_url=entra.token_url, admin_user_ids=ADMIN.aad_object_id, _env_file=None, **extra)


def teams_environment(db_url: str, entra: FakeEntra) -> dict[str, str]:
    """The same settings as a process reads them."""
    return {"KPIBOT_DATABASE_URL": db_url, "TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": APP_PASSWORD,
            "TEAMS_TENANT_ID": TENANT_ID, "KPIBOT_TEAMS_OPENID_METADATA_URL": entra.metadata_url,
            "KPIBOT_TEAMS_TOKEN_URL": entra.token_url, "KPIBOT_ADMIN_USER_IDS": ADMIN.aad_object_id}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TeamsRig:
    """The bot at `url`, the fakes it talks to, and its composition root."""

    entra: FakeEntra
    connector: FakeConnector
    root: Any
    url: str
    files: FakeFileHost | None = None

    @property
    def service_url(self) -> str:
        return self.connector.service_url

    def send(self, activity: dict, token: str | None = "valid") -> tuple[int, Any]:
        """Post `activity` to the bot with a valid Bot Connector token (or `token` as given; None for none)."""
        if token == "valid":
            token = self.entra.mint_inbound(activity["serviceUrl"])
        return send_activity(self.url, activity, token)

    def say(self, text: str, conversation: str = ANNE_CHAT, user: TeamsUser = ANNE,
            conversation_type: str = "personal") -> tuple[int, Any]:
        return self.send(message_activity(text, conversation, user, TENANT_ID, self.service_url, conversation_type))

    def host_file(self, name: str, content: bytes, **options: Any) -> str:
        """Keep a file where Teams keeps one sent to the bot; its download URL (tests.fake_teams_files)."""
        return self.files.host_file(name, content, **options)

    def send_files(self, files: list[tuple[str, str]], conversation: str = ANNE_CHAT,
                   user: TeamsUser = ANNE) -> tuple[int, dict]:
        """Send files (name, download URL) in a personal chat; the status and the activity sent."""
        activity = file_message(files, conversation, user, TENANT_ID, self.service_url)
        return self.send(activity)[0], activity

    def press(self, line: str, conversation: str = ANNE_CHAT, user: TeamsUser = ANNE,
              on: str | None = None) -> tuple[int, Any]:
        """Press a card's button that runs `line`, as Teams sends an Action.Submit's data: a message with the
        button's data, in reply to the message `on` that holds the card (where the test names it)."""
        value = {"kpibot": "run", "line": line}
        activity = message_activity(None, conversation, user, TENANT_ID, self.service_url, value=value)
        if on is not None:
            activity["replyToId"] = on
        return self.send(activity)

    def install_in_channel(self, channel: str = CHANNEL, by: TeamsUser = ADMIN, action: str = "add") -> None:
        status, _ = self.send(installation_activity(channel, by, TENANT_ID, self.service_url, "channel",
                                                    action=action))
        assert status < 300, status

    def cards(self, conversation: str) -> list[dict]:
        return self.connector.cards(conversation)


@contextmanager
def running_rig(demo_db, people: tuple[TeamsUser, ...] = (ANNE, ADMIN, GUEST, VIEWER), clock=lambda: PANEL_DAY,
                **settings: Any) -> Iterator[TeamsRig]:
    """The Teams adapter serving `demo_db` with its fakes (Entra, the Bot Connector, the file host), `settings`
    added to the kit's; `people` are in every conversation's roster."""
    from bot.teams.serving import start_teams

    with FakeEntra() as entra, FakeConnector(entra) as connector, FakeFileHost() as files:
        for person in people:
            connector.add_member(person)
        root = build_kpibot(teams_settings(demo_db.url, entra, **settings), demo_db, clock=clock)
        server = start_teams(root, "127.0.0.1", free_port())
        try:
            yield TeamsRig(entra, connector, root, server.url, files)
        finally:
            server.stop()


@pytest.fixture
def teams(demo_db) -> Iterator[TeamsRig]:
    """The Teams adapter serving the demo data on the Panel day, with its fakes; everyone the tests name is in
    every conversation's roster."""
    with running_rig(demo_db) as rig:
        yield rig


def labelled(card: dict) -> dict[str, str]:
    """A card's labelled values as a person reads them: its FactSets' facts, and its two-column table rows."""
    from bot.teams.card_text import read_as_shown
    from tests.adaptive_cards import card_elements, card_texts

    pairs = {read_as_shown(fact["title"]): read_as_shown(fact["value"])
             for fact_set in card_elements(card, "FactSet") for fact in fact_set.get("facts", [])}
    for row in card_elements(card, "TableRow"):
        cells = row.get("cells", [])
        if len(cells) == 2:
            label, value = (" ".join(card_texts({"body": cell.get("items", [])})) for cell in cells)
            pairs[label] = value
    return pairs


def card_images(cards: list[dict]) -> list[dict]:
    """The Image elements of the cards, wherever they sit."""
    from tests.adaptive_cards import card_elements

    return [image for card in cards for image in card_elements(card, "Image")]


def activity_texts(activity: dict) -> list[str]:
    """What a person reads of an activity: its text, and the texts of its cards."""
    from tests.adaptive_cards import card_texts

    texts = [activity["text"]] if activity.get("text") else []
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == ADAPTIVE_CARD:
            texts += card_texts(attachment["content"])
    return texts
