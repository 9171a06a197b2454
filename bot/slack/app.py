"""The Slack adapter's listeners: a Bolt app whose slash commands and clicks go into the command registry as
requests, and whose answers go back in Block Kit. Starting it, with the digest scheduler, is bot.slack.serving's."""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Callable

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from answers.platform import Asker
from answers.response import Response, answers_in_place, shorten
from bot.settings import Settings
from bot.slack.connection import SlackStartError, check_bot_token, web_client  # noqa: F401  (the adapter's names)
from bot.slack.http_server import RECEIVED_AT
from bot.slack.ids import check_ids
from bot.slack.markup import incoming
from bot.slack.platform import PLATFORM, WORKSPACE, SlackPlatform
from bot.slack.render import (
    BUTTON_ACTION, MAX_BUTTONS, SUGGESTION_ACTION, escape_mrkdwn, posted_message, render_message,
)
from bot.slack.uploads import incoming_file
from commands.registry import ALREADY_DONE, CommandRegistry, CommandRequest
from storage.addresses import Address

LOGGER = logging.getLogger(__name__)

ACK_BUDGET_SECONDS = 2.0  # Slack waits 3 s for the ack; leave room for the network
# Bolt runs each command's ack listener on this pool and answers 404 when the ack has not come 3 s after the
# request arrived, however long it sat queued. An ack listener holds its thread for the ack budget at most (it
# never waits on the database longer than that), so 24 threads ack a burst of 24 commands at once and the
# rest as soon as threads free, still inside 3 s. Threads start only as the load needs them.
LISTENER_THREADS = 24
# Quick answers are CPU work under one interpreter lock: on 2 cores, 4 at a time keeps the queue first-come
# first-served and the slowest answers fastest (20 clients' p99 on loopback: 8 workers 199 ms, 4 workers 155 ms).
COMMAND_WORKERS = 4
# Posting answers that missed the ack (response_url, file uploads) waits on Slack, not on the CPU.
DELIVERY_WORKERS = 8
# A file shared with the bot is fetched (up to 50 MB) and checked on workers of its own: however slow the
# downloads, the command workers stay free for typed commands and clicks.
UPLOAD_WORKERS = 2
WORKING = "Working on it: the answer will appear here in a moment."
STILL_WORKING = "Still working on it: the answer will follow in this channel."
CANNOT_POST = ("I couldn't post the file in this channel ({error}). Invite me with `/invite @kpibot`, "
               "or ask me in a direct message.")
DELIVERY_FAILED = "Sorry, I couldn't deliver that answer ({error}). Please try again."
UPLOAD_COMMAND = "/upload"
# Files taken from one message; each is an upload of its own, with its own preview and buttons.
MAX_FILES_AT_ONCE = 3
TOO_MANY_FILES = "I take up to {limit} files from one message."
NOT_READ = "Not read: {names}. Send {them} in another message."
# Slack retries an event it thinks went unanswered for a few minutes (three times, the last after 5 minutes);
# each file's key is kept an hour, well past the last retry.
EVENT_REPLAY_SECONDS = 60 * 60


def _request(body: dict, platform: SlackPlatform | None = None, key: str = "",
             made_at: int | None = None) -> CommandRequest:
    """A slash command's body as the registry's request: Slack's words for where it was asked, mentions in its
    text as tokens, and who is asking from `platform` (not looked up without one)."""
    user_id = str(body.get("user_id", ""))
    channel_id = str(body.get("channel_id", ""))
    workspace = WORKSPACE
    asker = platform.asker(user_id, Address(PLATFORM, channel_id, workspace)) if platform else Asker(user_id)
    return CommandRequest(
        command=str(body.get("command", "")).lower(),
        text=incoming(str(body.get("text", ""))),
        user_id=user_id,
        channel_id=channel_id,
        is_guest=asker.is_guest,
        groups=asker.groups,
        direct_with_bot=asker.direct_with_bot,
        request_key=key,
        platform=PLATFORM,
        workspace=workspace,
        request_time=made_at,
    )


def signed(request: BoltRequest | None) -> tuple[str, int | None]:
    """This request's identity as Slack signed it (timestamp and signature) and the time it was signed, or
    ("", None) where nothing signed it (Socket Mode): a replay carries the same two headers, a new request never
    does. The registry keeps the key as it is, and the time for as long as the signature would pass."""
    if request is None:
        return "", None
    signature = _header(request, "x-slack-signature")
    timestamp = _header(request, "x-slack-request-timestamp")
    if not signature or not timestamp.isdigit():
        return "", None
    return f"{timestamp}:{signature}", int(timestamp)


def _header(request: BoltRequest, name: str) -> str:
    values = request.headers.get(name) or [""]
    return str(values[0] if isinstance(values, (list, tuple)) else values)


class SlackCommands:
    """Listeners for every registered command: answer in the ack when quick, deliver afterwards when slow.

    No listener thread waits on the database: each command runs on the command workers, the ack listener
    waits for it no longer than the ack budget, and an answer that misses the ack (or a slow command's
    answer) is posted from a completion callback on the delivery workers. However slow the database, every
    command is acknowledged inside Slack's 3 s.
    """

    def __init__(self, registry: CommandRegistry, platform: SlackPlatform | None = None,
                 ack_budget: float = ACK_BUDGET_SECONDS):
        self.registry = registry
        self.platform = platform
        self.ack_budget = ack_budget
        self._commands = ThreadPoolExecutor(max_workers=COMMAND_WORKERS, thread_name_prefix="kpibot-command")
        self._deliveries = ThreadPoolExecutor(max_workers=DELIVERY_WORKERS, thread_name_prefix="kpibot-delivery")
        self._uploads = ThreadPoolExecutor(max_workers=UPLOAD_WORKERS, thread_name_prefix="kpibot-upload")

    def register(self, app: App) -> None:
        for command in sorted(self.registry.handlers):
            app.command(command)(self.acknowledge)
        for index in range(MAX_BUTTONS):
            app.action(SUGGESTION_ACTION.format(index=index))(self.suggestion_clicked)
            app.action(BUTTON_ACTION.format(index=index))(self.suggestion_clicked)
        # Every message in the bot's direct messages comes here (Bolt would answer 404 to one with no listener,
        # and Slack would send it again); only a file shared there is for the bot.
        app.event("message")(self.message_posted)
        app.event("app_mention")(self.mentioned)

    def _is_slow(self, body: dict) -> bool:
        """Slow work is acknowledged with a holding message and answered later; a request that will be
        refused is not slow (its refusal is quick), so nobody is told "Working on it" before "no"."""
        request = _request(body)
        if not self.registry.is_slow(request.command, request.text):
            return False
        return self.registry.refusal_for(_request(body, self.platform)) is None

    def acknowledge(self, ack: Callable, body: dict, context: BoltContext, respond: Callable, client: WebClient,
                    request: BoltRequest) -> None:
        # The budget runs from the request's arrival: a request that waited for a free thread has less of it.
        received = context.get(RECEIVED_AT) or time.monotonic()
        key, made_at = signed(request)
        if self._is_slow(body):
            ack(response_type="ephemeral", text=WORKING)
            self._deliver_when_done(self._commands.submit(self._run, body, key, made_at), body, respond, client)
            return
        answer = self._commands.submit(self._run, body, key, made_at)
        try:
            response = answer.result(timeout=max(0.0, self.ack_budget - (time.monotonic() - received)))
        except FutureTimeout:
            ack(response_type="ephemeral", text=STILL_WORKING)
            self._deliver_when_done(answer, body, respond, client)
            return
        ack(**render_message(response))

    def _run(self, body: dict, key: str, made_at: int | None) -> Response:
        """One command on a command worker (who asks, and where, is looked up here too, off the listener
        threads); the registry answers a repeated state-changing request instead of running it again."""
        return self.registry.dispatch(_request(body, self.platform, key, made_at))

    def _deliver_when_done(self, answer: Future, body: dict, respond: Callable, client: WebClient) -> None:
        """Post the answer once the command has it, from a delivery worker: nobody waits for it meanwhile."""
        def delivered(done: Future) -> None:
            self._deliveries.submit(self._send, done.result(), _request(body), respond, client)

        answer.add_done_callback(delivered)

    def _send(self, response: Response, request: CommandRequest, respond: Callable, client: WebClient,
              replace_original: bool = False) -> None:
        try:
            respond(**render_message(response), replace_original=replace_original)
        except Exception as exc:  # the response_url may have expired (30 minutes)
            LOGGER.warning("could not answer %s through its response_url: %s", request.command, exc)
        channel = request.user_id if response.charts_to_requester else request.channel_id
        from storage.filenames import safe_filename

        uploads = [dict(content=c.png, filename=safe_filename(c.filename, fallback="chart"), title=c.title,
                        alt_txt=c.alt_text) for c in response.charts]
        uploads += [dict(content=f.content, filename=safe_filename(f.filename), title=f.title) for f in response.files]
        for upload in uploads:
            try:
                client.files_upload_v2(
                    channel=channel, initial_comment=f"{escape_mrkdwn(upload['title'])} (asked for by <@{request.user_id}>)",
                    **upload,
                )
            except SlackApiError as exc:
                error = exc.response.get("error", "unknown_error")
                LOGGER.warning("upload of %s to %s failed: %s", upload["filename"], channel, error)
                respond(response_type="ephemeral", replace_original=False, text=CANNOT_POST.format(error=error))
            except OSError as exc:  # the upload step itself (urllib) failed after retries
                LOGGER.warning("upload of %s to %s failed: %s", upload["filename"], channel, exc)
                respond(response_type="ephemeral", replace_original=False,
                        text=DELIVERY_FAILED.format(error=type(exc).__name__))

    def message_posted(self, body: dict, event: dict, context: BoltContext, client: WebClient) -> None:
        """A file shared in the bot's own direct message: an upload (Bolt has acknowledged the event)."""
        if event.get("subtype") != "file_share" or event.get("channel_type") != "im" or _from_bot(event, context):
            return
        self._take_files(body, event, client, in_channel=False)

    def mentioned(self, body: dict, event: dict, context: BoltContext, client: WebClient) -> None:
        """A file shared in a channel with an @mention of the bot: an upload, answered to the uploader only."""
        if not event.get("files") or str(event.get("channel", "")).startswith("D") or _from_bot(event, context):
            return  # in a direct message the file_share message carries the same file
        self._take_files(body, event, client, in_channel=True)

    def _take_files(self, body: dict, event: dict, client: WebClient, in_channel: bool) -> None:
        """Each file (up to a few) as its own /upload on the upload workers, keyed by the event and the file.
        Slack sends an event again when it thinks it went unanswered (X-Slack-Retry-Num; in Socket Mode, its
        envelope's retry_attempt): the registry knows the key, so nothing is uploaded twice or answered twice."""
        if UPLOAD_COMMAND not in self.registry.handlers:
            return
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        left = files[MAX_FILES_AT_ONCE:]
        names = ", ".join(shorten(str(f.get("name") or f["id"])) for f in left)
        notice = Response(title=TOO_MANY_FILES.format(limit=MAX_FILES_AT_ONCE),
                          notes=[NOT_READ.format(names=names, them="it" if len(left) == 1 else "them")])
        event_id, made_at = str(body.get("event_id") or ""), body.get("event_time")
        for index, file in enumerate(files[:MAX_FILES_AT_ONCE]):
            key = f"{event_id}:{file['id']}" if event_id else ""
            answer = self._uploads.submit(self._upload, event, file, client, key,
                                          made_at if isinstance(made_at, int) else None)

            def answered(done: Future, first: bool = index == 0) -> None:
                if done.result().title == ALREADY_DONE:   # this event came before, and was answered then
                    return
                self._deliveries.submit(self._reply, done.result(), event, client, in_channel)
                if first and left:
                    self._deliveries.submit(self._reply, notice, event, client, in_channel)

            answer.add_done_callback(answered)

    def _upload(self, event: dict, file: dict, client: WebClient, key: str, made_at: int | None) -> Response:
        typed = {"command": UPLOAD_COMMAND, "user_id": event.get("user", ""), "channel_id": event.get("channel", "")}
        request = replace(_request(typed, self.platform, key, made_at), replay_window=EVENT_REPLAY_SECONDS,
                          file=incoming_file(client, file))
        return self.registry.dispatch(request)

    def _reply(self, response: Response, event: dict, client: WebClient, in_channel: bool) -> None:
        """In the direct message, a message; in a channel, one only the uploader sees."""
        user, channel = str(event.get("user", "")), str(event.get("channel", ""))
        try:
            if in_channel:
                client.chat_postEphemeral(channel=channel, user=user, **posted_message(response))
            else:
                client.chat_postMessage(channel=channel, **posted_message(response))
        except (SlackApiError, OSError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            LOGGER.warning("could not answer an upload from %s in %s: %s", user, channel, error)

    def suggestion_clicked(self, ack: Callable, body: dict, respond: Callable, request: BoltRequest,
                           client: WebClient) -> None:
        """A click on a button (a suggested command, an upload's Confirm or Cancel): acknowledged at once, and
        answered in place of the message it was on; a refusal (a second click on Confirm, say) is answered beside
        it instead, so the message keeps what the first click made of it."""
        ack()
        action = (body.get("actions") or [{}])[0]
        line = str(action.get("value", "")).strip()
        user = body.get("user") or {}
        user_id, channel_id = user.get("id", ""), (body.get("channel") or {}).get("id", "")
        name, _, text = line.partition(" ")
        typed = {"command": name, "text": text.strip(), "user_id": user_id, "channel_id": channel_id}
        answer = (self._commands.submit(self._run, typed, *signed(request)) if line.startswith("/")
                  else self._commands.submit(self.registry.run_line, line, user_id=user_id, channel_id=channel_id,
                                             platform=PLATFORM, workspace=WORKSPACE))

        def answered(done: Future) -> None:
            # in place of the message it was on, with the charts or files of the answer, as a typed command's
            response = done.result()
            self._deliveries.submit(self._send, response, _request(typed), respond, client,
                                    answers_in_place(response))

        answer.add_done_callback(answered)


def _from_bot(event: dict, context: BoltContext) -> bool:
    """A message a bot posted (this one's own answers among them), not a person's."""
    return bool(event.get("bot_id")) or event.get("user") in (None, "", context.get("bot_user_id"))


def build_slack_app(settings: Settings, registry: CommandRegistry, socket_mode: bool = False,
                    platform: SlackPlatform | None = None) -> App:
    """The Bolt app whose listeners take Slack's requests into `registry`, asking `platform` (the composition
    root's; one of its own when none is given) who is asking. Fails with a SlackStartError naming what to fix."""
    check_ids(settings)
    if not settings.slack_bot_token:
        raise SlackStartError("SLACK_BOT_TOKEN is not set; copy the Bot User OAuth Token (xoxb-...) from the app's page")
    if not socket_mode and not settings.slack_signing_secret:
        raise SlackStartError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to check requests come from Slack "
                              "(or set SLACK_APP_TOKEN for Socket Mode)")
    platform = platform or SlackPlatform.from_settings(settings, registry.context.access)
    client = platform.client
    check_bot_token(client)
    try:
        app = App(
            client=client,
            signing_secret=settings.slack_signing_secret or "",
            request_verification_enabled=not socket_mode,
            process_before_response=False,
            listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="kpibot-listener"),
        )
    except BoltError as exc:
        raise SlackStartError(f"Slack refused SLACK_BOT_TOKEN: {exc}") from None
    except OSError:  # Bolt's own auth.test, a moment after ours: Slack went out of reach in between
        check_bot_token(client)
        raise
    SlackCommands(registry, platform).register(app)
    return app
