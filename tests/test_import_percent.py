"""Percentages as analysts keep them: Excel cells formatted as percentages, `95%` in a CSV, and fractions refused."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.importers.common import ImportRejected
from storage.importers.observations import import_observations
from storage.models import MetricRow, ObservationRow
from storage.periods import Month
from storage.repository import metric_comparison, read_catalog

NOW = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))
# Correspondence answered within 28 days, Apr 2024 - Sep 2025, as the bundled dataset holds it (in percent).
CORRESPONDENCE = [28, 31, 33, 30, 36, 34, 38, 35, 37, 39, 40, 39, 41, 44, 53, 100, 100, 100]
MONTHS = [Month(2024, 4).shift(n) for n in range(len(CORRESPONDENCE))]


def _import(db, path):
    with db.session() as session:
        return import_observations(session, path, read_catalog(session), "analyst", NOW)


def _stored(db, slug: str) -> dict[str, float]:
    with db.session() as session:
        rows = session.execute(select(ObservationRow.period, ObservationRow.value)
                               .join(MetricRow, MetricRow.id == ObservationRow.metric_id)
                               .where(MetricRow.slug == slug))
        return dict(rows.all())


def _wide_workbook(path: Path, slug: str, fractions: list[float], number_format: str | None) -> Path:
    """The wide form an analyst keeps: a metric per row, a month per column, cells as Excel stores them."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Metric", *(datetime(m.year, m.month, 1) for m in MONTHS[:len(fractions)])])
    sheet.append([slug, *fractions])
    if number_format:
        for cell in sheet[2][1:]:
            cell.number_format = number_format
    book.save(path)
    return path


def test_wide_workbook_with_percent_cells_imports_as_percentages(db, tmp_path):
    path = _wide_workbook(tmp_path / "correspondence.xlsx", "correspondence-within-28-days",
                          [v / 100 for v in CORRESPONDENCE], "0%")
    result = _import(db, path)
    assert (result.rows, result.inserted) == (18, 18)
    stored = _stored(db, "correspondence-within-28-days")
    assert stored["2024-04"] == 28.0
    assert stored["2025-06"] == 53.0
    assert [stored[m] for m in ("2025-07", "2025-08", "2025-09")] == [100.0, 100.0, 100.0]   # 1 shown as 100%
    with db.session() as session:
        metric = read_catalog(session).find("correspondence-within-28-days")
        comparison = metric_comparison(session, metric, Month(2025, 9), NOW.date())
    # The office report's box: 100% for Jul-Sep, +54pp on Apr-Jun (46%), +65pp on the 2024/25 mean (35%).
    assert comparison.last3 == pytest.approx(100.0)
    assert comparison.previous3 == pytest.approx(46.0)
    assert comparison.baseline == pytest.approx(35.0)
    assert comparison.change_vs_previous3 == pytest.approx(54.0)
    assert comparison.change_vs_baseline == pytest.approx(65.0)
    assert comparison.rag == "green"


def test_one_decimal_percent_format_keeps_the_decimal(db, tmp_path):
    path = _wide_workbook(tmp_path / "calls.xlsx", "calls-under-25s", [0.551, 0.29, 0.999], "0.0%")
    _import(db, path)
    # 0.29 x 100 is 28.999999999999996 in floating point; the cell shows 29.0%.
    assert _stored(db, "calls-under-25s") == {"2024-04": 55.1, "2024-05": 29.0, "2024-06": 99.9}


def test_long_form_workbook_honours_the_value_cells_percent_format(db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["metric", "period", "value"])
    for month, fraction in (("2025-07", 0.58), ("2025-08", 0.6), ("2025-09", 0.56)):
        sheet.append(["calls-under-25s", month, fraction])
        sheet.cell(sheet.max_row, 3).number_format = "0%"
    sheet.append(["volunteer-hours", "2025-09", 52])   # a plain number beside them stays as it is
    path = tmp_path / "long.xlsx"
    book.save(path)
    _import(db, path)
    assert _stored(db, "calls-under-25s") == {"2025-07": 58.0, "2025-08": 60.0, "2025-09": 56.0}
    assert _stored(db, "volunteer-hours") == {"2025-09": 52.0}
    with db.session() as session:
        comparison = metric_comparison(session, read_catalog(session).find("calls-under-25s"), Month(2025, 9), NOW.date())
    assert comparison.last3 == pytest.approx(58.0)   # the published 58%


def test_percent_signs_in_a_csv_mean_percent(db, write_file):
    path = write_file("calls.csv", "metric,period,value\n"
                                   "calls-under-25s,2025-07,55%\n"
                                   "calls-under-25s,2025-08,60 %\n"
                                   "calls-under-25s,2025-09,59%\n")
    _import(db, path)
    assert _stored(db, "calls-under-25s") == {"2025-07": 55.0, "2025-08": 60.0, "2025-09": 59.0}


def test_a_wide_workbook_of_plain_fractions_is_refused(db, tmp_path):
    path = _wide_workbook(tmp_path / "fractions.xlsx", "correspondence-within-28-days", [0.41, 0.44, 0.53, 1, 1, 1],
                          None)
    with pytest.raises(ImportRejected) as caught:
        _import(db, path)
    message = str(caught.value)
    assert "fractions.xlsx, row 2, column Apr 2024: every correspondence-within-28-days figure in the file lies " \
           "between 0 and 1 (6 figures, the largest 1), which looks like fractions" in message
    assert "enter 95 for 95%, or format the cells as percentages" in message
    assert _stored(db, "correspondence-within-28-days") == {}


def test_a_csv_column_of_fractions_is_refused_but_zeros_and_written_percents_are_not(db, write_file):
    fractions = write_file("fractions.csv", "metric,period,value\n"
                                            "calls-under-25s,2025-07,0.55\n"
                                            "calls-under-25s,2025-08,0.6\n"
                                            "volunteer-hours,2025-08,0.5\n")   # hours: a half is just a half
    with pytest.raises(ImportRejected, match=r"row 2, column value: every calls-under-25s figure in the file lies "
                                             r"between 0 and 1 \(2 figures, the largest 0.6\)"):
        _import(db, fractions)
    one = write_file("one.csv", "metric,period,value\ncalls-under-25s,2025-07,1\n")
    with pytest.raises(ImportRejected, match=r"\(the only one is 1\), which looks like fractions"):
        _import(db, one)
    meant = write_file("meant.csv", "metric,period,value\n"
                                    "calls-under-25s,2025-07,1%\n"
                                    "icv-visits-on-target,2025-07,0\n"
                                    "icv-visits-on-target,2025-08,0\n")
    _import(db, meant)
    assert _stored(db, "calls-under-25s") == {"2025-07": 1.0}
    assert _stored(db, "icv-visits-on-target") == {"2025-07": 0.0, "2025-08": 0.0}


@pytest.mark.parametrize("row, column, fragment", [
    ("foi-requests,2025-07,50%,,", "value", "50% is a percentage, but foi-requests is a count metric"),
    ("correspondence-within-28-days,2025-07,,45%,50", "numerator", "45% is a percentage; the numerator is a count"),
    ("calls-under-25s,2025-07,9%5,,", "value", "'9%5' is not a number"),
])
def test_percent_signs_where_no_percentage_belongs(db, write_file, row, column, fragment):
    path = write_file("bad.csv", f"metric,period,value,numerator,denominator\n{row}\n")
    with pytest.raises(ImportRejected) as caught:
        _import(db, path)
    assert f"bad.csv, row 2, column {column}: {fragment}" in str(caught.value)


def test_a_percent_cell_holding_a_whole_percentage_is_explained(db, tmp_path):
    path = _wide_workbook(tmp_path / "shown.xlsx", "calls-under-25s", [95], "0%")   # Excel shows 9500%
    with pytest.raises(ImportRejected, match=r"column Apr 2024: 9500% is more than 100%: a cell formatted as a "
                                             r"percentage shows 95 as 9500%"):
        _import(db, path)


def test_cli_imports_a_percent_formatted_workbook(db, tmp_path):
    path = _wide_workbook(tmp_path / "office.xlsx", "correspondence-within-28-days", [0.41, 0.44, 0.53], "0%")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env["KPIBOT_DATABASE_URL"] = db.url
    done = subprocess.run([KPIBOT, "import", "observations", str(path)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported observations from office.xlsx: 3 rows, 3 new."
    assert _stored(db, "correspondence-within-28-days") == {"2024-04": 41.0, "2024-05": 44.0, "2024-06": 53.0}
