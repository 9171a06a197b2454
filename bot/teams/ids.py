"""What Teams' ids look like: a person's and a group's (Entra object ids), a conversation's; the one home of
Teams' id rules.

People and groups are known by their Microsoft Entra object id, a GUID in lower case as Entra and the activities
write it (6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31). A conversation id is Teams' own: a channel or group chat is
`19:...@thread.tacv2` (or `@thread.skype`, `@thread.v2`), a personal chat `a:1...` (or `19:...@unq.gbl.spaces`).
A message in a channel thread arrives with `;messageid=...` after the channel's id: the channel is the part before.
"""
from __future__ import annotations

import re

from bot.teams.errors import TeamsStartError

ENTRA_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CONVERSATION_ID = re.compile(r"19:[A-Za-z0-9_.=+/-]+@(?:thread\.(?:tacv2|skype|v2)|unq\.gbl\.spaces)"
                             r"|a:[A-Za-z0-9_.=+/-]+")
THREAD_SUFFIX = ";messageid="

NOT_A_TEAMS_ID = "invalid setting {setting}: {ids} is not {what}"
ENTRA_USER = "an Entra user object ID in lower case (they look like 6f0bd8c2-1f3e-4c2a-9b1d-2a7e5c9d0f31)"
ENTRA_GROUP = "an Entra group object ID in lower case (they look like 0b4c7e2a-58d1-4f6e-a3c9-7d21e8f5b604)"
CONVERSATION = "a Teams conversation ID (they look like 19:abc@thread.tacv2, or a:1Xy for a personal chat)"
# Each role setting, the attribute holding it, and the shape its ids must have in Teams.
ROLE_SETTINGS = (
    ("KPIBOT_ADMIN_USER_IDS", "admin_user_ids", ENTRA_ID, ENTRA_USER),
    ("KPIBOT_EDITOR_USER_IDS", "editor_user_ids", ENTRA_ID, ENTRA_USER),
    ("KPIBOT_ADMIN_GROUP_IDS", "admin_group_ids", ENTRA_ID, ENTRA_GROUP),
    ("KPIBOT_EDITOR_GROUP_IDS", "editor_group_ids", ENTRA_ID, ENTRA_GROUP),
    ("KPIBOT_SENSITIVE_CHANNEL_IDS", "sensitive_channel_ids", CONVERSATION_ID, CONVERSATION),
)
SHAPES = {attribute: shape for _, attribute, shape, _ in ROLE_SETTINGS}


def is_entra_id(text: str) -> bool:
    """An Entra object id (a person's or a group's), as Entra writes it."""
    return ENTRA_ID.fullmatch(text) is not None


def is_conversation_id(text: str) -> bool:
    return CONVERSATION_ID.fullmatch(conversation_of(text)) is not None


def conversation_of(conversation_id: str) -> str:
    """The conversation a message belongs to: a channel thread's id without its `;messageid=` part, which
    names the thread's first message, not the channel the settings and subscriptions name."""
    return conversation_id.split(THREAD_SUFFIX, 1)[0]


def fits_teams(attribute: str, text: str) -> bool:
    """Whether `text` has the shape Teams gives the ids of the setting held in `attribute` (admin_user_ids...)."""
    shape = SHAPES.get(attribute)
    return shape is not None and shape.fullmatch(text) is not None


def check_ids(settings) -> None:
    """Every role and channel id in the settings has Teams' shape, or TeamsStartError in one line naming the
    setting. Asked when Teams starts. Where Slack is configured too, the settings may list Slack's people and
    channels beside Teams' ones: an id of Slack's shape is left to Slack's own check."""
    from bot.settings import misshapen_ids

    wrong = misshapen_ids(settings, ROLE_SETTINGS, _slack_shape if settings.slack_configured else None)
    if wrong:
        setting, ids, what = wrong
        raise TeamsStartError(NOT_A_TEAMS_ID.format(setting=setting, ids=", ".join(ids), what=what))


def _slack_shape(attribute: str, text: str) -> bool:
    from bot.slack.ids import fits_slack  # Slack's id rules live with Slack; that module loads no Slack library

    return fits_slack(attribute, text)
