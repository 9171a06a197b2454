"""The one way a file of each kind is loaded, shared by the CLI and chat: which importer, in the caller's transaction."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from storage.audit import COMMAND_LINE, AuditPlace
from storage.importers.common import ImportResult

OBSERVATIONS = "observations"
REVIEWS = "reviews"
CSP_ALLOCATIONS = "csp-allocations"
CSP_SPEND = "csp-spend"
KINDS = (OBSERVATIONS, REVIEWS, CSP_ALLOCATIONS, CSP_SPEND)

UNKNOWN_KIND = "unknown kind of import {kind!r}; use one of {kinds}"


def load(session: Session, kind: str, path: Path | str, loaded_by: str, now: datetime,
         place: AuditPlace = COMMAND_LINE) -> ImportResult:
    """Check the file whole and write it with its audit entry in `session`'s transaction (committed by the
    caller, or rolled back for a preview); raises ImportRejected, writing nothing, when the file has problems."""
    if kind == OBSERVATIONS:
        from storage.importers.observations import import_observations
        from storage.repository import read_catalog

        return import_observations(session, path, read_catalog(session), loaded_by, now, place=place)
    if kind == REVIEWS:
        from storage.importers.reviews import import_reviews

        return import_reviews(session, path, loaded_by, now, place=place)
    if kind == CSP_ALLOCATIONS:
        from storage.importers.csp import import_csp_allocations

        return import_csp_allocations(session, path, loaded_by, now, place=place)
    if kind == CSP_SPEND:
        from storage.importers.csp import import_csp_spend

        return import_csp_spend(session, path, loaded_by, now, place=place)
    raise ValueError(UNKNOWN_KIND.format(kind=kind, kinds=", ".join(KINDS)))
