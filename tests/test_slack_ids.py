"""Slack's id shapes, in the Slack adapter alone: role ids in the settings are checked against them when the adapter
starts, with one line naming the setting; the settings themselves only check that each is an id."""
from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError, load_settings
from bot.slack.app import build_slack_app
from bot.slack.connection import SlackStartError
from bot.slack.ids import check_ids, is_bare_channel_id, is_channel_id, is_user_id


def _settings(**ids) -> Settings:
    return Settings(database_url="sqlite://", _env_file=None, **ids)


@pytest.mark.parametrize("ids, message", [
    ({"admin_user_ids": "U0ADMIN,C0OOPS"},
     "invalid setting KPIBOT_ADMIN_USER_IDS: C0OOPS is not a Slack user ID (they look like U012AB3CD)"),
    ({"editor_user_ids": "u012ab3cd"},
     "invalid setting KPIBOT_EDITOR_USER_IDS: u012ab3cd is not a Slack user ID (they look like U012AB3CD)"),
    ({"admin_group_ids": "U0ADMIN"},
     "invalid setting KPIBOT_ADMIN_GROUP_IDS: U0ADMIN is not a Slack user group ID (they look like S0614TZR7)"),
    ({"editor_group_ids": "S0OK,analysts"},
     "invalid setting KPIBOT_EDITOR_GROUP_IDS: analysts is not a Slack user group ID (they look like S0614TZR7)"),
    ({"sensitive_channel_ids": "C0GOV,#governance,U0X"},
     "invalid setting KPIBOT_SENSITIVE_CHANNEL_IDS: #governance, U0X is not a Slack channel ID "
     "(they look like C012AB3CD)"),
])
def test_a_role_id_without_slacks_shape_stops_the_slack_adapter_naming_the_setting(ids, message):
    settings = _settings(**ids)   # the settings take it: it is an id, of some platform
    with pytest.raises(SlackStartError) as raised:
        check_ids(settings)
    assert str(raised.value) == message
    with pytest.raises(SlackStartError) as started:   # before anything else is looked at, the token included
        build_slack_app(settings, registry=None)
    assert str(started.value) == message


def test_slack_shaped_ids_pass():
    check_ids(_settings(admin_user_ids="U012AB3CD,W045EF6GH", editor_user_ids="U0EDITOR",
                        admin_group_ids="S0614TZR7", editor_group_ids="S0ANALYSTS",
                        sensitive_channel_ids="C012AB3CD,G0PRIVATE,D0DIRECT"))
    check_ids(_settings())   # none set


@pytest.mark.parametrize("setting, value, shown", [
    ("admin_user_ids", "U0 ADMIN", "'U0 ADMIN'"),
    ("editor_group_ids", "S0A,S0\x07B", "'S0\\x07B'"),
    ("sensitive_channel_ids", "C0GOV\tC0LEAD", "'C0GOV\\tC0LEAD'"),
])
def test_the_settings_refuse_an_id_with_a_space_or_control_character_naming_the_setting(setting, value, shown):
    with pytest.raises(SettingsError) as raised:
        load_settings(database_url="sqlite://", _env_file=None, **{setting: value})
    assert str(raised.value).startswith(
        f"invalid setting KPIBOT_{setting.upper()}: {shown} is not an ID: write the IDs separated by commas, "
        "each without spaces or control characters")


def test_the_settings_keep_ids_of_any_platform_separated_by_commas():
    settings = _settings(admin_user_ids=" U0ADMIN , 29:1a-teams-user ,", sensitive_channel_ids="19:abc@thread.tacv2")
    assert settings.admin_user_ids == "U0ADMIN,29:1a-teams-user"
    assert settings.access_policy().admin_users == frozenset({"U0ADMIN", "29:1a-teams-user"})
    assert settings.access_policy().sensitive_channels == frozenset({"19:abc@thread.tacv2"})


def test_slack_id_shapes():
    assert is_channel_id("C012AB3CD") and is_channel_id("G0PRIVATE") and is_channel_id("D0DIRECT")
    assert not (is_channel_id("U012AB3CD") or is_channel_id("c012ab3cd") or is_channel_id("C_PANEL") or is_channel_id("C"))
    assert is_user_id("U012AB3CD") and is_user_id("W045EF6GH") and not is_user_id("S0614TZR7")
    assert is_bare_channel_id("C0123ABCD") and not is_bare_channel_id("CHANNEL") and not is_bare_channel_id("C0LEAD")


TEAMS = {"teams_app_id": "6a5d1c8e-3f2b-4c1d-9e8f-0a1b2c3d4e5f", "teams_app_password": "secret"}
ENTRA_USER = "6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31"
ENTRA_GROUP = "0b4c7e2a-58d1-4f6e-a3c9-7d21e8f5b604"


def test_with_teams_configured_too_teams_shaped_ids_are_left_to_teams():
    check_ids(_settings(**TEAMS, admin_user_ids=f"U012AB3CD,{ENTRA_USER}", editor_user_ids=ENTRA_USER,
                        admin_group_ids=f"{ENTRA_GROUP},S0614TZR7", editor_group_ids=ENTRA_GROUP,
                        sensitive_channel_ids="C012AB3CD,19:abc@thread.tacv2,a:1AnnPersonalChat-Xy"))


@pytest.mark.parametrize("ids, message", [
    # neither platform's shape: refused with the same message as without Teams
    ({"admin_user_ids": "U0ADMIN,C0OOPS"},
     "invalid setting KPIBOT_ADMIN_USER_IDS: C0OOPS is not a Slack user ID (they look like U012AB3CD)"),
    ({"editor_group_ids": f"{ENTRA_GROUP},analysts"},
     "invalid setting KPIBOT_EDITOR_GROUP_IDS: analysts is not a Slack user group ID (they look like S0614TZR7)"),
    # Teams' shape, but for another setting: a channel id is no person, an Entra id no conversation
    ({"editor_user_ids": "19:abc@thread.tacv2"},
     "invalid setting KPIBOT_EDITOR_USER_IDS: 19:abc@thread.tacv2 is not a Slack user ID (they look like U012AB3CD)"),
    ({"sensitive_channel_ids": f"C0GOV,{ENTRA_USER}"},
     f"invalid setting KPIBOT_SENSITIVE_CHANNEL_IDS: {ENTRA_USER} is not a Slack channel ID (they look like C012AB3CD)"),
])
def test_with_teams_configured_an_id_of_neither_shape_is_still_refused(ids, message):
    with pytest.raises(SlackStartError) as raised:
        check_ids(_settings(**TEAMS, **ids))
    assert str(raised.value) == message


def test_without_teams_configured_a_teams_shaped_id_is_refused_as_before():
    with pytest.raises(SlackStartError) as raised:
        check_ids(_settings(admin_user_ids=ENTRA_USER))
    assert str(raised.value) == (f"invalid setting KPIBOT_ADMIN_USER_IDS: {ENTRA_USER} is not a Slack user ID "
                                 "(they look like U012AB3CD)")
