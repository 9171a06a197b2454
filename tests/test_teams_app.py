"""The Teams app in process: a signed message activity to start_teams(...) is answered at the fake connector with
the figure (58% for calls answered under 25 seconds), installs and removals keep the references, a request
without a good token gets 401, and the local-only switch is refused beside real credentials."""
from __future__ import annotations

import logging

import pytest

from bot.settings import Settings
from bot.teams.errors import TeamsStartError
from bot.teams.serving import start_teams
from bot.wiring import build_kpibot
from storage import conversations, digest_store
from storage.addresses import Address
from tests.conftest import PANEL_DAY
from tests.fake_teams import (  # noqa: F401  (fixtures)
    APP_ID, APP_PASSWORD, TENANT_ID, FakeConnector, FakeEntra, TeamsUser, bot_account, conversation_update,
    fake_connector, fake_entra, installation_activity, message_activity, send_activity,
)

ANNE = TeamsUser("29:1anne-fake-id", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "Anne Analyst")
PERSONAL_CHAT = "a:1anne-personal"
CHANNEL = "19:perf0general@thread.tacv2"


def _settings(db, entra: FakeEntra, **extra) -> Settings:
    values = {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": APP_PASSWORD, "TEAMS_TENANT_ID": TENANT_ID,
              "teams_openid_metadata_url": entra.metadata_url, "teams_token_url": entra.token_url, **extra}
    return Settings(database_url=db.url, _env_file=None, **values)


@pytest.fixture
def teams(demo_db, fake_entra, fake_connector):
    root = build_kpibot(_settings(demo_db, fake_entra), demo_db, clock=lambda: PANEL_DAY)
    running = start_teams(root)
    yield root, running
    running.stop()


def _texts(activities: list[dict]) -> str:
    """Everything a person would read in the activities: their text and their cards' text."""
    import json

    return json.dumps(activities, ensure_ascii=False)


def test_a_signed_message_in_personal_chat_is_answered_with_the_figure(teams, fake_entra, fake_connector):
    root, running = teams
    activity = message_activity("kpi calls-under-25s", PERSONAL_CHAT, ANNE, service_url=fake_connector.service_url)
    status, _ = send_activity(running.url, activity, fake_entra.mint_inbound(fake_connector.service_url))
    assert status == 200
    answers = fake_connector.activities(PERSONAL_CHAT)
    assert len(answers) == 1
    assert "58%" in _texts(answers)
    assert answers[0]["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    # the reference was stored from the message, with the person of the personal chat
    stored = conversations.personal_chat(root.db, "teams", TENANT_ID, ANNE.aad_object_id)
    assert stored.conversation == PERSONAL_CHAT
    assert stored.reference["service_url"] == fake_connector.service_url
    assert stored.reference["conversation_type"] == "personal"


def test_slash_mention_and_help_forms_are_commands(teams, fake_entra, fake_connector):
    _, running = teams
    for text in ("/kpi calls-under-25s", "help"):
        activity = message_activity(text, PERSONAL_CHAT, ANNE, service_url=fake_connector.service_url)
        assert send_activity(running.url, activity, fake_entra.mint_inbound(fake_connector.service_url))[0] == 200
    first, second = fake_connector.activities(PERSONAL_CHAT)
    assert "58%" in _texts([first])
    assert "Sections and metrics" in _texts([second])   # /kpi help's answer


def test_a_message_naming_no_command_says_what_would_work(teams, fake_entra, fake_connector):
    _, running = teams
    activity = message_activity("hello there", PERSONAL_CHAT, ANNE, service_url=fake_connector.service_url)
    assert send_activity(running.url, activity, fake_entra.mint_inbound(fake_connector.service_url))[0] == 200
    assert [a.get("text") for a in fake_connector.activities(PERSONAL_CHAT)] == [
        "I answer alert, csp, digest, kpi, reviews, snapshot and upload: type one with what you want, for example "
        "`kpi calls-under-25s`, or `help`."]


def test_a_card_button_runs_its_line(teams, fake_entra, fake_connector):
    _, running = teams
    activity = message_activity(None, PERSONAL_CHAT, ANNE, service_url=fake_connector.service_url,
                                value={"kpibot": "run", "line": "/kpi calls-under-25s"})
    assert send_activity(running.url, activity, fake_entra.mint_inbound(fake_connector.service_url))[0] == 200
    assert "58%" in _texts(fake_connector.activities(PERSONAL_CHAT))


def test_a_request_without_a_good_token_is_refused_with_401(teams, fake_entra, fake_connector):
    _, running = teams
    activity = message_activity("kpi calls-under-25s", PERSONAL_CHAT, ANNE, service_url=fake_connector.service_url)
    assert send_activity(running.url, activity, None)[0] == 401
    other_service = "http://127.0.0.1:9/elsewhere/"
    assert send_activity(running.url, activity, fake_entra.mint_inbound(other_service))[0] == 401
    assert fake_connector.activities() == []


def test_in_a_channel_the_private_answer_goes_to_the_personal_chat(teams, fake_entra, fake_connector):
    root, running = teams
    fake_connector.add_member(ANNE)
    activity = message_activity("kpi calls-under-25s", CHANNEL, ANNE, service_url=fake_connector.service_url,
                                conversation_type="channel", team_id=CHANNEL)
    assert send_activity(running.url, activity, fake_entra.mint_inbound(fake_connector.service_url))[0] == 200
    chat = fake_connector.personal_chat(ANNE.id)
    assert chat is not None
    assert "58%" in _texts(fake_connector.activities(chat))
    in_channel = [a for a in fake_connector.activities() if a not in fake_connector.activities(chat)]
    assert [a.get("text") for a in in_channel] == ["I've sent my answer to Anne Analyst in our personal chat."]
    assert conversations.personal_chat(root.db, "teams", TENANT_ID, ANNE.aad_object_id).conversation == chat


def test_install_stores_the_reference_and_removal_retires_subscriptions(teams, fake_entra, fake_connector):
    root, running = teams
    service = fake_connector.service_url
    token = fake_entra.mint_inbound(service)
    assert send_activity(running.url, installation_activity(CHANNEL, ANNE, service_url=service), token)[0] == 200
    address = Address("teams", CHANNEL, TENANT_ID)
    stored = conversations.reference(root.db, address)
    assert stored.reference == {"service_url": service, "bot_id": f"28:{APP_ID}", "bot_name": "kpibot",
                                "conversation_type": "channel", "team_id": CHANNEL,
                                "team_aad_group_id": "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"}   # as the fake sends
    assert root.teams.can_post(address) is None
    digest_store.subscribe(root.db, address, "weekly", "mon", 8, 0, "Europe/London", ANNE.aad_object_id, PANEL_DAY)
    removed = conversation_update(CHANNEL, ANNE, service_url=service, members_removed=[bot_account()])
    assert send_activity(running.url, removed, token)[0] == 200
    assert conversations.reference(root.db, address) is None
    assert digest_store.active_subscriptions(root.db) == []
    assert root.teams.can_post(address).reason == "not installed"


def test_unauthenticated_switch_is_refused_beside_a_password(demo_db, fake_entra):
    settings = _settings(demo_db, fake_entra, KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED="1")
    root = build_kpibot(Settings(**{**settings.model_dump(), "teams_allow_unauthenticated": True}), demo_db)
    with pytest.raises(TeamsStartError, match="KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED is set together with"):
        start_teams(root)


class _AnyToken:
    """The Playground's side of the connector: it takes replies without a token."""

    def verify(self, token):
        return {}


def test_unauthenticated_switch_answers_a_client_that_sends_no_token(demo_db, fake_entra, caplog):
    settings = Settings(database_url=demo_db.url, _env_file=None, teams_allow_unauthenticated=True)
    root = build_kpibot(settings, demo_db, clock=lambda: PANEL_DAY)
    with FakeConnector(_AnyToken()) as playground, caplog.at_level(logging.WARNING):
        running = start_teams(root)
        try:
            activity = message_activity("kpi calls-under-25s", PERSONAL_CHAT, ANNE,
                                        service_url=playground.service_url)
            assert send_activity(running.url, activity, None)[0] == 200
            assert "58%" in _texts(playground.activities(PERSONAL_CHAT))
        finally:
            running.stop()
    assert any("ACCEPTED WITHOUT ANY TOKEN CHECK" in r.getMessage() for r in caplog.records)


def test_a_message_without_a_service_url_is_ignored(teams, fake_entra, fake_connector):
    _, running = teams
    activity = message_activity("digest subscribe weekly", PERSONAL_CHAT, ANNE, service_url="")
    activity.pop("serviceUrl", None)
    status, _ = send_activity(running.url, activity, fake_entra.mint_inbound(fake_connector.service_url))
    assert status == 200   # the SDK took the token; the handler takes nothing from it
    assert fake_connector.activities() == []
