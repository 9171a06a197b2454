"""How late figures are written: the weekly digest's "Late figures" part, and the words a reminder shares."""
from __future__ import annotations

from datetime import date

from answers.mentions import person
from answers.response import Response
from storage.lateness import Late
from storage.periods import MONTH_NAMES, Month, Period, Quarter

LATE_TITLE = "Late figures"
LATE_LINE = "{metric}: {period} figures were due {due} ({days}{owner})."
LATE_OWNER = "; owner: {owner}"
WORKING_DAYS_LATE = {True: "1 working day late", False: "{count} working days late"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def period_name(period: Period) -> str:
    """A period as a reminder names it: September 2025, 2025/26 Q2 (Jul-Sep 2025), 2025/26."""
    if isinstance(period, Month):
        return f"{MONTH_NAMES[period.month - 1]} {period.year}"
    if isinstance(period, Quarter):
        return f"{period.label} ({period.span})"
    return period.label


def due_day(day: date) -> str:
    """A due day with its weekday: Tue 14 Oct 2025."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b} {day.year}"


def late_line(late: Late, platform: str | None) -> str:
    """One late metric, naming its owner on `platform` when the catalog gives one."""
    days = WORKING_DAYS_LATE[late.days_late == 1].format(count=late.days_late)
    owner = late.metric.owners.get(platform) if platform else None
    return LATE_LINE.format(metric=late.metric.name, period=period_name(late.period), due=due_day(late.due),
                            days=days, owner=LATE_OWNER.format(owner=person(owner)) if owner else "")


def late_part(late: list[Late], platform: str | None) -> Response | None:
    """The digest's "Late figures" part; None when nothing is late."""
    if not late:
        return None
    return Response(title=LATE_TITLE, notes=[late_line(item, platform) for item in late])
