"""Recognising an import file's kind from its header: CSV and XLSX, the bundled demo files, and a header that fits none."""
from __future__ import annotations

import pytest

from storage.bootstrap import DEMO_DIR
from storage.importers.common import ImportRejected
from storage.importers.kinds import kind_of


@pytest.mark.parametrize("name, kind", [
    ("observations.csv", "observations"),
    ("reviews.csv", "reviews"),
    ("csp_allocations.csv", "csp-allocations"),
    ("csp_spend.csv", "csp-spend"),
])
def test_the_bundled_demo_files(name, kind):
    assert kind_of(DEMO_DIR / name) == kind


@pytest.mark.parametrize("header, kind", [
    ("Metric,Period,Value,Note", "observations"),
    ("Metric,Apr-25,May-25,Jun-25", "observations"),
    ("slug,section,2025-04,2025-05", "observations"),
    ("reference,received", "reviews"),
    ("Reference,Received,Completed,Outcome,Learning", "reviews"),
    ("area,year,allocation", "csp-allocations"),
    ("date,area,project,amount", "csp-spend"),
])
def test_csv_headers(write_file, header, kind):
    assert kind_of(write_file("upload.csv", header + "\n")) == kind


def test_a_wide_workbook_with_date_headers(tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Metric", datetime(2025, 7, 1), datetime(2025, 8, 1), datetime(2025, 9, 1)])
    book.active.append(["volunteer-hours", 48, 52, 52])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    assert kind_of(path) == "observations"


def test_an_unknown_header_is_refused_naming_what_it_found_and_what_each_kind_needs(write_file):
    path = write_file("mystery.csv", "Name,Team,Hours\nAnn,Office,7\n")
    with pytest.raises(ImportRejected) as caught:
        kind_of(path)
    message = str(caught.value)
    assert message.startswith("mystery.csv was not imported; nothing was written.")
    assert "mystery.csv, row 1: the header (name,team,hours) matches no kind of import" in message
    for needed in ("metric,period,value", "reference,received", "area,year,allocation", "date,area,project,amount"):
        assert needed in message
    assert caught.value.problems[0].row == 1


def test_a_file_the_readers_refuse_is_refused_as_the_importers_refuse_it(write_file):
    with pytest.raises(ImportRejected, match="unsupported file type .txt2"):
        kind_of(write_file("figures.txt2", "metric,period,value\n"))
    with pytest.raises(ImportRejected, match="the file is empty"):
        kind_of(write_file("empty.csv", ""))
