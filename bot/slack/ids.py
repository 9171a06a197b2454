"""What Slack's ids look like: a channel's, a person's, a user group's; the one home of Slack's id-prefix rules.

Slack ids are a letter saying what the thing is (C, G or D a conversation, U or W a person, S a user group)
followed by capitals and digits. The renderer links only an id of that shape, the adapter takes only such a
word for a channel someone named, and the roles in the settings are checked against them at start.
"""
from __future__ import annotations

import re


CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")
USER_ID = re.compile(r"[UW][A-Z0-9]+")
USER_GROUP_ID = re.compile(r"S[A-Z0-9]+")
# A channel id typed as a word of its own: long enough, and with a digit, so that a word in capitals
# (DIGITAL, CHANNEL) is never taken for one.
BARE_CHANNEL_ID = re.compile(r"[CGD](?=[A-Z]*[0-9])[A-Z0-9]{6,}")

NOT_A_SLACK_ID = "invalid setting {setting}: {ids} is not {what}"
USER = "a Slack user ID (they look like U012AB3CD)"
USER_GROUP = "a Slack user group ID (they look like S0614TZR7)"
CHANNEL = "a Slack channel ID (they look like C012AB3CD)"
# Each role setting, the attribute holding it, and the shape its ids must have in Slack.
ROLE_SETTINGS = (
    ("KPIBOT_ADMIN_USER_IDS", "admin_user_ids", USER_ID, USER),
    ("KPIBOT_EDITOR_USER_IDS", "editor_user_ids", USER_ID, USER),
    ("KPIBOT_ADMIN_GROUP_IDS", "admin_group_ids", USER_GROUP_ID, USER_GROUP),
    ("KPIBOT_EDITOR_GROUP_IDS", "editor_group_ids", USER_GROUP_ID, USER_GROUP),
    ("KPIBOT_SENSITIVE_CHANNEL_IDS", "sensitive_channel_ids", CHANNEL_ID, CHANNEL),
)
SHAPES = {attribute: shape for _, attribute, shape, _ in ROLE_SETTINGS}


def is_channel_id(text: str) -> bool:
    return CHANNEL_ID.fullmatch(text) is not None


def is_user_id(text: str) -> bool:
    return USER_ID.fullmatch(text) is not None


def is_bare_channel_id(word: str) -> bool:
    """Whether a word typed alone is a channel id (C0123ABCD), not merely a word in capitals."""
    return BARE_CHANNEL_ID.fullmatch(word) is not None


def fits_slack(attribute: str, text: str) -> bool:
    """Whether `text` has the shape Slack gives the ids of the setting held in `attribute` (admin_user_ids...)."""
    shape = SHAPES.get(attribute)
    return shape is not None and shape.fullmatch(text) is not None


def check_ids(settings) -> None:
    """Every role id in the settings has Slack's shape, or SlackStartError in one line naming the setting.

    The settings themselves check only that each is an id at all: which letters start one is Slack's rule.
    Where Teams is configured too, the settings may list Teams' people and conversations beside Slack's: an id
    of Teams' shape for that setting is left to Teams' own check; one of neither shape is still refused here."""
    from bot.settings import misshapen_ids

    wrong = misshapen_ids(settings, ROLE_SETTINGS, _teams_shape if settings.teams_configured else None)
    if wrong:
        from bot.slack.connection import SlackStartError  # the Slack libraries load only when Slack starts

        setting, ids, what = wrong
        raise SlackStartError(NOT_A_SLACK_ID.format(setting=setting, ids=", ".join(ids), what=what))


def _teams_shape(attribute: str, text: str) -> bool:
    from bot.teams.ids import fits_teams  # Teams' id rules live with Teams; that module loads no Teams library

    return fits_teams(attribute, text)
