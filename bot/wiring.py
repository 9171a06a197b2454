"""The composition root: settings -> database -> registry -> platforms -> digest scheduler, built in one place.

Every way of running kpibot (`serve`, `run`, `digest run`, `console`, `ask`, `snapshot`) starts from
`build_kpibot`; nothing else builds a registry, a platform's adapter or a scheduler. Building starts nothing:
the serving adapter starts the scheduler once every adapter's start-up checks have passed (bot.slack.serving,
bot.teams.serving; once per process).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from answers.platform import Platform
from bot.console.platform import ConsolePlatform
from bot.settings import Settings
from commands.registry import CommandRegistry
from storage.db import Database

if TYPE_CHECKING:  # imported where it is built: APScheduler is not needed by `kpibot --help`
    from digests.scheduler import DigestScheduler

LOGGER = logging.getLogger(__name__)

# The chat platform whose conversations `digest run --channel` and the console name: Slack where it is
# configured, else Teams where it is (see `chat_platform`).
CHAT_PLATFORM = "slack"
TEAMS_PLATFORM = "teams"


def chat_platform(settings: Settings) -> str:
    """The configured chat platform: Slack if its bot token is set, else Teams if it is configured (or allowed
    unauthenticated, for the local Playground), else Slack (the one `digest run` asks to be set up)."""
    if settings.slack_bot_token:
        return CHAT_PLATFORM
    if teams_wanted(settings):
        return TEAMS_PLATFORM
    return CHAT_PLATFORM


def teams_wanted(settings: Settings) -> bool:
    return bool(settings.teams_configured or settings.teams_allow_unauthenticated)


@dataclass
class Kpibot:
    """One process's pieces, each built once: what every entry point is given."""

    settings: Settings
    db: Database
    registry: CommandRegistry
    platforms: dict[str, Platform]
    _scheduler: DigestScheduler | None = None
    chat_name: str = CHAT_PLATFORM

    @property
    def scheduler(self) -> DigestScheduler:
        """The digest scheduler, built the first time a process asks for it (`serve`, `digest run`): a
        one-shot `ask` or the console never loads the scheduling and digest libraries."""
        if self._scheduler is None:
            self._scheduler = build_scheduler(self.settings, self.registry, self.platforms)
        return self._scheduler

    def subscriptions_changed(self) -> None:
        """A subscription was made or dropped: the scheduler, where this process has one, rebuilds its jobs."""
        if self._scheduler is not None:
            self._scheduler.poke()

    @property
    def context(self):
        return self.registry.context

    @property
    def console(self) -> ConsolePlatform:
        return self.platforms["console"]

    @property
    def slack(self):
        """The Slack platform, or None when SLACK_BOT_TOKEN is not set."""
        return self.platforms.get("slack")

    @property
    def teams(self):
        """The Teams platform, or None when Teams is not configured."""
        return self.platforms.get(TEAMS_PLATFORM)

    @property
    def chat(self) -> Platform | None:
        """The configured chat platform (the one digests go to), or None when none is configured."""
        return self.platforms.get(self.chat_name)


def open_database(settings: Settings, check_schema: bool = True) -> Database:
    """The database of KPIBOT_DATABASE_URL; refuses (storage.db.DatabaseError) one whose schema is not current."""
    from storage.db import require_schema

    db = Database(settings.database_url)
    if check_schema:
        require_schema(db.engine)
    return db


def build_platforms(settings: Settings, registry: CommandRegistry) -> dict[str, Platform]:
    """The adapters this process serves: the console always (reading the conversations typed at it as the chat
    platform's), Slack when its bot token is set, Teams when it is configured (or allowed unauthenticated)."""
    if chat_platform(settings) == CHAT_PLATFORM:
        from bot.slack.markup import incoming as read_as_slack

        platforms: dict[str, Platform] = {"console": ConsolePlatform(reads=read_as_slack)}
    else:
        platforms = {"console": ConsolePlatform()}
    if settings.slack_bot_token:
        from bot.slack.platform import SlackPlatform

        platforms["slack"] = SlackPlatform.from_settings(settings, registry.context.access)
    if teams_wanted(settings):
        from bot.teams.platform import TeamsPlatform

        platforms[TEAMS_PLATFORM] = TeamsPlatform.from_settings(settings, registry.context.db, clock=registry.context.clock)
    return platforms


def build_scheduler(settings: Settings, registry: CommandRegistry, platforms: dict[str, Platform]) -> DigestScheduler:
    """The digest scheduler, delivering through the platforms that take digests: not the console, which has no
    one to read them later (a subscription of another platform is left to the processes serving it)."""
    from bot.metrics import observe_digest
    from digests.content import digest_builder
    from digests.delivery import DeliveryPolicy
    from digests.scheduler import DigestScheduler

    from digests.alerts import post_waiting
    from digests.reminders import remind_owners
    from digests.review_alerts import announce_due_reviews
    from storage.upload_store import discard_expired

    context = registry.context
    delivering = {name: platform for name, platform in platforms.items() if name != ConsolePlatform.name}
    policy = DeliveryPolicy.from_settings(settings)
    also = {
        "the morning review alert": lambda: announce_due_reviews(context.db, delivering, context.clock, context.access,
                                                                  context.review_due_days, context.timezone, policy),
        "posting alerts that failed or waited": lambda: post_waiting(context, delivering, policy),
        "discarding unanswered uploads": lambda: discard_expired(context.db, context.clock()),
        "reminding owners of late figures": lambda: remind_owners(context.db, delivering, context.clock, policy,
                                                                  context.timezone),
    }
    return DigestScheduler(context.db, delivering, digest_builder(context), policy, settings.digest_check_minutes,
                           clock=context.clock, on_outcome=observe_digest, also=also)


def build_kpibot(settings: Settings, db: Database | None = None,
                 clock: Callable[[], datetime] | None = None, metrics: bool = False) -> Kpibot:
    """Every piece in order, each given what the ones before it built; `db` and `clock` for tests (and for
    `kpibot run`, which opens the database itself to set it up first); `metrics` where commands are counted
    for /metrics (a serving process)."""
    from bot.app import build_registry

    db = db if db is not None else open_database(settings)
    registry = build_registry(settings, db, clock)
    if metrics:
        from bot.metrics import observe_command

        registry.observers.append(observe_command)
    platforms = build_platforms(settings, registry)
    root = Kpibot(settings, db, registry, platforms, chat_name=chat_platform(settings))
    context = registry.context
    context.platforms = platforms
    context.chat_platform = root.chat_name
    context.subscriptions_changed = root.subscriptions_changed
    return root
