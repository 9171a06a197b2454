"""The weekly digest's "Late figures": each metric whose next figures are past their due day, naming its owner
on the platform the digest goes to; nothing when every figure due is in (the demo data on the Panel day)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from answers.mentions import person
from bot.app import build_registry
from digests.content import build_weekly
from storage.catalog import Catalog
from storage.importers.observations import import_observations
from storage.repository import read_catalog, sync_catalog

NOW = datetime(2025, 11, 17, 9, 0, tzinfo=timezone.utc)
OWNERS = {"slack": "U0ANALYST", "teams": "29:1a2b3c"}
OFFICE_KPIS = ["Correspondence responded to within 28 working days", "Average days taken to respond",
               "Public line calls received", "Calls answered under 25 seconds", "Independent custody visits",
               "Independent custody visits on target", "Animal Welfare Scheme visits",
               "Animal Welfare Scheme visits on target", "Volunteer hours", "Number of volunteers",
               "Freedom of Information requests received", "Subject access requests received"]


def _owned(db, slug: str, owners: dict[str, str]) -> None:
    """The office fills in a metric's owners in its catalog and imports it again."""
    with db.session() as session:
        catalog = read_catalog(session)
        metrics = [replace(m, owners=owners) if m.slug == slug else m for m in catalog.metrics]
        sync_catalog(session, Catalog(catalog.sections, metrics), "office.yaml", NOW)


def _weekly(db, settings, day: date, platform: str | None = None):
    registry = build_registry(settings, db, clock=lambda: NOW)
    return build_weekly(registry.context, day, "2025-W47", platform)


def _late(digest) -> list[str] | None:
    return next((p.notes for p in digest.message.parts if p.title == "Late figures"), None)


def test_on_the_panel_day_every_figure_due_is_in(demo_db, settings):
    # The demo data runs to Sep 2025, due Tue 14 Oct; October's are not due until Fri 14 Nov.
    digest = _weekly(demo_db, settings, date(2025, 10, 27))
    assert _late(digest) is None
    assert digest.late == ()


def test_october_figures_are_late_the_monday_after_their_due_day(demo_db, settings):
    # October's tenth working day is Fri 14 Nov 2025 (3-7 Nov, 10-14 Nov); Mon 17 Nov is 1 working day on.
    late = _late(_weekly(demo_db, settings, date(2025, 11, 17)))
    assert late == [f"{name}: October 2025 figures were due Fri 14 Nov 2025 (1 working day late)."
                    for name in OFFICE_KPIS]


def test_the_owner_on_the_digests_platform_is_named(demo_db, settings):
    _owned(demo_db, "volunteer-hours", {"slack": "U0ANALYST"})
    # 17-21 Nov (5), 24-28 Nov (10), Mon 1 Dec (11).
    digest = _weekly(demo_db, settings, date(2025, 12, 1), platform="slack")
    assert ("Volunteer hours: October 2025 figures were due Fri 14 Nov 2025 (11 working days late; owner: "
            f"{person('U0ANALYST')}).") in _late(digest)
    assert "Number of volunteers: October 2025 figures were due Fri 14 Nov 2025 (11 working days late)." in _late(digest)
    # The same digest in Teams, where the catalog names nobody for the metric: no mention of a Slack id there.
    in_teams = _late(digest.for_platform("teams"))
    assert "Volunteer hours: October 2025 figures were due Fri 14 Nov 2025 (11 working days late)." in in_teams
    assert not any(person("U0ANALYST") in line for line in in_teams)


def test_each_platform_names_its_own_id_for_the_owner(demo_db, settings):
    _owned(demo_db, "foi-requests", OWNERS)
    digest = _weekly(demo_db, settings, date(2025, 11, 17), platform="teams")
    line = next(line for line in _late(digest) if line.startswith("Freedom of Information"))
    assert line.endswith(f"(1 working day late; owner: {person('29:1a2b3c')}).")
    slack_line = next(line for line in _late(digest.for_platform("slack")) if line.startswith("Freedom of Information"))
    assert slack_line.endswith(f"(1 working day late; owner: {person('U0ANALYST')}).")


def test_figures_loaded_leave_the_list(demo_db, settings, write_file):
    path = write_file("october.csv", "metric,period,value\nvolunteer-hours,2025-10,55\nfoi-requests,2025-10,14\n")
    with demo_db.session() as session:
        import_observations(session, path, read_catalog(session), "analyst", NOW)
    names = [line.split(":")[0] for line in _late(_weekly(demo_db, settings, date(2025, 11, 17)))]
    assert names == [n for n in OFFICE_KPIS if n not in ("Volunteer hours", "Freedom of Information requests received")]


def test_the_owners_and_due_day_come_back_from_the_database(db):
    _owned(db, "volunteer-hours", OWNERS)
    with db.session() as session:
        metric = read_catalog(session).get("volunteer-hours")
    assert metric.owners == OWNERS
    assert metric.due_working_day == 10


def test_each_platform_gets_one_digest_for_all_its_channels(demo_db, settings):
    _owned(demo_db, "volunteer-hours", OWNERS)
    digest = _weekly(demo_db, settings, date(2025, 11, 17), platform="slack")
    assert digest.for_platform("slack") is digest
    assert digest.for_platform("teams") is digest.for_platform("teams")
    on_time = _weekly(demo_db, settings, date(2025, 10, 27), platform="slack")
    assert on_time.for_platform("teams") is on_time   # nothing late: nothing differs between platforms
