"""The Teams adapter's app: the SDK's App, its inbound tokens checked against Bot Framework's keys (or the
configured OpenID metadata), its outbound token from the configured source, and the handlers that take
messages into the command registry and keep the conversation references. Serving it is bot.teams.serving's."""
from __future__ import annotations

import logging

from microsoft_teams.api import TokenCredentials
from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
from microsoft_teams.apps import App

from bot.settings import Settings
from bot.teams.errors import TeamsStartError
from bot.teams.handlers import TeamsHandlers
from bot.teams.ids import check_ids
from bot.teams.platform import TeamsPlatform
from commands.registry import CommandRegistry

LOGGER = logging.getLogger(__name__)

UNAUTHENTICATED_WITH_CREDENTIALS = ("KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED is set together with TEAMS_APP_PASSWORD: "
                                    "the switch is for a local client that sends no token; unset one of them")
UNAUTHENTICATED_WARNING = ("KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED is set: Teams requests are ACCEPTED WITHOUT ANY "
                           "TOKEN CHECK. This is for the local Agents Playground only; never expose this port.")
NOT_CONFIGURED = ("Teams is not configured: set TEAMS_APP_ID and TEAMS_APP_PASSWORD (and TEAMS_TENANT_ID for a "
                  "single-tenant app), or KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED=1 for the local Agents Playground")
SECRET_FROM_ENVIRONMENT = ("CLIENT_SECRET is set in the environment (or a .env file) and the Teams SDK would "
                           "use it instead of KPIBOT_TEAMS_TOKEN_URL's token: unset it (kpibot reads "
                           "TEAMS_APP_PASSWORD)")
ID_FROM_ENVIRONMENT = ("CLIENT_ID is set in the environment (or a .env file) and the Teams SDK would use it: "
                       "unset it (kpibot reads TEAMS_APP_ID)")


def check_teams_settings(settings: Settings) -> None:
    """The checks that can fail before anything starts. Raises TeamsStartError."""
    if settings.teams_allow_unauthenticated and settings.teams_app_password:
        raise TeamsStartError(UNAUTHENTICATED_WITH_CREDENTIALS)
    if not settings.teams_allow_unauthenticated and not settings.teams_configured:
        raise TeamsStartError(NOT_CONFIGURED)
    check_ids(settings)


def _options(settings: Settings, platform: TeamsPlatform) -> dict:
    options = dict(
        client_id=settings.teams_app_id or None,
        tenant_id=settings.teams_tenant_id or None,
        cloud=with_overrides(PUBLIC, openid_metadata_url=settings.teams_openid_metadata_url),
        dangerously_allow_unauthenticated_requests=bool(settings.teams_allow_unauthenticated),
        state=False,
        telemetry={"agent365": False},
    )
    if settings.teams_token_url:
        # the same cached client-credentials token the connector transport uses
        options["token"] = platform.transport.token
    elif settings.teams_app_password:
        options["client_secret"] = settings.teams_app_password
    return options


def _check_credentials(app: App, settings: Settings) -> None:
    """What the SDK read from the environment must not silently replace what kpibot was configured with."""
    credentials = app.credentials
    if credentials is not None and not settings.teams_app_id:
        raise TeamsStartError(ID_FROM_ENVIRONMENT)
    if settings.teams_token_url and credentials is not None and not isinstance(credentials, TokenCredentials):
        raise TeamsStartError(SECRET_FROM_ENVIRONMENT)


def build_teams_app(settings: Settings, registry: CommandRegistry, platform: TeamsPlatform,
                    adapter=None) -> App:
    """The SDK's App with kpibot's handlers registered, answering through `platform` (the composition root's).
    `adapter`: the SDK's HTTP adapter (bot.teams.serving gives one that binds the chosen host). Raises
    TeamsStartError naming what to fix."""
    check_teams_settings(settings)
    options = _options(settings, platform)
    if adapter is not None:
        options["http_server_adapter"] = adapter
    app = App(**options)
    _check_credentials(app, settings)
    if settings.teams_allow_unauthenticated:
        LOGGER.warning(UNAUTHENTICATED_WARNING)
    TeamsHandlers(registry, platform).register(app)
    return app
