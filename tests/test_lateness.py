"""Due days and late figures, counted by hand over the England and Wales calendar (weekends and bank holidays
skipped), and the catalog fields they come from."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from storage.catalog import Catalog, CatalogError, MetricDefinition, builtin_catalog, parse_catalog
from storage.lateness import Late, due_date, late_figures, latest_periods, working_days_between
from storage.periods import FinancialYear, Month, Quarter

VOLUNTEER_HOURS = MetricDefinition(
    slug="volunteer-hours", name="Volunteer hours", definition="Hours given by volunteers in the month.",
    section="Scrutiny Functions", kind="office", unit="hours", frequency="monthly", aggregate="sum",
    polarity="higher_better", due_working_day=10, owners={"slack": "U0ANALYST"})
FOI = replace(VOLUNTEER_HOURS, slug="foi-requests", name="Freedom of Information requests received", owners={})
REVIEWS = replace(VOLUNTEER_HOURS, slug="reviews-received", name="Complaint reviews received", kind="reviews",
                  due_working_day=None)
VICTIMS = replace(VOLUNTEER_HOURS, slug="victims-satisfied", name="Victims satisfied", kind="plan",
                  frequency="quarterly")


def _due(working_day: int, period) -> date:
    return due_date(replace(VOLUNTEER_HOURS, due_working_day=working_day), period)


# --- due days --------------------------------------------------------------------------------------------

def test_september_figures_are_due_on_the_tenth_working_day_of_october():
    # Sep 2025 ends Tue 30 Sep; October's working days: Wed 1, Thu 2, Fri 3, Mon 6 to Fri 10, Mon 13, Tue 14.
    assert due_date(VOLUNTEER_HOURS, Month(2025, 9)) == date(2025, 10, 14)


def test_july_figures_skip_the_august_bank_holiday():
    # Jul 2025 ends Thu 31 Jul; August: Fri 1 (1), 4-8 (2-6), 11-15 (7-11), 18-22 (12-16), Mon 25 is the bank
    # holiday, so the 17th working day is Tue 26 Aug.
    assert _due(16, Month(2025, 7)) == date(2025, 8, 22)
    assert _due(17, Month(2025, 7)) == date(2025, 8, 26)
    # With the default 10: Thu 14 Aug, before the holiday.
    assert _due(10, Month(2025, 7)) == date(2025, 8, 14)


def test_november_figures_skip_christmas_boxing_day_and_new_year():
    # Nov 2025 ends Sun 30 Nov; December: 1-5 (1-5), 8-12 (6-10), 15-19 (11-15), Mon 22 (16), Tue 23 (17),
    # Wed 24 (18); Thu 25 and Fri 26 are Christmas and Boxing Day; Mon 29 (19), Tue 30 (20), Wed 31 (21);
    # Thu 1 Jan 2026 is New Year's Day; Fri 2 Jan (22).
    assert due_date(VOLUNTEER_HOURS, Month(2025, 11)) == date(2025, 12, 12)
    assert _due(18, Month(2025, 11)) == date(2025, 12, 24)
    assert _due(19, Month(2025, 11)) == date(2025, 12, 29)
    assert _due(22, Month(2025, 11)) == date(2026, 1, 2)


def test_march_figures_skip_good_friday_and_easter_monday():
    # Mar 2026 ends Tue 31 Mar; April: Wed 1 (1), Thu 2 (2); Fri 3 Good Friday, Mon 6 Easter Monday; Tue 7 (3),
    # Wed 8 (4), Thu 9 (5), Fri 10 (6), Mon 13 (7), Tue 14 (8), Wed 15 (9), Thu 16 (10).
    assert _due(2, Month(2026, 3)) == date(2026, 4, 2)
    assert _due(3, Month(2026, 3)) == date(2026, 4, 7)
    assert due_date(VOLUNTEER_HOURS, Month(2026, 3)) == date(2026, 4, 16)


def test_quarterly_figures_count_from_the_quarters_end_and_a_metric_without_a_due_day_has_none():
    # 2025/26 Q2 is Jul-Sep 2025: it ends with September, so its tenth working day is Tue 14 Oct too.
    assert due_date(VICTIMS, Quarter(2025, 2)) == date(2025, 10, 14)
    # 2025/26 ends Tue 31 Mar 2026: the same Easter count as March's figures.
    assert _due(3, FinancialYear(2025)) == date(2026, 4, 7)
    assert due_date(REVIEWS, Month(2025, 9)) is None


def test_working_days_late_count_the_days_after_the_due_day():
    assert working_days_between(date(2025, 10, 14), date(2025, 10, 14)) == 0
    assert working_days_between(date(2025, 10, 14), date(2025, 10, 15)) == 1
    # Wed 15 to Fri 17 (3), Mon 20, Tue 21 (5).
    assert working_days_between(date(2025, 10, 14), date(2025, 10, 21)) == 5
    # Fri 19 Dec 2025 to Fri 2 Jan 2026: 22, 23, 24, 29, 30, 31 Dec and 2 Jan.
    assert working_days_between(date(2025, 12, 19), date(2026, 1, 2)) == 7


# --- late figures ----------------------------------------------------------------------------------------

CATALOG = Catalog([], [VOLUNTEER_HOURS, FOI, REVIEWS, VICTIMS])


def test_a_metric_is_late_once_a_working_day_passes_its_due_day_without_its_figures():
    latest = {"volunteer-hours": Month(2025, 8)}
    assert late_figures(CATALOG, latest, date(2025, 10, 14)) == []   # due today: not late yet
    assert late_figures(CATALOG, latest, date(2025, 10, 21)) == [
        Late(VOLUNTEER_HOURS, Month(2025, 9), date(2025, 10, 14), 5)]
    assert late_figures(CATALOG, {"volunteer-hours": Month(2025, 9)}, date(2025, 10, 21)) == []


def test_only_the_most_overdue_period_of_a_metric_is_reported():
    # Latest is Jul 2025: August's figures were due Fri 12 Sep 2025 (September: Mon 1 to Fri 5, Mon 8 to Fri 12),
    # 27 working days before Tue 21 Oct (15-19, 22-26, 29-30 Sep, 1-3, 6-10, 13-17, 20-21 Oct); September's
    # are late too, but August's are the ones to load first.
    assert late_figures(CATALOG, {"volunteer-hours": Month(2025, 7)}, date(2025, 10, 21)) == [
        Late(VOLUNTEER_HOURS, Month(2025, 8), date(2025, 9, 12), 27)]


def test_metrics_without_figures_or_a_due_day_are_never_late():
    latest = {"reviews-received": Month(2025, 1), "victims-satisfied": Quarter(2025, 1),
              "foi-requests": Month(2025, 9)}
    # Victims satisfied: Q2 (Jul-Sep 2025) due Tue 14 Oct; the rest have no due day, nothing loaded, or are in.
    assert late_figures(CATALOG, latest, date(2025, 10, 15)) == [
        Late(VICTIMS, Quarter(2025, 2), date(2025, 10, 14), 1)]


def test_latest_periods_read_each_metrics_frequency():
    starts = {"volunteer-hours": date(2025, 9, 1), "victims-satisfied": date(2025, 7, 1), "unknown": date(2025, 1, 1)}
    assert latest_periods(CATALOG, starts) == {"volunteer-hours": Month(2025, 9), "victims-satisfied": Quarter(2025, 2)}


# --- the catalog's fields --------------------------------------------------------------------------------

def _entry(**fields) -> dict:
    return {"metrics": [{"slug": "volunteer-hours", "name": "Volunteer hours", "definition": "Hours.",
                         "section": "Scrutiny Functions", "unit": "hours", "polarity": "higher_better", **fields}]}


def test_the_catalog_reads_a_due_day_and_owners():
    metric = parse_catalog(_entry(due_working_day=10, owners={"Slack": "U0ANALYST", "teams": "29:1a2b3c"}),
                           "office.yaml").metrics[0]
    assert metric.due_working_day == 10
    assert metric.owners == {"slack": "U0ANALYST", "teams": "29:1a2b3c"}
    bare = parse_catalog(_entry(), "office.yaml").metrics[0]
    assert bare.due_working_day is None and bare.owners == {}


@pytest.mark.parametrize("fields, words", [
    ({"due_working_day": 0}, "due_working_day must be a whole number of working days from 1 to 60"),
    ({"due_working_day": "10th"}, "due_working_day must be a whole number"),
    ({"due_working_day": True}, "due_working_day must be a whole number"),
    ({"owners": "U0ANALYST"}, "owners must map a platform to a user id"),
    ({"owners": {"slack": 12345}}, "owners must map a platform to a user id"),
])
def test_a_bad_due_day_or_owner_is_refused_naming_the_metric(fields, words):
    with pytest.raises(CatalogError, match=words) as raised:
        parse_catalog(_entry(**fields), "office.yaml")
    assert "office.yaml: metric 'volunteer-hours'" in str(raised.value)


def test_the_shipped_office_kpis_are_due_on_the_tenth_working_day_and_reviews_have_no_due_day():
    catalog = builtin_catalog()
    assert {m.due_working_day for m in catalog.metrics if m.kind == "office"} == {10}
    assert {m.due_working_day for m in catalog.metrics if m.kind == "reviews"} == {None}
    assert all(m.owners == {} for m in catalog.metrics)
