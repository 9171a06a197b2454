"""/kpi <section>: a section's own name beats a metric alias of the same words; a text that fits a section and
a metric equally well offers both (Plan dashboard Q1 2025/26 figures)."""
from __future__ import annotations

import pytest

from storage.catalog import builtin_catalog
from storage.catalog_names import lookup, sections_fitting, suggest_sections
from tests.conftest import PANEL_DAY

# Plan dashboard Q1 2025/26, rates per 1,000 population: 2024/25 baseline and Q1 2025/26.
NEIGHBOURHOOD_CRIME = [
    ["Burglary offences", "2025/26 Q1", "2.54 per 1,000", "2.75 per 1,000"],
    ["Vehicle crime offences", "2025/26 Q1", "5.88 per 1,000", "6.06 per 1,000"],
    ["Theft from the person offences", "2025/26 Q1", "0.75 per 1,000", "0.8 per 1,000"],
    ["Robbery offences", "2025/26 Q1", "0.77 per 1,000", "0.75 per 1,000"],
]


@pytest.fixture
def registry(demo_db, registry_at):
    return registry_at(PANEL_DAY)


@pytest.fixture(scope="module")
def catalog():
    return builtin_catalog()


@pytest.mark.parametrize("line", ["/kpi neighbourhood crime", "/kpi Neighbourhood Crime", "/kpi NEIGHBOURHOOD-CRIME"])
def test_neighbourhood_crime_is_the_section_not_the_policing_metric(registry, line):
    response = registry.run_line(line)
    assert not response.is_error
    assert response.title == "Neighbourhood Crime"
    assert [row[:4] for row in response.table.rows] == NEIGHBOURHOOD_CRIME


@pytest.mark.parametrize("line, names", [
    ("/kpi vawg", ["Violence against women and girls offences", "Domestic abuse victim satisfaction",
                   "Stalking and harassment offences"]),
    ("/kpi rural crime", ["Rural crime offences", "Positive outcomes for rural crime"]),
    ("/kpi business crime", ["Shoplifting offences", "Assaults on shop workers",
                             "Positive outcome rate for business crime"]),
    ("/kpi police estate", ["Places where the public can engage with police staff",
                            "Police assets with increased visibility"]),
    ("/kpi scrutiny & legitimacy", ["Police do a good job (CSEW)", "Police treat people fairly (CSEW)"]),
])
def test_a_section_by_its_name(registry, line, names):
    response = registry.run_line(line)
    assert not response.is_error, response.title
    assert [row[0] for row in response.table.rows] == names


def test_the_vawg_section_carries_the_rates(registry):
    rows = {row[0]: row for row in registry.run_line("/kpi vawg").table.rows}
    # Plan dashboard: stalking and harassment 9.3 per 1,000 in 2024/25, 10.02 in Q1 2025/26.
    assert rows["Stalking and harassment offences"][2:4] == ["10.02 per 1,000", "9.3 per 1,000"]


@pytest.mark.parametrize("line, title", [
    ("/kpi neighbourhood crime offences", "Neighbourhood crime offences: 11,077 (2025/26 Q1)"),
    ("/kpi neighbourhood-crime-offences", "Neighbourhood crime offences: 11,077 (2025/26 Q1)"),
    ("/kpi rural offences", "Rural crime offences: 0.51 per 1,000 (2025/26 Q1)"),
    ("/kpi vawg offences", "Violence against women and girls offences: 18.6 per 1,000 (2025/26 Q1)"),
])
def test_the_metrics_are_still_reached_by_their_own_names(registry, line, title):
    assert registry.run_line(line).title == title


def test_a_text_fitting_a_section_and_a_metric_offers_both(registry):
    response = registry.run_line("/kpi victims")
    assert response.is_error
    assert response.title == ("'victims' could mean the section Supporting Victims "
                              "or the metric Victims' Code compliance.")
    assert response.suggestions == ["/kpi supporting victims", "/kpi victim-code-compliance"]
    assert registry.run_line(response.suggestions[0]).title == "Supporting Victims"
    assert registry.run_line(response.suggestions[1]).title.startswith("Victims' Code compliance: ")


def test_initials_spelt_out_fit_the_section_and_the_metric_alike(registry):
    response = registry.run_line("/kpi violence against women and girls")
    assert response.suggestions == ["/kpi vawg", "/kpi vawg-offences-rate"]


def test_choices_carry_the_date_asked_for(registry):
    response = registry.run_line("/kpi victims as of 2025-09-30")
    assert response.suggestions == ["/kpi supporting victims as of 2025-09-30",
                                    "/kpi victim-code-compliance as of 2025-09-30"]


def test_a_word_in_several_sections_offers_each(registry):
    response = registry.run_line("/kpi crime")
    assert response.suggestions == ["/kpi rural crime", "/kpi business crime", "/kpi neighbourhood crime"]


# --- the lookup itself ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, section", [
    ("neighbourhood crime", "Neighbourhood Crime"),
    ("VAWG", "VAWG"),
    ("the police estate", "The Police Estate"),
    ("police estate", "The Police Estate"),
    ("rural", "Rural Crime"),                    # one section fits, two metrics do: the section
    ("violence", "Violence and Vulnerability"),
])
def test_lookup_finds_the_section(catalog, text, section):
    found = lookup(catalog, text)
    assert found.section is not None and found.section.name == section
    assert found.metric is None and found.choices == ()


@pytest.mark.parametrize("text, slug", [
    ("calls-under-25s", "calls-under-25s"),
    ("neighbourhood officers", "neighbourhood-officers"),
    ("burglary", "burglary-rate"),
    ("volunteer hours", "volunteer-hours"),
])
def test_lookup_finds_the_metric(catalog, text, slug):
    found = lookup(catalog, text)
    assert found.metric is not None and found.metric.slug == slug


def test_lookup_of_nothing_finds_nothing(catalog):
    assert not lookup(catalog, "zzz qqq").found
    assert not lookup(catalog, "").found


def test_sections_fitting_and_close(catalog):
    assert [s.name for s in sections_fitting(catalog, "scrutiny")] == ["Scrutiny Functions", "Scrutiny and Legitimacy"]
    assert [s.name for s in sections_fitting(catalog, "violence against women and girls")] == ["VAWG"]
    assert [s.name for s in suggest_sections(catalog, "buisness crime")] == ["Business Crime"]
    assert suggest_sections(catalog, "crime") == []


def test_a_catalog_section_matches_without_the_and_and(catalog):
    assert catalog.section("Scrutiny & Legitimacy").name == "Scrutiny and Legitimacy"
    assert catalog.section("police estate").name == "The Police Estate"
    assert catalog.section("the") is None
