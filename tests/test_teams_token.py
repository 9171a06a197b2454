"""The bot's outbound token from KPIBOT_TEAMS_TOKEN_URL: client credentials posted as Entra takes them, the token
kept until shortly before it expires, refusals told apart from outages; and nothing from the environment
(CLIENT_SECRET, CLIENT_ID) silently replaces what kpibot was configured with."""
from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.teams.app import build_teams_app
from bot.teams.auth import BOT_SCOPE, RENEW_BEFORE_SECONDS, ClientCredentialsToken, TokenError
from bot.teams.errors import TeamsStartError
from bot.wiring import build_kpibot
from tests.fake_teams import APP_ID, APP_PASSWORD, TENANT_ID, fake_entra  # noqa: F401  (fixture)


class Clock:
    def __init__(self):
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_the_form_is_client_credentials_for_the_bot_framework_scope(fake_entra):
    token = ClientCredentialsToken(fake_entra.token_url, APP_ID, APP_PASSWORD)
    assert fake_entra.verify(token.bearer()) is not None
    [request] = fake_entra.token_requests()
    assert request.form == {"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_PASSWORD,
                            "scope": BOT_SCOPE}


def test_the_token_is_kept_until_shortly_before_it_expires(fake_entra):
    clock = Clock()
    token = ClientCredentialsToken(fake_entra.token_url, APP_ID, APP_PASSWORD, clock=clock)
    first = token.bearer()
    clock.now += fake_entra.expires_in - RENEW_BEFORE_SECONDS - 1
    assert token.bearer() == first and fake_entra.tokens_issued == 1
    clock.now += 1
    token.bearer()
    assert fake_entra.tokens_issued == 2


def test_the_sdk_is_given_the_same_cached_token(fake_entra):
    import asyncio

    token = ClientCredentialsToken(fake_entra.token_url, APP_ID, APP_PASSWORD)
    assert asyncio.run(token(BOT_SCOPE, TENANT_ID)) == token.bearer()
    assert fake_entra.tokens_issued == 1


def test_refused_credentials_are_permanent_and_an_outage_is_not(fake_entra):
    fake_entra.fail_next(401, "invalid_client")
    with pytest.raises(TokenError) as refused:
        ClientCredentialsToken(fake_entra.token_url, APP_ID, "wrong").bearer()
    assert refused.value.permanent
    with pytest.raises(TokenError) as unreachable:
        ClientCredentialsToken("http://127.0.0.1:9/token", APP_ID, APP_PASSWORD).bearer()
    assert not unreachable.value.permanent


def _root(db, entra):
    settings = Settings(database_url=db.url, _env_file=None, teams_app_id=APP_ID, teams_app_password=APP_PASSWORD,
                        teams_tenant_id=TENANT_ID, teams_openid_metadata_url=entra.metadata_url,
                        teams_token_url=entra.token_url)
    return build_kpibot(settings, db)


def test_a_client_secret_in_the_environment_is_refused_not_used(db, fake_entra, monkeypatch):
    monkeypatch.setenv("CLIENT_SECRET", "someone-elses-secret")
    root = _root(db, fake_entra)
    with pytest.raises(TeamsStartError, match="CLIENT_SECRET is set in the environment"):
        build_teams_app(root.settings, root.registry, root.teams)


def test_without_one_the_token_url_route_is_taken(db, fake_entra, monkeypatch):
    monkeypatch.delenv("CLIENT_SECRET", raising=False)
    monkeypatch.delenv("CLIENT_ID", raising=False)
    root = _root(db, fake_entra)
    app = build_teams_app(root.settings, root.registry, root.teams)
    assert type(app.credentials).__name__ == "TokenCredentials"
    assert app.credentials.client_id == APP_ID
