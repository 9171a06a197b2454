"""Snapshots in Teams: the file consent flow in a personal chat (accepted, declined, too late), and in a channel
an upload to the channel's files through Graph where an admin granted it, else the files offered in the asker's
personal chat. Against the fake Bot Connector (sent through the adapter's own transport) and the fake Graph."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import jsonschema
import pytest

from answers.access import AccessPolicy
from answers.response import FileAttachment, Response
from bot.teams.auth import ClientCredentialsToken
from bot.teams.caller import ServiceCaller
from bot.teams.channel_files import ChannelFiles
from bot.teams.files import (CONSENT_CARD, FILE_INFO_CARD, PendingFiles, TeamsFiles, answer_consent, consent_card,
                             offer_files, on_consent)
from bot.teams.platform import TeamsPlatform
from bot.teams.transport import ConnectorTransport
from commands.registry import CommandRequest
from storage.addresses import Address
from tests.fake_graph import FakeGraph, StaticToken
from tests.fake_teams import ADAPTIVE_CARD, APP_ID, APP_PASSWORD, TENANT_ID, fake_connector, fake_entra  # noqa: F401

ANN = "6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31"       # an editor
VIC = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"       # a viewer
TEAM = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"      # the team's Entra group
CHANNEL = "19:governance9a8b@thread.tacv2"
PERSONAL_CHAT = "a:1AnnPersonalChat-Xy"
WORD = FileAttachment("panel-snapshot-2025-26-Q2.docx", b"PK\x03\x04 word bytes", "Panel snapshot 2025/26 Q2 (Word)")
PDF = FileAttachment("panel-snapshot-2025-26-Q2.pdf", b"%PDF-1.7 pdf bytes", "Panel snapshot 2025/26 Q2 (PDF)")
SNAPSHOT = Response(title="Panel snapshot 2025/26 Q2", files=[WORD, PDF])
POLICY = AccessPolicy(editor_users=frozenset({ANN}), sensitive_channels=frozenset({CHANNEL}))
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "adaptive-card-1.5.json").read_text(encoding="utf-8"))


@pytest.fixture
def graph():
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def platform(fake_entra, db):
    transport = ConnectorTransport(ClientCredentialsToken(fake_entra.token_url, APP_ID, APP_PASSWORD),
                                   sleep=lambda seconds: None)
    yield TeamsPlatform(db, transport, bot_id=f"28:{APP_ID}")
    transport.close()


def _address(connector, conversation=CHANNEL, conversation_type="channel", **more) -> Address:
    return Address("teams", conversation, TENANT_ID, {"service_url": connector.service_url, "bot_id": f"28:{APP_ID}",
                                                       "conversation_type": conversation_type, **more})


def _request(user=ANN, conversation=CHANNEL) -> CommandRequest:
    return CommandRequest("/snapshot", "2025/26 Q2", user, conversation, platform="teams", workspace=TENANT_ID)


def _consent(action: str, card: dict, upload_info: dict | None = None) -> dict:
    """The value of the fileConsent/invoke Teams sends when the person answers `card`."""
    content = card["content"]
    value = {"type": "fileUpload", "action": action,
             "context": content["acceptContext" if action == "accept" else "declineContext"]}
    if upload_info:
        value["uploadInfo"] = upload_info
    return value


def _attachments(connector, conversation: str) -> list[dict]:
    return [a for activity in connector.activities(conversation) for a in activity.get("attachments") or []]


def test_a_consent_card_names_the_file_its_size_and_the_key_it_waits_under():
    card = consent_card(WORD, "k1")
    assert card == {"contentType": "application/vnd.microsoft.teams.card.file.consent",
                    "name": "panel-snapshot-2025-26-Q2.docx",
                    "content": {"description": "Panel snapshot 2025/26 Q2 (Word)", "sizeInBytes": 15,
                                "acceptContext": {"kpibot_file": "k1", "name": "panel-snapshot-2025-26-Q2.docx"},
                                "declineContext": {"kpibot_file": "k1", "name": "panel-snapshot-2025-26-Q2.docx"}}}


def test_accepted_the_file_goes_up_in_one_put_and_a_file_card_answers(graph):
    pending = PendingFiles()
    card = consent_card(WORD, pending.put(WORD))
    info = graph.upload_session("panel-snapshot-2025-26-Q2.docx")
    with httpx.Client() as http:
        reply = on_consent(_consent("accept", card, info), pending, http)
    [put] = graph.puts()
    assert put.headers["content-range"] == "bytes 0-14/15" and put.status == 201
    assert "authorization" not in put.headers      # the upload URL is pre-authorised
    assert graph.received(info["uploadUrl"]) == WORD.content
    assert reply == {"type": "message", "attachments": [{
        "contentType": FILE_INFO_CARD, "contentUrl": info["contentUrl"], "name": "panel-snapshot-2025-26-Q2.docx",
        "content": {"uniqueId": info["uniqueId"], "fileType": "docx"}}]}
    assert len(pending) == 0


def test_a_file_of_4_mb_or_more_goes_up_in_pieces_of_a_multiple_of_320_kib(graph):
    big = FileAttachment("panel-snapshot-2025-26-Q2.pdf", bytes(range(256)) * 20_000, "Panel snapshot (PDF)")
    pending = PendingFiles()
    card = consent_card(big, pending.put(big))
    info = graph.upload_session("panel-snapshot-2025-26-Q2.pdf")
    with httpx.Client() as http:
        reply = on_consent(_consent("accept", card, info), pending, http)
    assert [p.headers["content-range"] for p in graph.puts()] == [
        "bytes 0-3276799/5120000", "bytes 3276800-5119999/5120000"]
    assert [p.status for p in graph.puts()] == [202, 201]
    assert graph.received(info["uploadUrl"]) == big.content
    assert reply["attachments"][0]["contentType"] == FILE_INFO_CARD


def test_declined_nothing_is_sent_and_the_file_is_dropped(graph):
    pending = PendingFiles()
    card = consent_card(PDF, pending.put(PDF))
    with httpx.Client() as http:
        reply = on_consent(_consent("decline", card), pending, http)
    assert reply == {"type": "message", "text": "Not sent: panel-snapshot-2025-26-Q2.pdf."}
    assert len(pending) == 0 and graph.puts() == []


def test_a_file_waits_30_minutes_for_consent_then_is_dropped(graph):
    now = [0.0]
    pending = PendingFiles(clock=lambda: now[0])
    card = consent_card(WORD, pending.put(WORD))
    later = consent_card(PDF, pending.put(PDF))
    now[0] = 29 * 60 + 59
    assert len(pending) == 2
    now[0] = 30 * 60
    assert len(pending) == 0
    with httpx.Client() as http:
        reply = on_consent(_consent("accept", card, graph.upload_session("x.docx")), pending, http)
        declined = on_consent(_consent("decline", later), pending, http)
    assert reply == {"type": "message", "text": "panel-snapshot-2025-26-Q2.docx is no longer waiting (files wait "
                                                "30 minutes): ask for it again."}
    assert declined["text"] == "Not sent: panel-snapshot-2025-26-Q2.pdf."
    assert graph.puts() == []


def test_a_refused_upload_says_so(graph):
    pending = PendingFiles()
    card = consent_card(WORD, pending.put(WORD))
    info = {**graph.upload_session("w.docx"), "uploadUrl": f"{graph.base_url}/upload/no-such-session"}
    with httpx.Client() as http:
        reply = on_consent(_consent("accept", card, info), pending, http)
    assert reply["text"] == ("Could not send panel-snapshot-2025-26-Q2.docx: Teams did not take the file (HTTP 404). "
                             "Ask for it again.")


def test_in_a_personal_chat_each_file_gets_its_consent_card(fake_connector, platform):
    files = TeamsFiles(POLICY)
    files.offer(platform, _address(fake_connector, PERSONAL_CHAT, "personal"), _request(conversation=PERSONAL_CHAT),
                SNAPSHOT)
    cards = _attachments(fake_connector, PERSONAL_CHAT)
    assert [(c["contentType"], c["name"]) for c in cards] == [
        (CONSENT_CARD, "panel-snapshot-2025-26-Q2.docx"), (CONSENT_CARD, "panel-snapshot-2025-26-Q2.pdf")]
    assert len(fake_connector.activities(PERSONAL_CHAT)) == 2 and len(files.pending) == 2


def test_in_a_channel_with_graph_granted_the_files_go_to_the_channels_folder(fake_connector, platform, graph):
    graph.add_channel(TEAM, CHANNEL, "Governance")
    files = TeamsFiles(POLICY, channel_store=ChannelFiles(ServiceCaller(StaticToken(), graph.base_url)),
                       channel_files=True)
    files.offer(platform, _address(fake_connector, team_aad_group_id=TEAM), _request(), SNAPSHOT)
    assert graph.files() == {("Governance", "panel-snapshot-2025-26-Q2.docx"): WORD.content,
                             ("Governance", "panel-snapshot-2025-26-Q2.pdf"): PDF.content}
    [card] = fake_connector.cards(CHANNEL)
    jsonschema.Draft6Validator(SCHEMA).validate(card)
    assert card["body"][0]["text"] == "Panel snapshot 2025/26 Q2: the files are in this channel's Files."
    assert [(a["type"], a["title"], a["url"].rsplit("/", 2)[-2:]) for a in card["actions"]] == [
        ("Action.OpenUrl", "panel-snapshot-2025-26-Q2.docx", ["Governance", "panel-snapshot-2025-26-Q2.docx"]),
        ("Action.OpenUrl", "panel-snapshot-2025-26-Q2.pdf", ["Governance", "panel-snapshot-2025-26-Q2.pdf"])]
    assert fake_connector.personal_chat(ANN) is None


def test_the_upload_needs_the_teams_entra_group_and_gives_way_without_it(fake_connector, graph, caplog):
    graph.add_channel(TEAM, CHANNEL, "Governance")
    connector = ServiceCaller(ClientCredentialsToken(fake_connector.entra.token_url, APP_ID, APP_PASSWORD))
    store = ChannelFiles(ServiceCaller(StaticToken(), graph.base_url), connector)
    # Only Teams' own team id stored: the connector is asked for the team's Entra group (the fake connector
    # does not know the team, 404), and the upload gives way to the personal chat.
    with caplog.at_level(logging.WARNING, logger="bot.teams.channel_files"):
        assert store.upload(_address(fake_connector, team_id="19:team0a1b@thread.tacv2"), [WORD]) is None
    assert [r.getMessage().rsplit("(", 1)[-1] for r in caplog.records] == [
        "HTTP 404); offering its files in the asker's personal chat instead"]
    assert graph.files() == {}
    assert store.upload(_address(fake_connector, team_id=TEAM), [WORD]) == [
        ("panel-snapshot-2025-26-Q2.docx", f"{graph.base_url}/sites/team/Shared%20Documents/Governance/"
                                           "panel-snapshot-2025-26-Q2.docx")]


@pytest.mark.parametrize("granted", ["no setting", "no consent"])
def test_in_a_channel_without_graph_the_files_are_offered_in_the_askers_personal_chat(
        fake_connector, platform, graph, granted, caplog):
    graph.add_channel(TEAM, CHANNEL, "Governance")
    graph.files_consented = granted != "no consent"
    files = TeamsFiles(POLICY, channel_store=ChannelFiles(ServiceCaller(StaticToken(), graph.base_url)),
                       channel_files=granted != "no setting")
    with caplog.at_level(logging.WARNING, logger="bot.teams.channel_files"):
        files.offer(platform, _address(fake_connector, team_aad_group_id=TEAM), _request(), SNAPSHOT)
    chat = fake_connector.personal_chat(ANN)
    assert chat is not None
    assert [c["contentType"] for c in _attachments(fake_connector, chat)] == [CONSENT_CARD, CONSENT_CARD]
    [card] = fake_connector.cards(CHANNEL)
    jsonschema.Draft6Validator(SCHEMA).validate(card)
    assert card["body"][0]["text"] == (
        "Panel snapshot 2025/26 Q2: Teams lets me hand over files only in a personal chat, so I have offered them "
        "to the person who asked, in their personal chat with me.")
    assert graph.files() == {}
    refusals = [r.getMessage() for r in caplog.records if "Files.ReadWrite.All" in r.getMessage()]
    assert len(refusals) == (1 if granted == "no consent" else 0)


def test_a_viewer_in_a_channel_is_not_sent_a_panel_paper_privately(fake_connector, platform):
    TeamsFiles(POLICY).offer(platform, _address(fake_connector), _request(user=VIC), SNAPSHOT)
    assert fake_connector.personal_chat(VIC) is None
    [card] = fake_connector.cards(CHANNEL)
    assert card["body"][0]["text"] == (
        "Panel snapshot 2025/26 Q2: Teams lets me hand over files only in a personal chat, and Panel papers go there "
        "only to editors and admins. An admin can let me upload to this channel's files (KPIBOT_TEAMS_CHANNEL_FILES).")


def test_an_answer_without_files_sends_nothing(fake_connector, platform):
    offer_files(platform, _address(fake_connector), _request(), Response(title="58%"))
    assert fake_connector.activities() == []


def test_offered_then_accepted_in_the_personal_chat_the_file_card_follows(fake_connector, platform, graph):
    platform.files = TeamsFiles(POLICY)     # as the platform keeps its own, built from the settings
    chat = _address(fake_connector, PERSONAL_CHAT, "personal")
    offer_files(platform, chat, _request(conversation=PERSONAL_CHAT), Response(title="Panel snapshot", files=[WORD]))
    [card] = _attachments(fake_connector, PERSONAL_CHAT)
    info = graph.upload_session(card["name"])
    answer_consent(platform, chat, _consent("accept", card, info))
    assert graph.received(info["uploadUrl"]) == WORD.content
    [offered, answered] = fake_connector.activities(PERSONAL_CHAT)
    assert answered["attachments"] == [{"contentType": FILE_INFO_CARD, "contentUrl": info["contentUrl"],
                                        "name": "panel-snapshot-2025-26-Q2.docx",
                                        "content": {"uniqueId": info["uniqueId"], "fileType": "docx"}}]


def test_a_platform_without_its_own_files_offers_nothing_from_a_channel_privately(fake_connector, platform):
    # No access rules to say who may have a Panel paper in their personal chat: not even an editor gets it.
    offer_files(platform, _address(fake_connector), _request(user=ANN), SNAPSHOT)
    assert fake_connector.personal_chat(ANN) is None
    [card] = fake_connector.cards(CHANNEL)
    assert "Panel papers go there only to editors and admins" in card["body"][0]["text"]


def test_built_from_the_settings_the_channel_store_exists_only_where_channel_files_are_granted(fake_entra, graph):
    from bot.settings import Settings
    from bot.teams.identity import TeamsIdentities

    identities = TeamsIdentities(ServiceCaller(StaticToken("connector")), ServiceCaller(StaticToken(), graph.base_url))
    granted = Settings(database_url="sqlite://", _env_file=None, teams_channel_files=True, editor_user_ids=ANN)
    files = TeamsFiles.from_settings(granted, identities)
    assert isinstance(files.channel_store, ChannelFiles) and files.channel_files
    assert files.access.editor_users == frozenset({ANN})
    assert TeamsFiles.from_settings(Settings(database_url="sqlite://", _env_file=None), identities).channel_store is None
    assert TeamsFiles.from_settings(granted, TeamsIdentities(identities.connector, None)).channel_store is None
