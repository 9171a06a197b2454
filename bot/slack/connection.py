"""Connecting to Slack: start-up checks that fail in one line naming what to fix, and a Socket Mode connection
that rides out dropped connections with one log line each."""
from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler,
)
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.slack.library_logs import SOCKET_MODE_SDK_LOGGER, quiet_slack_libraries

LOGGER = logging.getLogger(__name__)
# Given to the SDK's Socket Mode client: bot.slack.library_logs keeps what it says for DEBUG.
SDK_LOGGER = logging.getLogger(SOCKET_MODE_SDK_LOGGER)

BOT_TOKEN_REFUSED = ("Slack refused SLACK_BOT_TOKEN ({code}): check the Bot User OAuth Token (xoxb-...) on the app's "
                     "Install App page, and reinstall the app if the token was revoked")
APP_TOKEN_REFUSED = ("Slack refused SLACK_APP_TOKEN ({code}): check the App-Level Token (xapp-...) under the app's "
                     "Basic Information, App-Level Tokens; it needs the connections:write scope")
UNREACHABLE = "Can't reach Slack at {url} ({reason}): check the network or KPIBOT_SLACK_API_URL"
NOT_SLACK = "{url} did not answer as Slack's Web API does (HTTP {status}): check KPIBOT_SLACK_API_URL"
SLACK_TROUBLE = "Slack answered HTTP {status} at {url}: it is having trouble; try again in a few minutes"
SOCKET_UNREACHABLE = ("Can't open the Socket Mode connection to Slack ({reason}): check that the network (or its "
                      "proxy, HTTPS_PROXY) lets this machine open WebSocket connections to Slack")
CANNOT_LISTEN = "Can't listen for Slack on {host}:{port} ({reason}): choose another --port or --host"
DROPPED = "Slack's Socket Mode connection dropped ({reason}); reconnected in {seconds:.1f} s"
DROPPED_STILL_DOWN = ("Slack's Socket Mode connection dropped ({reason}) and can't be opened again yet ({why}); "
                      "trying again every {interval:g} s")
BACK = "Slack's Socket Mode connection is back after {seconds:.0f} s"
# Bolt's default: how often the connection is checked (and re-opened when it has gone).
PING_SECONDS = 10.0


class SlackStartError(RuntimeError):
    """Slack refused the bot's credentials or settings, or cannot be reached; the message names what to fix."""


class PeerClosed(ConnectionError):
    """The other end closed the connection without a WebSocket close frame (a proxy or load balancer, say)."""


def connection_reason(exc: BaseException) -> str:
    """A failed connection in a few words: what an operator needs to tell a refusal from a name not found."""
    reason = getattr(exc, "reason", None) if isinstance(exc, URLError) else exc
    reason = reason if isinstance(reason, BaseException) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, PeerClosed):
        return str(reason)
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed: {reason.reason or reason}"
    return str(reason) or type(reason).__name__


def _refused(exc: SlackApiError, url: str, refused: str) -> SlackStartError:
    """Slack answers a refusal with HTTP 200 and an error code; any other status is trouble or not Slack at all."""
    status = exc.response.status_code
    if status == 429 or status >= 500:
        return SlackStartError(SLACK_TROUBLE.format(status=status, url=url))
    if status != 200 or not isinstance(exc.response.data, dict) or not exc.response.get("error"):
        return SlackStartError(NOT_SLACK.format(url=url, status=status))
    return SlackStartError(refused.format(code=exc.response["error"]))


def _failure(exc: Exception) -> str:
    """Why a reconnection attempt failed, in a few words (a SlackApiError's own text runs to several lines)."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return f"Slack answered HTTP {exc.response.status_code}" + (f", {data['error']}" if data.get("error") else "")
    if isinstance(exc, (URLError, OSError)):
        return connection_reason(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def web_client(settings) -> WebClient:
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


def check_bot_token(client: WebClient) -> dict:
    """auth.test with the bot token, before Bolt makes the same call and fails with a stack trace."""
    try:
        return client.auth_test().data
    except SlackApiError as exc:
        raise _refused(exc, client.base_url, BOT_TOKEN_REFUSED) from None
    except (URLError, OSError) as exc:
        raise SlackStartError(UNREACHABLE.format(url=client.base_url, reason=connection_reason(exc))) from None


class _EndAwareSocket:
    """A connected socket whose recv() raises PeerClosed at end of stream. The SDK's reader takes an empty
    read for "nothing yet" and reads again at once: a closed connection spun a core until the stale check
    (four pings, 40 s) noticed. An OSError from recv() is what makes it close the connection and reconnect."""

    def __init__(self, sock):
        self._sock = sock

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        if not data and size:
            raise PeerClosed("closed by the other end")
        return data

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class _QuietSocketModeClient(SocketModeClient):
    """slack_sdk's built-in Socket Mode client, which re-opens a dropped connection by itself (its monitor
    looks every `ping_interval` seconds; Slack's refresh requests reconnect at once). This subclass tells
    each drop in one line instead of the SDK's dozen, and notices a hang-up at once (_EndAwareSocket)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_error_listeners.append(self._remember)
        self._story = threading.Lock()
        self._reason: str | None = None
        self._down_since: float | None = None
        self._told_down = False
        self._refreshing = False
        self.serving = False  # until open() succeeds, start-up alone decides (and fails in one line)

    def _went_down(self, reason: str | None) -> None:
        with self._story:
            if self._down_since is None:
                self._down_since = time.monotonic()
            self._reason = self._reason or reason

    def _remember(self, error: Exception) -> None:
        self._went_down(connection_reason(error))

    @property
    def last_reason(self) -> str:
        return self._reason or "no answer"

    def connect(self) -> None:
        super().connect()
        session = self.current_session
        if session is not None and session.sock is not None and not isinstance(session.sock, _EndAwareSocket):
            session.sock = _EndAwareSocket(session.sock)

    def _on_close(self, code: int, reason: str | None = None) -> None:
        self._went_down(f"closed by Slack, code {code}" + (f": {reason}" if reason else ""))
        super()._on_close(code, reason)

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        # force: Slack asked for a fresh connection (a routine refresh), not a drop; while it is made, the
        # monitor may see the old connection closed and ask too, which is no drop either.
        if not self.serving:
            return
        if force:
            self._refreshing = True
        elif not self._refreshing and not self.is_connected():
            self._went_down("no answer to pings")
        before = self.current_session
        try:
            super().connect_to_new_endpoint(force)
        except Exception as exc:
            self._attempt_failed(_failure(exc))
            raise  # the SDK's monitor logs it (at DEBUG, through SDK_LOGGER) and tries again later
        finally:
            if force:
                self._refreshing = False
        if not self.is_connected():
            self._attempt_failed(self.last_reason)
        elif self.current_session is not before:
            self._reconnected()
        # Else nothing was done: on a close frame the SDK asks while the old connection is still open, and
        # reconnects at the monitor's next look.

    def _attempt_failed(self, why: str) -> None:
        with self._story:
            if self._down_since is None or self._told_down:
                return
            self._told_down = True
            dropped = self._reason
        LOGGER.warning(DROPPED_STILL_DOWN.format(reason=dropped, why=why, interval=self.ping_interval))

    def _reconnected(self) -> None:
        with self._story:
            if self._down_since is None:
                return
            seconds = time.monotonic() - self._down_since
            told, reason = self._told_down, self._reason
            self._down_since, self._told_down, self._reason = None, False, None
        if told:
            LOGGER.info(BACK.format(seconds=seconds))
        else:
            LOGGER.warning(DROPPED.format(reason=reason, seconds=seconds))


class SocketModeConnection(SocketModeHandler):
    """Bolt's Socket Mode handler over the quiet client; `open()` connects or fails in one line."""

    def __init__(self, app: App, app_token: str, ping_interval: float = PING_SECONDS):
        # Bolt's own __init__ with our client in place of the built-in one; handle() is Bolt's.
        self.app = app
        self.app_token = app_token
        self.client = _QuietSocketModeClient(app_token=app_token, logger=SDK_LOGGER, web_client=app.client,
                                             proxy=app.client.proxy, ping_interval=ping_interval)
        self.client.socket_mode_request_listeners.append(self.handle)

    def open(self) -> None:
        try:
            self.client.connect()
        except SlackApiError as exc:
            self.close()
            raise _refused(exc, self.app.client.base_url, APP_TOKEN_REFUSED) from None
        except (URLError, OSError) as exc:
            self.close()
            raise SlackStartError(UNREACHABLE.format(url=self.app.client.base_url,
                                                     reason=connection_reason(exc))) from None
        if not self.client.is_connected():
            reason = self.client.last_reason
            self.close()
            raise SlackStartError(SOCKET_UNREACHABLE.format(reason=reason))
        self.client.serving = True
