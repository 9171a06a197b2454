"""Setting up a database: schema to the newest revision, the shipped catalog, and the bundled demo dataset."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from storage.audit import COMMAND_LINE, record_change
from storage.catalog import builtin_catalog
from storage.db import Database, NotEmptyError, upgrade  # noqa: F401 - NotEmptyError is raised here
from storage.importers.common import ImportResult
from storage.importers.csp import import_csp_allocations, import_csp_spend
from storage.importers.observations import import_observations
from storage.importers.reviews import import_reviews
from storage.repository import has_any_data, read_catalog, sync_catalog

LOGGER = logging.getLogger(__name__)
DEMO_DIR = Path(__file__).with_name("demo")


CATALOG_SYNCED = "catalog.yaml: {added} metrics added, {updated} updated"


def initialise(db: Database, now: datetime, actor: str = "init", place: str = COMMAND_LINE) -> tuple[str, int, int]:
    """Upgrade the schema and add or update the shipped catalog (audited when it changes anything);
    returns (revision, added, updated)."""
    revision = upgrade(db.engine)
    with db.session() as session:
        added, updated = sync_catalog(session, builtin_catalog(), "catalog.yaml", now)
        if added or updated:
            record_change(session, now, actor, place, "init", CATALOG_SYNCED.format(added=added, updated=updated))
    LOGGER.debug("database at revision %s; catalog: %d added, %d updated", revision, added, updated)
    return revision, added, updated


def is_empty(db: Database) -> bool:
    with db.session() as session:
        return not has_any_data(session)


def load_demo(db: Database, loaded_by: str, now: datetime, place: str = COMMAND_LINE) -> list[ImportResult]:
    """Load the published-papers dataset in one transaction, each file audited in it: all of it or none of it."""
    audit = dict(place=place, action="load-demo")
    with db.session() as session:
        if has_any_data(session):
            raise NotEmptyError("the database already holds figures; the demo dataset only loads into an empty one")
        catalog = read_catalog(session)
        return [
            import_observations(session, DEMO_DIR / "observations.csv", catalog, loaded_by, now, source="demo", **audit),
            import_reviews(session, DEMO_DIR / "reviews.csv", loaded_by, now, **audit),
            import_csp_allocations(session, DEMO_DIR / "csp_allocations.csv", loaded_by, now, **audit),
            import_csp_spend(session, DEMO_DIR / "csp_spend.csv", loaded_by, now, **audit),
        ]
