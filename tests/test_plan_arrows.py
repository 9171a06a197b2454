"""The Plan dashboard's arrows: the plain sign of latest - baseline at the published precision (DESIGN.md)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.catalog import MetricDefinition, builtin_catalog
from storage.kpi import Point, panel_comparison, plan_arrow
from storage.periods import FinancialYear, Quarter
from storage.repository import metric_comparison, read_catalog

CATALOG = builtin_catalog()
ARROWS = {"↑": "up", "↓": "down", "↔": "flat"}

# Q1 2025/26 Plan delivery update, headline dashboard: (slug, baseline 2024/25, latest, arrow as printed).
REPRODUCED = [
    ("pcso-length-of-service", 9.5, 10.9, "↑"),
    ("staff-satisfaction-opcc", 46.0, 63.0, "↑"),
    ("neighbourhood-officers", 664, 666, "↑"),
    ("neighbourhood-crime-offences", 11545, 11077, "↓"),
    ("neighbourhood-outcome-rate", 4.4, 4.1, "↓"),
    ("homicide-rate", 0.004, 0.0008, "↓"),
    ("firearm-discharge-rate", 0.38, 0.32, "↓"),
    ("drug-related-homicide-rate", 0.0017, 0, "↓"),
    ("serious-violence-rate", 0.7, 0.62, "↓"),
    ("knife-assault-admissions-rate", 0.026, 0.0008, "↓"),
    ("vawg-offences-rate", 18.96, 18.6, "↓"),
    ("stalking-harassment-rate", 9.3, 10.02, "↑"),
    ("rural-crime-rate", 0.59, 0.51, "↓"),
    ("shoplifting-rate", 7.6, 8, "↑"),
    ("business-crime-outcome-rate", 14.1, 14.7, "↑"),
    ("ksi-casualties", 100.1, 108, "↑"),
    ("burglary-rate", 2.75, 2.54, "↓"),
    ("vehicle-crime-rate", 6.06, 5.88, "↓"),
    ("theft-from-person-rate", 0.8, 0.75, "↓"),
    ("robbery-rate", 0.75, 0.77, "↑"),
    ("victim-code-compliance", 87.7, 87.7, "↔"),
    ("victim-satisfaction-force", 75.5, 73, "↓"),
    ("positive-outcome-rate", 13.9, 14.8, "↑"),
    ("out-of-court-resolutions", 3568, 3308, "↓"),
]
# Where the dashboard's arrow disagrees with its own figures as its other rows read them:
# (slug, baseline, latest, arrow printed, arrow by the rule).
CONTRADICTED = [
    # Y -> Y is unchanged (87.7% -> 87.7% is shown flat), yet printed up.
    ("mtfs-published", 1, 1, "↑", "flat"),
    # 80.0% -> 80.6% is a rise at the precision printed (664 -> 666 and 0.75 -> 0.77 are shown up), yet printed flat.
    ("domestic-abuse-victim-satisfaction", 80.0, 80.6, "↔", "up"),
]


def _points(metric: MetricDefinition, baseline, latest) -> list[Point]:
    period = FinancialYear(2025) if metric.frequency == "annual" else Quarter(2025, 1)
    return [Point(FinancialYear(2024), baseline), Point(period, latest)]


@pytest.mark.parametrize("slug, baseline, latest, arrow", REPRODUCED)
def test_engine_reproduces_the_dashboard_arrow(slug, baseline, latest, arrow):
    metric = CATALOG.get(slug)
    assert panel_comparison(metric, _points(metric, baseline, latest)).direction == ARROWS[arrow]


@pytest.mark.parametrize("slug, baseline, latest, printed, by_rule", CONTRADICTED)
def test_engine_follows_the_rule_where_the_dashboard_contradicts_itself(slug, baseline, latest, printed, by_rule):
    metric = CATALOG.get(slug)
    direction = panel_comparison(metric, _points(metric, baseline, latest)).direction
    assert direction == by_rule
    assert direction != ARROWS[printed]


def test_a_rise_within_the_rag_tolerance_is_still_up():
    # 664 -> 666 neighbourhood officers: +2 is well within 5% of 664 (33.2), and still an arrow up
    metric = CATALOG.get("neighbourhood-officers")
    result = panel_comparison(metric, _points(metric, 664, 666))
    assert result.tolerance == pytest.approx(33.2)
    assert result.direction == "up"


@pytest.mark.parametrize("unit, latest, reference, expected", [
    ("percent", 80.04, 80.0, "flat"),         # both 80.0% as published
    ("percent", 80.05, 80.0, "up"),           # 80.1% against 80.0%
    ("percent", 4.1, 4.4, "down"),
    ("count", 664.04, 664, "flat"),           # 664 either way
    ("count", 100.06, 100.1, "flat"),         # 100.1 either way
    ("count", 100.04, 100.1, "down"),         # 100 against 100.1
    ("rate_per_1000", 0.00084, 0.0008, "flat"),   # 0.0008 either way
    ("rate_per_1000", 0.00086, 0.0008, "up"),     # 0.0009 against 0.0008
    ("rate_per_1000", 0.00004, 0.0, "flat"),      # 0 either way
    ("yes_no", 1, 1, "flat"),
    ("yes_no", 1, 0, "up"),
    ("yes_no", 0, 1, "down"),
    ("percent", None, 80.0, "none"),
    ("percent", 80.0, None, "none"),
])
def test_plan_arrow_at_the_published_precision(unit, latest, reference, expected):
    assert plan_arrow(unit, latest, reference) == expected


def test_office_kpis_keep_the_tolerance():
    # a monthly count with a 24 baseline: 25 -> 24 a month is within 5% of 24 (1.2): flat, not down
    volunteers = CATALOG.get("volunteers")
    points = [Point(FinancialYear(2024).months[i], 24) for i in range(12)] \
        + [Point(m, 25) for m in Quarter(2025, 1).months] + [Point(m, 24) for m in Quarter(2025, 2).months]
    assert panel_comparison(volunteers, points).direction == "flat"


# --- the bundled dataset -------------------------------------------------------------------

# Every Plan metric in the dataset, by the rule: the reproduced and contradicted rows above, and no arrow
# where the dataset has no baseline or no latest figure (the dashboard prints "-" or nothing).
EXPECTED_IN_DATASET = {slug: ARROWS[arrow] for slug, _, _, arrow in REPRODUCED}
EXPECTED_IN_DATASET.update({slug: by_rule for slug, _, _, _, by_rule in CONTRADICTED})
NO_ARROW = [m.slug for m in CATALOG.metrics if m.kind == "plan" and m.slug not in EXPECTED_IN_DATASET]


def test_every_plan_metric_is_accounted_for():
    # 39 headline rows on the dashboard
    assert len(EXPECTED_IN_DATASET) + len(NO_ARROW) == 39


def test_bundled_dataset_gives_the_dashboard_arrows(demo_db):
    with demo_db.session() as session:
        catalog = read_catalog(session)
        directions = {m.slug: metric_comparison(session, m).direction for m in catalog.metrics if m.kind == "plan"}
    assert {slug: directions[slug] for slug in EXPECTED_IN_DATASET} == EXPECTED_IN_DATASET
    assert {slug: directions[slug] for slug in NO_ARROW} == {slug: "none" for slug in NO_ARROW}


def test_cli_neighbourhood_officers_as_of_september_2025_is_up_and_of_june_2024_has_no_baseline(tmp_path):
    kpibot = str(Path(sys.executable).with_name("kpibot"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}

    def run(*args):
        return subprocess.run([kpibot, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert run("init").returncode == 0
    assert run("load-demo").returncode == 0
    result = run("kpi", "neighbourhood-officers", "--as-of", "2025-09", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["period"], answer["baseline"], answer["latest"], answer["direction"]) == \
        ("2025/26 Q1", 664, 666, "up")
    # in June 2024 nobody knew the 2024/25 baseline, nor any 2025/26 figure
    early = run("kpi", "neighbourhood-officers", "--as-of", "2024-06-30", "--json")
    assert early.returncode == 0, early.stderr
    answer = json.loads(early.stdout)
    assert (answer["period"], answer["baseline"], answer["latest"], answer["direction"]) == (None, None, None, "none")
