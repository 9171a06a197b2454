"""/kpi on the demo dataset: today's answer says how old its figures are, units and words as DESIGN.md writes
them, a period typed after the name, every date form after `as of`, and long input not echoed in full."""
from __future__ import annotations

import pytest

from bot.render_text import render_text
from tests.conftest import PANEL_DAY, TODAY
from tests.memory_platform import MemoryPlatform

SEP_2025_IS_OLD = "Latest figures are for Sep 2025, 14 months ago."      # 30 Sep 2025 to 1 Dec 2026
Q1_2025_IS_OLD = "Latest figures are for 2025/26 Q1, 17 months ago."     # 30 Jun 2025 to 1 Dec 2026


@pytest.fixture
def panel_day(demo_db, registry_at):
    return registry_at(PANEL_DAY)


@pytest.fixture
def today(demo_db, registry_at):
    return registry_at(TODAY)


def _facts(response):
    return {fact.label: fact.value for fact in response.facts}


# --- how old the figures are ----------------------------------------------------------------------------

def test_today_a_monthly_figure_says_how_old_it_is(today):
    response = today.run_line("/kpi calls-under-25s")
    assert response.title == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    assert response.notes[0] == SEP_2025_IS_OLD
    assert SEP_2025_IS_OLD in render_text(response)


def test_today_a_plan_figure_says_how_old_it_is(today):
    response = today.run_line("/kpi neighbourhood-officers")
    assert response.title == "Number of neighbourhood officers: 666 (2025/26 Q1)"
    assert response.notes[0] == Q1_2025_IS_OLD


def test_a_survey_counts_from_the_date_it_stood_at(today):
    # OPCC staff satisfaction 2025/26 (63%) was published in June 2025: 17 months before 1 Dec 2026, over the
    # 15 an annual figure may be; counted from the year's end (31 Mar 2026) it would be only 8.
    response = today.run_line("/kpi staff-satisfaction-opcc")
    assert response.title == "Staff satisfaction in the OPCC: 63% (2025/26)"
    assert response.notes[0] == "Latest figures are for 2025/26, 17 months ago."


def test_a_section_says_it_once(today):
    response = today.run_line("/kpi public interaction")
    assert response.notes.count(SEP_2025_IS_OLD) == 1


def test_fresh_figures_say_nothing_about_their_age(panel_day):
    for line in ("/kpi calls-under-25s", "/kpi neighbourhood-officers", "/kpi public interaction"):
        assert not any(note.startswith("Latest figures are for") for note in panel_day.run_line(line).notes), line


def test_an_as_of_date_judges_age_on_that_date(today):
    response = today.run_line("/kpi calls-under-25s as of 2025-10-27")
    assert not any(note.startswith("Latest figures are for") for note in response.notes)


def test_nothing_known_by_an_early_date_says_so(panel_day):
    response = panel_day.run_line("/kpi neighbourhood-officers as of 2024-06-30")
    assert response.title == "Number of neighbourhood officers: no figures known by 30 Jun 2024"


# --- units and words ------------------------------------------------------------------------------------

def test_a_rate_carries_per_1000_in_the_headline_and_facts(panel_day):
    # Plan dashboard Q1 2025/26: shoplifting 7.6 per 1,000 in 2024/25, 8 in Q1.
    response = panel_day.run_line("/kpi shoplifting-rate")
    assert response.title == "Shoplifting offences: 8 per 1,000 (2025/26 Q1)"
    facts = _facts(response)
    assert facts["Latest (2025/26 Q1)"] == "8 per 1,000"
    assert facts["Baseline 2024/25"] == "7.6 per 1,000"
    assert facts["Baseline comparison"] == "+0.4 per 1,000"


def test_a_monthly_average_count_says_so(panel_day):
    # Office report: ICV visits 10 in Jul-Sep 2025 against 8 (Apr-Jun and the 2024/25 baseline); Sep 2025 had 11.
    response = panel_day.run_line("/kpi icv-visits")
    assert response.title == "Independent custody visits: 10 a month on average (Jul-Sep 2025)"
    facts = _facts(response)
    assert facts["Last 3 months (Jul-Sep 2025)"] == "10 a month on average"
    assert facts["Baseline 2024/25"] == "8 a month on average"
    assert facts["Difference to previous 3 months"] == "+2 a month on average"
    assert facts["Latest month (Sep 2025)"] == "11"   # one month's count is not an average


def test_no_python_words(panel_day):
    response = panel_day.run_line("/kpi public-line-calls")
    facts = _facts(response)
    assert facts["RAG"] == "No RAG (a count to watch, not judged)"
    assert facts["Direction"] == "N/A"          # no previous 3 months
    assert facts["Target"] == "No target"
    for line in ("/kpi public-line-calls", "/kpi calls-under-25s", "/kpi workforce", "/kpi public interaction"):
        text = render_text(panel_day.run_line(line))
        assert "None" not in text, line


def test_a_section_table_carries_units_and_periods(panel_day):
    response = panel_day.run_line("/kpi scrutiny functions")
    rows = {row[0]: row for row in response.table.rows}
    assert response.table.columns == ["Metric", "Period", "Current", "Baseline", "Diff. to previous", "RAG"]
    assert rows["Independent custody visits"] == [
        "Independent custody visits", "Jul-Sep 2025", "10 a month", "8 a month", "+2 a month", "Green"]
    assert rows["Volunteer hours"][1:] == ["Jul-Sep 2025", "50.7 hours", "75 hours", "-25 hours", "Red"]
    workforce = {row[0]: row for row in panel_day.run_line("/kpi workforce").table.rows}
    assert workforce["Staff satisfaction in the OPCC"][1:3] == ["2025/26", "63%"]
    assert workforce["Staff satisfaction in the force"][-1] == "No RAG"


# --- a period typed after the name ----------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "/kpi calls-under-25s Q2",             # Q2 of the year 27 Oct 2025 is in
    "/kpi calls-under-25s 2025/26 Q2",
    "/kpi calls-under-25s Q2 2025/26",
])
def test_a_quarter_after_the_name_answers_at_its_end(panel_day, line):
    response = panel_day.run_line(line)
    assert not response.is_error
    assert response.title == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    assert "Answered as of the end of 2025/26 Q2 (30 Sep 2025)." in response.notes


def test_last_month_after_the_name(panel_day):
    response = panel_day.run_line("/kpi calls-under-25s last month")
    assert response.title == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    assert "Answered as of the end of Sep 2025 (30 Sep 2025)." in response.notes


def test_an_earlier_quarter_gives_its_own_figures(panel_day):
    # Apr-Jun 2025: 76, 75, 76 hours, a mean of 75.7; the 2024/25 baseline had ended, at 75.
    for line in ("/kpi volunteer-hours 2025/26 Q1", "/kpi volunteer hours Q1", "/kpi volunteer-hours Jun 2025"):
        response = panel_day.run_line(line)
        assert response.title == "Volunteer hours: 75.7 hours (Apr-Jun 2025)", line
        assert _facts(response)["Baseline 2024/25"] == "75 hours"


def test_today_a_quarter_is_of_this_financial_year_and_the_answer_says_how_old(today):
    response = today.run_line("/kpi calls-under-25s Q2")   # 2026/27 Q2, Jul-Sep 2026: nothing newer than Sep 2025
    assert response.title == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    assert response.notes[:2] == ["Answered as of the end of 2026/27 Q2 (30 Sep 2026).",
                                  "Latest figures are for Sep 2025, 12 months ago."]


def test_a_quarter_not_over_answers_as_of_today(today):
    response = today.run_line("/kpi calls-under-25s Q3")
    assert response.notes[0] == "2026/27 Q3 is not over yet, so this answers as of today (1 Dec 2026)."


def test_a_day_after_the_name(panel_day):
    response = panel_day.run_line("/kpi volunteer-hours 30/06/2025")
    assert response.title == "Volunteer hours: 75.7 hours (Apr-Jun 2025)"
    assert "Answered as of 30 Jun 2025." in response.notes


def test_a_period_after_a_section(panel_day):
    response = panel_day.run_line("/kpi scrutiny functions 2025/26 Q1")
    rows = {row[0]: row for row in response.table.rows}
    assert rows["Volunteer hours"][1:3] == ["Apr-Jun 2025", "75.7 hours"]


# --- every date form after `as of` ----------------------------------------------------------------------

@pytest.mark.parametrize("when", ["2025-06-30", "30/06/2025", "30 Jun 2025", "Jun 2025", "2025/26 Q1", "2025-06"])
def test_as_of_in_every_form(panel_day, when):
    response = panel_day.run_line(f"/kpi volunteer-hours as of {when}")
    assert not response.is_error, response.title
    assert response.title == "Volunteer hours: 75.7 hours (Apr-Jun 2025)"


def test_as_of_last_quarter(panel_day):
    assert panel_day.run_line("/kpi volunteer-hours as of last quarter").title == \
        "Volunteer hours: 50.7 hours (Jul-Sep 2025)"


# --- misses ---------------------------------------------------------------------------------------------

def test_a_long_text_is_not_echoed_in_full(panel_day):
    for line in ("/kpi " + "x" * 5000, "/kpi calls-under-25s as of " + "x" * 5000,
                 "/kpi " + "x" * 5000 + " note 2025/26 Q2 text"):
        response = panel_day.run_line(line)
        assert response.is_error
        assert len(response.title) < 250, line[:40]
        assert "x" * 79 + "\u2026" in response.title
        assert MemoryPlatform().render(response).startswith(response.title)   # and it renders (Slack's: test_slack_*)


def test_a_misspelt_section_is_offered(panel_day):
    response = panel_day.run_line("/kpi neighbourhod crime")
    assert response.is_error
    assert "Closest sections: Neighbourhood Crime." in response.notes
    assert "/kpi neighbourhood crime" in response.suggestions
    assert panel_day.run_line("/kpi neighbourhood crime").title == "Neighbourhood Crime"


def test_a_period_alone_asks_which_metric(panel_day):
    response = panel_day.run_line("/kpi 2025/26 Q2")
    assert response.is_error
    assert response.title == "'2025/26 Q2' is a date or period: say which metric or section it is for."
    assert response.notes == ["Example: /kpi calls-under-25s 2025/26 Q2, or /kpi public interaction 2025/26 Q2"]
