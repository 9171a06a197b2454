"""`kpibot digest run`: build a weekly or quarterly digest and post it once, or write it to a folder."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import Failure, cli_settings, day_option, echo, kpibot


class DigestKind(str, Enum):
    weekly = "weekly"
    quarterly = "quarterly"


class ChatPlatform(str, Enum):
    slack = "slack"
    teams = "teams"


# What posting needs, by platform, when it is not configured.
NOT_CONFIGURED = {
    "slack": "SLACK_BOT_TOKEN is not set: posting needs Slack (use --dry-run --out DIR to look first)",
    "teams": "Teams is not configured (TEAMS_APP_ID and TEAMS_APP_PASSWORD): posting needs it (use --dry-run "
             "--out DIR to look first)",
}


def digest_run(
    kind: DigestKind = typer.Argument(..., help="weekly or quarterly"),
    channel: Optional[str] = typer.Option(None, "--channel", help="Deliver to this channel ID as if it were subscribed "
                                          "(in Teams, a conversation the bot was added to)."),
    platform_name: Optional[ChatPlatform] = typer.Option(None, "--platform", help="The chat platform to post to "
                                                         "(default: the configured one, Slack if both are)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Figures as on this date (2025-09-30, 30/09/2025, last month); default today."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write the digest to --out instead of posting it."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for --dry-run output."),
    again: bool = typer.Option(False, "--again", help="Post a digest that was held back (figures loaded since) or "
                               "left uncertain (checked: not in the channel). One posted is never posted again."),
) -> None:
    """Build a digest and post it (once: the delivery ledger remembers), or write it to a folder."""
    from digests.content import digest_builder
    from digests.delivery import DeliveryPolicy, Target, deliver
    from digests.schedule import asked_for
    from storage import digest_store

    settings = cli_settings()
    day = day_option(as_of, settings)
    if dry_run and out is None:
        raise Failure("--dry-run needs --out DIR: the folder to write the message and charts to")
    root = kpibot(settings)
    context = root.context
    day = day or context.today()
    occurrence = asked_for(kind.value, day)
    build = digest_builder(context)
    name = platform_name.value if platform_name else root.chat_name
    if dry_run:
        _write(build(occurrence), out, name)
        return
    platform = root.platforms.get(name)
    if platform is None:
        raise Failure(NOT_CONFIGURED[name])
    policy = DeliveryPolicy.from_settings(settings)
    subscriptions = {s.address.conversation: s for s in digest_store.active_subscriptions(context.db, kind.value)
                     if s.address.platform == platform.name}
    channels = [channel] if channel else list(subscriptions)
    if not channels:
        raise Failure(f"no channel is subscribed to the {kind.value} digest; give --channel C0123456789")
    cached = {}

    def digest_for():
        if "digest" not in cached:
            cached["digest"] = build(occurrence)
        return cached["digest"]

    failed = False
    for channel_id in channels:
        sub = subscriptions.get(channel_id)
        # A subscribed channel is the subscription's own address (its ledger rows are under it); any other is
        # a conversation of the configured chat platform, in the bot's workspace.
        address = sub.address if sub else platform.address(channel_id)
        target = Target(address, sub.id if sub else None, sub.created_by if sub else None)
        if again and digest_store.reopen(context.db, address, kind.value, occurrence.period, context.clock()):
            echo(f"{kind.value} digest {occurrence.period} to {channel_id}: reopened, posting it again")
        outcome = deliver(context.db, platform, target, occurrence, digest_for, context.clock, policy,
                          triggered_by=f"cli:{settings.loaded_by}")
        echo(f"{kind.value} digest {occurrence.period} to {channel_id}: {_said(outcome)}")
        failed = failed or outcome.state in ("failed", "held", "uncertain")
    if failed:
        raise typer.Exit(1)


def _said(outcome) -> str:
    """An outcome in the words `digest run` prints."""
    words = {"posted": f"posted ({outcome.message_ref})", "reconciled": f"already posted ({outcome.message_ref})",
             "already": "already delivered or being delivered: nothing posted", "held": f"held back: {outcome.error}",
             "failed": f"failed: {outcome.error}",
             "uncertain": "may have been posted by an earlier attempt: check the channel, then run again with --again"}
    return words.get(outcome.state, outcome.state)


def _write(digest, out: Path, platform: str = "slack") -> None:
    """--dry-run: the digest's files as the chat platform renders them (bot.dry_run): Slack's message, or
    Teams' cards."""
    from bot.dry_run import write_digest

    if platform == "teams":
        from bot.teams.cards import render_cards

        def render(response) -> dict:
            return {"cards": render_cards(response)}
    else:
        from bot.slack.render import posted_message as render

    for path in write_digest(digest, out, render=render, suffix=".json"):
        echo(f"wrote {path}")
    if digest.held_reason:
        echo(f"This digest would be held back, not posted: {digest.held_reason}")
