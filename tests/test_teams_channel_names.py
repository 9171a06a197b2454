"""Channels by name in Teams cards: the bot reads its team's channel list from the Bot Connector (the fake's
GET /v3/teams/{team}/conversations) the first time it hears from a channel it has no name for, keeps the names
with the channels' references, and a card that mentions a channel writes `#Leaders`, not its id. A channel Teams
renames is written by its new name; a team whose list cannot be read keeps the ids."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.teams_e2e_kit import require_serving

require_serving()

from storage import conversations  # noqa: E402
from storage.addresses import Address  # noqa: E402
from tests.fake_teams import TENANT_ID, conversation_update, installation_activity, message_activity  # noqa: E402
from tests.teams_e2e_kit import ADMIN, CHANNEL, VIEWER, activity_texts, running_rig  # noqa: E402

TEAM = CHANNEL                      # the General channel's id is the team's own
LEADERS = "19:perf0leaders@thread.tacv2"
CASES = "19:perf0cases@thread.tacv2"
CHANNELS = {TEAM: None, LEADERS: "Leaders", CASES: "Case reviews"}   # the connector lists General with no name
VIEWER_CHAT = "a:1vic-personal-chat-fake"


def said(activity: dict) -> str:
    return "\n".join(activity_texts(activity))


def install(rig, channel: str) -> None:
    """The app added to `channel` of the team, and its name (from the team's list) stored before anyone asks."""
    status, _ = rig.send(installation_activity(channel, ADMIN, TENANT_ID, rig.service_url, "channel", team_id=TEAM))
    assert status < 300, status
    rig.connector.wait_for(lambda: conversations.name_of(rig.root.db, Address("teams", channel, TENANT_ID)),
                           timeout=20)


def subscribed(rig, channel: str) -> str:
    """What Ada's personal chat is told when she subscribes `channel` to RAG alerts there."""
    chat = rig.connector.personal_chat(ADMIN.id)
    since = len(rig.connector.activities(chat)) if chat else 0
    typed = message_activity("alert subscribe rag", channel, ADMIN, TENANT_ID, rig.service_url, "channel", team_id=TEAM)
    assert rig.send(typed)[0] == 200
    chat = rig.connector.wait_for(lambda: rig.connector.personal_chat(ADMIN.id))
    return said(rig.connector.wait_for(lambda: rig.connector.activities(chat)[since:])[0])


@pytest.fixture
def rig(demo_db):
    with running_rig(demo_db, sensitive_channel_ids=CASES) as running:
        running.connector.add_team(TEAM, CHANNELS)
        yield running


def test_a_card_names_the_channel_by_its_name_in_the_team(rig):
    install(rig, LEADERS)
    told = subscribed(rig, LEADERS)
    assert "#Leaders will hear when any metric turns worse" in told
    assert LEADERS not in told
    listed = rig.connector.requests("team channels")
    assert [r.path for r in listed] == [f"/v3/teams/{quote(TEAM, safe='')}/conversations"] and listed[0].status == 200


def test_the_general_channel_comes_unnamed_and_is_called_general(rig):
    install(rig, TEAM)
    assert "#General will hear when any metric turns worse" in subscribed(rig, TEAM)


def test_where_case_lists_go_is_said_by_the_channels_name(rig):
    install(rig, CASES)
    rig.connector.add_member(VIEWER)
    assert rig.say("reviews overdue", VIEWER_CHAT, VIEWER)[0] == 200
    [answer] = rig.connector.wait_for(lambda: rig.connector.activities(VIEWER_CHAT))
    assert "#Case reviews" in said(answer) and CASES not in said(answer)


def test_a_renamed_channel_is_written_by_its_new_name(rig):
    install(rig, LEADERS)
    renamed = conversation_update(LEADERS, ADMIN, TENANT_ID, rig.service_url, team_id=TEAM)
    renamed["channelData"].update(eventType="channelRenamed", channel={"id": LEADERS, "name": "Panel leaders"})
    assert rig.send(renamed)[0] < 300
    assert conversations.name_of(rig.root.db, Address("teams", LEADERS, TENANT_ID)) == "Panel leaders"
    assert "#Panel leaders will hear when any metric turns worse" in subscribed(rig, LEADERS)


def test_a_team_whose_channels_cannot_be_read_keeps_the_ids_and_is_not_asked_at_every_message(rig):
    rig.connector.fail_next(403, kind="team channels")
    status, _ = rig.send(installation_activity(LEADERS, ADMIN, TENANT_ID, rig.service_url, "channel", team_id=TEAM))
    assert status < 300
    rig.connector.wait_for(lambda: rig.connector.requests("team channels"))
    told = subscribed(rig, LEADERS)
    assert f"#{LEADERS} will hear when any metric turns worse" in told
    assert conversations.name_of(rig.root.db, Address("teams", LEADERS, TENANT_ID)) is None
    assert len(rig.connector.requests("team channels")) == 1   # asked again only after a while
