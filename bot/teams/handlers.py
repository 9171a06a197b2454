"""The Teams app's handlers: a message (typed, from the command list, or a card's button) runs a command through
the registry and is answered with cards, privately where the answer is not public; a file sent in the personal
chat is given to `/upload`; install and removal events keep the conversation references and retire a removed
conversation's digests."""
from __future__ import annotations

from dataclasses import replace

import asyncio
import logging
from datetime import datetime, timezone

from answers.platform import DeliveryError
from answers.response import Response, answers_in_place
from bot.teams.commands import card_line, command_line, not_a_command
from bot.teams.ids import conversation_of
from bot.teams.platform import CHANNEL, PERSONAL, PLATFORM, TeamsPlatform
from bot.teams.uploads import IN_PERSONAL_CHAT, MAX_FILES, TOO_MANY_FILES, TeamsFile, file_shared_elsewhere, files_given
from commands.registry import CommandRegistry, CommandRequest
from storage import conversations
from storage.addresses import Address

LOGGER = logging.getLogger(__name__)
# A Bot Framework token is good for about an hour: an activity sent again inside that time passes the token
# check, so its id is remembered (and a repeat refused) for longer than that.
REPLAY_WINDOW_SECONDS = 2 * 60 * 60

WORKING = "Working on it: the answer will appear here in a moment."
SENT_PRIVATELY = "I've sent my answer to {who} in our personal chat."
NOT_SENT_PRIVATELY = ("I couldn't reach you in a personal chat ({error}): open kpibot in Teams (Apps, then "
                      "kpibot) and ask me there.")
REMOVED_ACTION = "teams app removed"
UPLOAD_LINE = "/upload"


def _tenant(activity) -> str:
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None)
    channel_data = getattr(activity, "channel_data", None)
    if not tenant and channel_data is not None and getattr(channel_data, "tenant", None) is not None:
        tenant = channel_data.tenant.id
    return tenant or ""


def _team(activity) -> tuple[str | None, str | None]:
    """The team's id in Teams and its Entra group id, where the activity names a team."""
    channel_data = getattr(activity, "channel_data", None)
    team = getattr(channel_data, "team", None) if channel_data is not None else None
    if team is None:
        return None, None
    return getattr(team, "id", None), getattr(team, "aad_group_id", None)


def person_id(account) -> str:
    """A Teams user as kpibot names them: the Entra object id, or the connector's id where there is none."""
    return getattr(account, "aad_object_id", None) or account.id


def _renamed_channel(activity) -> tuple[str, str] | None:
    """The channel's id and new name, where the activity is Teams saying a channel was renamed."""
    channel_data = getattr(activity, "channel_data", None)
    if channel_data is None or getattr(channel_data, "event_type", None) != "channelRenamed":
        return None
    channel = getattr(channel_data, "channel", None)
    if channel is None or not getattr(channel, "id", None) or not getattr(channel, "name", None):
        return None
    return channel.id, channel.name


def _pressed_card(activity) -> str | None:
    """The id of the bot's card whose button sent this message, or None for a message that was typed."""
    if card_line(getattr(activity, "value", None)) is None:
        return None
    return getattr(activity, "reply_to_id", None) or None


def _request_time(activity) -> int | None:
    stamp = getattr(activity, "timestamp", None)
    if not isinstance(stamp, datetime):
        return None
    return int((stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).timestamp())


class TeamsHandlers:
    """Handlers on the SDK's App; the blocking registry, database and connector calls run in threads."""

    def __init__(self, registry: CommandRegistry, platform: TeamsPlatform):
        self.registry = registry
        self.platform = platform
        self._background: set[asyncio.Task] = set()

    def register(self, app) -> None:
        if not self.platform.bot_id and app.id:
            self.platform.bot_id = app.id
        app.on_message(self.message)
        app.on_installation_update(self.installation_update)
        app.on_conversation_update(self.conversation_update)
        app.on_file_consent(self.file_consent)

    # --- references --------------------------------------------------------------------------------------

    def address(self, activity) -> Address:
        """Where the activity came from, with the reference to post back there."""
        conversation = activity.conversation
        kind = getattr(conversation, "conversation_type", None) or PERSONAL
        recipient = getattr(activity, "recipient", None)
        reference = self.platform.reference(activity.service_url or "", kind, *_team(activity))
        if recipient is not None:
            reference["bot_id"] = recipient.id or reference["bot_id"]
            reference["bot_name"] = recipient.name or reference["bot_name"]
        return Address(PLATFORM, conversation_of(conversation.id), _tenant(activity), reference)

    def _remember(self, activity, address: Address) -> None:
        user_id = person_id(activity.from_) if address.reference["conversation_type"] == PERSONAL else None
        if address.reference.get("service_url"):
            conversations.remember(self.platform.db, address, self.platform.clock(), user_id=user_id)

    async def _remember_here(self, activity, address: Address) -> None:
        """The conversation's reference stored; a channel the bot has no name for is named from its team's list
        after Teams has its answer (the list is a round trip to the connector)."""
        await asyncio.to_thread(self._remember, activity, address)
        names = self.platform.channel_names
        if names is not None and address.reference.get("conversation_type") == CHANNEL:
            self._in_background(asyncio.to_thread(names.learn, address))

    def _removed(self, activity, address: Address) -> None:
        from digests.schedule import KINDS
        from storage import audit, digest_store

        now = self.platform.clock()
        conversations.mark_removed(self.platform.db, address, now)
        retired = [kind for kind in KINDS if digest_store.unsubscribe(self.platform.db, address, kind, now)]
        actor = person_id(activity.from_) if activity.from_ is not None else PLATFORM
        detail = f"digest subscriptions retired: {', '.join(retired) or 'none'}"
        audit.record(self.platform.db, now, actor, address, REMOVED_ACTION, detail, "ok")
        LOGGER.info("%s: kpibot removed; %s", address, detail)

    async def installation_update(self, ctx) -> None:
        activity = ctx.activity
        address = self.address(activity)
        action = str(getattr(activity, "action", "") or "")
        if action.startswith("remove"):
            await asyncio.to_thread(self._removed, activity, address)
        else:
            await self._remember_here(activity, address)

    async def conversation_update(self, ctx) -> None:
        activity = ctx.activity
        bot_id = activity.recipient.id if activity.recipient is not None else self.platform.bot_id
        address = self.address(activity)
        if any(member.id == bot_id for member in activity.members_removed or []):
            await asyncio.to_thread(self._removed, activity, address)
        elif any(member.id == bot_id for member in activity.members_added or []):
            await self._remember_here(activity, address)
        elif renamed := _renamed_channel(activity):
            channel, name = renamed
            await asyncio.to_thread(conversations.set_names, self.platform.db, PLATFORM, address.workspace,
                                    {conversation_of(channel): name.strip()})

    # --- messages ----------------------------------------------------------------------------------------

    def _request(self, activity, address: Address, line: str) -> CommandRequest:
        user_id = person_id(activity.from_)
        asker = self.platform.asker(user_id, address, activity.model_dump(by_alias=True, mode="json"))
        command, _, text = line.partition(" ")
        return CommandRequest(
            command=command.lower(), text=text.strip(), user_id=user_id, channel_id=address.conversation,
            is_guest=asker.is_guest, groups=asker.groups, direct_with_bot=asker.direct_with_bot,
            request_key=f"teams:{activity.id}:{activity.conversation.id}" if activity.id else "",
            platform=PLATFORM, workspace=address.workspace, request_time=_request_time(activity),
            replay_window=REPLAY_WINDOW_SECONDS)

    async def message(self, ctx) -> None:
        activity = ctx.activity
        if not activity.service_url:
            # The SDK binds a token to the activity's serviceUrl only when there is one; with none, nothing
            # says where the token came from, or where an answer could go.
            LOGGER.warning("ignored a Teams message with no serviceUrl (id %s)", str(activity.id)[:64])
            return
        address = self.address(activity)
        here = Address(PLATFORM, activity.conversation.id, address.workspace, address.reference)  # its thread
        await self._remember_here(activity, address)
        personal = address.reference["conversation_type"] == PERSONAL
        given = files_given(activity) if personal else []
        if given:
            # Fetching and checking a file can take longer than Teams waits for the answer to its request, and
            # Teams sends a request it thinks unanswered again: the files are taken after it is answered.
            self._in_background(self._uploads(activity, address, here, given))
            return
        line = command_line(activity.text or "", set(self.registry.handlers), getattr(activity, "value", None))
        if line is None:
            shared = not personal and file_shared_elsewhere(activity)
            words = IN_PERSONAL_CHAT if shared else not_a_command(self.registry.handlers)
            await asyncio.to_thread(self.platform.post, here, [{"type": "message", "text": words}])
            return
        request = await asyncio.to_thread(self._request, activity, address, line)
        await self._run(activity, request, here)

    async def _uploads(self, activity, address: Address, here: Address, given: list[TeamsFile]) -> None:
        """Each file sent (the first few) as its own `/upload`, its key the message's and the file's: the same
        message delivered again is refused by the registry's replay check, file by file."""
        for index, file in enumerate(given[:MAX_FILES]):
            request = await asyncio.to_thread(self._request, activity, address, UPLOAD_LINE)
            key = f"{request.request_key}:{file.unique_id or index}" if request.request_key else ""
            await self._run(activity, replace(request, file=file.incoming(), request_key=key), here)
        if len(given) > MAX_FILES:
            words = TOO_MANY_FILES.format(taken=MAX_FILES, given=len(given))
            await asyncio.to_thread(self.platform.post, here, [{"type": "message", "text": words}])

    async def _run(self, activity, request: CommandRequest, here: Address) -> None:
        """Answered now, or (a slow command) with a line saying it is coming and the answer after."""
        if self.registry.is_slow(request.command, request.text) and self.registry.refusal_for(request) is None:
            await asyncio.to_thread(self.platform.post, here, [{"type": "message", "text": WORKING}])
            self._in_background(self._answer(activity, request, here))
            return
        await self._answer(activity, request, here)

    def _in_background(self, work) -> None:
        """Run `work` after the request is answered, kept until done, any failure of it logged."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("Teams: work after a request failed", exc_info=task.exception())

    async def _answer(self, activity, request: CommandRequest, here: Address) -> None:
        response = await asyncio.to_thread(self.registry.dispatch, request)
        try:
            await asyncio.to_thread(self._reply, activity, request, here, response)
        except DeliveryError as exc:
            LOGGER.warning("%s: answer to %s not posted: %s", here, request.command, exc.detail)

    def _reply(self, activity, request: CommandRequest, here: Address, response: Response) -> None:
        """Where the answer is public, or asked in the personal chat: there. Else in the asker's personal chat,
        with a line where it was asked saying so."""
        asked_in = Address(PLATFORM, request.channel_id, request.workspace, here.reference)
        if response.public or here.reference.get("conversation_type") == PERSONAL:
            # The card a button was pressed on becomes its answer (an upload's preview turns into "Loaded", its
            # buttons gone); a refusal comes as a message of its own and leaves the card as it was.
            pressed = _pressed_card(activity) if answers_in_place(response) else None
            self.platform.post(here, self.platform.activities(response), replacing=pressed)
            self._files(asked_in, request, response)
            return
        try:
            chat = self.platform.personal_chat(request.user_id, request.workspace, member_id=activity.from_.id,
                                               service_url=here.reference.get("service_url"))
            # The answer lands in the personal chat: it is shown as that place may see it (case lists only to an
            # editor or admin there), whatever the channel it was asked in may see.
            there = replace(request, channel_id=chat.conversation, direct_with_bot=True)
            self.platform.post(chat, self.platform.activities(self.registry.shown_here(there, response)))
        except DeliveryError as exc:
            self.platform.post(here, [{"type": "message", "text": NOT_SENT_PRIVATELY.format(error=exc.detail)}])
            return
        name = activity.from_.name or "you"
        self.platform.post(here, [{"type": "message", "text": SENT_PRIVATELY.format(who=name)}])
        self._files(asked_in, request, response)

    def _files(self, asked_in: Address, request: CommandRequest, response: Response) -> None:
        """A snapshot's documents, for where they were asked for: bot.teams.files decides where they may go."""
        if response.files and self.platform.files is not None:
            self.platform.files.offer(self.platform, asked_in, request, response)

    async def file_consent(self, ctx) -> None:
        """The person accepted or declined a file in their personal chat: answered at once (Teams wants the
        invoke's answer quickly), the upload and the file card after."""
        activity = ctx.activity
        if self.platform.files is None:
            return
        where = self.address(activity)
        self._in_background(asyncio.to_thread(self.platform.files.answer_consent, self.platform, where,
                                              getattr(activity, "value", None)))
