"""Importers on both databases: atomic rejection naming file, row and column; replacement kept in history."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from storage.importers.common import ImportRejected
from storage.importers.csp import import_csp_allocations, import_csp_spend
from storage.importers.observations import import_observations
from storage.importers.reviews import import_reviews
from storage.models import CspSpendRow, ImportRow, ObservationHistoryRow, ObservationRow, ReviewRow
from storage.repository import read_catalog

NOW = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)


def _observations(db, path, who="analyst"):
    with db.session() as session:
        return import_observations(session, path, read_catalog(session), who, NOW)


def _count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_long_form_loads_and_reimport_keeps_old_value(db, write_file):
    first = write_file("calls.csv", "metric,period,value\ncalls-under-25s,2025-07,55\ncalls-under-25s,2025-08,60\n")
    result = _observations(db, first)
    assert (result.rows, result.inserted, result.replaced) == (2, 2, 0)

    corrected = write_file("calls-fixed.csv", "metric,period,value\ncalls-under-25s,2025-07,56\ncalls-under-25s,2025-08,60\n")
    result = _observations(db, corrected, who="second analyst")
    assert (result.inserted, result.replaced, result.unchanged) == (0, 1, 1)
    with db.session() as session:
        history = session.scalars(select(ObservationHistoryRow)).all()
        current = session.scalar(select(ObservationRow.value).where(ObservationRow.period == "2025-07"))
    assert [(h.period, h.value, h.loaded_by, h.replaced_by) for h in history] == [("2025-07", 55.0, "analyst", "second analyst")]
    assert current == 56.0


def test_bad_row_rejects_whole_file_naming_row_and_column(db, write_file):
    path = write_file("mixed.csv", "metric,period,value\n"
                                   "calls-under-25s,2025-07,55\n"
                                   "calls-under-25s,2025-08,sixty\n"
                                   "calls-under-25s,2025-09,58\n")
    with pytest.raises(ImportRejected) as caught:
        _observations(db, path)
    message = str(caught.value)
    assert "mixed.csv, row 3, column value: 'sixty' is not a number" in message
    assert "nothing was written" in message
    assert _count(db, ObservationRow) == 0
    assert _count(db, ImportRow) == 0


def test_unknown_metric_suggests_closest_slugs(db, write_file):
    path = write_file("typo.csv", "metric,period,value\ncalls-under-25,2025-07,55\n")
    with pytest.raises(ImportRejected) as caught:
        _observations(db, path)
    assert "row 2, column metric: unknown metric 'calls-under-25'; did you mean: calls-under-25s" in str(caught.value)
    nothing_close = write_file("far.csv", "metric,period,value\nqqqqzzzz,2025-07,55\n")
    with pytest.raises(ImportRejected) as caught:
        _observations(db, nothing_close)
    assert str(caught.value).endswith("row 2, column metric: unknown metric 'qqqqzzzz'; "
                                      "`kpibot metrics` lists the slugs and names")


@pytest.mark.parametrize("row, column, fragment", [
    ("calls-under-25s,2025-13,50", "period", "is not a period"),
    ("calls-under-25s,2026-01,50", "period", "has not started yet"),
    ("calls-under-25s,2025/26 Q1,50", "period", "is monthly"),
    ("calls-under-25s,2025-07,150", "value", "not a percentage between 0 and 100"),
    ("public-line-calls,2025-07,-3", "value", "cannot be negative"),
    ("calls-under-25s,2025-07,=A1*2", "value", "is a formula"),
])
def test_each_bad_cell_is_named(db, write_file, row, column, fragment):
    path = write_file("bad.csv", f"metric,period,value\n{row}\n")
    with pytest.raises(ImportRejected) as caught:
        _observations(db, path)
    assert f"bad.csv, row 2, column {column}:" in str(caught.value)
    assert fragment in str(caught.value)


def test_duplicate_rows_are_rejected(db, write_file):
    path = write_file("dupe.csv", "metric,period,value\nfoi-requests,2025-07,1\nfoi-requests,2025-07,2\n")
    with pytest.raises(ImportRejected, match="row 3, column period: foi-requests 2025-07 is also on row 2"):
        _observations(db, path)


def test_percent_from_numerator_and_denominator(db, write_file):
    path = write_file("counts.csv", "metric,period,value,numerator,denominator,note\n"
                                    "correspondence-within-28-days,2025-07,,45,50,\n"
                                    "correspondence-within-28-days,2025-08,50,10,20,checked\n")
    _observations(db, path)
    with db.session() as session:
        rows = session.execute(select(ObservationRow.period, ObservationRow.value, ObservationRow.note)
                               .order_by(ObservationRow.period)).all()
    assert [tuple(r) for r in rows] == [("2025-07", 90.0, None), ("2025-08", 50.0, "checked")]


def test_value_contradicting_counts_is_rejected(db, write_file):
    path = write_file("counts.csv", "metric,period,value,numerator,denominator\n"
                                    "correspondence-within-28-days,2025-07,80,45,50\n")
    with pytest.raises(ImportRejected, match=r"80% does not match numerator/denominator \(90.0%\)"):
        _observations(db, path)


def test_wide_form_with_text_month_headers(db, write_file):
    path = write_file("wide.csv", "Metric,Apr-25,May-25,Jun-25\n"
                                  "Public line calls,30,,40\n"
                                  "icv-visits,8,9,7\n")
    result = _observations(db, path)
    assert result.inserted == 5  # the blank May cell is simply not a figure
    with db.session() as session:
        periods = session.scalars(select(ObservationRow.period).order_by(ObservationRow.period)).all()
    assert sorted(set(periods)) == ["2025-04", "2025-05", "2025-06"]


def test_wide_form_from_excel_with_date_headers(db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["metric", datetime(2025, 7, 1), datetime(2025, 8, 1), datetime(2025, 9, 1)])
    sheet.append(["volunteer-hours", 48, 52, 52])
    path = tmp_path / "volunteers.xlsx"
    book.save(path)
    result = _observations(db, path)
    assert result.inserted == 3
    with db.session() as session:
        total = session.scalar(select(func.sum(ObservationRow.value)))
    assert total == 152


def test_excel_formula_cells_are_rejected(db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["metric", "period", "value"])
    sheet.append(["foi-requests", "2025-07", "=1+1"])
    path = tmp_path / "formula.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected, match="row 2, column value: '=1\\+1' is a formula"):
        _observations(db, path)


def test_windows_1252_csv_is_read(db, write_file):
    path = write_file("notes.csv", "metric,period,value,note\nfoi-requests,2025-07,1,caf\u00e9 \u2013 late\n", encoding="cp1252")
    _observations(db, path)
    with db.session() as session:
        assert session.scalar(select(ObservationRow.note)) == "caf\u00e9 \u2013 late"


def test_missing_columns_named(db, write_file):
    path = write_file("short.csv", "metric,when,value\nfoi-requests,2025-07,1\n")
    with pytest.raises(ImportRejected, match="row 1: missing column period"):
        _observations(db, path)


def test_reviews_import_and_validation(db, write_file):
    good = write_file("reviews.csv", "reference,received,completed,outcome,learning\n"
                                     "CR-1,2025-07-01,2025-07-20,upheld,no\n"
                                     "CR-2,01/08/2025,,,\n")
    with db.session() as session:
        result = import_reviews(session, good, "analyst", NOW)
    assert (result.inserted, result.rows) == (2, 2)

    bad = write_file("reviews-bad.csv", "reference,received,completed,outcome,learning\n"
                                        "CR-3,2025-07-10,2025-07-01,upheld,no\n"
                                        "CR-4,2025-02-30,,,\n"
                                        "CR-5,2025-07-10,2025-07-20,,maybe\n")
    with pytest.raises(ImportRejected) as caught, db.session() as session:
        import_reviews(session, bad, "analyst", NOW)
    message = str(caught.value)
    assert "row 2, column completed: 2025-07-01 is before the date received, 2025-07-10" in message
    assert "row 3, column received: '2025-02-30' is not a date" in message
    assert "row 4, column outcome: a completed review needs an outcome" in message
    assert "row 4, column learning: 'maybe' is not yes or no" in message
    assert _count(db, ReviewRow) == 2


def test_review_closed_by_a_later_log(db, write_file):
    with db.session() as session:
        import_reviews(session, write_file("a.csv", "reference,received\nCR-9,2025-08-01\n"), "a", NOW)
    with db.session() as session:
        result = import_reviews(session, write_file("b.csv", "reference,received,completed,outcome,learning\n"
                                                             "CR-9,2025-08-01,2025-08-20,not upheld,yes\n"), "a", NOW)
        assert result.replaced == 1
        row = session.scalar(select(ReviewRow))
        assert (row.completed_on.isoformat(), row.outcome, row.learning) == ("2025-08-20", "not upheld", True)


def test_csp_spend_needs_an_allocation_and_is_not_counted_twice(db, write_file):
    with db.session() as session:
        import_csp_allocations(session, write_file("alloc.csv", "area,year,allocation\nRutland,2025/26,\"£19,296.80\"\n"), "a", NOW)
    spend = write_file("spend.csv", "date,area,project,amount\n2025-06-01,rutland,Response Fund,15354.00\n")
    with db.session() as session:
        assert import_csp_spend(session, spend, "a", NOW).inserted == 1
    with pytest.raises(ImportRejected, match="already imported"), db.session() as session:
        import_csp_spend(session, spend, "a", NOW)
    unknown = write_file("spend2.csv", "date,area,project,amount\n2025-06-02,Atlantis,Boats,1.00\n")
    with pytest.raises(ImportRejected, match="row 2, column area: 'Atlantis' has no 2025/26 allocation"), db.session() as session:
        import_csp_spend(session, unknown, "a", NOW)
    with db.session() as session:
        assert session.scalar(select(CspSpendRow.area)) == "Rutland"
    assert _count(db, CspSpendRow) == 1


def test_unsupported_and_empty_files(db, write_file):
    with pytest.raises(ImportRejected, match="unsupported file type .json"):
        _observations(db, write_file("x.json", "{}"))
    with pytest.raises(ImportRejected, match="the file is empty"):
        _observations(db, write_file("empty.csv", ""))


def test_a_million_row_file_is_refused_whole(db, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w") as out:
        out.write("metric,period,value\n")
        out.write("foi-requests,2025-07,1\n" * 1_000_000)
    with pytest.raises(ImportRejected, match="more than 200,000 rows under its header, the most a single import "
                                             "accepts; split it"):
        _observations(db, path)
    assert _count(db, ObservationRow) == 0


def test_a_concurrent_reader_never_sees_half_an_import(db, tmp_path):
    import threading

    lines = [f"volunteer-hours,{y}-{m:02d},{50 + m}" for y in range(2016, 2025) for m in range(1, 13)]
    path = tmp_path / "history.csv"
    path.write_text("metric,period,value\n" + "\n".join(lines) + "\n")
    seen: set[int] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(_count(db, ObservationRow))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        _observations(db, path)
    finally:
        done.set()
        reader.join(30)
    seen.add(_count(db, ObservationRow))
    assert seen <= {0, len(lines)}


def test_counts_of_rows_agree_with_their_noun(db, write_file):
    one = _observations(db, write_file("one.csv", "metric,period,value\nfoi-requests,2025-07,1\n"))
    assert one.summary() == "Imported observations from one.csv: 1 row, 1 new."
    two = _observations(db, write_file("two.csv", "metric,period,value\nfoi-requests,2025-07,1\nfoi-requests,2025-08,2\n"))
    assert two.summary() == "Imported observations from two.csv: 2 rows, 1 new, 1 unchanged."


def test_an_unquoted_amount_with_a_thousands_separator_is_explained(db, write_file):
    with db.session() as session:
        import_csp_allocations(session, write_file("alloc.csv", "area,year,allocation\nRutland,2025/26,19296.80\n"), "a", NOW)
    path = write_file("spend.csv", "date,area,project,amount\n"
                                   "2025-06-01,Rutland,Response Fund,15.00\n"
                                   "2025-06-02,Rutland,Response Fund,£1,000.00\n")
    with pytest.raises(ImportRejected) as caught, db.session() as session:
        import_csp_spend(session, path, "a", NOW)
    message = str(caught.value)
    assert message == ("spend.csv was not imported; nothing was written. Fix and re-run:\n"
                       "  spend.csv, row 3: has 5 cells but the header names 4; a comma inside a value splits it "
                       'in two: put the value in quotes ("£1,000.00") or leave out the thousands separator (£1000.00)')
    fixed = write_file("spend-fixed.csv", "date,area,project,amount\n"
                                          '2025-06-02,Rutland,Response Fund,"£1,000.00"\n'
                                          "2025-06-03,Rutland,Response Fund,£1000.00\n")
    with db.session() as session:
        assert import_csp_spend(session, fixed, "a", NOW).inserted == 2
        assert session.scalar(select(func.sum(CspSpendRow.amount))) == 2000


def test_a_damaged_csv_gets_a_one_line_reason(db, write_file):
    with pytest.raises(ImportRejected) as caught:
        _observations(db, write_file("quote.csv", 'metric,period,value\nfoi-requests,2025-07,"1\n'))
    assert str(caught.value).splitlines()[1] == \
        '  quote.csv, row 2: not a well-formed CSV file (a quote (") opened in this row is never closed; close it, ' \
        'or remove it)'


@pytest.mark.parametrize("kind, body, where", [
    ("observations", "metric,period,value,note\nfoi-requests,2025-07,1,late\x00\n",
     "row 2, column note: contains U+0000 (NUL) at character 5"),
    ("reviews", "reference,received\nCR-1,2025-07-01\nCR-\x072,2025-07-02\n",
     "row 3, column reference: contains U+0007 (BEL) at character 4"),
    ("csp-spend", "date,area,project,amount\n2025-06-01,Rutland,Bell\x07,1.00\n",
     "row 2, column project: contains U+0007 (BEL) at character 5"),
    ("observations", "metric,period,value,\x1bnote\nfoi-requests,2025-07,1,x\n",
     "row 1: contains U+001B (ESC) at character 1"),
])
def test_control_characters_in_text_cells_are_refused(db, write_file, kind, body, where):
    path = write_file("control.csv", body)
    with pytest.raises(ImportRejected) as caught, db.session() as session:
        if kind == "observations":
            import_observations(session, path, read_catalog(session), "a", NOW)
        elif kind == "reviews":
            import_reviews(session, path, "a", NOW)
        else:
            import_csp_spend(session, path, "a", NOW)
    assert f"control.csv, {where}, which cannot be stored; delete it" in str(caught.value)
    assert _count(db, ObservationRow) + _count(db, ReviewRow) + _count(db, CspSpendRow) == 0


def test_tabs_and_line_breaks_in_a_note_are_kept(db, write_file):
    _observations(db, write_file("notes.csv", 'metric,period,value,note\nfoi-requests,2025-07,1,"two\nlines\tand a tab"\n'))
    with db.session() as session:
        assert session.scalar(select(ObservationRow.note)) == "two\nlines\tand a tab"
