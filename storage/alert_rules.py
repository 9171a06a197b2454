"""The rules alerts follow: which loads turn a metric worse or better, which cross a threshold, and which are new.

Pure functions of figures before and after a load and of the keys already in the delivery ledger; nothing
here reads the database or posts anything.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from storage.figures import format_figure, format_value, rag_word
from storage.kpi import PanelComparison
from storage.periods import Month, Period
from storage.working_days import is_working_day

WORSE = "worse"
RECOVERED = "recovered"
CROSSED = "crossed"
CLEARED = "cleared"
KINDS = (WORSE, RECOVERED, CROSSED, CLEARED)
# What a turn of each kind is, for the message: bad news first.
TURNS_FOR_THE_WORSE = (WORSE, CROSSED)

BELOW = "below"
ABOVE = "above"
THRESHOLD_DIRECTIONS = (BELOW, ABOVE)
CROSSED_STATE = "crossed"
CLEAR_STATE = "clear"

# Worse the further along: a turn between two of these is worse when it moves right.
RAG_SEVERITY = {"green": 0, "amber": 1, "red": 2}
# The states an alert for the worse can be in, looked for when deciding whether a recovery is new.
WORSE_STATES = ("amber", "red", CROSSED_STATE)

KEY_PREFIX = "alert:"
KEY_DIGEST_LENGTH = 10   # "alert:" and 10 hex digits: the 16 characters a ledger period holds

FIGURE_IN_PERIOD = "{figure} in {when}"
TURNED_WORSE = "{name} turned {new} (was {old})"
RECOVERED_TO = "{name} recovered to {new} (was {old})"
THRESHOLD_CROSSED = {BELOW: "{name} fell below {limit}", ABOVE: "{name} rose above {limit}"}
THRESHOLD_CLEARED = {BELOW: "{name} is no longer below {limit}", ABOVE: "{name} is no longer above {limit}"}
WITH_FIGURE = "{line}: {figure}"

REVIEW_ALERT_HOUR = 9
OFFICE_TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class Turn:
    """One metric changing state in a load: a RAG turning worse or recovering, or a threshold crossed or cleared.

    `old` and `new` are RAG values (green, amber, red) or threshold states (crossed, clear); `figure` is the
    new figure as people read it, with its period ("48 hours in Sep 2025"). `subscription_id` is set for the
    subscription the turn is told to; `direction` and `limit` only for thresholds.
    """

    slug: str
    old: str
    new: str
    kind: str
    period: Period | str | None = None
    figure: str | None = None
    subscription_id: int | str | None = None
    direction: str | None = None
    limit: str | None = None


@dataclass(frozen=True)
class ThresholdSubscription:
    """A subscriber's line for one metric: tell me when it goes below (or above) this value."""

    id: int | str
    slug: str
    direction: str
    limit: float

    def __post_init__(self) -> None:
        if self.direction not in THRESHOLD_DIRECTIONS:
            raise ValueError(f"{self.direction!r} is not a threshold; use below or above")


@dataclass(frozen=True)
class Facts:
    """What alerts need to know of each metric at one moment, by slug."""

    rags: dict[str, str | None]
    values: dict[str, float | None]
    periods: dict[str, Period | None]
    figures: dict[str, str | None]


@dataclass(frozen=True)
class DueAlert:
    """A turn not yet told to its subscription, with the ledger key it is posted under."""

    key: str
    turn: Turn


def _when(comparison: PanelComparison) -> str | None:
    """The period a comparison's judged figure covers: the last 3 months of a monthly metric, else its period."""
    if comparison.period is None:
        return None
    if comparison.metric.frequency == "monthly":
        return comparison.last3_span or comparison.period.title
    return comparison.period.title if isinstance(comparison.period, Month) else comparison.period.label


def comparison_facts(comparisons: Iterable[PanelComparison]) -> Facts:
    """Each metric's RAG (None for no RAG), the figure RAG is judged on, its period and its words."""
    rags, values, periods, figures = {}, {}, {}, {}
    for comparison in comparisons:
        slug = comparison.metric.slug
        rags[slug] = None if comparison.rag == "none" else comparison.rag
        values[slug] = comparison.current
        periods[slug] = comparison.period
        when = _when(comparison)
        figures[slug] = None if comparison.current is None or when is None else FIGURE_IN_PERIOD.format(
            figure=format_figure(comparison.metric, comparison.current), when=when)
    return Facts(rags, values, periods, figures)


def _in_catalog_order(slugs: Iterable[str], order: Sequence[str]) -> list[str]:
    """Slugs as the catalog lists them; any it does not list come after, alphabetically."""
    place = {slug: index for index, slug in enumerate(order)}
    return sorted(set(slugs), key=lambda slug: (place.get(slug, len(place)), slug))


def rag_kind(old: str | None, new: str | None) -> str | None:
    """WORSE (green -> amber or red, amber -> red), RECOVERED (the way back), or None: unchanged, or no RAG
    on either side (a metric gaining or losing its RAG has not turned)."""
    if old not in RAG_SEVERITY or new not in RAG_SEVERITY or old == new:
        return None
    return WORSE if RAG_SEVERITY[new] > RAG_SEVERITY[old] else RECOVERED


def rag_turns(before: Mapping[str, str | None], after: Mapping[str, str | None], order: Sequence[str] = (),
              *, periods: Mapping[str, Period | None] | None = None,
              figures: Mapping[str, str | None] | None = None) -> list[Turn]:
    """The metrics whose RAG turned between two loads, in catalog order (`order` lists the slugs)."""
    periods, figures = periods or {}, figures or {}
    turns = []
    for slug in _in_catalog_order(set(before) | set(after), order):
        old, new = before.get(slug), after.get(slug)
        kind = rag_kind(old, new)
        if kind is not None:
            turns.append(Turn(slug, old, new, kind, periods.get(slug), figures.get(slug)))
    return turns


def threshold_state(value: float | None, direction: str, limit: float) -> str | None:
    """crossed when the value is strictly beyond the limit (below it, or above it); clear otherwise.

    A value equal to the limit is clear, not crossed: "below 50" means under 50. None for no value.
    """
    if direction not in THRESHOLD_DIRECTIONS:
        raise ValueError(f"{direction!r} is not a threshold; use below or above")
    if value is None:
        return None
    beyond = value < limit if direction == BELOW else value > limit
    return CROSSED_STATE if beyond else CLEAR_STATE


def threshold_turns(before_values: Mapping[str, float | None], after_values: Mapping[str, float | None],
                    subscriptions: Iterable[ThresholdSubscription], order: Sequence[str] = (), *,
                    periods: Mapping[str, Period | None] | None = None,
                    figures: Mapping[str, str | None] | None = None,
                    units: Mapping[str, str] | None = None) -> list[Turn]:
    """CROSSED when a subscribed metric's value moves over its line, CLEARED when it comes back.

    As with RAG, a metric with no value on either side has not moved, so gives nothing. `units` (by slug)
    writes the limit in the metric's unit (50 hours); without one it is written as a count.
    """
    periods, figures, units = periods or {}, figures or {}, units or {}
    subscriptions = list(subscriptions)
    place = {slug: index for index, slug in enumerate(_in_catalog_order(
        set(before_values) | set(after_values) | {s.slug for s in subscriptions}, order))}
    turns = []
    for subscription in sorted(subscriptions, key=lambda s: (place[s.slug], str(s.id))):
        old = threshold_state(before_values.get(subscription.slug), subscription.direction, subscription.limit)
        new = threshold_state(after_values.get(subscription.slug), subscription.direction, subscription.limit)
        if old is None or new is None or old == new:
            continue
        turns.append(Turn(
            subscription.slug, old, new, CROSSED if new == CROSSED_STATE else CLEARED,
            periods.get(subscription.slug), figures.get(subscription.slug), subscription.id,
            subscription.direction, format_value(units.get(subscription.slug, "count"), subscription.limit),
        ))
    return turns


def told_to(turns: Iterable[Turn], subscription_id: int | str) -> list[Turn]:
    """The turns as told to one subscription (a channel hearing RAG alerts), ready for their keys."""
    return [replace(turn, subscription_id=subscription_id) for turn in turns]


def _period_label(period: Period | str | None) -> str:
    if period is None:
        return ""
    return period if isinstance(period, str) else period.label


def alert_key(subscription_id: int | str | None, slug: str, period: Period | str | None, state: str,
              round_: int = 0) -> str:
    """The ledger key of one alert: its subscription, metric, period and state, short and stable.

    `round_` counts the recoveries already told for that subscription, metric and period, so the same
    turn for the worse after a recovery is a new alert; round 0 is the key without it.
    """
    parts = [str(subscription_id), slug, _period_label(period), state]
    if round_:
        parts.append(str(round_))
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:KEY_DIGEST_LENGTH]
    return KEY_PREFIX + digest


def _round(sent: set[str], turn: Turn) -> int:
    """How many recoveries of this metric, in this period, the subscription has already been told."""
    count = 0
    while alert_key(turn.subscription_id, turn.slug, turn.period, RECOVERED, count) in sent:
        count += 1
    return count


def _told_worse_in(sent: set[str], turn: Turn, round_: int) -> bool:
    return any(alert_key(turn.subscription_id, turn.slug, turn.period, state, round_) in sent
               for state in WORSE_STATES)


def _due_key(sent: set[str], turn: Turn) -> str | None:
    round_ = _round(sent, turn)
    if turn.kind in TURNS_FOR_THE_WORSE:
        key = alert_key(turn.subscription_id, turn.slug, turn.period, turn.new, round_)
        return None if key in sent else key
    # A recovery closes its round. After the first round it is new only once something worse was told in
    # the round it closes: the same recovery worked out again finds its round already closed and nothing since.
    if round_ and not _told_worse_in(sent, turn, round_):
        return None
    return alert_key(turn.subscription_id, turn.slug, turn.period, RECOVERED, round_)


def due_alerts(turns: Iterable[Turn], already_sent: set[str]) -> list[DueAlert]:
    """The turns not yet told, each with the key to claim in the ledger, in the order given.

    The same figures loaded again give nothing new; a recovery re-arms a metric, so a later turn for the
    worse in the same period is told again. One recovery is told per turn for the worse: red -> amber ->
    green tells the first step only. `already_sent` is not changed.
    """
    sent = set(already_sent)
    due = []
    for turn in turns:
        key = _due_key(sent, turn)
        if key is not None:
            sent.add(key)
            due.append(DueAlert(key, turn))
    return due


def _line(turn: Turn, names: Mapping[str, str]) -> str:
    name = names.get(turn.slug, turn.slug)
    if turn.kind == WORSE:
        line = TURNED_WORSE.format(name=name, new=rag_word(turn.new), old=rag_word(turn.old))
    elif turn.kind == RECOVERED:
        line = RECOVERED_TO.format(name=name, new=rag_word(turn.new), old=rag_word(turn.old))
    elif turn.kind == CROSSED:
        line = THRESHOLD_CROSSED[turn.direction].format(name=name, limit=turn.limit)
    else:
        line = THRESHOLD_CLEARED[turn.direction].format(name=name, limit=turn.limit)
    return WITH_FIGURE.format(line=line, figure=turn.figure) if turn.figure else line


def alert_message_lines(turns: Iterable[Turn], names: Mapping[str, str]) -> list[str]:
    """One line per turn, in the domain's words, for one message: turns for the worse first, then recoveries,
    each group in the order given ("Volunteer hours turned Red (was Green): 48 hours in Sep 2025")."""
    turns = list(turns)
    worse = [t for t in turns if t.kind in TURNS_FOR_THE_WORSE]
    better = [t for t in turns if t.kind not in TURNS_FOR_THE_WORSE]
    return [_line(turn, names) for turn in worse + better]


def review_alert_due(moment: datetime, timezone: str = OFFICE_TIMEZONE, hour: int = REVIEW_ALERT_HOUR) -> date | None:
    """The working day whose `hour`:00 local time has come by `moment`, or None before it or on a day off.

    A scheduler asking every few minutes gets the same day all that day, from 09:00 until midnight, and
    keys its post by it, so it posts once each working morning; weekends and England and Wales bank
    holidays give None. `moment` must carry its time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the moment must carry its time zone, e.g. UTC")
    local = moment.astimezone(ZoneInfo(timezone))
    if not is_working_day(local.date()) or local.time() < time(hour):
        return None
    return local.date()
