"""The shipped catalog holds the metrics DESIGN.md names, with the papers' targets and expectations."""
from __future__ import annotations

import pytest

from storage.catalog import CatalogError, builtin_catalog, load_catalog_file

OFFICE_KPIS = {
    # slug: (unit, aggregate, polarity, target)
    "correspondence-within-28-days": ("percent", "mean", "higher_better", None),
    "avg-days-to-respond": ("days", "mean", "lower_better", None),
    "public-line-calls": ("count", "sum", "neutral", None),
    "calls-under-25s": ("percent", "mean", "higher_better", None),
    "icv-visits": ("count", "mean", "higher_better", None),
    "icv-visits-on-target": ("percent", "mean", "higher_better", 100.0),
    "aws-visits": ("count", "mean", "higher_better", None),
    "aws-visits-on-target": ("percent", "mean", "higher_better", 100.0),
    "volunteer-hours": ("hours", "mean", "higher_better", None),
    "volunteers": ("count", "mean", "higher_better", None),
    "foi-requests": ("count", "sum", "neutral", None),
    "sar-requests": ("count", "sum", "neutral", None),
}


@pytest.fixture(scope="module")
def catalog():
    return builtin_catalog()


@pytest.mark.parametrize("slug", sorted(OFFICE_KPIS))
def test_office_kpi(catalog, slug):
    metric = catalog.get(slug)
    assert (metric.unit, metric.aggregate, metric.polarity, metric.target) == OFFICE_KPIS[slug]
    assert metric.frequency == "monthly" and metric.baseline_year == "2024/25" and metric.definition


def test_office_sections_in_report_order(catalog):
    assert [s.name for s in catalog.sections[:4]] == ["Public Interaction", "Scrutiny Functions", "Statutory Duties",
                                                      "Complaint Reviews"]


def test_review_measures(catalog):
    slugs = {m.slug for m in catalog.metrics if m.kind == "reviews"}
    assert {"reviews-received", "reviews-completed-within-28-days", "reviews-not-completed-within-28-days",
            "reviews-upheld", "reviews-avg-days-to-complete"} <= slugs


def test_plan_headline_metrics_carry_expectations(catalog):
    plan = [m for m in catalog.metrics if m.kind == "plan"]
    # 38 numbered dashboard rows plus the un-numbered "Victim satisfaction (OPCC Services)".
    assert len(plan) == 39
    assert all(m.expectation for m in plan)
    by_ref = {m.plan_ref: m for m in plan}
    assert (by_ref[6].expectation, by_ref[6].target, by_ref[6].polarity) == ("Increase (over 80%)", 80.0, "higher_better")
    assert (by_ref[24].expectation, by_ref[24].maintain) == ("Increase or maintain", True)
    assert (by_ref[27].polarity, by_ref[62].polarity) == ("lower_better", "lower_better")
    assert (by_ref[1].unit, by_ref[1].target) == ("yes_no", 1.0)


@pytest.mark.parametrize("typed, slug", [
    ("calls-under-25s", "calls-under-25s"),
    ("Calls answered under 25 seconds", "calls-under-25s"),
    ("FOI", "foi-requests"),
    ("volunteer hours", "volunteer-hours"),
])
def test_find_by_slug_name_or_alias(catalog, typed, slug):
    assert catalog.match(typed).slug == slug


def test_suggestions_for_a_miss(catalog):
    assert catalog.suggest("calls-under-25")[0].slug == "calls-under-25s"
    assert catalog.suggest("zzzz qqqq") == []


@pytest.mark.parametrize("yaml_text, message", [
    ("metrics: []\nfoo: [", "is not valid YAML"),
    ("- a list", "expected a mapping with a 'metrics' list"),
    ("metrics:\n  - slug: x-y\n    name: X\n    definition: d\n    section: S\n    unit: furlongs\n    polarity: neutral\n",
     "unit 'furlongs' is not one of"),
    ("metrics:\n  - slug: x-y\n    name: X\n    definition: d\n    section: S\n    unit: count\n    expectation: Wobble\n",
     "expectation 'Wobble' is not understood"),
    ("metrics:\n  - {slug: a, name: A, definition: d, section: S, unit: count, polarity: neutral}\n"
     "  - {slug: a, name: B, definition: d, section: S, unit: count, polarity: neutral}\n", "slug 'a' appears more than once"),
])
def test_bad_catalog_files_are_explained(tmp_path, yaml_text, message):
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml_text)
    with pytest.raises(CatalogError, match=message):
        load_catalog_file(path)
