"""CSP answers shared by /csp and the digests: every area's balance this year, and one area with its spend lines."""
from __future__ import annotations

from datetime import date


from answers.response import Fact, Response, Table
from storage.csp import AreaBalance, CspBalances
from storage.csp_queries import year_days_elapsed
from storage.figures import format_day, format_money, format_value

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


def day_text(day: date) -> str:
    return format_day(day)


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
