"""Who is asking in Teams: roles from Entra group membership (Graph), guests from the conversation's roster
(refused by the registry), and the bot's personal chat recognised from the conversation type Teams sent, never
from an id's shape. Against the fake Bot Connector (with the fake Entra's tokens) and the fake Graph."""
from __future__ import annotations

import logging

import pytest

from answers.access import GUEST_REFUSED
from answers.response import shows_cases
from bot.app import build_registry
from bot.settings import Settings
from bot.teams.auth import ClientCredentialsToken
from bot.teams.caller import ServiceCaller
from bot.teams.identity import TeamsIdentities
from commands.registry import CommandRequest
from storage.addresses import Address
from tests.conftest import PANEL_DAY
from tests.fake_graph import FakeGraph, StaticToken
from tests.fake_teams import APP_ID, APP_PASSWORD, TENANT_ID, TeamsUser, fake_connector, fake_entra  # noqa: F401

EDITORS = "0b4c7e2a-58d1-4f6e-a3c9-7d21e8f5b604"
ADMINS = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
ANALYSTS_ALL = "7c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f"   # named nowhere in the settings
ANN = TeamsUser("29:1ann-analyst", "6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31", "Ann Analyst")
GEOFF = TeamsUser("29:1geoff-guest", "3d2c1b0a-9f8e-4d7c-a6b5-4c3d2e1f0a9b", "Geoff Guest", role="guest")
CHANNEL = "19:general0f1e2d3c@thread.tacv2"
PERSONAL_CHAT = "a:1AnnPersonalChat-Xy"


@pytest.fixture
def graph():
    with FakeGraph() as fake:
        yield fake


def _connector(entra) -> ServiceCaller:
    return ServiceCaller(ClientCredentialsToken(entra.token_url, APP_ID, APP_PASSWORD))


def _identities(entra, graph, groups=frozenset({EDITORS, ADMINS}), clock=lambda: 0.0) -> TeamsIdentities:
    return TeamsIdentities(_connector(entra), ServiceCaller(StaticToken(), graph.base_url), groups, clock)


def _address(connector, conversation=CHANNEL, conversation_type="channel") -> Address:
    return Address("teams", conversation, TENANT_ID, {"service_url": connector.service_url, "bot_id": f"28:{APP_ID}",
                                                       "conversation_type": conversation_type})


def test_roles_come_from_entra_group_membership_asked_of_graph_once_in_a_while(fake_entra, fake_connector, graph):
    fake_connector.add_member(ANN)
    graph.add_to_group(ANN.aad_object_id, EDITORS)
    graph.add_to_group(ANN.aad_object_id, ANALYSTS_ALL)
    now = [0.0]
    identities = _identities(fake_entra, graph, clock=lambda: now[0])
    asker = identities.asker(ANN.aad_object_id, _address(fake_connector))
    assert asker.groups == frozenset({EDITORS})     # only the groups the settings name
    assert not asker.is_guest and not asker.direct_with_bot
    [check] = graph.requests()
    assert check.path == f"/v1.0/users/{ANN.aad_object_id}/checkMemberGroups"
    assert sorted(check.body["groupIds"]) == sorted([EDITORS, ADMINS])
    now[0] = 299.0
    identities.asker(ANN.aad_object_id, _address(fake_connector))
    assert len(graph.requests()) == 1               # cached for five minutes
    now[0] = 300.0
    identities.asker(ANN.aad_object_id, _address(fake_connector))
    assert len(graph.requests()) == 2


def test_transitive_membership_is_read_page_by_page_where_check_member_groups_is_not_offered(
        fake_entra, fake_connector, graph):
    graph.offers_check_member_groups = False
    for group in (ANALYSTS_ALL, ADMINS, "0a0a0a0a-0000-4000-8000-000000000001"):
        graph.add_to_group(ANN.aad_object_id, group)
    identities = _identities(fake_entra, graph)
    assert identities.groups_of(ANN.aad_object_id) == frozenset({ADMINS})
    assert [r.path.rsplit("/", 1)[-1] for r in graph.requests()] == [
        "checkMemberGroups", "microsoft.graph.group", "microsoft.graph.group"]


def test_without_graph_consent_groups_give_no_role_and_one_warning_names_the_setting(
        fake_entra, fake_connector, graph, caplog):
    graph.consented = False
    graph.add_to_group(ANN.aad_object_id, EDITORS)
    settings = Settings(database_url="sqlite://", _env_file=None, editor_group_ids=EDITORS)
    identities = TeamsIdentities.from_settings(settings, _connector(fake_entra),
                                               ServiceCaller(StaticToken(), graph.base_url))
    with caplog.at_level(logging.WARNING, logger="bot.teams.identity"):
        assert identities.groups_of(ANN.aad_object_id) == frozenset()
        assert identities.groups_of(ANN.aad_object_id) == frozenset()
    [warning] = [r for r in caplog.records if r.name == "bot.teams.identity"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == (
        "KPIBOT_EDITOR_GROUP_IDS name Entra groups, but Microsoft Graph would not say who is in them (HTTP 403): an "
        "admin must grant the bot's app registration the GroupMember.Read.All application permission (admin "
        "consent); until then Teams users have roles only by KPIBOT_EDITOR_USER_IDS and KPIBOT_ADMIN_USER_IDS")


def test_without_graph_at_all_groups_are_empty_and_said_once(fake_entra, fake_connector, caplog):
    settings = Settings(database_url="sqlite://", _env_file=None, admin_group_ids=ADMINS)
    identities = TeamsIdentities.from_settings(settings, _connector(fake_entra), None)
    with caplog.at_level(logging.WARNING, logger="bot.teams.identity"):
        assert identities.groups_of(ANN.aad_object_id) == frozenset()
        assert identities.groups_of(ANN.aad_object_id) == frozenset()
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.teams.identity"]
    assert warning.startswith("KPIBOT_ADMIN_GROUP_IDS name Entra groups, but no Microsoft Graph access is set up")


def test_a_guest_from_the_roster_is_refused_by_the_registry(fake_entra, fake_connector, graph, demo_db):
    fake_connector.add_member(ANN, CHANNEL)
    fake_connector.add_member(GEOFF, CHANNEL)
    identities = _identities(fake_entra, graph)
    registry = build_registry(Settings(database_url=demo_db.url, _env_file=None), demo_db, clock=lambda: PANEL_DAY)
    answers = {}
    for user in (ANN, GEOFF):
        asker = identities.asker(user.aad_object_id, _address(fake_connector))
        answers[user.name] = registry.dispatch(_request("/kpi", "calls-under-25s", asker, CHANNEL))
    assert answers["Geoff Guest"].title == GUEST_REFUSED
    assert not answers["Ann Analyst"].is_error
    assert "58%" in str(answers["Ann Analyst"].facts)
    [member_request] = [r for r in fake_connector.requests("member") if GEOFF.aad_object_id in r.path]
    assert member_request.conversation_id == CHANNEL and member_request.status == 200


def test_the_roster_is_asked_once_a_few_minutes_per_conversation_and_person(fake_entra, fake_connector, graph):
    fake_connector.add_member(GEOFF)
    identities = _identities(fake_entra, graph)
    for _ in range(3):
        assert identities.is_guest(GEOFF.aad_object_id, _address(fake_connector))
    assert identities.is_guest(GEOFF.aad_object_id, _address(fake_connector, "19:other0a9b@thread.tacv2"))
    assert len(fake_connector.requests("member")) == 2


def test_without_the_roster_only_the_activity_itself_can_say_guest(fake_entra, fake_connector, graph, caplog):
    fake_connector.add_member(GEOFF)
    fake_connector.fail_next(502, times=10, kind="member")
    identities = _identities(fake_entra, graph)
    said_guest = {"from": {"id": GEOFF.id, "aadObjectId": GEOFF.aad_object_id, "userRole": "guest"}}
    said_nothing = {"from": {"id": GEOFF.id, "aadObjectId": GEOFF.aad_object_id}}
    with caplog.at_level(logging.WARNING, logger="bot.teams.identity"):
        assert identities.is_guest(GEOFF.aad_object_id, _address(fake_connector), said_guest)
        assert not identities.is_guest(GEOFF.aad_object_id, _address(fake_connector), said_nothing)
        assert identities.asker(GEOFF.aad_object_id, _address(fake_connector),
                                {"from": {"id": GEOFF.id}, "channelData": {"userRole": "anonymous"}}).is_guest
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.teams.identity"]
    assert warning == ("could not read the roster of Teams conversations (HTTP 502); until it answers, a person is "
                       "taken for a guest only when their own message says so")


@pytest.mark.parametrize("conversation, reference, direct", [
    (PERSONAL_CHAT, {"conversation_type": "personal"}, True),
    (CHANNEL, {"conversation_type": "channel"}, False),
    ("19:groupchat0a1b@thread.v2", {"conversation_type": "groupChat"}, False),
    # shaped like a personal chat's id, but nothing Teams sent says so: not taken for one
    (PERSONAL_CHAT, {}, False),
    (PERSONAL_CHAT, {"conversation_type": "channel"}, False),
])
def test_the_personal_chat_is_what_teams_said_the_conversation_is(conversation, reference, direct):
    assert TeamsIdentities.is_direct_with_bot(Address("teams", conversation, TENANT_ID, reference)) is direct


def test_an_editor_sees_the_case_list_in_their_personal_chat_and_counts_only_in_another_channel(
        fake_entra, fake_connector, graph, demo_db):
    fake_connector.add_member(ANN)
    graph.add_to_group(ANN.aad_object_id, EDITORS)
    settings = Settings(database_url=demo_db.url, _env_file=None, editor_group_ids=EDITORS,
                        sensitive_channel_ids="19:governance9a8b@thread.tacv2")
    registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
    identities = _identities(fake_entra, graph)
    personal = identities.asker(ANN.aad_object_id, _address(fake_connector, PERSONAL_CHAT, "personal"))
    in_channel = identities.asker(ANN.aad_object_id, _address(fake_connector))
    assert personal.direct_with_bot and personal.groups == frozenset({EDITORS})
    listed = registry.dispatch(_request("/reviews", "overdue", personal, PERSONAL_CHAT))
    counted = registry.dispatch(_request("/reviews", "overdue", in_channel, CHANNEL))
    assert listed.title == counted.title == "7 complaint reviews overdue on 27 Oct 2025"
    assert shows_cases(listed) and listed.table.rows[0][0] == "CR-2025-0058"
    assert not shows_cases(counted)
    assert any(note.startswith("Counts only here: the case list can be seen in") for note in counted.notes)


def _request(command: str, text: str, asker, conversation: str) -> CommandRequest:
    return CommandRequest(command, text, asker.user_id, conversation, is_guest=asker.is_guest, groups=asker.groups,
                          direct_with_bot=asker.direct_with_bot, platform="teams", workspace=TENANT_ID)
