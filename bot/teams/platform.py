"""Teams as the platform port: answers as Adaptive Cards, proactive delivery to a stored conversation reference
through the Bot Connector, a person reached in their personal chat with the bot, and Teams' words for errors."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from answers.mentions import format_mentions
from answers.platform import Asker, CannotPost, Capabilities, DeliveryError, Failure
from answers.response import Response
from bot.teams import cards
from storage import conversations
from storage.addresses import Address
from storage.db import Database

LOGGER = logging.getLogger(__name__)

PLATFORM = "teams"
PERSONAL, CHANNEL, GROUP_CHAT = "personal", "channel", "groupChat"
NOT_INSTALLED = "not installed"
INSTALL_FIRST = "Add kpibot to this team or chat in Teams (Apps, then kpibot, then Add), then subscribe again."
NO_PERSONAL_CHAT = "no personal chat"
# What a subscriber can do, by the neutral failure of a permanent error; `{kind}` is the digest's kind.
HINTS = {
    Failure.NOT_A_MEMBER: "kpibot was removed from that team or chat, or may not post there: add it again "
                          "(Apps, then kpibot, then Add); the next {kind} digest will be posted.",
    Failure.GONE: "That team, channel or chat no longer exists; subscribe another with `digest subscribe {kind}` "
                  "typed there.",
    Failure.REFUSED: "Teams would not accept kpibot's credentials or the message; ask the Teams admin to check "
                     "the bot's app registration.",
}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# A conversation mentioned in the bot's own text to a person, by the type Teams stored for it.
CONVERSATION_WORDS = {CHANNEL: "that channel", GROUP_CHAT: "that group chat", PERSONAL: "our personal chat"}


class TeamsPlatform:
    """One Teams bot (TEAMS_APP_ID), posting through the connector transport to stored conversation references."""

    name = PLATFORM

    def __init__(self, db: Database, transport, bot_id: str = "", bot_name: str = "kpibot",
                 channel_files: bool = False, clock: Callable[[], datetime] = _utcnow, identities=None,
                 files=None, tenant_id: str = "", channel_names=None):
        self.db = db
        self.transport = transport
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.capabilities = Capabilities(finds_posted=False, files_in_channels=channel_files, private_replies=False)
        self.clock = clock
        self.identities = identities
        self.files = files   # bot.teams.files.TeamsFiles: a snapshot's documents, where they may go
        self.tenant_id = tenant_id
        self.channel_names = channel_names   # bot.teams.channel_names.ChannelNames: learns channels' names

    @classmethod
    def from_settings(cls, settings, db: Database, clock: Callable[[], datetime] = _utcnow) -> "TeamsPlatform":
        """The bot of TEAMS_APP_ID, its tokens from KPIBOT_TEAMS_TOKEN_URL where set, else from the SDK's Entra
        route for the tenant; none for the local client that sends none."""
        from bot.teams.auth import BOT_SCOPE, ClientCredentialsToken, EntraToken, NoToken
        from bot.teams.caller import ServiceCaller, graph_scope
        from bot.teams.channel_names import ChannelNames
        from bot.teams.files import TeamsFiles
        from bot.teams.identity import TeamsIdentities
        from bot.teams.transport import ConnectorTransport

        app_id, password = settings.teams_app_id or "", settings.teams_app_password or ""
        tenant = settings.teams_tenant_id or None
        if not (app_id and password):   # the local client that sends no token takes none back
            bot_token = graph_token = NoToken()
        elif settings.teams_token_url:
            bot_token = ClientCredentialsToken(settings.teams_token_url, app_id, password, BOT_SCOPE)
            graph_token = ClientCredentialsToken(settings.teams_token_url, app_id, password,
                                                 graph_scope(settings.teams_graph_url))
        else:
            bot_token = EntraToken(app_id, password, tenant, BOT_SCOPE)
            graph_token = EntraToken(app_id, password, tenant, graph_scope(settings.teams_graph_url))
        graph = ServiceCaller(graph_token, base_url=settings.teams_graph_url) if app_id else None
        connector = ServiceCaller(bot_token)
        identities = TeamsIdentities.from_settings(settings, connector, graph)
        files = TeamsFiles.from_settings(settings, identities)
        return cls(db, ConnectorTransport(bot_token), bot_id=app_id, channel_files=settings.teams_channel_files,
                   clock=clock, identities=identities, files=files, tenant_id=settings.teams_tenant_id or "",
                   channel_names=ChannelNames(db, connector))

    # --- rendering ---------------------------------------------------------------------------------------

    def conversation_names(self) -> dict[str, str]:
        """The channels' names a card writes for their mentions (`#Leaders`); an unnamed one keeps its id."""
        return conversations.names(self.db, PLATFORM)

    def render(self, response: Response, key: str | None = None) -> list[dict]:
        return cards.render_cards(response, key=key, conversation_names=self.conversation_names())

    def activities(self, response: Response, key: str | None = None) -> list[dict]:
        """The messages of an answer: one per card (a large answer is split), the fallback text as summary."""
        names = self.conversation_names()
        summary = cards.fallback_text(response, names)
        return [{"type": "message", "summary": summary, "attachments": [cards.attachment(card)]}
                for card in cards.render_cards(response, key=key, conversation_names=names)] \
            or [{"type": "message", "text": summary}]

    # --- posting -----------------------------------------------------------------------------------------

    def stored(self, address: Address) -> Address | None:
        """The live stored reference of `address`'s conversation (the newest service URL), or None."""
        return conversations.reference(self.db, address)

    def post(self, address: Address, activities: list[dict], reply_to: str | None = None,
             replacing: str | None = None) -> str:
        """Post `activities` in order to `address` (its reference names the service URL); the first one's id.
        Once the first is posted, a later one that fails is logged: the answer is there, never posted twice.
        `replacing`: the message (a card whose button was pressed) the first one is put in place of."""
        service_url = address.reference.get("service_url")
        if not service_url:
            raise DeliveryError(Failure.NOT_A_MEMBER, NOT_INSTALLED)
        first = ""
        for index, activity in enumerate(activities):
            try:
                if index == 0 and replacing:
                    posted = self._in_place_of(replacing, service_url, address, activity, reply_to)
                else:
                    posted = self.transport.send(service_url, address.conversation, activity, reply_to=reply_to)
            except DeliveryError as exc:
                if index == 0:
                    raise
                LOGGER.warning("%s: part %d of the message not posted: %s", address, index + 1, exc.detail)
                continue
            first = first or posted
        return first

    def _in_place_of(self, activity_id: str, service_url: str, address: Address, activity: dict,
                     reply_to: str | None) -> str:
        """`activity` put in place of the message `activity_id`; a message Teams will not update (deleted, or
        too old) gets it as a new message instead. The id of the message that holds it."""
        try:
            self.transport.update(service_url, address.conversation, activity_id, activity)
            return activity_id
        except DeliveryError as exc:
            LOGGER.info("%s: the card was not updated (%s): its answer is posted as a new message", address,
                        exc.detail)
            return self.transport.send(service_url, address.conversation, activity, reply_to=reply_to)

    def deliver(self, address: Address, response: Response, key: str) -> str:
        """A proactive message to the stored reference's service URL, the ledger key in the first card."""
        stored = self.stored(address)
        if stored is None:
            raise DeliveryError(Failure.NOT_A_MEMBER, NOT_INSTALLED)
        return self.post(stored, self.activities(response, key=key))

    def find_posted(self, address: Address, key: str, within: timedelta) -> str | None:
        """The Bot Connector cannot list messages (capabilities.finds_posted is False): never asked."""
        return None

    def personal_chat(self, user_id: str, workspace: str, member_id: str | None = None,
                      service_url: str | None = None) -> Address:
        """The bot's personal chat with `user_id`: stored, or made through the connector (as `member_id`, the
        connector's id for the person, where known) at `service_url` or any service URL stored for the tenant."""
        chat = conversations.personal_chat(self.db, PLATFORM, workspace, user_id)
        if chat is not None:
            return chat
        service_url = service_url or conversations.tenant_service_url(self.db, PLATFORM, workspace)
        if not service_url or not self.bot_id:
            raise DeliveryError(Failure.GONE, NO_PERSONAL_CHAT)
        conversation_id = self.transport.create_personal_chat(service_url, self.bot_id, member_id or user_id,
                                                              workspace)
        chat = Address(PLATFORM, conversation_id, workspace, self.reference(service_url, PERSONAL))
        conversations.remember(self.db, chat, self.clock(), user_id=user_id)
        return chat

    def reference(self, service_url: str, conversation_type: str, team_id: str | None = None,
                  team_aad_group_id: str | None = None) -> dict:
        """A conversation reference as every Teams address stores it (the team's Entra group where Teams gave
        it: its channel files are found by it)."""
        reference = {"service_url": service_url, "bot_id": self.bot_id, "bot_name": self.bot_name,
                     "conversation_type": conversation_type}
        if team_id:
            reference["team_id"] = team_id
        if team_aad_group_id:
            reference["team_aad_group_id"] = team_aad_group_id
        return reference

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        """A message in the person's personal chat with the bot (made through the connector when needed)."""
        chat = self.personal_chat(user_id, workspace)
        self.post(chat, [{"type": "message", "text": self.words(text, workspace)}])

    def words(self, text: str, workspace: str) -> str:
        """The bot's own text with its mention tokens as words Teams shows: a channel by its name where it is
        known (`#Leaders`), else a conversation by its stored type (Teams has no way to link one in plain text);
        a person as "you" (the text is to them)."""
        def conversation(conversation_id: str) -> str:
            address = Address(PLATFORM, conversation_id, workspace)
            stored = self.stored(address)
            kind = stored.reference.get("conversation_type") if stored is not None else None
            name = conversations.name_of(self.db, address) if kind == CHANNEL else None
            return f"#{name}" if name else CONVERSATION_WORDS.get(kind, "that conversation")

        return format_mentions(text, conversation, lambda person: "you")

    def address(self, conversation: str) -> Address:
        """A Teams conversation named by its id (`digest run --channel`): as stored, with its tenant; else in
        the configured tenant (and nothing can be posted there until the bot is added)."""
        from bot.teams.ids import conversation_of

        conversation = conversation_of(conversation)
        return (conversations.by_conversation(self.db, PLATFORM, conversation)
                or Address(PLATFORM, conversation, self.tenant_id))

    def can_post(self, address: Address) -> CannotPost | None:
        if self.stored(address) is not None:
            return None
        return CannotPost(NOT_INSTALLED, INSTALL_FIRST)

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        return HINTS.get(error.failure, "").format(kind=digest_kind)

    def asker(self, user_id: str, address: Address, activity: dict | None = None) -> Asker:
        """Who is asking at `address` (its stored reference where it has none): bot.teams.identity's answer;
        without one, only whether this is the bot's personal chat. `activity`: the one they sent, if any."""
        if not address.reference:
            address = self.stored(address) or address
        if self.identities is not None:
            return self.identities.asker(user_id, address, activity)
        return Asker(user_id, direct_with_bot=address.reference.get("conversation_type") == PERSONAL)
