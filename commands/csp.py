"""/csp: Community Safety Partnership balances for the year, or one area's balance and spend lines."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from answers.context import CommandContext
from commands.csp_areas import match_area
from commands.options import OptionError, split_options, split_period
from commands.registry import CommandRegistry, CommandRequest
from answers.response import Response, error, shorten
from answers.csp import area_answer, balances_answer, day_text
from storage.csp import CspBalances
from storage.csp_queries import csp_spend_lines, last_spend_date
from storage.freshness import age_text, is_stale
from storage.periods import FinancialYear, Month, Period, period_end
from storage.repository import csp_balances_for, csp_years

HELP = """/csp - every CSP area's allocation, spend, remaining balance and % spent this financial year
/csp <area> - one area's balance and its spend lines (e.g. /csp leicester, /csp hinckley, /csp o&w)
/csp 2024/25 or /csp <area> 2024/25 - the same for another financial year (at its end, or today if sooner)
Add `as of 01/10/2025` to answer for a past date, `public` to post in the channel."""

AS_OF_MISPLACED = "`as of` goes at the end, followed by a date (01/10/2025, 2025-10-01) or a month (Oct 2025)."
AS_OF_EXAMPLE = "Example: /csp as of 2025-10-01 (or 01/10/2025)"
NOTHING_LOADED = "No CSP allocations are loaded yet."
NOTHING_LOADED_HINT = ("Load them with `kpibot import csp-allocations FILE`, "
                       "and spend lines with `kpibot import csp-spend FILE`.")
NO_YEAR = "There are no CSP allocations for {year} (the year of {day})."
NO_YEAR_TYPED = "There are no CSP allocations for {year}."
NO_CURRENT_YEAR = "There are no CSP allocations for {year}, the current financial year."
YEARS_HINT = "Years with allocations: {years}."
LATEST_YEAR_HINT = "The latest year with allocations is {year}: {command}"
FUTURE = "{day} is after today: spend is counted to date, and the year elapsed to {day}."
SPEND_ENDS = "The latest spend line of {year} is dated {day}, {age} ago: later spend may not be loaded yet."
UNKNOWN_AREA = "I don't know a CSP area called {text!r}."
AMBIGUOUS_AREA = "{text!r} could be more than one CSP area: {areas}."
AREAS_HINT = "Areas with a {year} allocation: {areas}."
AREA_EXAMPLE = "Example: /csp leicester"
AMBIGUOUS_HINT = "Type more of the name, e.g. /csp {example}."


# Years offered as choices when the one asked for has no allocations: the latest few.
YEARS_OFFERED = 3
_STRAY_AS_OF = re.compile(r"\bas\s+of\b", re.I)


def register(registry: CommandRegistry) -> None:
    registry.add("/csp", csp_command, HELP)


def csp_command(request: CommandRequest, context: CommandContext) -> Response:
    today = context.today()
    try:
        options = split_options(request.text, request.as_of, today)
    except OptionError as exc:
        return error(str(exc), AS_OF_EXAMPLE)
    if _STRAY_AS_OF.search(options.text):
        return error(AS_OF_MISPLACED, AS_OF_EXAMPLE)
    text = options.text
    if text.lower() == "help":
        return Response(title="/csp", notes=HELP.splitlines())
    # `/csp 2024/25`, `/csp blaby 2024/25`: a year (or a period or day) typed beside the area.
    typed = split_period(text, today)
    area_text, when = (typed.rest, typed.when) if typed else (text, None)
    with context.db.session() as session:
        years = csp_years(session)
        if not years:
            return Response(title=NOTHING_LOADED, notes=[NOTHING_LOADED_HINT])
        chosen = _year_and_day(years, today, options.as_of, when, area_text)
        if isinstance(chosen, Response):
            return chosen
        year, as_of, notes = chosen
        notes += _spend_ends(session, year, as_of, today)
        balances = csp_balances_for(session, year, as_of, context.csp_lag_margin_pp)
        if not area_text:
            answer = balances_answer(balances, notes, context.csp_lag_margin_pp)
        else:
            suffix = (f" {typed.words}" if typed else "") + (f" as of {options.as_of.isoformat()}"
                                                              if options.as_of else "")
            answer = _area_form(session, balances, area_text, notes, suffix)
    return replace(answer, public=True) if options.public and not answer.is_error else answer


def _year_and_day(years: list[str], today: date, explicit: date | None, when: Period | date | None,
                  area_text: str) -> tuple[FinancialYear, date, list[str]] | Response:
    """The year and date to answer for: a year typed (at its end, or today if sooner), else the year of the
    as-of date (a period typed stands for its last day), else the current financial year."""
    if isinstance(when, FinancialYear):
        if when.label not in years:
            return _no_allocations(NO_YEAR_TYPED.format(year=when.label), years, area_text, is_error=True)
        as_of = explicit or min(today, when.last_day)
        return when, as_of, _future(as_of, today)
    if when is not None:
        day = when if isinstance(when, date) else period_end(when)
        explicit = min(day, explicit) if explicit else day
    wanted = Month.of(explicit or today).financial_year
    if wanted.label in years:
        as_of = explicit or today
        return wanted, as_of, _future(as_of, today)
    if explicit is not None:
        return _no_allocations(NO_YEAR.format(year=wanted.label, day=day_text(explicit)), years, area_text,
                               is_error=True)
    return _no_allocations(NO_CURRENT_YEAR.format(year=wanted.label), years, area_text, is_error=False)


def _no_allocations(title: str, years: list[str], area_text: str, is_error: bool) -> Response:
    """A year without allocations, said plainly, with the latest years that have them as choices."""
    offered = sorted(years)[-YEARS_OFFERED:][::-1]
    area = f"{shorten(area_text)} " if area_text else ""
    commands = [f"/csp {area}{year}" for year in offered]
    return Response(title=title, is_error=is_error,
                    notes=[YEARS_HINT.format(years=", ".join(years)),
                           LATEST_YEAR_HINT.format(year=offered[0], command=commands[0])],
                    suggestions=commands)


def _future(as_of: date, today: date) -> list[str]:
    return [FUTURE.format(day=day_text(as_of))] if as_of > today else []


def _spend_ends(session: Session, year: FinancialYear, as_of: date, today: date) -> list[str]:
    """A line when the year's latest spend line is older, on `as_of`, than a monthly figure may be."""
    last = last_spend_date(session, year)
    if last is None or not is_stale(Month.of(last), "monthly", min(as_of, today), as_at=last):
        return []
    return [SPEND_ENDS.format(year=year.label, day=day_text(last), age=age_text(last, today))]


# --- one area -------------------------------------------------------------------------------------------

def _area_form(session: Session, balances: CspBalances, text: str, notes: list[str], suffix: str) -> Response:
    """One area's answer; `suffix` (a year, an as-of date) is carried into the choices offered."""
    areas = [a.area for a in balances.areas]
    found = match_area(text, areas)
    if not found:
        return error(UNKNOWN_AREA.format(text=shorten(text)),
                     AREAS_HINT.format(year=balances.year.label, areas=", ".join(areas)), AREA_EXAMPLE)
    if len(found) > 1:
        return Response(
            title=AMBIGUOUS_AREA.format(text=shorten(text), areas=", ".join(found)), is_error=True,
            notes=[AMBIGUOUS_HINT.format(example=found[0].lower())],
            suggestions=[f"/csp {area}{suffix}" for area in found],
        )
    balance = next(a for a in balances.areas if a.area == found[0])
    lines = csp_spend_lines(session, balance.area, balances.year, balances.as_of)
    return area_answer(balances, balance, lines, notes)


