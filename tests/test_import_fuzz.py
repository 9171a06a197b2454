"""Malformed and random import files: always accepted whole or rejected whole with a row and column, never a crash."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text

from storage.importers.common import ImportRejected
from storage.importers.csp import import_csp_spend
from storage.importers.observations import import_observations
from storage.importers.reviews import import_reviews
from storage.repository import read_catalog

NOW = datetime(2025, 10, 27, 9, tzinfo=timezone.utc)
TABLES = ("observations", "observation_history", "reviews", "csp_allocations", "csp_spend", "imports")

cells = st.one_of(
    st.sampled_from(["calls-under-25s", "foi-requests", "Volunteer hours", "2025-07", "2025/26 Q1", "2026-01",
                     "58", "-1", "1e309", "NaN", "=SUM(A1)", "", " ", "£1,234.56", "Nil", "2025-02-30",
                     "30/09/2025", "upheld", "not upheld", "yes", "maybe", "CR-1", "Leicester", "\u2603"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=7), max_size=12)
headers = st.sampled_from([
    "metric,period,value", "metric,period,value,numerator,denominator,note", "Metric,Apr-25,May-25,Jun-25",
    "reference,received,completed,outcome,learning", "date,area,project,amount", "a,b", "",
])


def _fingerprint(db) -> str:
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in TABLES:
            for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _csv(header: str, body: list[list[str]]) -> str:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell
    return "\n".join([header, *(",".join(quote(c) for c in row) for row in body)]) + "\n"


@pytest.mark.parametrize("importer", ["observations", "reviews", "csp-spend"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=headers, body=rows)
def test_random_files_are_accepted_or_rejected_whole(demo_db, tmp_path, importer, header, body):
    path = tmp_path / "fuzz.csv"
    path.write_text(_csv(header, body), encoding="utf-8")
    before = _fingerprint(demo_db)
    try:
        with demo_db.session() as session:
            if importer == "observations":
                import_observations(session, path, read_catalog(session), "fuzz", NOW)
            elif importer == "reviews":
                import_reviews(session, path, "fuzz", NOW)
            else:
                import_csp_spend(session, path, "fuzz", NOW)
    except ImportRejected as rejected:
        assert str(rejected).startswith("fuzz.csv was not imported; nothing was written.")
        assert rejected.problems
        assert _fingerprint(demo_db) == before
