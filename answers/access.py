"""Who may do what: roles from settings (by the platform's user or user group ID), guests refused, sensitive answers
kept to allowed channels. Every command passes through `check` before its handler runs."""
from __future__ import annotations

from dataclasses import dataclass, field

from answers import mentions

ROLES = ("viewer", "editor", "admin")
CONSOLE = "console"

GUEST_REFUSED = "Sorry, kpibot is not available to guest accounts."
GUEST_HINT = "Ask a member of the performance team for the figures you need."
NEEDS_ROLE = "That needs the {role} role, which you don't have."
NEEDS_ROLE_HINT = "Ask a kpibot admin to add you ({setting})."
SENSITIVE_HERE = "I don't answer that here: it is kept to the channels allowed to see review cases and Panel papers."
SENSITIVE_HINT = "Ask in {channels}, or in a direct message with me if you are an editor or admin."
NO_CHANNELS = "an allowed channel (none is set up yet: KPIBOT_SENSITIVE_CHANNEL_IDS)"


@dataclass(frozen=True)
class Identity:
    """What the platform says about the person asking; None fields mean 'not known' (e.g. the console)."""

    user_id: str
    is_guest: bool = False
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Place:
    """Where a request was made: the conversation's id, and whether the platform itself says this is the
    bot's own direct message with the person asking (never guessed from the id's shape)."""

    conversation_id: str
    direct_with_bot: bool = False


@dataclass(frozen=True)
class AccessPolicy:
    editor_users: frozenset[str] = frozenset()
    admin_users: frozenset[str] = frozenset()
    editor_groups: frozenset[str] = frozenset()
    admin_groups: frozenset[str] = frozenset()
    sensitive_channels: frozenset[str] = field(default_factory=frozenset)

    def role_of(self, identity: Identity) -> str:
        if identity.user_id == CONSOLE:
            return "admin"  # whoever runs the console already has the database
        if identity.user_id in self.admin_users or identity.groups & self.admin_groups:
            return "admin"
        if identity.user_id in self.editor_users or identity.groups & self.editor_groups:
            return "editor"
        return "viewer"

    def refusal(self, identity: Identity, place: Place, needs: str, sensitive: bool) -> tuple[str, str] | None:
        """(message, hint) when the request must be refused, else None."""
        if identity.is_guest:
            return GUEST_REFUSED, GUEST_HINT
        role = self.role_of(identity)
        if ROLES.index(role) < ROLES.index(needs):
            setting = "KPIBOT_ADMIN_USER_IDS" if needs == "admin" else "KPIBOT_EDITOR_USER_IDS"
            return NEEDS_ROLE.format(role=needs), NEEDS_ROLE_HINT.format(setting=setting)
        if sensitive and not self.may_see_cases(identity, place):
            return SENSITIVE_HERE, SENSITIVE_HINT.format(channels=self.case_channels_text())
        return None

    def may_see_cases(self, identity: Identity, place: Place) -> bool:
        """Case details: in an allowed channel, or in the bot's own direct message with an editor or admin."""
        if identity.is_guest:
            return False  # refused before this is asked; never let a guest through if it is asked alone
        if identity.user_id == CONSOLE or self.channel_sees_cases(place.conversation_id):
            return True
        return place.direct_with_bot and self.role_of(identity) in ("editor", "admin")

    def channel_sees_cases(self, channel_id: str) -> bool:
        """A channel as such (a digest's, whoever reads it) sees case details only if it is an allowed one."""
        return channel_id in self.sensitive_channels

    def case_channels_text(self) -> str:
        """The allowed channels, as a message names them where it says where case details can be seen."""
        return ", ".join(mentions.conversation(c) for c in sorted(self.sensitive_channels)) or NO_CHANNELS
