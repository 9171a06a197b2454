"""Which kind of import a CSV or XLSX file is (observations, reviews, CSP allocations, CSP spend), from its header."""
from __future__ import annotations

from pathlib import Path

from storage.echo import shorten
from storage.importers.common import refusal
from storage.importers.files import read_table
from storage.importers.load import CSP_ALLOCATIONS, CSP_SPEND, OBSERVATIONS, REVIEWS
from storage.importers.observations import LONG_REQUIRED, _is_wide
from storage.importers.reviews import COLUMNS as REVIEW_COLUMNS

REVIEW_REQUIRED = REVIEW_COLUMNS[:2]            # reference, received: the rest may be left out
CSP_ALLOCATION_COLUMNS = ["area", "year", "allocation"]
CSP_SPEND_COLUMNS = ["date", "area", "project", "amount"]
# Checked in this order; the first whose columns are all in the header is the file's kind.
REQUIRED_COLUMNS = {
    OBSERVATIONS: LONG_REQUIRED,
    REVIEWS: REVIEW_REQUIRED,
    CSP_SPEND: CSP_SPEND_COLUMNS,
    CSP_ALLOCATIONS: CSP_ALLOCATION_COLUMNS,
}
COLUMNS_SHOWN = 12

UNKNOWN_HEADER = (
    "the header ({found}) matches no kind of import. Figures need metric,period,value (or a metric column "
    "then one column per month: metric,Apr-25,May-25); the review log needs reference,received"
    "[,completed,outcome,learning]; CSP allocations need area,year,allocation; CSP spend needs "
    "date,area,project,amount"
)
NO_COLUMNS = "no column names"


def kind_of(path: Path | str) -> str:
    """The kind of import the file's header names (a `load` kind); raises ImportRejected naming the columns
    found and those each kind needs when the header fits none. Only the header is read."""
    table = read_table(path)
    try:
        if _is_wide(table):
            return OBSERVATIONS
        columns = set(table.columns)
        for kind, required in REQUIRED_COLUMNS.items():
            if columns.issuperset(required):
                return kind
    finally:
        table._rows.close()   # a workbook is closed as soon as its header is read
    raise refusal(table.filename, UNKNOWN_HEADER.format(found=_shown(table.columns)), row=1)


def _shown(columns: list[str]) -> str:
    named = [shorten(c) for c in columns if c]
    if not named:
        return NO_COLUMNS
    more = len(named) - COLUMNS_SHOWN
    return ",".join(named[:COLUMNS_SHOWN]) + (f", and {more} more" if more > 0 else "")
