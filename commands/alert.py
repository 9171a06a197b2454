"""/alert: subscribe a conversation to alerts when a metric turns worse, crosses a line, or reviews fall due.

A channel named in the text arrives as a mention token, as /digest reads it; the alerts themselves are checked
and posted elsewhere (after each load, and each working morning for reviews)."""
from __future__ import annotations

import re

from answers.context import CommandContext
from answers.mentions import conversation as mention, mentioned_conversation
from answers.response import Response, Table, error, shorten
from commands.conversations import subscribed_address
from commands.registry import CONSOLE_CHANNEL, CommandRegistry, CommandRequest
from storage import alert_store
from storage.alert_rules import ABOVE, BELOW, OFFICE_TIMEZONE, REVIEW_ALERT_HOUR
from storage.alert_store import RAG, REVIEWS, THRESHOLD, AlertSubscription
from storage.catalog import Catalog, MetricDefinition
from storage.catalog_names import lookup, sections_fitting, suggest_sections
from storage.figures import format_value
from storage.repository import metric_by_slug, read_catalog

HELP = """/alert subscribe rag [#channel] [section] - tell a channel when a metric (of the section, or any) turns worse, and when it recovers
/alert subscribe <metric> below|above <value> [#channel] - tell it when a metric crosses a line, and when it is back (e.g. /alert subscribe calls-under-25s below 58%)
/alert subscribe reviews due <days> [#channel] - each working morning, the complaint reviews due within that many days (1 to 60)
/alert list - this conversation's alerts
/alert unsubscribe <the same words> - stop one
Admins manage alerts; I must be able to post in the channel."""
USAGE = "Usage: " + " · ".join(line.split(" - ")[0] for line in HELP.splitlines()[:5])
NOT_UNDERSTOOD = "I didn't understand {text!r} after /alert."
WHICH_ALERT = "Say which alert: rag, reviews due <days>, or a metric with below or above and a value."
ALERT_EXAMPLE = "Example: /alert subscribe calls-under-25s below 58%, or /alert subscribe rag public interaction"
BAD_CHANNEL_HINT = ("Name the channel with # and pick it from the list, so I get its id, or leave it out for "
                    "this channel.")
TWO_CHANNELS = "Name one channel at a time."
CANNOT_POST = "I can't post in {channel} ({reason})."
NO_CHANNEL_HERE = "The console is not a channel: an alert subscribed here would go nowhere."
NO_CHANNEL_HERE_HINT = ("Subscribe a channel where it is: type `/alert subscribe rag` in the channel, or "
                        "`/alert subscribe rag #channel` in a chat with me.")

NO_SECTION = "There is no section called {text!r}."
NO_SECTION_HINT = "Sections: {sections}."
DID_YOU_MEAN = "Did you mean {names}?"
WHICH_SECTION = "{text!r} fits more than one section: {names}."
WHICH_SECTION_HINT = "Say which, e.g. /alert subscribe rag {first}"
NO_METRIC = "There is no metric called {text!r}."
NO_METRIC_HINT = "Name it by its slug, as /kpi shows them, e.g. /alert subscribe calls-under-25s below 58%"
WHICH_METRIC = "{text!r} fits more than one metric or section: {names}."
WHICH_METRIC_HINT = "Say which, by its slug, e.g. /alert subscribe {first} below {example}"
A_SECTION = "{name} is a section: a line is set for one metric."
A_SECTION_HINT = "For the section's RAG turns: /alert subscribe rag {name}"
NEEDS_DIRECTION = "Say below or above and a value after the metric."
NEEDS_VALUE = "Say the value {name} should not go {direction}."
BAD_VALUE = "{text!r} is not a value for {name}, which is in {unit}."
VALUE_EXAMPLE = "Example: /alert subscribe {slug} {direction} {example}"
NO_LINE = "{name} is a yes or no: it has no line to cross."
NO_LINE_HINT = "Its RAG turns are told by /alert subscribe rag {section}"
NEEDS_DAYS = "Say within how many days: /alert subscribe reviews due 7"
BAD_DAYS = "{text!r} is not a number of days from {low} to {high}."
DAYS_EXAMPLE = "Example: /alert subscribe reviews due 7"

HEARS_RAG_SECTION = "a {section} metric turns worse, and when it recovers"
HEARS_RAG_ANY = "any metric turns worse, and when it recovers"
HEARS_THRESHOLD = {BELOW: "{name} falls below {limit}, and when it is no longer below",
                   ABOVE: "{name} rises above {limit}, and when it is no longer above"}
HEARS_REVIEWS = "each working morning at {hour:02d}:00 ({zone}), of the complaint reviews due within {days}"
SUBSCRIBED = "{channel} will hear when {what}."
SUBSCRIBED_REVIEWS = "{channel} will hear {what}."
ALREADY = "{channel} already hears when {what}."
UNSUBSCRIBED = "{channel} will no longer hear when {what}."
UNSUBSCRIBED_REVIEWS = "{channel} will no longer hear {what}."
NOT_SUBSCRIBED = "{channel} had no such alert."
NOT_SUBSCRIBED_HINT = "Its alerts: /alert list"
COUNTS_ONLY_WHERE = ("Counts only: case references go only to {channels}, and to editors and admins in a "
                     "direct message with me.")
WITH_CASES = "With case references: an allowed channel."
NONE = "No alerts here yet."
NONE_ANYWHERE = "No channel has an alert yet."
NONE_HINT = "Subscribe with /alert subscribe rag, or /alert subscribe <metric> below <value>"
LIST_TITLE = "Alerts"
LIST_COLUMNS = ["Channel", "Alert", "Set by"]
LIST_RAG_ANY = "RAG turns: any metric"
LIST_RAG_SECTION = "RAG turns: {section}"
LIST_THRESHOLD = "{name} {direction} {limit}"
LIST_REVIEWS = "Reviews due within {days}"

MIN_DAYS, MAX_DAYS = 1, 60
CHANGES = ("subscribe", "unsubscribe")
UNIT_WORDS = {"percent": "percent", "days": "days", "hours": "hours", "count": "a count",
              "rate_per_1000": "a rate per 1,000", "currency": "pounds"}
UNIT_EXAMPLES = {"percent": "58%", "days": "14", "hours": "25", "count": "25", "rate_per_1000": "2.5",
                 "currency": "£1,000"}
# A value as people write it: 58%, 25, 2.5, £1,000, 48 hours; the unit's own word may follow the number.
_VALUE_RE = re.compile(r"^(?P<pound>£)?\s*(?P<number>[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[+-]?\.\d+)\s*"
                       r"(?P<suffix>%|percent|hours?|days?|per\s*1,?000)?$", re.I)
_SUFFIX_UNITS = {"%": "percent", "percent": "percent", "hour": "hours", "hours": "hours", "day": "days",
                 "days": "days"}


def register(registry: CommandRegistry) -> None:
    registry.add("/alert", alert_command, HELP,
                 needs=lambda text: "admin" if text.lower().split()[:1] in ([verb] for verb in CHANGES) else "viewer")


def alert_command(request: CommandRequest, context: CommandContext) -> Response:
    words = request.text.split()
    verb = words[0].lower() if words else "help"
    if verb in ("help", "?"):
        return Response(title=LIST_TITLE, notes=HELP.splitlines())
    if verb == "list":
        return list_answer(context, request)
    if verb not in CHANGES:
        return error(NOT_UNDERSTOOD.format(text=shorten(request.text)), USAGE)
    channel, rest = None, []
    for word in words[1:]:
        named = mentioned_conversation(word)
        if named is None:
            rest.append(word)
        elif channel is None:
            channel = named
        else:
            return error(TWO_CHANNELS, BAD_CHANNEL_HINT)
    if not rest:
        return error(WHICH_ALERT, ALERT_EXAMPLE)
    with context.db.session() as session:
        wanted = _wanted(session, rest)
    if isinstance(wanted, Response):
        return wanted
    if channel is None and request.channel_id == CONSOLE_CHANNEL and verb == "subscribe":
        return error(NO_CHANNEL_HERE, NO_CHANNEL_HERE_HINT)
    return change(context, request, verb, subscribed_address(context, request, channel), wanted)


def _wanted(session, words: list[str]) -> dict | Response:
    """The alert the words name, as the store's fields (kind, section, metric, direction, limit, days), or the
    answer saying what is wrong with them."""
    first = words[0].lower()
    catalog = read_catalog(session)
    if first == RAG:
        return _rag(catalog, " ".join(words[1:]))
    if first == REVIEWS:
        return _reviews(words[1:])
    at = next((i for i, word in enumerate(words) if word.lower() in (BELOW, ABOVE)), None)
    if at is None:
        # `calls-under-25s 58%`: a metric and a value, with no word saying which way the line is crossed.
        named = _metric(session, catalog, " ".join(words))
        if isinstance(named, Response) and len(words) > 1:
            without_value = _metric(session, catalog, " ".join(words[:-1]))
            if not isinstance(without_value, Response):
                named = without_value
        return named if isinstance(named, Response) else error(NEEDS_DIRECTION, ALERT_EXAMPLE)
    metric = _metric(session, catalog, " ".join(words[:at]))
    if isinstance(metric, Response):
        return metric
    if metric is None:
        return error(NEEDS_DIRECTION, ALERT_EXAMPLE)
    direction = words[at].lower()
    limit = _limit(metric, direction, " ".join(words[at + 1:]))
    if isinstance(limit, Response):
        return limit
    return dict(kind=THRESHOLD, metric=metric, direction=direction, limit=limit)


def _rag(catalog: Catalog, text: str) -> dict | Response:
    if not text.strip():
        return dict(kind=RAG, section=None)
    section = catalog.section(text)
    fitting = [section] if section is not None else sections_fitting(catalog, text)
    if len(fitting) == 1:
        return dict(kind=RAG, section=fitting[0])
    if fitting:
        names = [s.name for s in fitting]
        return error(WHICH_SECTION.format(text=shorten(text), names=_either(names)),
                     WHICH_SECTION_HINT.format(first=names[0].lower()))
    close = suggest_sections(catalog, text)
    hint = DID_YOU_MEAN.format(names=_either([s.name for s in close])) if close else \
        NO_SECTION_HINT.format(sections=", ".join(s.name for s in catalog.sections))
    return error(NO_SECTION.format(text=shorten(text)), hint)


def _reviews(words: list[str]) -> dict | Response:
    if words and words[0].lower() == "due":
        words = words[1:]
    if words and words[-1].lower() in ("day", "days"):
        words = words[:-1]
    if not words:
        return error(NEEDS_DAYS, DAYS_EXAMPLE)
    text = " ".join(words)
    if not text.isdigit() or not MIN_DAYS <= int(text) <= MAX_DAYS:
        return error(BAD_DAYS.format(text=shorten(text), low=MIN_DAYS, high=MAX_DAYS), DAYS_EXAMPLE)
    return dict(kind=REVIEWS, days=int(text))


def _metric(session, catalog: Catalog, text: str) -> MetricDefinition | Response | None:
    """The metric named (by slug, name, alias or the words of one, as /kpi finds it); None when nothing is
    named; an answer when the name is no metric or fits several."""
    if not text.strip():
        return None
    metric = metric_by_slug(session, text.strip().lower())
    if metric is not None:
        return metric
    found = lookup(catalog, text)
    if found.metric is not None:
        return found.metric
    if found.section is not None:
        return error(A_SECTION.format(name=found.section.name), A_SECTION_HINT.format(name=found.section.name.lower()))
    if found.choices:
        names = [getattr(choice, "slug", None) or choice.name for choice in found.choices]
        metrics = [c for c in found.choices if isinstance(c, MetricDefinition)]
        example = UNIT_EXAMPLES.get(metrics[0].unit, "25") if metrics else "25"
        return error(WHICH_METRIC.format(text=shorten(text), names=_either(names)),
                     WHICH_METRIC_HINT.format(first=metrics[0].slug if metrics else names[0], example=example))
    close = catalog.suggest(text)
    hint = DID_YOU_MEAN.format(names=_either([m.slug for m in close])) if close else NO_METRIC_HINT
    return error(NO_METRIC.format(text=shorten(text)), hint)


def _limit(metric: MetricDefinition, direction: str, text: str) -> float | Response:
    """The value typed, in the metric's unit: `58%` (or 58) for a percentage, `£1,000` for money."""
    if metric.unit not in UNIT_WORDS:
        return error(NO_LINE.format(name=metric.name), NO_LINE_HINT.format(section=metric.section.lower()))
    example = VALUE_EXAMPLE.format(slug=metric.slug, direction=direction, example=UNIT_EXAMPLES[metric.unit])
    if not text.strip():
        return error(NEEDS_VALUE.format(name=metric.name, direction=direction), example)
    match = _VALUE_RE.match(text.strip())
    suffix = (match["suffix"] or "").lower() if match else ""
    suffix_unit = "rate_per_1000" if suffix.startswith("per") else _SUFFIX_UNITS.get(suffix, metric.unit)
    pound_fits = not (match and match["pound"]) or metric.unit == "currency"
    if match is None or suffix_unit != metric.unit or not pound_fits:
        return error(BAD_VALUE.format(text=shorten(text), name=metric.name, unit=UNIT_WORDS[metric.unit]), example)
    return float(match["number"].replace(",", ""))


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _hears(context: CommandContext, sub: dict) -> str:
    """What the channel will hear, in the words of an answer."""
    if sub["kind"] == RAG:
        section = sub["section"]
        return HEARS_RAG_SECTION.format(section=section.name) if section else HEARS_RAG_ANY
    if sub["kind"] == REVIEWS:
        return HEARS_REVIEWS.format(hour=REVIEW_ALERT_HOUR, zone=context.timezone or OFFICE_TIMEZONE,
                                    days=_days(sub["days"]))
    metric = sub["metric"]
    return HEARS_THRESHOLD[sub["direction"]].format(name=metric.name, limit=format_value(metric.unit, sub["limit"]))


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def change(context: CommandContext, request: CommandRequest, verb: str, address, wanted: dict) -> Response:
    kind = wanted["kind"]
    fields = dict(section=wanted["section"].name if wanted.get("section") else "",
                  metric=wanted["metric"].slug if kind == THRESHOLD else "",
                  direction=wanted.get("direction", ""))
    named, what = mention(address.conversation), _hears(context, wanted)
    now = context.clock()
    if verb == "unsubscribe":
        if not alert_store.unsubscribe(context.db, address, kind, now, **fields):
            return error(NOT_SUBSCRIBED.format(channel=named), NOT_SUBSCRIBED_HINT)
        text = UNSUBSCRIBED_REVIEWS if kind == REVIEWS else UNSUBSCRIBED
        return Response(title=text.format(channel=named, what=what))
    refused = context.can_post(address)
    if refused is not None:
        return error(CANNOT_POST.format(channel=named, reason=refused.reason), refused.hint)
    _, created = alert_store.subscribe(context.db, address, kind, request.user_id, now, limit=wanted.get("limit"),
                                       days=wanted.get("days"), **fields)
    if kind == REVIEWS:
        return Response(title=SUBSCRIBED_REVIEWS.format(channel=named, what=what),
                        notes=[_cases_note(context, address.conversation)])
    text = SUBSCRIBED if created or kind == THRESHOLD else ALREADY
    return Response(title=text.format(channel=named, what=what))


def _cases_note(context: CommandContext, channel: str) -> str:
    access = context.access
    if access.channel_sees_cases(channel):
        return WITH_CASES
    return COUNTS_ONLY_WHERE.format(channels=access.case_channels_text())


def list_answer(context: CommandContext, request: CommandRequest) -> Response:
    everywhere = request.channel_id == CONSOLE_CHANNEL and context.is_admin(request.user_id)
    subs = alert_store.active_subscriptions(context.db) if everywhere else \
        alert_store.subscriptions_at(context.db, request.address)
    if not subs:
        return Response(title=NONE_ANYWHERE if everywhere else NONE, notes=[NONE_HINT])
    with context.db.session() as session:
        catalog = read_catalog(session)
    rows = [[mention(sub.address.conversation), _described(catalog, sub), sub.created_by] for sub in subs]
    return Response(title=LIST_TITLE, table=Table(LIST_COLUMNS, rows))


def _described(catalog: Catalog, sub: AlertSubscription) -> str:
    if sub.kind == RAG:
        return LIST_RAG_SECTION.format(section=sub.section) if sub.section else LIST_RAG_ANY
    if sub.kind == REVIEWS:
        return LIST_REVIEWS.format(days=_days(sub.days or 0))
    metric = catalog.get(sub.metric)
    name = metric.name if metric else sub.metric
    limit = format_value(metric.unit, sub.limit) if metric else f"{sub.limit:g}"
    return LIST_THRESHOLD.format(name=name, direction=sub.direction, limit=limit)
