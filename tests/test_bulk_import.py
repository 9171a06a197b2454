"""Files larger than one INSERT batch or one IN (...) lookup: every row lands once, re-imports update in place."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storage.importers.common import INSERT_BATCH, LOOKUP_BATCH, CellError, parse_day
from storage.importers.csp import import_csp_allocations, import_csp_spend
from storage.importers.observations import import_observations
from storage.importers.reviews import import_reviews
from storage.models import CspSpendRow, ObservationHistoryRow, ObservationRow, ReviewRow
from storage.repository import read_catalog

NOW = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)


def test_reimporting_more_reviews_than_one_lookup_updates_each_once(db, write_file):
    count = LOOKUP_BATCH * 2 + 200   # three lookups
    start = date(2024, 4, 1)
    lines = ["reference,received,completed,outcome,learning"]
    lines += [f"BULK-{i:05d},{start + timedelta(days=i % 300)},,," for i in range(count)]
    first = write_file("open.csv", "\n".join(lines) + "\n")
    closed = ["reference,received,completed,outcome,learning"]
    closed += [f"BULK-{i:05d},{start + timedelta(days=i % 300)},{start + timedelta(days=i % 300 + 20)},upheld,no"
               for i in range(count)]
    second = write_file("closed.csv", "\n".join(closed) + "\n")
    with db.session() as session:
        result = import_reviews(session, first, "analyst", NOW)
    assert (result.inserted, result.replaced) == (1_200, 0)
    with db.session() as session:
        result = import_reviews(session, second, "analyst", NOW)
    assert (result.inserted, result.replaced, result.unchanged) == (0, 1_200, 0)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReviewRow)) == 1_200
        assert session.scalar(select(func.count()).select_from(ReviewRow).where(ReviewRow.completed_on.is_(None))) == 0
        # The last review received 1,199 % 300 = 299 days after 1 Apr 2024 (25 Jan 2025), completed 20 days later.
        assert session.scalar(select(ReviewRow.completed_on).where(ReviewRow.reference == "BULK-01199")) == date(2025, 2, 14)


def test_spend_file_larger_than_one_insert_batch_adds_up(db, write_file):
    lines = INSERT_BATCH * 2 + 500   # three INSERT batches
    with db.session() as session:
        import_csp_allocations(session, write_file("alloc.csv", "area,year,allocation\nRutland,2025/26,900000\n"),
                               "analyst", NOW)
    # Amounts 1.00, 2.00, ... 10,500.00: n(n+1)/2 = 55,130,250.00 in all.
    body = "date,area,project,amount\n" + "".join(f"2025-05-01,Rutland,Project {i % 7},{i}.00\n"
                                                    for i in range(1, lines + 1))
    with db.session() as session:
        result = import_csp_spend(session, write_file("spend.csv", body), "analyst", NOW)
    assert result.inserted == 10_500
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CspSpendRow)) == 10_500
        assert Decimal(session.scalar(select(func.sum(CspSpendRow.amount)))) == Decimal("55130250.00")
        assert session.scalar(select(func.count(func.distinct(CspSpendRow.import_id)))) == 1


def test_observations_reimport_keeps_history_for_changed_values_only(db, write_file):
    months = [f"{2015 + m // 12}-{m % 12 + 1:02d}" for m in range(120)]
    slugs = ["calls-under-25s", "volunteer-hours", "custody-visits"]
    rows = [f"{slug},{month},{n % 90},,," for slug in slugs for n, month in enumerate(months)]
    first = write_file("obs.csv", "metric,period,value,numerator,denominator,note\n" + "\n".join(rows) + "\n")
    with db.session() as session:
        result = import_observations(session, first, read_catalog(session), "analyst", NOW)
    assert result.inserted == 360
    changed = [r if not r.startswith("volunteer-hours") else r.replace(",,,", "", 1).rsplit(",", 1)[0] + ",1,,,"
               for r in rows]
    second = write_file("obs2.csv", "metric,period,value,numerator,denominator,note\n" + "\n".join(changed) + "\n")
    with db.session() as session:
        result = import_observations(session, second, read_catalog(session), "analyst", NOW)
    # volunteer-hours held n % 90 for months n = 0..119; now 1 everywhere: months 1 and 91 already held 1.
    assert (result.inserted, result.replaced, result.unchanged) == (0, 118, 242)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ObservationRow)) == 360
        assert session.scalar(select(func.count()).select_from(ObservationHistoryRow)) == 118


@pytest.mark.parametrize("raw, expected", [("2025-09-30", date(2025, 9, 30)), ("30/09/2025", date(2025, 9, 30)),
                                           ("2025-09-30 00:00:00", date(2025, 9, 30)), ("1 Sep 2025", date(2025, 9, 1)),
                                           ("30 September 2025", date(2025, 9, 30))])
def test_dates_in_every_accepted_form(raw, expected):
    """The forms chat and the CLI accept (DESIGN.md), so a date typed anywhere reads the same."""
    assert parse_day(raw) == expected


@pytest.mark.parametrize("raw", ["2025-02-30", "2025-13-01", "31/09/2025", "next week"])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(CellError, match="is not a date"):
        parse_day(raw)


def test_postgresql_plans_each_lookup_for_the_table_as_it_is(db):
    """A generic plan cached while a table was small must not outlive an import that grows it."""
    if not db.url.startswith("postgresql"):
        pytest.skip("a PostgreSQL setting")
    from sqlalchemy import text

    with db.session() as session:
        assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
