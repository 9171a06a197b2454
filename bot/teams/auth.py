"""The bot's outbound tokens (the Bot Connector's, Graph's): client credentials posted to KPIBOT_TEAMS_TOKEN_URL
(tests, sovereign clouds), cached until shortly before they expire, or the Microsoft Teams SDK's own Entra
route for the tenant. With the token URL, the connector transport and the SDK's App ask the same source."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Callable

import httpx

LOGGER = logging.getLogger(__name__)

BOT_SCOPE = "https://api.botframework.com/.default"
# A token is renewed this long before Entra says it expires: a message posted with it must still arrive in time.
RENEW_BEFORE_SECONDS = 300
TOKEN_TIMEOUT_SECONDS = 10.0
TOKEN_REFUSED = "the token endpoint refused the bot's credentials ({status}): check TEAMS_APP_ID and TEAMS_APP_PASSWORD"
TOKEN_UNREADABLE = "the token endpoint's answer carried no access_token"


class TokenError(Exception):
    """No token could be had: the endpoint refused the credentials, or was out of reach."""

    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class ClientCredentialsToken:
    """A client-credentials token from one token URL, kept until RENEW_BEFORE_SECONDS before `expires_in`.

    Called by the SDK as an async `(scope, tenant_id)` function on every send, and by the connector transport
    as `bearer()` from its worker threads; one cache serves both.
    """

    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str = BOT_SCOPE,
                 clock: Callable[[], float] = time.monotonic, transport: httpx.BaseTransport | None = None):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self._clock = clock
        self._transport = transport
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def bearer(self) -> str:
        """The current token, fetched when there is none or it is about to expire. Raises TokenError."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, lifetime = self._fetch()
                self._renew_at = self._clock() + max(0.0, lifetime - RENEW_BEFORE_SECONDS)
            return self._token

    def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self._client_secret, "scope": self.scope}
        try:
            with httpx.Client(timeout=TOKEN_TIMEOUT_SECONDS, transport=self._transport) as client:
                answer = client.post(self.token_url, data=form)
        except httpx.HTTPError as exc:
            raise TokenError(f"the token endpoint is out of reach: {type(exc).__name__}", permanent=False) from None
        if answer.status_code in (400, 401, 403):
            raise TokenError(TOKEN_REFUSED.format(status=answer.status_code), permanent=True)
        if answer.status_code >= 300:
            raise TokenError(f"the token endpoint answered {answer.status_code}", permanent=False)
        try:
            body = answer.json()
            token, lifetime = str(body["access_token"]), float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise TokenError(TOKEN_UNREADABLE, permanent=False) from None
        LOGGER.debug("fetched a Bot Connector token valid for %.0f s", lifetime)
        return token, lifetime

    async def __call__(self, scope: str, tenant_id: str | None = None) -> str:
        """The SDK's token provider: the same cached token, fetched off the event loop."""
        return await asyncio.to_thread(self.bearer)


class EntraToken:
    """The SDK's own Entra route (MSAL with the client secret, for the app's tenant) as a `bearer()` for the
    transport and the callers, in any process (`digest run` builds no App). MSAL keeps the token cached."""

    def __init__(self, client_id: str, client_secret: str, tenant_id: str | None, scope: str = BOT_SCOPE,
                 cloud=None):
        from microsoft_teams.api import ClientCredentials
        from microsoft_teams.apps.token_manager import TokenManager

        self.scope = scope
        self.tenant_id = tenant_id
        self._manager = TokenManager(ClientCredentials(client_id=client_id, client_secret=client_secret,
                                                       tenant_id=tenant_id), cloud)
        self._lock = threading.Lock()

    def bearer(self) -> str:
        with self._lock:   # one MSAL call at a time; each from a thread with no event loop of its own
            try:
                token = asyncio.run(self._manager.get_app_token(self.scope, self.tenant_id))
            except Exception as exc:  # MSAL's errors are its own; the transport needs only ours
                raise TokenError(f"no token from Entra: {type(exc).__name__}: {exc}", permanent=False) from None
        if token is None:
            raise TokenError("no token from Entra: the app has no credentials", permanent=True)
        return str(token)


class NoToken:
    """The local-only client that sends no token (the Agents Playground) takes none back either."""

    def bearer(self) -> str:
        return ""

