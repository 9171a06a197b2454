"""/csp: Community Safety Partnership balances for the year, or one area's balance and spend lines."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from commands.context import CommandContext
from commands.options import OptionError, split_options
from commands.registry import CommandRegistry, CommandRequest
from commands.response import Fact, Response, Table, error
from storage.csp import AreaBalance, CspBalances
from storage.csp_queries import csp_spend_lines, last_spend_date, year_days_elapsed
from storage.figures import format_day, format_money, format_value
from storage.periods import FinancialYear, Month, parse_financial_year
from storage.repository import csp_balances_for, csp_years

HELP = """/csp - every CSP area's allocation, spend, remaining balance and % spent this financial year
/csp <area> - one area's balance and its spend lines (e.g. /csp leicester, /csp hinckley, /csp o&w)
Add `as of 2025-10-01` to answer for a past date, `public` to post in the channel."""

AS_OF_MISPLACED = "`as of` goes at the end, followed by a date (YYYY-MM-DD) or a month (YYYY-MM)."
AS_OF_EXAMPLE = "Example: /csp as of 2025-10-01"
NOTHING_LOADED = "No CSP allocations are loaded yet."
NOTHING_LOADED_HINT = ("Load them with `kpibot import csp-allocations FILE`, "
                       "and spend lines with `kpibot import csp-spend FILE`.")
NO_YEAR = "There are no CSP allocations for {year} (the year of {day})."
NO_YEAR_HINT = "Years with allocations: {years}. Try /csp as of {example}."
LATEST_YEAR = ("There are no CSP allocations for {missing}, so this answers for {year} as of {day}, {why}; "
               "add `as of YYYY-MM-DD` for another date.")
LATEST_YEAR_LAST_SPEND = "the date of its last spend line"
LATEST_YEAR_LAST_DAY = "its last day"
LATEST_YEAR_FIRST_DAY = "its first day"
FUTURE = "{day} is after today: spend is counted to date, and the year elapsed to {day}."
UNKNOWN_AREA = "I don't know a CSP area called {text!r}."
AMBIGUOUS_AREA = "{text!r} could be more than one CSP area: {areas}."
AREAS_HINT = "Areas with a {year} allocation: {areas}."
AREA_EXAMPLE = "Example: /csp leicester"
AMBIGUOUS_HINT = "Type more of the name, e.g. /csp {example}."

TITLE = "CSP balances {year}, as of {day}"
AREA_TITLE = "CSP {area}: {remaining} remaining of {allocation} ({year}, as of {day})"
LAGGING_STATUS = "Lagging"
LAGGING_NOTE = "Spend lags the year in: {areas}."
NONE_LAGGING = "No area's spend lags the year."
LAG_RULE = ("An area lags when its % spent trails the year elapsed by more than {margin} points, "
            "or it has spent nothing once a quarter of the year has gone.")
AREA_LAGGING = "Yes: spend trails the year"
AREA_NOT_LAGGING = "No"
NO_SPEND_LINES = "No spend lines in {year} up to {day}."
AREA_HINT = "/csp <area> lists an area's spend lines."

_IGNORED_WORDS = {"and"}
_STRAY_AS_OF = re.compile(r"\bas\s+of\b", re.I)


def register(registry: CommandRegistry) -> None:
    registry.add("/csp", csp_command, HELP)


def day_text(day: date) -> str:
    return format_day(day)


def csp_command(request: CommandRequest, context: CommandContext) -> Response:
    try:
        options = split_options(request.text, request.as_of, context.today())
    except OptionError as exc:
        return error(str(exc), AS_OF_EXAMPLE)
    if _STRAY_AS_OF.search(options.text):
        return error(AS_OF_MISPLACED, AS_OF_EXAMPLE)
    text = options.text
    if text.lower() == "help":
        return Response(title="/csp", notes=HELP.splitlines())
    with context.db.session() as session:
        chosen = _year_and_day(session, context, options.as_of)
        if isinstance(chosen, Response):
            return chosen
        year, as_of, notes = chosen
        balances = csp_balances_for(session, year, as_of, context.csp_lag_margin_pp)
        if not text:
            answer = balances_answer(balances, notes, context.csp_lag_margin_pp)
        else:
            answer = _area_form(session, balances, text, notes, options.as_of)
    return replace(answer, public=True) if options.public and not answer.is_error else answer


def _year_and_day(session: Session, context: CommandContext,
                  explicit: date | None) -> tuple[FinancialYear, date, list[str]] | Response:
    """The year and date to answer for: an explicit date's year, else today's, else the latest allocated year begun."""
    years = csp_years(session)
    if not years:
        return Response(title=NOTHING_LOADED, notes=[NOTHING_LOADED_HINT])
    today = context.today()
    wanted = Month.of(explicit or today).financial_year
    if wanted.label in years:
        as_of = explicit or today
        notes = [FUTURE.format(day=day_text(as_of))] if as_of > today else []
        return wanted, as_of, notes
    allocated = [parse_financial_year(label) for label in years]
    if explicit is not None:
        return error(NO_YEAR.format(year=wanted.label, day=day_text(explicit)),
                     NO_YEAR_HINT.format(years=", ".join(years), example=max(allocated).last_day.isoformat()))
    begun = [year for year in allocated if year.first_day <= today]
    if not begun:
        # Only years still to come are allocated: show the next one as it opens.
        year = min(allocated)
        as_of, why = year.first_day, LATEST_YEAR_FIRST_DAY
    else:
        year = max(begun)
        last_spend = last_spend_date(session, year)
        as_of, why = (last_spend, LATEST_YEAR_LAST_SPEND) if last_spend else (year.last_day, LATEST_YEAR_LAST_DAY)
    note = LATEST_YEAR.format(missing=wanted.label, year=year.label, day=day_text(as_of), why=why)
    return year, as_of, [note]


def _percent(value: float | None) -> str:
    return format_value("percent", value)


def _year_elapsed(balances: CspBalances) -> str:
    days, total = year_days_elapsed(balances.year, balances.as_of)
    return f"{_percent(balances.year_elapsed_percent)} ({days} of {total} days)"


def balances_answer(balances: CspBalances, notes: list[str], lag_margin_pp: float) -> Response:
    rows = [
        [a.area, format_money(a.allocation), format_money(a.spent), format_money(a.remaining),
         _percent(a.percent_spent), LAGGING_STATUS if a.lagging else ""]
        for a in balances.areas
    ]
    rows.append(["TOTAL", format_money(balances.total_allocation), format_money(balances.total_spent),
                 format_money(balances.total_remaining), _percent(balances.total_percent_spent), ""])
    facts = [
        Fact("Year", balances.year.label),
        Fact("As of", day_text(balances.as_of)),
        Fact("Year elapsed", _year_elapsed(balances)),
        Fact("Total allocated", format_money(balances.total_allocation)),
        Fact("Total spent", format_money(balances.total_spent)),
        Fact("Total remaining", format_money(balances.total_remaining)),
    ]
    lagging = balances.lagging_areas
    lag_note = LAGGING_NOTE.format(areas="; ".join(lagging)) if lagging else NONE_LAGGING
    return Response(
        title=TITLE.format(year=balances.year.label, day=day_text(balances.as_of)),
        facts=facts,
        table=Table(["Area", "Allocation", "Spent", "Remaining", "% spent", "Status"], rows),
        notes=[*notes, lag_note, LAG_RULE.format(margin=f"{lag_margin_pp:g}"), AREA_HINT],
    )


# --- one area -------------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    """Lower-case words with punctuation and 'and'/'&' dropped: 'Oadby & Wigston' -> ['oadby', 'wigston']."""
    return [w for w in re.split(r"[^0-9a-z]+", text.lower().replace("&", " and ")) if w and w not in _IGNORED_WORDS]


def match_area(text: str, areas: list[str]) -> list[str]:
    """The areas `text` names: exact, then initials, then word starts, then part of a name; one means a match."""
    words = _words(text)
    key = "".join(words)
    if not key:
        return []
    named = {area: _words(area) for area in areas}
    tiers = [
        lambda w: "".join(w) == key,
        lambda w: len(key) >= 2 and len(w) >= 2 and "".join(x[0] for x in w) == key,
        lambda w: all(any(x.startswith(t) for x in w) for t in words),
        lambda w: key in "".join(w),
        lambda w: len("".join(w)) >= 4 and "".join(w) in key,
    ]
    for tier in tiers:
        found = [area for area, area_words in named.items() if tier(area_words)]
        if found:
            return found
    return []


def _area_form(session: Session, balances: CspBalances, text: str, notes: list[str],
               explicit: date | None) -> Response:
    areas = [a.area for a in balances.areas]
    found = match_area(text, areas)
    if not found:
        return error(UNKNOWN_AREA.format(text=text),
                     AREAS_HINT.format(year=balances.year.label, areas=", ".join(areas)), AREA_EXAMPLE)
    if len(found) > 1:
        suffix = f" as of {explicit.isoformat()}" if explicit else ""
        return Response(
            title=AMBIGUOUS_AREA.format(text=text, areas=", ".join(found)), is_error=True,
            notes=[AMBIGUOUS_HINT.format(example=found[0].lower())],
            suggestions=[f"/csp {area}{suffix}" for area in found],
        )
    balance = next(a for a in balances.areas if a.area == found[0])
    lines = csp_spend_lines(session, balance.area, balances.year, balances.as_of)
    return area_answer(balances, balance, lines, notes)


def area_answer(balances: CspBalances, balance: AreaBalance, lines, notes: list[str]) -> Response:
    day = day_text(balances.as_of)
    facts = [
        Fact("Allocation", format_money(balance.allocation)),
        Fact("Spent", format_money(balance.spent)),
        Fact("Remaining", format_money(balance.remaining)),
        Fact("% spent", _percent(balance.percent_spent)),
        Fact("Year elapsed", _year_elapsed(balances)),
        Fact("Lagging", AREA_LAGGING if balance.lagging else AREA_NOT_LAGGING),
    ]
    table = None
    notes = list(notes)
    if lines:
        table = Table(["Date", "Project", "Amount"],
                      [[day_text(line.spent_on), line.project, format_money(line.amount)] for line in lines])
    else:
        notes.append(NO_SPEND_LINES.format(year=balances.year.label, day=day))
    return Response(
        title=AREA_TITLE.format(area=balance.area, remaining=format_money(balance.remaining),
                                allocation=format_money(balance.allocation), year=balances.year.label, day=day),
        facts=facts, table=table, notes=notes,
    )
