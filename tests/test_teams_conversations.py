"""Conversation references on both databases: stored, refreshed, found by a person for their personal chat,
marked removed and live again; and TeamsPlatform delivering to a stored reference through the fake connector,
telling a person in a personal chat it makes, and saying in Teams' words where it cannot post."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from answers.platform import DeliveryError, Failure
from answers.response import Fact, Response
from bot.teams.auth import ClientCredentialsToken
from bot.teams.platform import INSTALL_FIRST, TeamsPlatform
from bot.teams.transport import ConnectorTransport
from storage import conversations
from storage.addresses import Address
from tests.fake_teams import (  # noqa: F401  (fixtures)
    APP_ID, APP_PASSWORD, TENANT_ID, TeamsUser, fake_connector, fake_entra,
)

T0 = datetime(2025, 10, 6, 7, 0, tzinfo=timezone.utc)
CHANNEL = "19:perf0general@thread.tacv2"
ANNE = TeamsUser("29:1anne-fake-id", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "Anne Analyst")


def _ref(service_url: str, kind: str = "channel") -> dict:
    reference = {"service_url": service_url, "bot_id": f"28:{APP_ID}", "bot_name": "kpibot",
                 "conversation_type": kind}
    if kind == "channel":
        reference["team_id"] = CHANNEL
    return reference


def test_a_reference_is_stored_refreshed_and_found(db):
    address = Address("teams", CHANNEL, TENANT_ID, _ref("https://smba.trafficmanager.net/emea/"))
    assert conversations.remember(db, address, T0) is True
    assert conversations.remember(db, address, T0 + timedelta(minutes=1)) is False   # nothing changed
    moved = Address("teams", CHANNEL, TENANT_ID, _ref("https://smba.trafficmanager.net/uk/"))
    assert conversations.remember(db, moved, T0 + timedelta(minutes=2)) is True       # the service URL moved
    found = conversations.reference(db, Address("teams", CHANNEL, TENANT_ID))
    assert found.reference["service_url"] == "https://smba.trafficmanager.net/uk/"
    assert conversations.reference(db, Address("teams", CHANNEL, "another-tenant")) is None


def test_an_install_and_an_update_stored_at_the_same_moment_both_succeed(db):
    """Teams sends installationUpdate and conversationUpdate together: the second request finds no row when it
    looks, and the first one's row when it inserts. It refreshes that row instead of failing (HTTP 500)."""
    from sqlalchemy import event, insert
    from sqlalchemy.orm import Session

    from storage.models import ConversationRow

    address = Address("teams", CHANNEL, TENANT_ID, _ref("https://smba.trafficmanager.net/emea/"))
    raced = []

    def other_request_first(session, context, instances):
        if not raced:   # once: the other request's row is committed between this one's look and its insert
            raced.append(True)
            with db.engine.begin() as connection:
                connection.execute(insert(ConversationRow).values(
                    platform="teams", workspace=TENANT_ID, conversation_id=CHANNEL, reference={}, updated_at=T0))

    event.listen(Session, "before_flush", other_request_first)
    try:
        assert conversations.remember(db, address, T0 + timedelta(seconds=1)) is True   # its reference refreshed
    finally:
        event.remove(Session, "before_flush", other_request_first)
    assert raced == [True]
    found = conversations.reference(db, Address("teams", CHANNEL, TENANT_ID))
    assert found.reference["service_url"] == "https://smba.trafficmanager.net/emea/"


def test_a_personal_chat_is_found_by_tenant_and_person(db):
    chat = Address("teams", "a:1anne", TENANT_ID, _ref("https://smba.trafficmanager.net/emea/", "personal"))
    conversations.remember(db, chat, T0, user_id=ANNE.aad_object_id)
    assert conversations.personal_chat(db, "teams", TENANT_ID, ANNE.aad_object_id).conversation == "a:1anne"
    assert conversations.personal_chat(db, "teams", "another-tenant", ANNE.aad_object_id) is None
    assert conversations.tenant_service_url(db, "teams", TENANT_ID) == "https://smba.trafficmanager.net/emea/"


def test_removed_is_kept_but_not_live_until_added_again(db):
    address = Address("teams", CHANNEL, TENANT_ID, _ref("https://smba.trafficmanager.net/emea/"))
    conversations.remember(db, address, T0)
    assert conversations.mark_removed(db, address, T0 + timedelta(days=1)) is True
    assert conversations.mark_removed(db, address, T0 + timedelta(days=2)) is False
    assert conversations.reference(db, address) is None
    assert conversations.remember(db, address, T0 + timedelta(days=3)) is True
    assert conversations.reference(db, address) is not None


def _ids(element) -> set[str]:
    """Every element id in a card."""
    if isinstance(element, dict):
        found = {element["id"]} if isinstance(element.get("id"), str) else set()
        return found.union(*(_ids(v) for v in element.values()))
    if isinstance(element, list):
        return set().union(*(_ids(v) for v in element))
    return set()


@pytest.fixture
def platform(db, fake_entra, fake_connector):
    token = ClientCredentialsToken(fake_entra.token_url, APP_ID, APP_PASSWORD)
    transport = ConnectorTransport(token, sleep=lambda seconds: None)
    return TeamsPlatform(db, transport, bot_id=f"28:{APP_ID}", clock=lambda: T0)


def test_deliver_posts_to_the_stored_service_url_with_the_key_in_the_first_card(db, platform, fake_connector,
                                                                                 fake_entra):
    conversations.remember(db, Address("teams", CHANNEL, TENANT_ID, _ref(fake_connector.service_url)), T0)
    response = Response(title="Weekly digest", facts=[Fact("Calls answered under 25 seconds", "58%")])
    ref = platform.deliver(Address("teams", CHANNEL, TENANT_ID), response, "19:x:weekly:2025-W41")
    posted = fake_connector.activities(CHANNEL)
    assert [a["id"] for a in posted] == [ref]
    card = posted[0]["attachments"][0]["content"]
    assert "kpibot-key:19:x:weekly:2025-W41" in _ids(card)
    assert "58%" in str(card)
    assert fake_entra.verify(fake_connector.requests("activity")[0].token) is not None   # Entra's token


def test_deliver_without_a_reference_is_not_a_member_and_can_post_says_how_to_add_it(platform):
    address = Address("teams", CHANNEL, TENANT_ID)
    with pytest.raises(DeliveryError) as raised:
        platform.deliver(address, Response(title="x"), "k")
    assert raised.value.failure is Failure.NOT_A_MEMBER and raised.value.permanent
    refused = platform.can_post(address)
    assert (refused.reason, refused.hint) == ("not installed", INSTALL_FIRST)


def test_a_removed_bot_is_a_permanent_failure_with_a_teams_hint(db, platform, fake_connector):
    conversations.remember(db, Address("teams", CHANNEL, TENANT_ID, _ref(fake_connector.service_url)), T0)
    fake_connector.remove_bot(CHANNEL)
    with pytest.raises(DeliveryError) as raised:
        platform.deliver(Address("teams", CHANNEL, TENANT_ID), Response(title="x"), "k")
    assert raised.value.failure is Failure.NOT_A_MEMBER
    assert platform.hint(raised.value, "weekly") == ("kpibot was removed from that team or chat, or may not post "
                                                     "there: add it again (Apps, then kpibot, then Add); the next "
                                                     "weekly digest will be posted.")


def test_tell_user_makes_the_personal_chat_once_and_keeps_it(db, platform, fake_connector):
    fake_connector.add_member(ANNE)
    conversations.remember(db, Address("teams", CHANNEL, TENANT_ID, _ref(fake_connector.service_url)), T0)
    platform.tell_user(ANNE.aad_object_id, "The weekly digest may have been posted.", TENANT_ID)
    platform.tell_user(ANNE.aad_object_id, "Second note.", TENANT_ID)
    chat = fake_connector.personal_chat(ANNE.id)
    assert [a["text"] for a in fake_connector.activities(chat)] == ["The weekly digest may have been posted.",
                                                                    "Second note."]
    assert len(fake_connector.requests("create conversation")) == 1
    assert conversations.personal_chat(db, "teams", TENANT_ID, ANNE.aad_object_id).conversation == chat


def test_tell_user_in_a_tenant_with_no_reference_is_gone(platform):
    with pytest.raises(DeliveryError) as raised:
        platform.tell_user(ANNE.aad_object_id, "x", TENANT_ID)
    assert raised.value.failure is Failure.GONE


def test_a_conversation_mentioned_to_a_person_is_named_by_its_stored_type(db, platform, fake_connector):
    from answers.mentions import conversation

    fake_connector.add_member(ANNE)
    conversations.remember(db, Address("teams", CHANNEL, TENANT_ID, _ref(fake_connector.service_url)), T0)
    platform.tell_user(ANNE.aad_object_id, f"Check {conversation(CHANNEL)} and {conversation('19:x@thread.v2')}.",
                       TENANT_ID)
    [told] = fake_connector.activities(fake_connector.personal_chat(ANNE.id))
    assert told["text"] == "Check that channel and that conversation."


def test_a_channel_mentioned_to_a_person_is_named_by_its_name_once_it_is_known(db, platform, fake_connector):
    from answers.mentions import conversation

    fake_connector.add_member(ANNE)
    conversations.remember(db, Address("teams", CHANNEL, TENANT_ID, _ref(fake_connector.service_url)), T0)
    conversations.set_names(db, "teams", TENANT_ID, {CHANNEL: "Leaders"})
    platform.tell_user(ANNE.aad_object_id, f"The weekly digest for {conversation(CHANNEL)} could not be posted.",
                       TENANT_ID)
    [told] = fake_connector.activities(fake_connector.personal_chat(ANNE.id))
    assert told["text"] == "The weekly digest for #Leaders could not be posted."
