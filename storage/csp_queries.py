"""CSP spend lines of an area, the date of a year's last spend, and the days of a year gone by."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CspSpendRow
from storage.periods import FinancialYear


@dataclass(frozen=True)
class SpendLine:
    spent_on: date
    area: str
    project: str
    amount: Decimal


def csp_spend_lines(session: Session, area: str, year: FinancialYear, as_of: date) -> list[SpendLine]:
    """An area's spend lines from the start of `year` to `as_of` (or the year's end), oldest first."""
    query = (
        select(CspSpendRow.spent_on, CspSpendRow.area, CspSpendRow.project, CspSpendRow.amount)
        .where(CspSpendRow.area == area, CspSpendRow.spent_on >= year.first_day,
               CspSpendRow.spent_on <= min(as_of, year.last_day))
        .order_by(CspSpendRow.spent_on, CspSpendRow.id)
    )
    return [SpendLine(day, name, project, Decimal(amount)) for day, name, project, amount in session.execute(query)]


def last_spend_date(session: Session, year: FinancialYear) -> date | None:
    return session.scalar(
        select(func.max(CspSpendRow.spent_on))
        .where(CspSpendRow.spent_on >= year.first_day, CspSpendRow.spent_on <= year.last_day)
    )


def year_days_elapsed(year: FinancialYear, as_of: date) -> tuple[int, int]:
    """(days gone by the end of `as_of`, days in the year): the counts behind `year_elapsed_share`."""
    total = (year.last_day - year.first_day).days + 1
    if as_of < year.first_day:
        return 0, total
    return (min(as_of, year.last_day) - year.first_day).days + 1, total
