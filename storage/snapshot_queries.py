"""Which quarter a Panel snapshot is for: the last complete quarter with office figures, and whether a quarter has any."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import exists, extract, func, select
from sqlalchemy.orm import Session

from storage.models import MetricRow, ObservationRow
from storage import periods
from storage.periods import Month, Quarter

LOGGER = logging.getLogger(__name__)

# The last month of each quarter (Jun, Sep, Dec, Mar).
QUARTER_CLOSING_MONTHS = (3, 6, 9, 12)


def last_complete_quarter(today: date) -> Quarter:
    """The latest quarter that had ended before `today` (on 1 Oct 2025, 2025/26 Q2): a paper is written
    about quarters already over, so on 30 Sep the quarter ending that day is not yet one."""
    return periods.last_complete_quarter(today - timedelta(days=1))


def _office_months(column):
    """`column` over the observations of office KPIs (monthly figures)."""
    return (select(column)
            .join(MetricRow, MetricRow.id == ObservationRow.metric_id)
            .where(MetricRow.kind == "office", ObservationRow.period_kind == "month"))


def last_quarter_with_office_figures(session: Session, today: date) -> Quarter | None:
    """The latest quarter, ended before `today`, whose closing month has a figure for an office KPI.

    The Panel compares a quarter's own three months, so a quarter counts once its last month is in: with July
    and August loaded but not September, the paper that can be written whole is the quarter before. None when
    no office figure has been loaded for any complete quarter.
    """
    cut = last_complete_quarter(today).months[-1].first_day
    latest = session.scalar(_office_months(func.max(ObservationRow.period_start)).where(
        ObservationRow.period_start <= cut,
        extract("month", ObservationRow.period_start).in_(QUARTER_CLOSING_MONTHS)))
    if latest is None:
        return None
    return Month.of(latest).quarter


def quarter_has_office_figures(session: Session, quarter: Quarter) -> bool:
    """Whether any office KPI has a figure for any month of `quarter`."""
    first, last = quarter.months[0].first_day, quarter.months[-1].first_day
    months = _office_months(ObservationRow.id).where(ObservationRow.period_start >= first,
                                                     ObservationRow.period_start <= last)
    return bool(session.scalar(select(exists(months))))
