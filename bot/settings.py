"""The one Settings object: read from the environment (and .env) once at start."""
from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.masking import is_secret_name, mask, url_secrets

DATABASE_SCHEME = "must be a sqlite:/// or postgresql+psycopg:// URL"
DATABASE_UNREADABLE = ("cannot be read as a database URL ({reason}); write it as "
                       "postgresql+psycopg://user:password@host:5432/dbname or sqlite:///path/to/kpibot.db")
DATABASE_AT_SIGN = ("has an @ in its password or user name: write it as %40 there (u:p%40ss@host), "
                    "or the rest of the password is taken for the host name")
DATABASE_DRIVER = "names a database driver kpibot does not have ({driver}); use postgresql+psycopg:// or sqlite:///"
CREDENTIAL_TEXT = ("holds a space, a line break or a character no credential has; copy it again from the "
                   "app's page and set it alone")
TEAMS_OPENID_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TEAMS_GRAPH = "https://graph.microsoft.com"
OPENID_SUFFIX = "must end in /openidconfiguration (the signing keys are read from the same place, ending in /keys)"
NOT_AN_ID = "{ids} is not an ID: write the IDs separated by commas, each without spaces or control characters"


class SettingsError(ValueError):
    """A setting has a value the bot cannot start with; the message names it."""


class Settings(BaseSettings):
    """kpibot's settings. Project settings use the KPIBOT_ prefix; Slack's and Teams' use their own names."""

    model_config = SettingsConfigDict(env_prefix="KPIBOT_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'kpibot.db'}",
        description="SQLAlchemy URL of the shared database; a SQLite file in the working directory by default.",
    )
    review_due_days: int = Field(28, ge=1, le=365, description="Calendar days after receipt that a complaint review is due.")
    csp_lag_margin_pp: float = Field(
        25.0, ge=0, le=100,
        description="A CSP area lags when its % spent trails the share of the year elapsed by more than this many points.",
    )
    timezone: str = Field("Europe/London", description="Local time zone for dates and schedules.")
    classification: str = Field("OFFICIAL", min_length=1, max_length=60,
                                description="Security marking printed in every snapshot's header and footer.")
    output_dir: Path = Field(
        default_factory=Path.cwd,
        description="Folder under which the console and `kpibot ask` save charts (charts/) and snapshots (snapshots/).",
    )
    loaded_by: str = Field("cli", description="Name recorded as the loader of data imported from the command line.")
    log_level: str = Field("INFO", description="Python logging level.")
    log_json: bool = Field(False, description="One JSON object per log line (for log shippers).")

    admin_user_ids: str = Field(
        "", description="Comma-separated user IDs on the chat platform (Slack: U012AB3CD) who may change digest "
                        "subscriptions (e.g. U012AB3CD,U045EF6GH).")
    editor_user_ids: str = Field(
        "", description="User IDs on the chat platform (Slack: U012AB3CD) who may load data and write commentary.")
    editor_group_ids: str = Field(
        "", description="User group IDs on the chat platform (Slack: S0614TZR7) whose members are editors.")
    admin_group_ids: str = Field(
        "", description="User group IDs on the chat platform (Slack: S0614TZR7) whose members are admins.")
    sensitive_channel_ids: str = Field(
        "", description="Conversation IDs on the chat platform (Slack: C012AB3CD) where complaint case lists and "
                        "snapshots may be shown (besides editors' DMs).")
    digest_grace_hours: float = Field(24.0, gt=0, le=24 * 14,
                                      description="A digest missed by up to this long (bot down) is still posted.")
    digest_stale_claim_minutes: float = Field(10.0, gt=0, description="A delivery claim older than this is taken over.")
    digest_max_attempts: int = Field(5, ge=1, le=50, description="Attempts at one digest before giving up.")
    digest_concurrency: int = Field(4, ge=1, le=16, description="Channels a digest is posted to at once.")
    digest_check_minutes: float = Field(5.0, gt=0, le=60, description="How often each process looks for due digests.")

    slack_bot_token: str | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"), repr=False)
    slack_signing_secret: str | None = Field(None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"), repr=False)
    slack_app_token: str | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN"), repr=False)
    slack_api_url: str | None = Field(None, description="Override of Slack's Web API base URL (tests, proxies).")

    teams_app_id: str | None = Field(None, validation_alias=AliasChoices("TEAMS_APP_ID"),
                                     description="The bot's Microsoft Entra application (client) ID.")
    teams_app_password: str | None = Field(None, validation_alias=AliasChoices("TEAMS_APP_PASSWORD"), repr=False,
                                           description="The client secret of that application.")
    teams_tenant_id: str | None = Field(None, validation_alias=AliasChoices("TEAMS_TENANT_ID"),
                                        description="The office's Entra tenant (single-tenant app).")
    teams_openid_metadata_url: str = Field(
        TEAMS_OPENID_METADATA,
        description="Where the signing keys of Bot Framework's tokens are found: an OpenID metadata URL ending in "
                    "/openidconfiguration (tests and sovereign clouds).")
    teams_token_url: str | None = Field(
        None, description="Where the bot's own token is fetched (an OAuth2 client-credentials endpoint); default "
                          "Entra's for the tenant (tests and sovereign clouds).")
    teams_graph_url: str = Field(TEAMS_GRAPH, description="Microsoft Graph's base URL (tests, sovereign clouds).")
    teams_channel_files: bool = Field(
        False, description="An admin granted Graph access to the channels' files: snapshots asked for in a "
                           "channel are uploaded there (otherwise they are offered in the asker's personal chat).")
    teams_allow_unauthenticated: bool = Field(
        False, description="Local testing with the Agents Playground only: accept requests that carry no token. "
                           "Refused at start when Teams credentials are set.")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(DATABASE_SCHEME)
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://"):]
        _readable_database_url(value)
        return value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "teams_app_id", "teams_app_password",
                     "teams_tenant_id")
    @classmethod
    def _credential_text(cls, value: str | None) -> str | None:
        """A token pasted with a line break or a space would fail deep in the HTTP library, quoting itself."""
        if value and (not value.isascii() or any(c.isspace() or not c.isprintable() for c in value)):
            raise ValueError(CREDENTIAL_TEXT)
        return value

    @field_validator("teams_openid_metadata_url")
    @classmethod
    def _openid_metadata(cls, value: str) -> str:
        if not value.rstrip("/").endswith("/openidconfiguration"):
            raise ValueError(OPENID_SUFFIX)
        return value.rstrip("/")

    @field_validator("output_dir")
    @classmethod
    def _output_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError("must be a folder (charts/ and snapshots/ are made inside it), not a file")
        return value.absolute()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use a name such as Europe/London") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()

    @field_validator("admin_user_ids", "editor_user_ids", "admin_group_ids", "editor_group_ids", "sensitive_channel_ids")
    @classmethod
    def _id_lists(cls, value: str) -> str:
        """Each a list of ids; what an id looks like is the platform's rule, checked by its adapter at start."""
        return _id_list(value)

    @property
    def admins(self) -> frozenset[str]:
        return _ids(self.admin_user_ids)

    def access_policy(self):
        from answers.access import AccessPolicy

        return AccessPolicy(editor_users=_ids(self.editor_user_ids), admin_users=_ids(self.admin_user_ids),
                            editor_groups=_ids(self.editor_group_ids), admin_groups=_ids(self.admin_group_ids),
                            sensitive_channels=_ids(self.sensitive_channel_ids))

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    @property
    def teams_configured(self) -> bool:
        """Teams credentials are set (app id and password; the tenant for a single-tenant app)."""
        return bool(self.teams_app_id and self.teams_app_password)

    def secret_values(self) -> list[str]:
        """Every value this process must never show: each secret setting's (by its name: *_TOKEN, *_SECRET,
        *_PASSWORD) and the password of each URL setting."""
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, str) and value:
                values += [value] if is_secret_name(name) else url_secrets(value)
        return values

    def mask(self, text: str) -> str:
        """`text` as it may be shown or logged: URL passwords, tokens and this process's secrets as ***."""
        return mask(text, self.secret_values())

    def __repr_args__(self):
        """repr(settings), in a log or a traceback, with the database URL's password masked."""
        for name, value in super().__repr_args__():
            yield name, self.mask(value) if isinstance(value, str) else value


def _readable_database_url(value: str) -> None:
    """SQLAlchemy can parse the URL and load its driver: otherwise the first connection would fail with a
    stack trace instead of a line naming the setting."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(value)
    except (ArgumentError, ValueError) as exc:
        reason = "its port is not a number" if "int()" in str(exc) else "it does not have the parts of one"
        raise ValueError(DATABASE_UNREADABLE.format(reason=reason)) from None
    if "@" in (url.host or ""):
        raise ValueError(DATABASE_AT_SIGN)
    try:
        url.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        raise ValueError(DATABASE_DRIVER.format(driver=url.drivername)) from None


def _ids(value: str) -> frozenset[str]:
    return frozenset(part for part in value.split(",") if part)


def _id_list(value: str) -> str:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [i for i in ids if any(c.isspace() or not c.isprintable() for c in i)]
    if bad:
        raise ValueError(NOT_AN_ID.format(ids=", ".join(map(repr, bad))))
    return ",".join(ids)


_ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "teams_app_id": "TEAMS_APP_ID",
    "teams_app_password": "TEAMS_APP_PASSWORD",
    "teams_tenant_id": "TEAMS_TENANT_ID",
}


def load_settings(**overrides) -> Settings:
    """Build Settings, turning a validation failure into one line that names the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        env_name = _ENV_NAMES.get(field) or (field if field in _ENV_NAMES.values() else f"KPIBOT_{field.upper()}")
        message = error["msg"].removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {env_name}: {message}{_got(env_name, error.get('input'))}") from None


def _got(env_name: str, value) -> str:
    """What the error says it was given: a secret setting's value never, any other's short and masked."""
    if is_secret_name(env_name):
        return ""
    from storage.echo import shorten

    return f" (got {shorten(mask(str(value)))!r})"   # masked before it is cut: a cut URL hides no password


def misshapen_ids(settings: Settings, role_settings, also_fits=None) -> tuple[str, list[str], str] | None:
    """The first role or channel setting holding ids that are not of a platform's shape, as (setting, the ids,
    what one should look like); None when every id fits. `role_settings`: (setting, attribute, shape, what) for
    each, in the platform's words; `also_fits(attribute, id)`: an id another configured platform takes."""
    for setting, attribute, shape, what in role_settings:
        wrong = [i for i in getattr(settings, attribute).split(",")
                 if i and shape.fullmatch(i) is None and not (also_fits and also_fits(attribute, i))]
        if wrong:
            return setting, wrong, what
    return None
