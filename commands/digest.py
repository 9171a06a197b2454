"""/digest: subscribe a conversation to the weekly or quarterly digest, list subscriptions, preview a digest.

A channel named in the text arrives as a mention token (the platform's adapter makes one of the channel its
people picked), and is taken to be on the request's own platform and workspace."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from answers.context import CommandContext
from answers.mentions import conversation as mention, mentioned_conversation
from answers.response import Response, Table, error, shorten
from commands.conversations import subscribed_address
from commands.options import OptionError, split_options
from commands.registry import CONSOLE_CHANNEL, CommandRegistry, CommandRequest
from storage import digest_store

HELP = """/digest subscribe weekly|quarterly [#channel] [on monday] [at 08:00] - send a digest to a channel
/digest unsubscribe weekly|quarterly [#channel] - stop it
/digest list - subscriptions with their last and next run
/digest preview weekly|quarterly - the digest as it would look now, to you only"""
USAGE = "Usage: " + " · ".join(line.split(" - ")[0] for line in HELP.splitlines())
NOT_UNDERSTOOD = "I didn't understand {text!r} after /digest."
WHICH_KIND = "Say which digest: weekly or quarterly."
BAD_CHANNEL = "{text!r} is not a channel I can use."
BAD_CHANNEL_HINT = ("Name the channel with # and pick it from the list, so I get its id, or leave it out for "
                    "this channel.")
CANNOT_POST = "I can't post in {channel} ({reason})."
SUBSCRIBED = "{channel} will get the {kind} digest {when}, {content}."
UPDATED = "{channel}'s {kind} digest now comes {when}, {content}."
WITH_CASES = "with case references (an allowed channel)"
COUNTS_ONLY = "counts only"
COUNTS_ONLY_WHERE = ("It carries no case references: they go only to {channels}, and to editors and admins "
                     "in a direct message with me.")
# The quarterly digest counts reviews and lists no case: the same in every channel.
NO_CASES = "counts only (it lists no cases)"
CASES_SHOWN = "case references"
UNSUBSCRIBED = "{channel} will no longer get the {kind} digest."
NOT_SUBSCRIBED = "{channel} was not subscribed to the {kind} digest."
NONE = "No channel is subscribed to a digest yet."
NONE_HINT = "Subscribe one with /digest subscribe weekly #channel"
HELD = "This {kind} digest would be held back, not posted: {reason}."
PREVIEW_NOTE = "Preview: only you can see this. Subscribed channels get it on schedule."
NO_CHANNEL_HERE = "The console is not a channel: a digest subscribed here would go nowhere."
NO_CHANNEL_HERE_HINT = ("Subscribe a channel where it is: type `/digest subscribe {kind}` in the channel, or "
                        "`/digest subscribe {kind} #channel` in a chat with me.")
BAD_TIME = "{text!r} is not a time; write it as HH:MM, e.g. 08:00."
BAD_DAY = "{text!r} is not a day of the week; write monday, tuesday, ... or mon, tue, ..."

_TIME_RE = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")
_DAYS = {name: name[:3] for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


def register(registry: CommandRegistry) -> None:
    registry.add("/digest", digest_command, HELP, is_slow=lambda text: text.lower().split()[:1] == ["preview"],
                 needs=lambda text: "admin" if text.lower().split()[:1] in (["subscribe"], ["unsubscribe"]) else "viewer")


def digest_command(request: CommandRequest, context: CommandContext) -> Response:
    try:
        options = split_options(request.text, request.as_of, context.today())
    except OptionError as exc:
        return error(str(exc), USAGE)
    words = options.text.split()
    verb = words[0].lower() if words else "help"
    rest = words[1:]
    if verb in ("help", "?"):
        return Response(title="Digests", notes=HELP.splitlines())
    if verb == "list":
        return list_answer(context, request.user_id)
    if verb not in ("subscribe", "unsubscribe", "preview"):
        return error(NOT_UNDERSTOOD.format(text=shorten(options.text)), USAGE)
    if not rest or rest[0].lower() not in ("weekly", "quarterly"):
        return error(WHICH_KIND, USAGE)
    kind = rest[0].lower()
    if verb == "preview":
        return preview_answer(context, kind, options.as_of)
    return change_subscription(context, request, verb, kind, rest[1:])


def _parse_schedule(words: list[str]) -> tuple[str | None, str, int, int, str | None]:
    """(channel or None, day, hour, minute, problem)."""
    channel, day, hour, minute = None, "mon", 8, 0
    position = 0
    while position < len(words):
        word = words[position]
        lowered = word.lower()
        if lowered in ("on", "at") and position + 1 < len(words):
            value = words[position + 1].lower()
            position += 2
            if lowered == "on":
                day = _DAYS.get(value) or (value if value in _DAYS.values() else None)
                if day is None:
                    return None, "", 0, 0, BAD_DAY.format(text=shorten(words[position - 1]))
            else:
                match = _TIME_RE.match(value)
                if not match:
                    return None, "", 0, 0, BAD_TIME.format(text=shorten(words[position - 1]))
                hour, minute = int(match["h"]), int(match["m"])
            continue
        named = mentioned_conversation(word)
        if named and channel is None:
            channel = named
            position += 1
            continue
        return None, "", 0, 0, BAD_CHANNEL.format(text=shorten(word))
    return channel, day, hour, minute, None


def change_subscription(context: CommandContext, request: CommandRequest, verb: str, kind: str,
                        words: list[str]) -> Response:
    from digests.schedule import Schedule, ScheduleError

    channel, day, hour, minute, problem = _parse_schedule(words)
    if problem:
        return error(problem, BAD_CHANNEL_HINT if "channel" in problem else USAGE)
    if channel is None and request.channel_id == CONSOLE_CHANNEL and verb == "subscribe":
        return error(NO_CHANNEL_HERE, NO_CHANNEL_HERE_HINT.format(kind=kind))
    address = subscribed_address(context, request, channel)
    channel, named = address.conversation, mention(address.conversation)
    now = context.clock()
    if verb == "unsubscribe":
        done = digest_store.unsubscribe(context.db, address, kind, now)
        _changed(context)
        return Response(title=(UNSUBSCRIBED if done else NOT_SUBSCRIBED).format(channel=named, kind=kind))
    try:
        schedule = Schedule(kind, day, hour, minute, context.timezone)
    except ScheduleError as exc:
        return error(str(exc), USAGE)
    refused = context.can_post(address)
    if refused is not None:
        return error(CANNOT_POST.format(channel=named, reason=refused.reason), refused.hint)
    _, created = digest_store.subscribe(context.db, address, kind, schedule.day_of_week, schedule.hour,
                                        schedule.minute, schedule.timezone, request.user_id, now)
    _changed(context)
    text = SUBSCRIBED if created else UPDATED
    content, notes = _content(context, channel, kind)
    return Response(title=text.format(channel=named, kind=kind, when=schedule.describe(), content=content),
                    notes=notes)


def _content(context: CommandContext, channel: str, kind: str) -> tuple[str, list[str]]:
    """Which digest the channel will get: with the case references (an allowed channel), or counts only and
    where the list can be seen."""
    from digests.content import LISTS_CASES

    access = context.access
    if not LISTS_CASES.get(kind, True):
        return NO_CASES, []
    if access.channel_sees_cases(channel):
        return WITH_CASES, []
    return COUNTS_ONLY, [COUNTS_ONLY_WHERE.format(channels=access.case_channels_text())]


def _changed(context: CommandContext) -> None:
    if context.subscriptions_changed is not None:
        context.subscriptions_changed()


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %-d %b %Y %H:%M")


def list_answer(context: CommandContext, user_id: str) -> Response:
    from digests.schedule import Schedule, next_due

    subscriptions = digest_store.active_subscriptions(context.db)
    if not subscriptions:
        return Response(title=NONE, notes=[NONE_HINT])
    now = context.clock().astimezone(timezone.utc)
    rows = []
    for sub in subscriptions:
        schedule = Schedule(sub.kind, sub.day_of_week, sub.hour, sub.minute, sub.timezone)
        last = digest_store.last_delivery(context.db, sub.address, sub.kind)
        last_text = f"{last.state} {_local(last.finished_at or last.scheduled_for, sub.timezone)} ({last.period})" \
            if last else "never"
        upcoming = next_due(schedule, now).scheduled_for
        rows.append([mention(sub.address.conversation), sub.kind, schedule.describe(), _cases_column(context, sub),
                     last_text, _local(upcoming, sub.timezone)])
    return Response(title="Digest subscriptions",
                    table=Table(["Channel", "Digest", "Schedule", "Cases", "Last run", "Next run"], rows),
                    notes=[f"Times are {context.timezone} local time."])


def _cases_column(context: CommandContext, sub) -> str:
    from digests.content import LISTS_CASES

    shown = LISTS_CASES.get(sub.kind, True) and context.access.channel_sees_cases(sub.address.conversation)
    return CASES_SHOWN if shown else COUNTS_ONLY


def preview_answer(context: CommandContext, kind: str, as_of) -> Response:
    from digests.content import digest_builder
    from digests.schedule import asked_for

    digest = digest_builder(context)(asked_for(kind, as_of or context.today()))
    if digest.held_reason:
        return error(HELD.format(kind=kind, reason=digest.held_reason))
    return replace(digest.message, notes=[PREVIEW_NOTE, *digest.message.notes], charts_to_requester=True)
