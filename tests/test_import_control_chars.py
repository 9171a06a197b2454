"""Control characters in imported cells are refused at the door with file, row and column, the same words on
SQLite and PostgreSQL, and nothing is written; tabs and line breaks inside a cell are text and are kept.

In a CSV the character is in the file as it is; in a workbook Excel writes it as _xHHHH_ (XML cannot hold a NUL
or a bell), which is how these workbooks are written too."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.importers.common import ImportRejected
from storage.importers.csp import import_csp_allocations, import_csp_spend
from storage.importers.observations import import_observations
from storage.importers.reviews import import_reviews
from storage.models import CspAllocationRow, CspSpendRow, ImportRow, ObservationRow, ReviewRow
from storage.repository import read_catalog
from tests.test_import_limits import kpibot_import, shared_row, shared_string, write_workbook
from tests.test_importers import NOW

CHARACTERS = {"\x00": "U+0000 (NUL)", "\x07": "U+0007 (BEL)", "\x1b": "U+001B (ESC)"}
AFTER = "which cannot be stored; delete it and import the file again (it is often invisible, pasted in with the text)"

# kind: (header, the row with `{}` where the character goes, the column it is in, its position in the cell)
FILES = {
    "observations": (["metric", "period", "value", "note"], ["foi-requests", "2025-07", "1", "late{}ly"], "note", 5),
    "reviews": (["reference", "received"], ["CR{}1", "2025-07-01"], "reference", 3),
    "csp-allocations": (["area", "year", "allocation"], ["Rut{}land", "2025/26", "1000"], "area", 4),
    "csp-spend": (["date", "area", "project", "amount"], ["2025-06-01", "Rutland", "Bell{}s", "1.00"], "project", 5),
}
STORED = {"observations": ObservationRow, "reviews": ReviewRow, "csp-allocations": CspAllocationRow,
          "csp-spend": CspSpendRow}


def _excel_escape(cell: str) -> str:
    """A cell's text as Excel stores it in a workbook: characters XML cannot hold as _xHHHH_."""
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 and c not in "\t\n\r" or 0xD800 <= ord(c) <= 0xDFFF else c
                   for c in cell)


def _file(tmp_path: Path, kind: str, character: str, suffix: str) -> Path:
    header, row, _, _ = FILES[kind]
    cells = [cell.format(character) for cell in row]
    path = tmp_path / f"{kind}{suffix}"
    if suffix == ".csv":
        path.write_text(",".join(header) + "\n" + ",".join(cells) + "\n", encoding="utf-8")
        return path
    texts = header + cells
    strings = [shared_string(_excel_escape(value)) for value in texts]
    rows = [shared_row(1, list(range(len(header)))), shared_row(2, list(range(len(header), len(texts))))]
    return write_workbook(path, rows, strings)


def _import(db, kind: str, path: Path):
    with db.session() as session:
        if kind == "observations":
            return import_observations(session, path, read_catalog(session), "analyst", NOW)
        if kind == "reviews":
            return import_reviews(session, path, "analyst", NOW)
        if kind == "csp-allocations":
            return import_csp_allocations(session, path, "analyst", NOW)
        return import_csp_spend(session, path, "analyst", NOW)


def _count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _expected(kind: str, path: Path, character: str) -> str:
    _, _, column, position = FILES[kind]
    return (f"{path.name} was not imported; nothing was written. Fix and re-run:\n"
            f"  {path.name}, row 2, column {column}: contains {CHARACTERS[character]} at character {position}, {AFTER}")


def _allocation(db, tmp_path: Path) -> None:
    """Spend needs an allocation for its area, so that the control character is the file's only problem."""
    path = tmp_path / "allocation.csv"
    path.write_text("area,year,allocation\nRutland,2025/26,1000\n", encoding="utf-8")
    _import(db, "csp-allocations", path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("character", list(CHARACTERS))
@pytest.mark.parametrize("kind", list(FILES))
def test_a_control_character_in_a_cell_is_refused_naming_the_cell(db, tmp_path, kind, character, suffix):
    if kind == "csp-spend":
        _allocation(db, tmp_path)
    imports_before = _count(db, ImportRow)
    path = _file(tmp_path, kind, character, suffix)
    with pytest.raises(ImportRejected) as caught:
        _import(db, kind, path)
    assert str(caught.value) == _expected(kind, path, character)
    assert _count(db, STORED[kind]) == 0
    assert _count(db, ImportRow) == imports_before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_kpibot_import_refuses_a_nul_with_the_same_words_on_every_database(db, tmp_path, suffix):
    """PostgreSQL cannot store a NUL and answered 'unexpected error' with a traceback; SQLite stored it."""
    path = _file(tmp_path, "reviews", "\x00", suffix)
    done = kpibot_import(db, "reviews", path, tmp_path)
    assert done.returncode == 1
    assert done.stderr == _expected("reviews", path, "\x00") + "\n"
    assert _count(db, ReviewRow) == 0


def test_a_lone_surrogate_escaped_in_a_workbook_is_refused(db, tmp_path):
    """_xD800_ is half a character: no database can store it as text."""
    path = write_workbook(tmp_path / "half.xlsx", [shared_row(1, [0, 1]), shared_row(2, [2, 3])],
                          [shared_string(t) for t in ("reference", "received", "CR_xD800_1", "2025-07-01")])
    with pytest.raises(ImportRejected) as caught:
        _import(db, "reviews", path)
    assert str(caught.value).splitlines()[1] == (
        "  half.xlsx, row 2, column reference: contains U+D800 (a control character) at character 3, " + AFTER)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_tabs_and_line_breaks_inside_a_cell_are_kept(db, tmp_path, suffix):
    path = _file(tmp_path, "observations", "\t and\nthen", suffix)
    if suffix == ".csv":   # a line break inside a CSV cell needs the cell in quotes
        path.write_text('metric,period,value,note\nfoi-requests,2025-07,1,"late\t and\nthenly"\n', encoding="utf-8")
    assert _import(db, "observations", path).inserted == 1
    with db.session() as session:
        assert session.scalar(select(ObservationRow.note)) == "late\t and\nthenly"
