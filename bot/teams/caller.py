"""A service the Teams adapter reads from with the bot's own token: the Bot Connector (rosters, teams) or
Microsoft Graph (group membership, channel files). Small on purpose, so the adapter passes its own HTTP client
and token source, and a test a fake's."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx

LOGGER = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
PUBLIC_GRAPH = "https://graph.microsoft.com"
REQUEST_TIMEOUT_SECONDS = 10.0


def graph_scope(graph_url: str) -> str:
    """The token scope for the Graph at `graph_url`: a sovereign cloud's own (https://graph.microsoft.us), else
    the public one (also for a local test Graph, whose token endpoint takes the public scope)."""
    base = graph_url.rstrip("/")
    if base.startswith("https://") and base != PUBLIC_GRAPH:
        return f"{base}/.default"
    return GRAPH_SCOPE


class CallFailed(Exception):
    """The service could not be asked: no token, or the network failed. `status` is None then."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass
class ServiceCaller:
    """Calls one service with a bearer from `token` (an object with `bearer()`, as bot.teams.auth's tokens)."""

    token: object
    base_url: str = ""
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS,
                                                                     follow_redirects=False))

    def call(self, method: str, url: str, **kwargs) -> httpx.Response:
        """One request to `url` (a path is taken from `base_url`). Raises CallFailed when there is no token or
        no answer; any answer, an error status included, is returned for the caller to read."""
        if not url.startswith(("http://", "https://")):
            url = self.base_url.rstrip("/") + url
        try:
            bearer = self.token.bearer()
        except Exception as exc:  # the token source's own error (TokenError), whatever its kind
            raise CallFailed(f"no token: {exc}") from None
        headers = dict(kwargs.pop("headers", {}))
        if bearer:   # none in local trials without credentials (the Playground): send no empty header
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            return self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise CallFailed(f"connection: {type(exc).__name__}") from None
