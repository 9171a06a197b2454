"""What was known then: an as-of answer uses only figures known by that date (DESIGN.md, "Time")."""
from __future__ import annotations

from datetime import date

import pytest

from storage.catalog import MetricDefinition
from storage.kpi import Point, cut_day, known_by, known_on, panel_comparison
from storage.models import MetricRow, ObservationRow
from storage.periods import FinancialYear, Month, Quarter
from storage.repository import metric_comparison, metric_history, read_catalog


def metric(unit="count", frequency="monthly", expectation=None, target=None, aggregate="mean",
           kind="office") -> MetricDefinition:
    return MetricDefinition(slug="test-metric", name="Test metric", definition="A test metric.", section="Test",
                            kind=kind, unit=unit, frequency=frequency, aggregate=aggregate,
                            polarity="higher_better", target=target, expectation=expectation)


def months(first: Month, values) -> list[Point]:
    return [Point(first.shift(i), v) for i, v in enumerate(values)]


OFFICERS = metric(frequency="quarterly", expectation="Increase or maintain", kind="plan")
OFFICERS_POINTS = [Point(FinancialYear(2024), 664), Point(Quarter(2025, 1), 666), Point(Quarter(2025, 2), 670)]
SURVEY = metric(unit="percent", frequency="annual", expectation="Increase (over 80%)", target=80.0, kind="plan")
HOURS = metric(unit="hours")
# 2024/25 Apr-Mar, then 2025/26 Apr-Sep (the bundled volunteer hours)
HOURS_POINTS = months(Month(2024, 4), [78, 74, 72, 76, 80, 73, 71, 77, 75, 74, 76, 74, 76, 75, 76, 48, 52, 52])


# --- the cut ---------------------------------------------------------------------------------

def test_a_month_stands_for_its_last_day():
    assert cut_day(Month(2025, 9)) == date(2025, 9, 30)
    assert cut_day(Month(2024, 2)) == date(2024, 2, 29)
    assert cut_day(date(2025, 9, 15)) == date(2025, 9, 15)
    assert cut_day(None) is None


def test_a_figure_is_known_from_the_end_of_its_period_or_its_as_at():
    assert known_on(Point(Month(2025, 9), 1)) == date(2025, 9, 30)
    assert known_on(Point(Quarter(2025, 1), 1)) == date(2025, 6, 30)
    assert known_on(Point(FinancialYear(2024), 1)) == date(2025, 3, 31)
    assert known_on(Point(FinancialYear(2025), 63, as_at=date(2025, 6, 20))) == date(2025, 6, 20)


def test_known_by_keeps_figures_known_on_the_day_itself():
    points = [Point(Month(2025, 8), 1), Point(Month(2025, 9), 2)]
    assert known_by(points, date(2025, 9, 29)) == points[:1]
    assert known_by(points, date(2025, 9, 30)) == points
    assert known_by(points, None) == points


# --- a quarterly Plan metric --------------------------------------------------------------------

def test_baseline_year_is_not_known_in_june_2024():
    result = panel_comparison(OFFICERS, OFFICERS_POINTS, date(2024, 6, 30))
    assert result.baseline is None
    assert result.period is None
    assert (result.rag, result.direction) == ("none", "none")


def test_baseline_year_is_known_from_31_march_2025():
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 3, 30)).baseline is None
    result = panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 3, 31))
    assert result.baseline == 664
    assert result.period is None


def test_a_quarter_is_known_from_its_last_day():
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 6, 29)).period is None
    result = panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 6, 30))
    assert (result.period, result.latest, result.direction) == (Quarter(2025, 1), 666, "up")
    # Q2 ends 30 Sep 2025
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 9, 29)).period == Quarter(2025, 1)
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 9, 30)).period == Quarter(2025, 2)


def test_a_month_as_of_is_its_last_day():
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, Month(2024, 6)) == \
        panel_comparison(OFFICERS, OFFICERS_POINTS, date(2024, 6, 30))
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, Month(2025, 9)).period == Quarter(2025, 2)


def test_baseline_from_quarters_uses_only_the_quarters_ended():
    points = [Point(Quarter(2024, n), 10 * n) for n in range(1, 5)] + [Point(Quarter(2025, 1), 30)]
    quarterly = metric(frequency="quarterly", expectation="Increase", kind="plan")
    # 31 Dec 2024: Q1-Q3 2024/25 ended -> (10 + 20 + 30) / 3 = 20
    assert panel_comparison(quarterly, points, date(2024, 12, 31)).baseline == pytest.approx(20.0)
    # 30 Sep 2024: Q1-Q2 -> 15; 30 Jun 2024: Q1 alone is too few
    assert panel_comparison(quarterly, points, date(2024, 9, 30)).baseline == pytest.approx(15.0)
    assert panel_comparison(quarterly, points, date(2024, 6, 30)).baseline is None
    # all four: 25
    assert panel_comparison(quarterly, points, date(2025, 6, 30)).baseline == pytest.approx(25.0)


# --- as_at: a figure known before (or after) its period ends ---------------------------------

SURVEY_POINTS = [Point(FinancialYear(2024), 46, as_at=date(2024, 6, 18)),
                 Point(FinancialYear(2025), 63, as_at=date(2025, 6, 20))]


def test_a_survey_published_in_june_is_the_latest_value_in_september():
    result = panel_comparison(SURVEY, SURVEY_POINTS, date(2025, 9, 15))
    assert (result.period, result.latest, result.baseline) == (FinancialYear(2025), 63, 46)
    assert result.direction == "up"
    # 17pp short of the 80% target
    assert result.rag == "red"
    # the answer says the figure stands at June, not at the end of its year
    assert result.as_at == date(2025, 6, 20)


def test_a_comparison_of_figures_without_as_at_has_none():
    assert panel_comparison(OFFICERS, OFFICERS_POINTS, date(2025, 9, 30)).as_at is None


def test_a_survey_counts_from_its_as_at_not_before():
    result = panel_comparison(SURVEY, SURVEY_POINTS, date(2025, 6, 19))
    assert result.period is None
    # the 2024/25 survey was published on 18 June 2024, so the baseline is known
    assert result.baseline == 46
    assert panel_comparison(SURVEY, SURVEY_POINTS, date(2025, 6, 20)).latest == 63


def test_without_as_at_a_year_is_known_only_once_it_has_ended():
    points = [Point(FinancialYear(2024), 46), Point(FinancialYear(2025), 63)]
    assert panel_comparison(SURVEY, points, date(2025, 9, 30)).period is None
    assert panel_comparison(SURVEY, points, date(2026, 3, 31)).latest == 63


def test_a_figure_published_after_its_month_counts_from_its_as_at():
    # September's figure arrived on 20 October: on 1 October the latest known month is August
    points = HOURS_POINTS[:-1] + [Point(Month(2025, 9), 52, as_at=date(2025, 10, 20))]
    assert panel_comparison(HOURS, points, date(2025, 10, 1)).period == Month(2025, 8)
    assert panel_comparison(HOURS, points, date(2025, 10, 20)).period == Month(2025, 9)


def test_no_as_of_uses_every_figure_whatever_its_as_at():
    points = HOURS_POINTS[:-1] + [Point(Month(2025, 9), 52, as_at=date(2026, 1, 1))]
    assert panel_comparison(HOURS, points).period == Month(2025, 9)


# --- monthly metrics ---------------------------------------------------------------------------

def test_mid_september_does_not_use_september():
    result = panel_comparison(HOURS, HOURS_POINTS, date(2025, 9, 15))
    assert result.period == Month(2025, 8)
    # Jun-Aug (76 + 48 + 52) / 3; Mar-May (74 + 76 + 75) / 3 = 75
    assert result.last3 == pytest.approx(176 / 3)
    assert result.previous3 == pytest.approx(75.0)


def test_baseline_year_with_five_months_ended_is_n_a():
    # 29 Sep 2024: Apr-Aug 2024 ended, 5 months
    result = panel_comparison(HOURS, HOURS_POINTS, date(2024, 9, 29))
    assert result.baseline is None
    assert result.period == Month(2024, 8)


def test_baseline_year_with_six_months_ended_is_their_mean():
    # 30 Sep 2024: Apr-Sep 2024 (78 + 74 + 72 + 76 + 80 + 73) / 6 = 75.5
    result = panel_comparison(HOURS, HOURS_POINTS, date(2024, 9, 30))
    assert result.baseline == pytest.approx(75.5)


# --- through the database (named test_database_*: `make mutation` runs only the pure tests) --------

def _compare(db, slug, *args, **kwargs):
    with db.session() as session:
        return metric_comparison(session, read_catalog(session).get(slug), *args, **kwargs)


def test_database_neighbourhood_officers_as_of_30_june_2024_has_no_baseline(demo_db):
    result = _compare(demo_db, "neighbourhood-officers", date(2024, 6, 30), date(2026, 12, 1))
    assert (result.baseline, result.latest, result.direction) == (None, None, "none")
    assert _compare(demo_db, "neighbourhood-officers", Month(2024, 6)).baseline is None


def test_database_neighbourhood_officers_as_of_september_2025_is_up(demo_db):
    result = _compare(demo_db, "neighbourhood-officers", Month(2025, 9))
    assert (result.baseline, result.latest, result.direction) == (664, 666, "up")


def test_database_volunteer_hours_mid_september_reads_back_far_enough(demo_db):
    # the newest month started (Sep) has not ended: Jun-Aug against Mar-May needs March
    result = _compare(demo_db, "volunteer-hours", date(2025, 9, 15))
    assert result.period == Month(2025, 8)
    assert result.last3 == pytest.approx(176 / 3)
    assert result.previous3 == pytest.approx(75.0)
    assert result.baseline == pytest.approx(75.0)


def test_database_a_month_narrowed_to_a_day(demo_db):
    # commands pass the month and the day: the day wins
    assert _compare(demo_db, "volunteer-hours", Month(2025, 9), as_of_day=date(2025, 9, 15)).period == Month(2025, 8)
    assert _compare(demo_db, "volunteer-hours", Month(2025, 9), as_of_day=date(2025, 10, 6)).period == Month(2025, 9)


def test_database_review_measures_as_of_mid_september_stop_at_august(demo_db):
    # 24 reviews received in August 2025 (Panel pack); September had not ended on the 15th
    result = _compare(demo_db, "reviews-received", date(2025, 9, 15), date(2026, 12, 1))
    assert (result.period, result.latest) == (Month(2025, 8), 24)


def test_database_history_as_of_mid_september_ends_in_august(demo_db):
    with demo_db.session() as session:
        hours = read_catalog(session).get("volunteer-hours")
        points = metric_history(session, hours, date(2025, 9, 15), 13)
    assert [p.period for p in points] == [Month(2024, 8).shift(i) for i in range(13)]
    assert points[-1].value == 52


def test_database_annual_figure_with_as_at_through_the_database(demo_db):
    # the 2025/26 OPCC staff survey (63%) stood at June 2025
    with demo_db.session() as session:
        metric_id = session.query(MetricRow.id).filter(MetricRow.slug == "staff-satisfaction-opcc").scalar()
        rows = {row.period: row for row in session.query(ObservationRow).filter_by(metric_id=metric_id)}
        rows["2024/25"].as_at = None
        rows["2025/26"].as_at = date(2025, 6, 30)
        session.commit()
    result = _compare(demo_db, "staff-satisfaction-opcc", Month(2025, 9))
    assert (result.period, result.latest, result.baseline, result.direction) == (FinancialYear(2025), 63, 46, "up")
    # as of May 2025 the 2025/26 survey was not out; as of June 2024 not even the 2024/25 one
    assert _compare(demo_db, "staff-satisfaction-opcc", Month(2025, 5)).latest is None
    assert _compare(demo_db, "staff-satisfaction-opcc", Month(2024, 6)).baseline is None


def _load(db, write_file, rows: str) -> None:
    from datetime import datetime, timezone

    from storage.importers.observations import import_observations

    path = write_file("figures.csv", "metric,period,value,as_at\n" + rows)
    with db.session() as session:
        import_observations(session, path, read_catalog(session), "analyst", datetime(2026, 1, 5, tzinfo=timezone.utc))


def _database_and_engine(db, slug, cut):
    """The comparison as the database reads it, and as the engine gives it from every figure loaded."""
    from storage.repository import metric_ids, observation_points

    with db.session() as session:
        metric = read_catalog(session).get(slug)
        everything = observation_points(session, metric_ids(session)[slug])
        return metric_comparison(session, metric, cut), panel_comparison(metric, everything, cut)


# volunteer hours from April 2023, before the 2024/25 baseline year: Apr 2023 = 1, ..., Mar 2024 = 12;
# February and March 2024 arrived on 20 April 2024
EARLY_MONTHS = "".join(f"volunteer-hours,{Month(2023, 4).shift(i).label},{i + 1},"
                       f"{'2024-04-20' if i >= 10 else ''}\n" for i in range(12))


@pytest.mark.parametrize("cut", [date(2024, 2, 15), date(2024, 3, 31), date(2024, 4, 19), date(2024, 4, 20),
                                 date(2023, 6, 30), date(2023, 12, 31)])
def test_database_reads_what_the_engine_needs_before_the_baseline_year(db, write_file, cut):
    _load(db, write_file, EARLY_MONTHS)
    from_database, from_everything = _database_and_engine(db, "volunteer-hours", cut)
    assert from_database == from_everything


def test_database_mid_february_2024_compares_november_to_january_with_august_to_october(db, write_file):
    # 15 Feb 2024: January is the latest month ended; Nov-Jan 8, 9, 10 (mean 9) against Aug-Oct 5, 6, 7 (mean 6)
    _load(db, write_file, EARLY_MONTHS)
    result, _ = _database_and_engine(db, "volunteer-hours", date(2024, 2, 15))
    assert (result.period, result.last3, result.previous3) == (Month(2024, 1), 9, 6)


def test_database_figures_known_late_are_read_back_far_enough(db, write_file):
    # 31 Mar 2024: February and March were not in yet, so January is the latest, as on 15 February
    _load(db, write_file, EARLY_MONTHS)
    result, _ = _database_and_engine(db, "volunteer-hours", date(2024, 3, 31))
    assert (result.period, result.last3, result.previous3) == (Month(2024, 1), 9, 6)


@pytest.mark.parametrize("cut", [date(2025, 9, 30), date(2026, 3, 31), date(2024, 3, 31), None])
def test_database_annual_figures_read_back_to_the_year_before(db, write_file, cut):
    _load(db, write_file, "staff-satisfaction-opcc,2022/23,40,\nstaff-satisfaction-opcc,2023/24,44,\n"
                          "staff-satisfaction-opcc,2024/25,46,\nstaff-satisfaction-opcc,2025/26,63,\n")
    from_database, from_everything = _database_and_engine(db, "staff-satisfaction-opcc", cut)
    assert from_database == from_everything


def test_database_history_of_figures_known_late_still_has_every_month(db, write_file):
    # 31 Mar 2024, six months: February and March were not in yet, so Aug 2023-Jan 2024 (5, ..., 10)
    _load(db, write_file, EARLY_MONTHS)
    with db.session() as session:
        points = metric_history(session, read_catalog(session).get("volunteer-hours"), date(2024, 3, 31), 6)
    assert [(p.period, p.value) for p in points] == [(Month(2023, 8).shift(i), 5 + i) for i in range(6)]
