"""HTTP to the Bot Connector at a conversation's service URL: activities posted or updated and personal chats created,
within Teams' per-conversation limits, with 429, 412, 502 and 504 retried, and Teams' errors mapped to ours."""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from typing import Callable
from urllib.parse import quote

import httpx

from answers.platform import DeliveryError, Failure
from bot.teams.auth import TokenError

LOGGER = logging.getLogger(__name__)

# Teams' limits per bot per conversation: (seconds, messages) windows, all of which must hold.
CONVERSATION_LIMITS = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
RETRIED = frozenset({412, 429, 502, 504})
RETRIES = 3                 # after the first attempt
BACKOFF_SECONDS = 1.0       # doubled each retry, plus up to as much again of jitter
RETRY_AFTER_CAP_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 20.0
# The connector's statuses that the same request keeps getting: not retried.
PERMANENT = {
    401: Failure.REFUSED,        # the bot's token was not accepted
    403: Failure.NOT_A_MEMBER,   # the bot was removed from the conversation, or writes there are blocked
    404: Failure.GONE,           # no such conversation (deleted), or no such person
}


class ConversationLimiter:
    """Keeps each conversation within CONVERSATION_LIMITS by waiting (never by dropping a message)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 limits=CONVERSATION_LIMITS):
        self._clock, self._sleep, self._limits = clock, sleep, limits
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._longest = max(seconds for seconds, _ in limits)

    def _wait_needed(self, sent: deque[float], now: float) -> float:
        while sent and now - sent[0] >= self._longest:
            sent.popleft()
        wait = 0.0
        for seconds, most in self._limits:
            inside = [t for t in sent if now - t < seconds]
            if len(inside) >= most:
                # the oldest message that must leave the window before one more may go
                wait = max(wait, inside[len(inside) - most] + seconds - now)
        return wait

    def take(self, conversation_id: str) -> None:
        """Wait until one more message may go to `conversation_id`, then count it as sent."""
        while True:
            with self._lock:
                sent = self._sent.setdefault(conversation_id, deque())
                now = self._clock()
                wait = self._wait_needed(sent, now)
                if wait <= 0:
                    sent.append(now)
                    return
            LOGGER.debug("conversation limit: waiting %.2f s before posting", wait)
            self._sleep(wait)


def _detail(answer: httpx.Response) -> str:
    """The connector's own word for an error: its error code where it gives one, else the status."""
    try:
        error = (answer.json() or {}).get("error") or {}
        code = error.get("code") if isinstance(error, dict) else None
    except (ValueError, AttributeError):
        code = None
    return f"{answer.status_code} {code}" if code else f"http_{answer.status_code}"


def _retry_after(answer: httpx.Response) -> float | None:
    try:
        return min(RETRY_AFTER_CAP_SECONDS, max(0.0, float(answer.headers.get("Retry-After", ""))))
    except ValueError:
        return None


def failure_of(answer: httpx.Response) -> DeliveryError:
    """A connector answer that was not a success, as delivery's error."""
    status = answer.status_code
    if status in PERMANENT:
        return DeliveryError(PERMANENT[status], _detail(answer))
    if status == 429:
        return DeliveryError(Failure.RATE_LIMITED, _detail(answer))
    if status in (400, 413):   # the connector will not take this message as it is
        return DeliveryError(Failure.REFUSED, _detail(answer))
    return DeliveryError(Failure.TRANSIENT, _detail(answer))


class ConnectorTransport:
    """Posts to the Bot Connector with a bearer from `token` (an object with `bearer()`)."""

    def __init__(self, token, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, http: httpx.Client | None = None,
                 jitter: Callable[[float, float], float] = random.uniform):
        self.token = token
        self._sleep = sleep
        self._jitter = jitter
        self.limiter = ConversationLimiter(clock, sleep)
        self._http = http or httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False)

    def _headers(self) -> dict:
        try:
            bearer = self.token.bearer()
        except TokenError as exc:
            raise DeliveryError(Failure.REFUSED if exc.permanent else Failure.TRANSIENT, str(exc)) from None
        return {"Authorization": f"Bearer {bearer}"} if bearer else {}

    def _request(self, method: str, url: str, body: dict, conversation_id: str | None) -> dict:
        """A POST or PUT with the limiter (for a conversation's messages) and the retries; the answer's JSON."""
        for attempt in range(RETRIES + 1):
            if conversation_id is not None:
                self.limiter.take(conversation_id)
            try:
                answer = self._http.request(method, url, json=body, headers=self._headers())
            except httpx.HTTPError as exc:
                error, wait = DeliveryError(Failure.TRANSIENT, f"connection: {type(exc).__name__}"), None
            else:
                if answer.status_code < 300:
                    try:
                        return answer.json() if answer.content else {}
                    except ValueError:
                        return {}
                error = failure_of(answer)
                if answer.status_code not in RETRIED:
                    raise error
                wait = _retry_after(answer) if answer.status_code == 429 else None
            if attempt == RETRIES:
                raise error
            backoff = BACKOFF_SECONDS * 2 ** attempt
            wait = wait if wait is not None else backoff + self._jitter(0.0, backoff)
            LOGGER.info("connector answered %s: retrying in %.1f s", error.detail, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def send(self, service_url: str, conversation_id: str, activity: dict, reply_to: str | None = None) -> str:
        """Post `activity` into the conversation (as a reply to `reply_to` where given); the new activity's id."""
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
        if reply_to:
            path += f"/{quote(reply_to, safe='')}"
        answer = self._request("POST", service_url.rstrip("/") + path, activity, conversation_id)
        return str(answer.get("id") or "")

    def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict) -> None:
        """Put `activity` in place of the message `activity_id` already in the conversation (a card whose button
        was pressed, shown as its answer)."""
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        self._request("PUT", service_url.rstrip("/") + path, {**activity, "id": activity_id}, conversation_id)

    def create_personal_chat(self, service_url: str, bot_id: str, user_id: str, tenant_id: str) -> str:
        """The bot's personal chat with `user_id` (the connector makes it, or returns the one there is); its id."""
        body = {"bot": {"id": bot_id}, "members": [{"id": user_id}], "isGroup": False, "tenantId": tenant_id,
                "channelData": {"tenant": {"id": tenant_id}}}
        answer = self._request("POST", service_url.rstrip("/") + "/v3/conversations", body, None)
        conversation_id = answer.get("id")
        if not conversation_id:
            raise DeliveryError(Failure.TRANSIENT, "the connector made no conversation")
        return str(conversation_id)

    def close(self) -> None:
        self._http.close()
