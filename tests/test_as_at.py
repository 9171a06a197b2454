"""The date a figure stood at (`as_at`): imported in the long and wide forms, kept with its history, read into Points."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.importers.common import ImportRejected
from storage.importers.observations import import_observations
from storage.models import MetricRow, ObservationHistoryRow, ObservationRow
from storage.periods import FinancialYear, Month
from storage.repository import metric_comparison, metric_ids, observation_points, read_catalog

NOW = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
JUNE_30 = date(2025, 6, 30)


def _import(db, path, who="analyst"):
    with db.session() as session:
        return import_observations(session, path, read_catalog(session), who, NOW)


def _as_at(db) -> dict[tuple[str, str], date | None]:
    with db.session() as session:
        rows = session.execute(select(MetricRow.slug, ObservationRow.period, ObservationRow.as_at)
                               .join(MetricRow, MetricRow.id == ObservationRow.metric_id))
        return {(slug, period): as_at for slug, period, as_at in rows}


def test_long_form_as_at_in_each_written_form(db, write_file):
    path = write_file("plan.csv", "metric,period,value,as_at\n"
                                  "staff-satisfaction-opcc,2025/26,63,30 Jun 2025\n"
                                  "mtfs-published,2025/26,Y,30/06/2025\n"
                                  "confidence-in-police-csew,2024/25,65.9,2025-06-30\n"
                                  "neighbourhood-officers,2025/26 Q1,666,\n")
    assert _import(db, path).inserted == 4
    assert _as_at(db) == {
        ("staff-satisfaction-opcc", "2025/26"): JUNE_30, ("mtfs-published", "2025/26"): JUNE_30,
        ("confidence-in-police-csew", "2024/25"): JUNE_30, ("neighbourhood-officers", "2025/26 Q1"): None,
    }


def test_wide_form_as_at_column_dates_every_figure_on_its_row(db, write_file):
    path = write_file("wide.csv", "Metric,As_at,Jul-25,Aug-25,Sep-25\n"
                                  "volunteer-hours,2025-10-15,48,52,52\n"
                                  "icv-visits,,9,10,11\n")
    assert _import(db, path).inserted == 6
    stood = _as_at(db)
    assert [stood[("volunteer-hours", m)] for m in ("2025-07", "2025-08", "2025-09")] == [date(2025, 10, 15)] * 3
    assert [stood[("icv-visits", m)] for m in ("2025-07", "2025-08", "2025-09")] == [None] * 3


def test_wide_workbook_as_at_from_an_excel_date_cell(db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["metric", "as_at", datetime(2025, 9, 1)])
    sheet.append(["volunteers", datetime(2025, 10, 3), 26])
    path = tmp_path / "volunteers.xlsx"
    book.save(path)
    _import(db, path)
    assert _as_at(db) == {("volunteers", "2025-09"): date(2025, 10, 3)}


@pytest.mark.parametrize("body, fragment", [
    ("metric,period,value,as_at\nstaff-satisfaction-opcc,2025/26,63,2025-11-01\n",
     "row 2, column as_at: 2025-11-01 is in the future"),
    ("metric,period,value,as_at\nstaff-satisfaction-opcc,2025/26,63,soon\n",
     "row 2, column as_at: 'soon' is not a date"),
    ("Metric,as_at,Jul-25\nvolunteer-hours,31/02/2025,48\n",
     "row 2, column as_at: '31/02/2025' is not a date"),
])
def test_an_unusable_as_at_is_named(db, write_file, body, fragment):
    with pytest.raises(ImportRejected) as caught:
        _import(db, write_file("bad.csv", body))
    assert f"bad.csv, {fragment}" in str(caught.value)
    assert _as_at(db) == {}


def test_a_new_as_at_replaces_the_old_and_history_keeps_it(db, write_file):
    _import(db, write_file("first.csv", "metric,period,value,as_at\nstaff-satisfaction-opcc,2025/26,63,2025-06-30\n"))
    again = _import(db, write_file("same.csv", "metric,period,value,as_at\nstaff-satisfaction-opcc,2025/26,63,30/06/2025\n"))
    assert (again.unchanged, again.replaced) == (1, 0)
    moved = _import(db, write_file("moved.csv", "metric,period,value,as_at\nstaff-satisfaction-opcc,2025/26,63,2025-05-20\n"),
                    who="second analyst")
    assert moved.replaced == 1
    with db.session() as session:
        history = session.scalars(select(ObservationHistoryRow)).all()
    assert [(h.period, h.value, h.as_at, h.replaced_by) for h in history] == [("2025/26", 63.0, JUNE_30, "second analyst")]
    assert _as_at(db) == {("staff-satisfaction-opcc", "2025/26"): date(2025, 5, 20)}


def test_points_carry_the_stored_as_at(db, write_file):
    _import(db, write_file("plan.csv", "metric,period,value,as_at\n"
                                       "staff-satisfaction-opcc,2024/25,46,\n"
                                       "staff-satisfaction-opcc,2025/26,63,2025-06-30\n"))
    with db.session() as session:
        points = observation_points(session, metric_ids(session)["staff-satisfaction-opcc"])
    assert [(p.period, p.value, p.as_at) for p in points] == [
        (FinancialYear(2024), 46.0, None), (FinancialYear(2025), 63.0, JUNE_30)]


def test_bundled_plan_annual_figures_stand_at_the_end_of_q1(demo_db):
    """The Q1 2025/26 Plan dashboard shows the MTFS published (Y) and OPCC staff satisfaction at 63.0% for 2025/26."""
    stood = _as_at(demo_db)
    assert stood[("mtfs-published", "2025/26")] == JUNE_30
    assert stood[("staff-satisfaction-opcc", "2025/26")] == JUNE_30
    assert stood[("mtfs-published", "2024/25")] is None
    assert sum(1 for day in stood.values() if day is not None) == 2
    with demo_db.session() as session:
        catalog = read_catalog(session)
        mtfs = metric_comparison(session, catalog.find("mtfs-published"), Month(2025, 9), NOW.date())
        staff = metric_comparison(session, catalog.find("staff-satisfaction-opcc"), Month(2025, 9), NOW.date())
    assert (mtfs.period, mtfs.latest) == (FinancialYear(2025), 1.0)
    assert (staff.period, staff.latest) == (FinancialYear(2025), 63.0)
