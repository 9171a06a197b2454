"""A fake Entra ID / Bot Framework OpenID endpoint on 127.0.0.1, and the names of the fake Teams kit in one place.

`FakeEntra` serves what a bot reads to trust the Bot Connector and to be trusted by it:
- `<base>/v1/.well-known/openidconfiguration`: the OpenID metadata (issuer, jwks_uri, signing algorithms),
- `<base>/v1/.well-known/keys`: the JWKS, the test key under its kid, endorsed for "msteams",
- `POST <base>/token` (also `<base>/<tenant>/oauth2/v2.0/token`): client credentials for the bot's app id and
  secret, answered with an RS256 access token for the Bot Connector, as Entra answers.
`mint_inbound(service_url)` signs a token as the Bot Connector signs an activity it sends the bot. The Bot
Connector itself is `FakeConnector` (tests.fake_teams_connector), the files people send the bot are kept by
`FakeFileHost` (tests.fake_teams_files); activities to send the bot are built in tests.fake_teams_activities. Loopback only: nothing here talks to anything but 127.0.0.1.
"""
from __future__ import annotations

import copy
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import parse_qsl

import jwt
import pytest

from tests.fake_teams_activities import (  # noqa: F401  (the kit's names, importable from here)
    ADAPTIVE_CARD, APP_ID, APP_PASSWORD, BOT_NAME, FILE_DOWNLOAD_INFO, TENANT_ID, TeamsUser, bot_account,
    conversation_update, file_message, inline_image_message, installation_activity, message_activity, send_activity,
    shared_file_message,
)
from tests.fake_teams_connector import FakeConnector  # noqa: F401
from tests.fake_teams_files import FakeFileHost  # noqa: F401
from tests.fake_teams_http import LocalService, Reply, Request
from tests.teams_signing import (
    BOT_CONNECTOR_AUDIENCE, BOT_CONNECTOR_SCOPE, BOT_FRAMEWORK_ISSUER, TEST_KEY, SigningKey, inbound_token, mint,
)

METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"
TOKEN_PATH = "/token"


@dataclass(frozen=True)
class TokenRequest:
    """One client-credentials request and what it was answered."""

    path: str
    form: dict[str, str]
    status: int
    error: str | None  # Entra's error code, None when a token was issued


class FakeEntra(LocalService):
    """Bot Framework's OpenID metadata and keys, and Entra's token endpoint, for one bot (`app_id`, `app_password`,
    `tenant_id`). Use it as `with FakeEntra() as entra:` or through the `fake_entra` fixture."""

    thread_name = "fake-entra"

    def __init__(self, app_id: str = APP_ID, app_password: str = APP_PASSWORD, tenant_id: str = TENANT_ID,
                 key: SigningKey = TEST_KEY, expires_in: int = 3600, **server: Any) -> None:
        super().__init__(**server)
        self.app_id, self.app_password, self.tenant_id = app_id, app_password, tenant_id
        self.key = key
        self.expires_in = expires_in  # seconds each issued access token lives
        self._issued: set[str] = set()
        self._token_requests: list[TokenRequest] = []
        self._key_fetches = 0
        self._faults: deque[list] = deque()

    # -- addresses ----------------------------------------------------------------

    @property
    def metadata_url(self) -> str:
        """For KPIBOT_TEAMS_OPENID_METADATA_URL."""
        return self.base_url + METADATA_PATH

    @property
    def keys_url(self) -> str:
        return self.base_url + KEYS_PATH

    @property
    def token_url(self) -> str:
        """For KPIBOT_TEAMS_TOKEN_URL."""
        return self.base_url + TOKEN_PATH

    @property
    def issuer(self) -> str:
        """Who issues the access tokens (Entra's v1 issuer for the bot's tenant)."""
        return f"https://sts.windows.net/{self.tenant_id}/"

    # -- tokens ------------------------------------------------------------------

    def mint_inbound(self, service_url: str, app_id: str | None = None, **overrides: Any) -> str:
        """A Bot Connector token for an activity from `service_url` to this bot (or to `app_id`)."""
        return inbound_token(app_id or self.app_id, service_url, self.key, **overrides)

    def verify(self, token: str | None) -> dict[str, Any] | None:
        """The claims of `token` if this Entra issued it and it is still good, else None (the connector's check)."""
        if not token or token not in self._issued:
            return None
        try:
            return jwt.decode(token, self.key.private.public_key(), algorithms=["RS256"],
                              audience=BOT_CONNECTOR_AUDIENCE, issuer=self.issuer)
        except jwt.InvalidTokenError:
            return None

    def fail_next(self, status: int = 401, error: str = "invalid_client", times: int = 1) -> None:
        """Answer the next `times` token requests with Entra's error instead of a token."""
        with self._lock:
            self._faults.append([status, error, times])

    # -- inspection ----------------------------------------------------------------

    def token_requests(self) -> list[TokenRequest]:
        with self._lock:
            return copy.deepcopy(self._token_requests)

    @property
    def tokens_issued(self) -> int:
        with self._lock:
            return sum(1 for request in self._token_requests if request.error is None)

    @property
    def key_fetches(self) -> int:
        with self._lock:
            return self._key_fetches

    def summary(self) -> str:
        with self._lock:
            return f"{len(self._token_requests)} token requests, {self._key_fetches} key fetches"

    # -- requests (on server threads) -----------------------------------------------

    def answer(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == METADATA_PATH:
            return Reply.json(self._metadata())
        if request.method == "GET" and request.path == KEYS_PATH:
            with self._changed:
                self._key_fetches += 1
                self._recorded()
            return Reply.json({"keys": [{**self.key.public_jwk, "endorsements": ["msteams"]}]})
        if request.method == "POST" and request.path in (TOKEN_PATH, f"/{self.tenant_id}/oauth2/v2.0/token"):
            return self._token(request)
        return Reply.json({"error": "not_found"}, 404)

    def _metadata(self) -> dict[str, Any]:
        return {"issuer": BOT_FRAMEWORK_ISSUER,
                "authorization_endpoint": self.base_url + "/v1/botframework.com/oauth2/v2.0/authorize",
                "jwks_uri": self.keys_url,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"]}

    def _token(self, request: Request) -> Reply:
        form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        with self._changed:
            error = self._take_fault() or _refusal(form, self.app_id, self.app_password)
            if error:
                status, code = error
                reply = Reply.json({"error": code, "error_description": f"AADSTS: {code} (fake Entra)",
                                    "error_codes": [status]}, status)
            else:
                token = self._access_token()
                self._issued.add(token)
                reply = Reply.json({"token_type": "Bearer", "expires_in": self.expires_in,
                                    "ext_expires_in": self.expires_in, "access_token": token})
                status, code = 200, None
            self._token_requests.append(TokenRequest(request.path, form, status, code))
            self._recorded()
        return reply

    def _take_fault(self) -> tuple[int, str] | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault[2] -= 1
        if fault[2] <= 0:
            self._faults.popleft()
        return fault[0], fault[1]

    def _access_token(self) -> str:
        now = int(time.time())
        # Two tokens in one second must differ: jti makes each one this Entra's own.
        return mint({"aud": BOT_CONNECTOR_AUDIENCE, "iss": self.issuer, "iat": now, "nbf": now,
                     "exp": now + self.expires_in, "appid": self.app_id, "appidacr": "1", "idtyp": "app",
                     "tid": self.tenant_id, "ver": "1.0", "jti": f"fake-{len(self._token_requests) + 1}"}, self.key)


def _refusal(form: dict[str, str], app_id: str, app_password: str) -> tuple[int, str] | None:
    """What Entra says to a client-credentials request that is not this bot's, or None for one that is."""
    if form.get("grant_type") != "client_credentials":
        return 400, "unsupported_grant_type"
    if form.get("client_id") != app_id:
        return 400, "unauthorized_client"
    if form.get("client_secret") != app_password:
        return 401, "invalid_client"
    if form.get("scope") != BOT_CONNECTOR_SCOPE:
        return 400, "invalid_scope"
    return None


@pytest.fixture
def fake_entra() -> Iterator[FakeEntra]:
    with FakeEntra() as entra:
        yield entra


@pytest.fixture
def fake_connector(fake_entra) -> Iterator[FakeConnector]:
    with FakeConnector(fake_entra) as connector:
        yield connector
