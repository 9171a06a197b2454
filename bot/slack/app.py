"""The Slack adapter: a Bolt app whose listeners run the registered commands and render their answers."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as FutureTimeout
from typing import Callable

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.http_server import RECEIVED_AT
from bot.slack.render import SUGGESTION_ACTION, escape_mrkdwn, render_message
from bot.settings import Settings
from bot.slack.connection import CANNOT_LISTEN, SlackStartError, SocketModeConnection, check_bot_token
from bot.slack.library_logs import quiet_slack_libraries
from commands.registry import CommandRegistry, CommandRequest
from answers.response import Response

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
WORKING = "Working on it: the answer will appear here in a moment."
STILL_WORKING = "Still working on it: the answer will follow in this channel."
CANNOT_POST = ("I couldn't post the file in this channel ({error}). Invite me with `/invite @kpibot`, "
               "or ask me in a direct message.")
DELIVERY_FAILED = "Sorry, I couldn't deliver that answer ({error}). Please try again."
ALREADY_DONE = "Already done: this exact request arrived before and was carried out then."
ALREADY_DONE_HINT = "Nothing was changed this time. To do it again, run the command again."


def web_client(settings: Settings) -> WebClient:
    """A Web API client that retries rate limits (honouring Retry-After), 5xx and dropped connections."""
    quiet_slack_libraries()
    kwargs = {"token": settings.slack_bot_token}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(**kwargs, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ])


def _request(body: dict, identities=None, request_key: str = "") -> CommandRequest:
    user_id = str(body.get("user_id", ""))
    channel_id = str(body.get("channel_id", ""))
    return CommandRequest(
        command=str(body.get("command", "")).lower(),
        text=str(body.get("text", "")),
        user_id=user_id,
        channel_id=channel_id,
        is_guest=identities.is_guest(user_id) if identities else False,
        groups=identities.groups_of(user_id) if identities else frozenset(),
        direct_with_bot=identities.is_direct_with_bot(channel_id, user_id) if identities else False,
        request_key=request_key,
    )


def request_key(request: BoltRequest | None) -> str:
    """This request's identity as Slack signed it (timestamp and signature), or "" where nothing signed it
    (Socket Mode): a replay carries the same two headers, a new request never does."""
    if request is None:
        return ""
    signature = _header(request, "x-slack-signature")
    timestamp = _header(request, "x-slack-request-timestamp")
    return f"{timestamp}:{signature}" if signature and timestamp.isdigit() else ""


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

    def __init__(self, registry: CommandRegistry, ack_budget: float = ACK_BUDGET_SECONDS, identities=None):
        self.registry = registry
        self.identities = identities
        self.ack_budget = ack_budget
        self._commands = ThreadPoolExecutor(max_workers=COMMAND_WORKERS, thread_name_prefix="kpibot-command")
        self._deliveries = ThreadPoolExecutor(max_workers=DELIVERY_WORKERS, thread_name_prefix="kpibot-delivery")

    def register(self, app: App) -> None:
        for command in sorted(self.registry.handlers):
            app.command(command)(self.acknowledge)
        for index in range(5):
            app.action(SUGGESTION_ACTION.format(index=index))(self.suggestion_clicked)

    def _is_slow(self, body: dict) -> bool:
        """Slow work is acknowledged with a holding message and answered later; a request that will be
        refused is not slow (its refusal is quick), so nobody is told "Working on it" before "no"."""
        request = _request(body)
        if not self.registry.is_slow(request.command, request.text):
            return False
        return self.registry.refusal_for(_request(body, self.identities)) is None

    def acknowledge(self, ack: Callable, body: dict, context: BoltContext, respond: Callable, client: WebClient,
                    request: BoltRequest) -> None:
        # The budget runs from the request's arrival: a request that waited for a free thread has less of it.
        received = context.get(RECEIVED_AT) or time.monotonic()
        key = request_key(request)
        if self._is_slow(body):
            ack(response_type="ephemeral", text=WORKING)
            self._deliver_when_done(self._commands.submit(self._run, body, key), body, respond, client)
            return
        answer = self._commands.submit(self._run, body, key)
        try:
            response = answer.result(timeout=max(0.0, self.ack_budget - (time.monotonic() - received)))
        except FutureTimeout:
            ack(response_type="ephemeral", text=STILL_WORKING)
            self._deliver_when_done(answer, body, respond, client)
            return
        ack(**render_message(response))

    def _run(self, body: dict, key: str) -> Response:
        """One command on a command worker (who asks, and where, is looked up here too, off the listener
        threads): a repeated state-changing request is answered, not run again."""
        from commands.registry import DATA_UNAVAILABLE, DATA_UNAVAILABLE_HINT
        from answers.response import error

        request = _request(body, self.identities, key)
        try:
            if self._is_replay(request):
                return error(ALREADY_DONE, ALREADY_DONE_HINT)
        except SQLAlchemyError as exc:  # the database that records requests is not answering: change nothing
            LOGGER.warning("could not check %s for a replay: %s", request.command, type(exc).__name__)
            return error(DATA_UNAVAILABLE, DATA_UNAVAILABLE_HINT)
        return self.registry.dispatch(request)

    def _is_replay(self, request: CommandRequest) -> bool:
        """Whether this state-changing request was seen before (on any replica): read-only commands, and
        requests that will be refused anyway, pass without a look at the database."""
        if not request.request_key:
            return False
        if self.registry.needs(request) == "viewer" or self.registry.refusal_for(request) is not None:
            return False
        from storage.replays import first_time

        timestamp = int(request.request_key.partition(":")[0])
        if first_time(self.registry.context.db, request.request_key, timestamp):
            return False
        LOGGER.warning("refused a replayed %s from %s in %s", request.command, request.user_id, request.channel_id)
        from storage.audit import record

        record(self.registry.context.db, self.registry.context.clock(), request.user_id, request.channel_id,
               request.command, request.text, "replayed")
        return True

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

    def suggestion_clicked(self, ack: Callable, body: dict, respond: Callable, request: BoltRequest,
                           client: WebClient) -> None:
        """A click on a suggested command: acknowledged at once, answered in place of the message it was on."""
        ack()
        action = (body.get("actions") or [{}])[0]
        line = str(action.get("value", "")).strip()
        user_id = (body.get("user") or {}).get("id", "")
        channel_id = (body.get("channel") or {}).get("id", "")
        name, _, text = line.partition(" ")
        typed = {"command": name, "text": text.strip(), "user_id": user_id, "channel_id": channel_id}
        answer = (self._commands.submit(self._run, typed, request_key(request)) if line.startswith("/")
                  else self._commands.submit(self.registry.run_line, line, user_id=user_id, channel_id=channel_id))

        def answered(done: Future) -> None:
            # in place of the message it was on, with the charts or files of the answer, as a typed command's
            self._deliveries.submit(self._send, done.result(), _request(typed), respond, client, True)

        answer.add_done_callback(answered)


def build_slack_app(settings: Settings, registry: CommandRegistry, socket_mode: bool = False) -> App:
    if not settings.slack_bot_token:
        raise SlackStartError("SLACK_BOT_TOKEN is not set; copy the Bot User OAuth Token (xoxb-...) from the app's page")
    if not socket_mode and not settings.slack_signing_secret:
        raise SlackStartError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to check requests come from Slack "
                              "(or set SLACK_APP_TOKEN for Socket Mode)")
    client = web_client(settings)
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
    from bot.metrics import observe_command
    from bot.slack.identity import SlackIdentities

    if observe_command not in registry.observers:
        registry.observers.append(observe_command)

    policy = registry.context.access
    SlackCommands(registry, identities=SlackIdentities(app.client, policy.editor_groups | policy.admin_groups)
                  ).register(app)
    return app


def start_digests(settings: Settings, registry: CommandRegistry, client: WebClient):
    """The digest scheduler of this process, posting through `client`."""
    from bot.slack.transport import SlackDigestTransport
    from digests.content import digest_builder
    from digests.delivery import DeliveryPolicy
    from digests.scheduler import DigestScheduler

    transport = SlackDigestTransport(client)
    context = registry.context
    policy = DeliveryPolicy.from_settings(settings)
    from bot.metrics import observe_digest

    scheduler = DigestScheduler(context.db, transport, digest_builder(context), policy,
                                settings.digest_check_minutes, clock=context.clock, on_outcome=observe_digest)
    context.platforms["slack"] = transport
    context.subscriptions_changed = scheduler.poke
    scheduler.start()
    return scheduler


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's heap arenas for the threads started after this; True if capped.

    glibc gives threads that allocate at the same moment arenas of their own, up to eight per core, and
    keeps each arena's freed memory. The bot's threads mostly wait, so extra arenas buy nothing: at L,
    1,000 mixed commands left `serve` at 239 MB with them and 198 MB with two. A MALLOC_ARENA_MAX
    already set is left as it is, as is any C library other than glibc.
    """
    import ctypes
    import os

    if os.environ.get("MALLOC_ARENA_MAX") or not hasattr(os, "confstr"):
        return False
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, ValueError, AttributeError):
        return False
    m_arena_max = -8  # from glibc's malloc.h
    return bool(mallopt(m_arena_max, arenas))


def serve_slack(settings: Settings, registry: CommandRegistry, port: int = 3000, host: str = "0.0.0.0",
                health_check=None) -> None:
    """Run until interrupted: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on `port`.

    Every check that can fail at start (the tokens, reaching Slack, the port) runs before the digest
    scheduler starts, and fails with a SlackStartError naming what to fix."""
    limit_malloc_arenas()
    socket_mode = bool(settings.slack_app_token)
    app = build_slack_app(settings, registry, socket_mode=socket_mode)
    if socket_mode:
        connection = SocketModeConnection(app, settings.slack_app_token)
        connection.open()
        LOGGER.info("connected to Slack in Socket Mode")
        scheduler = None
        try:
            scheduler = start_digests(settings, registry, app.client)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            connection.close()
        return
    from bot.slack.http_server import EVENTS_PATH, SlackHTTPServer

    try:
        server = SlackHTTPServer(app, host, port)
    except OSError as exc:
        raise SlackStartError(CANNOT_LISTEN.format(host=host, port=port, reason=exc.strerror or exc)) from None
    scheduler = start_digests(settings, registry, app.client)
    if health_check is not None:
        def health() -> dict:
            report = health_check()
            return {**report, "scheduler": scheduler.running, "ok": report.get("ok", False) and scheduler.running}

        server.health_check = health
    LOGGER.info("listening for Slack on http://%s:%d%s", host, server.port, EVENTS_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown()
        server.server_close()
