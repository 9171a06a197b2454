"""When digests fall due: Monday mornings, the first working day after a quarter ends, in local time."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.periods import Month, Quarter
# The working-day rule lives in storage, where alerts also use it; its names stay importable from here.
from storage.working_days import bank_holidays, first_working_day_after, is_working_day  # noqa: F401

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("weekly", "quarterly")
# Clocks change between 01:00 and 02:00 local time in the UK: a run there would be skipped or doubled.
UNSAFE_HOURS = (1,)


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message says what would work."""


@dataclass(frozen=True)
class Schedule:
    kind: str
    day_of_week: str = "mon"  # weekly only
    hour: int = 8
    minute: int = 0
    timezone: str = "Europe/London"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ScheduleError(f"{self.kind!r} is not a digest; use weekly or quarterly")
        if self.day_of_week not in DAY_NAMES:
            raise ScheduleError(f"{self.day_of_week!r} is not a day; use mon, tue, ... sun")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ScheduleError(f"{self.hour:02d}:{self.minute:02d} is not a time of day; use HH:MM, e.g. 08:00")
        if self.hour in UNSAFE_HOURS:
            raise ScheduleError("01:00-02:00 is when the clocks change, so a digest could be skipped or sent "
                                "twice; choose another time, e.g. 08:00")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        when = f"{self.hour:02d}:{self.minute:02d}"
        if self.kind == "weekly":
            return f"every {_DAY_TITLES[self.day_of_week]} at {when} ({self.timezone})"
        return f"first working day after each quarter ends, at {when} ({self.timezone})"


_DAY_TITLES = dict(zip(DAY_NAMES, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))


def week_label(day: date) -> str:
    """The ISO week a weekly digest covers, e.g. 2025-W41."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Occurrence:
    """One due digest: when it was due, the period it covers and the date its figures are taken at."""

    kind: str
    scheduled_for: datetime  # aware, UTC
    period: str
    as_of: date


def weekly_occurrence(schedule: Schedule, day: date) -> Occurrence:
    """The weekly digest for the week containing `day`, due on the schedule's weekday of that week."""
    monday = day - timedelta(days=day.weekday())
    due_day = monday + timedelta(days=DAY_NAMES.index(schedule.day_of_week))
    local = datetime.combine(due_day, time(schedule.hour, schedule.minute), schedule.zone)
    return Occurrence("weekly", local.astimezone(ZoneInfo("UTC")), week_label(due_day), due_day)


def quarterly_occurrence(schedule: Schedule, quarter: Quarter) -> Occurrence:
    """The quarterly digest for `quarter`, due the first working day after it ends."""
    due_day = first_working_day_after(quarter.months[-1].last_day)
    local = datetime.combine(due_day, time(schedule.hour, schedule.minute), schedule.zone)
    return Occurrence("quarterly", local.astimezone(ZoneInfo("UTC")), quarter.label, due_day)


def latest_due(schedule: Schedule, now: datetime) -> Occurrence:
    """The most recent occurrence due at or before `now` (an aware datetime)."""
    local_day = now.astimezone(schedule.zone).date()
    if schedule.kind == "weekly":
        occurrence = weekly_occurrence(schedule, local_day)
        if occurrence.scheduled_for > now:
            occurrence = weekly_occurrence(schedule, local_day - timedelta(days=7))
        return occurrence
    quarter = Month.of(local_day).quarter.previous()
    occurrence = quarterly_occurrence(schedule, quarter)
    if occurrence.scheduled_for > now:
        occurrence = quarterly_occurrence(schedule, quarter.previous())
    return occurrence


def occurrence_for(kind: str, as_of: date, schedule: Schedule | None = None) -> Occurrence:
    """The digest a person means by `kind` 'as of' a date: that week's, or the last complete quarter's."""
    schedule = schedule or Schedule(kind)
    if kind == "weekly":
        return weekly_occurrence(schedule, as_of)
    return quarterly_occurrence(schedule, Month.of(as_of).quarter.previous())


def asked_for(kind: str, day: date) -> Occurrence:
    """The digest someone asks for on `day` (/digest preview, kpibot digest run): occurrence_for's, but a weekly
    takes its figures at `day` itself rather than at its due day, so it shows the week as it stands."""
    occurrence = occurrence_for(kind, day)
    return replace(occurrence, as_of=day) if kind == "weekly" else occurrence


def next_due(schedule: Schedule, now: datetime) -> Occurrence:
    """The first occurrence due after `now`."""
    local_day = now.astimezone(schedule.zone).date()
    if schedule.kind == "weekly":
        occurrence = weekly_occurrence(schedule, local_day)
        return occurrence if occurrence.scheduled_for > now else weekly_occurrence(schedule, local_day + timedelta(days=7))
    quarter = Month.of(local_day).quarter
    candidates = [quarterly_occurrence(schedule, q) for q in (quarter.previous(), quarter)]
    return next(o for o in candidates if o.scheduled_for > now) if any(o.scheduled_for > now for o in candidates) \
        else quarterly_occurrence(schedule, Quarter(quarter.start_year + (quarter.number == 4), quarter.number % 4 + 1))
