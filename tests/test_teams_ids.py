"""Teams' id shapes, in the Teams adapter alone: people and groups by Entra object id, conversations by Teams'
own ids; role and channel settings are checked against them when Teams starts, with one line naming the
setting, and ids of Slack's shape are left to Slack's check where Slack is configured too."""
from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.teams.errors import TeamsStartError
from bot.teams.ids import check_ids, conversation_of, fits_teams, is_conversation_id, is_entra_id

ANN = "6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31"
EDITORS = "0b4c7e2a-58d1-4f6e-a3c9-7d21e8f5b604"
TEAMS = {"teams_app_id": "6a5d1c8e-3f2b-4c1d-9e8f-0a1b2c3d4e5f", "teams_app_password": "secret"}
SLACK = {"slack_bot_token": "xoxb-1-2-3", "slack_signing_secret": "signing"}


def _settings(**values) -> Settings:
    return Settings(database_url="sqlite://", _env_file=None, **values)


def test_entra_and_conversation_id_shapes():
    assert is_entra_id(ANN) and is_entra_id(EDITORS)
    assert not is_entra_id(ANN.upper())          # roles are compared as written: Entra writes lower case
    assert not is_entra_id("29:1ann-analyst") and not is_entra_id(ANN[:-1]) and not is_entra_id(f"{ANN}0")
    for conversation in ("19:abc@thread.tacv2", "19:meeting_Mj0x@thread.v2", "19:0f1e2d@thread.skype",
                         "a:1AnnPersonalChat-Xy", "19:6f0bd8c2_3d2c1b0a@unq.gbl.spaces",
                         "19:abc@thread.tacv2;messageid=1761000000001"):
        assert is_conversation_id(conversation), conversation
    for not_one in ("C012AB3CD", "general", "19:abc@thread", "a:", "29:1ann-analyst", ANN):
        assert not is_conversation_id(not_one), not_one


def test_a_message_in_a_channel_thread_belongs_to_the_channel():
    assert conversation_of("19:abc@thread.tacv2;messageid=1761000000001") == "19:abc@thread.tacv2"
    assert conversation_of("a:1AnnPersonalChat-Xy") == "a:1AnnPersonalChat-Xy"


@pytest.mark.parametrize("ids, message", [
    ({"admin_user_ids": f"{ANN},29:1ann-analyst"},
     "invalid setting KPIBOT_ADMIN_USER_IDS: 29:1ann-analyst is not an Entra user object ID in lower case "
     "(they look like 6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31)"),
    ({"editor_user_ids": ANN.upper()},
     f"invalid setting KPIBOT_EDITOR_USER_IDS: {ANN.upper()} is not an Entra user object ID in lower case "
     "(they look like 6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31)"),
    ({"editor_group_ids": "analysts"},
     "invalid setting KPIBOT_EDITOR_GROUP_IDS: analysts is not an Entra group object ID in lower case "
     "(they look like 0b4c7e2a-58d1-4f6e-a3c9-7d21e8f5b604)"),
    ({"admin_group_ids": "S0614TZR7"},   # Slack's shape, but Slack is not configured
     "invalid setting KPIBOT_ADMIN_GROUP_IDS: S0614TZR7 is not an Entra group object ID in lower case "
     "(they look like 0b4c7e2a-58d1-4f6e-a3c9-7d21e8f5b604)"),
    ({"sensitive_channel_ids": "19:abc@thread.tacv2,General,C012AB3CD"},
     "invalid setting KPIBOT_SENSITIVE_CHANNEL_IDS: General, C012AB3CD is not a Teams conversation ID "
     "(they look like 19:abc@thread.tacv2, or a:1Xy for a personal chat)"),
])
def test_an_id_without_teams_shape_stops_the_teams_adapter_naming_the_setting(ids, message):
    with pytest.raises(TeamsStartError) as raised:
        check_ids(_settings(**TEAMS, **ids))
    assert str(raised.value) == message


def test_teams_shaped_ids_pass():
    check_ids(_settings(**TEAMS, admin_user_ids=ANN, editor_group_ids=EDITORS, admin_group_ids=EDITORS,
                        sensitive_channel_ids="19:abc@thread.tacv2,a:1AnnPersonalChat-Xy"))
    check_ids(_settings(**TEAMS))


def test_with_slack_configured_too_slacks_ids_are_left_to_slack_but_neither_shape_is_refused():
    both = dict(**TEAMS, **SLACK)
    check_ids(_settings(**both, admin_user_ids=f"{ANN},U012AB3CD", editor_group_ids=f"S0614TZR7,{EDITORS}",
                        sensitive_channel_ids="C012AB3CD,19:abc@thread.tacv2"))
    with pytest.raises(TeamsStartError) as raised:
        check_ids(_settings(**both, editor_user_ids="U012AB3CD,ann@pcc.example.gov.uk"))
    assert str(raised.value).startswith(
        "invalid setting KPIBOT_EDITOR_USER_IDS: ann@pcc.example.gov.uk is not an Entra user object ID")
    with pytest.raises(TeamsStartError):   # a Slack user id in a group setting is no group of either platform
        check_ids(_settings(**both, admin_group_ids="U012AB3CD"))


def test_fits_teams_knows_each_setting():
    assert fits_teams("admin_user_ids", ANN) and fits_teams("sensitive_channel_ids", "a:1AnnPersonalChat-Xy")
    assert not fits_teams("sensitive_channel_ids", ANN) and not fits_teams("database_url", ANN)
