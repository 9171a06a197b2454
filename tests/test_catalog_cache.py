"""The catalog is read once per change: every request sees a catalog edit, whoever made it and however."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from storage.catalog import parse_catalog
from storage.models import MetricRow
from storage.repository import read_catalog, sync_catalog

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
ENTRY = dict(kind="office", unit="count", frequency="monthly", aggregate="sum", polarity="higher_better",
             definition="Letters from MPs answered in the month.", section="Public Interaction")


def _catalog(name: str):
    return parse_catalog({"metrics": [dict(ENTRY, slug="mp-letters", name=name)]}, "extra.yaml")


def test_unchanged_catalog_is_read_once(db):
    with db.session() as session:
        first = read_catalog(session)
    with db.session() as session:
        assert read_catalog(session) is first
    assert first.get("calls-under-25s").name == "Calls answered under 25 seconds"


def test_an_edit_with_the_same_timestamp_is_seen(db):
    with db.session() as session:
        sync_catalog(session, _catalog("MP letters answered"), "extra.yaml", PANEL_DAY)
    with db.session() as session:
        assert read_catalog(session).get("mp-letters").name == "MP letters answered"
    with db.session() as session:
        sync_catalog(session, _catalog("Letters from MPs answered"), "extra.yaml", PANEL_DAY)
        # The changing transaction sees its own edit ...
        assert read_catalog(session).get("mp-letters").name == "Letters from MPs answered"
    with db.session() as session:
        # ... and so does every later one.
        assert read_catalog(session).get("mp-letters").name == "Letters from MPs answered"


def test_an_edit_that_rolls_back_is_not_remembered(db):
    try:
        with db.session() as session:
            sync_catalog(session, _catalog("Never committed"), "extra.yaml", PANEL_DAY)
            assert read_catalog(session).get("mp-letters") is not None
            raise RuntimeError("the import failed after the catalog step")
    except RuntimeError:
        pass
    with db.session() as session:
        assert read_catalog(session).get("mp-letters") is None


def test_an_edit_by_another_process_is_seen(db):
    """Another process's edit bumps updated_at in the database; this process has no other way to know."""
    with db.session() as session:
        before = read_catalog(session)
    with db.engine.begin() as connection:
        connection.execute(update(MetricRow).where(MetricRow.slug == "calls-under-25s").values(
            name="Calls answered within 25 seconds", updated_at=datetime.now(timezone.utc) + timedelta(seconds=1)))
    with db.session() as session:
        after = read_catalog(session)
    assert after is not before
    assert after.get("calls-under-25s").name == "Calls answered within 25 seconds"


def test_lenient_matching_by_word_prefixes(db):
    with db.session() as session:
        catalog = read_catalog(session)
    assert catalog.match("calls under 25").slug == "calls-under-25s"
    assert catalog.match("CALLS-UNDER-25S").slug == "calls-under-25s"
    assert catalog.match("volunt hours").slug == "volunteer-hours"
    assert catalog.match("zzz unknown words") is None
    assert catalog.match("answered") is None   # several metrics have a word starting "answered": not one
