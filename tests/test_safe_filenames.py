"""File names from data: a section named to climb out of the folder, or holding a slash, is written inside it
under a safe name, by the real `kpibot digest run --dry-run`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.filenames import UnsafePath, path_inside, safe_filename, safe_stem

KPIBOT = str(Path(sys.executable).with_name("kpibot"))
TRAVERSAL = "../../../../tmp/x/PWNED"
LONG_SECTION = " ".join(["Long"] * 60)   # 299 characters: more than a file system takes in one name
STEM = "quarterly-2025-26-Q2"


@pytest.mark.parametrize("text, expected", [
    ("../../../../tmp/x/PWNED", "tmp-x-PWNED"),
    ("a/b", "a-b"),
    ("Public Interaction", "Public-Interaction"),
    ("2025/26 Q2", "2025-26-Q2"),
    ("Équipe de l'été", "Equipe-de-l-ete"),
    ("C:\\Windows\\system32", "C-Windows-system32"),
    ("name\x00with\nbreaks", "name-with-breaks"),
    ("..", "file"),
    (".", "file"),
    ("", "file"),
    ("///", "file"),
    ("日本語", "file"),
])
def test_a_stem_is_ascii_letters_digits_and_dashes(text, expected):
    assert safe_stem(text) == expected


def test_a_long_stem_is_cut_and_keeps_two_long_names_apart():
    first, second = safe_stem("a" * 200 + "x"), safe_stem("a" * 200 + "y")
    assert len(first) == len(second) == 80
    assert first[:71] == second[:71] == "a" * 71
    assert first != second


def test_the_fallback_names_an_empty_stem():
    assert safe_stem("..", fallback="chart") == "chart"


@pytest.mark.parametrize("name, expected", [
    ("../../../../tmp/x/pwned.png", "tmp-x-pwned.png"),
    ("a/b.png", "a-b.png"),
    ("...png", "chart.png"),
    ("complaint-reviews.png", "complaint-reviews.png"),
    ("Report.PDF", "Report.pdf"),
    ("no extension", "no-extension"),
    ("archive.tar/../../x", "archive-tar-x"),
    ("..", "chart"),
])
def test_a_filename_keeps_a_short_extension_and_a_dot_free_stem(name, expected):
    assert safe_filename(name, fallback="chart") == expected


def test_a_path_inside_the_folder_is_given_back(tmp_path):
    assert path_inside(tmp_path, "a-b.png") == tmp_path / "a-b.png"


@pytest.mark.parametrize("name", ["../PWNED.png", "../../../../tmp/x/PWNED", "/etc/passwd", ".", "sub/../.."])
def test_a_path_that_climbs_out_is_refused(tmp_path, name):
    with pytest.raises(UnsafePath, match="not inside"):
        path_inside(tmp_path / "out", name)


def test_a_link_in_the_folder_pointing_outside_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "chart.png").symlink_to(tmp_path / "elsewhere.png")
    with pytest.raises(UnsafePath):
        path_inside(tmp_path / "out", "chart.png")


def _kpibot(args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    return subprocess.run([KPIBOT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _metric(slug: str, section: str) -> str:
    return (f"  - slug: {slug}\n    name: {slug.replace('-', ' ').capitalize()}\n    definition: Events in the month.\n"
            f"    section: {json.dumps(section)}\n    unit: count\n    aggregate: sum\n    polarity: higher_better\n")


@pytest.fixture(scope="module")
def hostile_catalog(tmp_path_factory):
    """A database with the shipped catalog, no other figures, and three sections whose names are hostile as
    file names, each with one metric and figures for 2025/26 Q2 (so each gets a chart in the quarterly digest)."""
    workdir = tmp_path_factory.mktemp("deep") / "er" / "and" / "deeper"
    workdir.mkdir(parents=True)
    assert _kpibot(["init"], workdir).returncode == 0
    sections = {"climbing-events": TRAVERSAL, "slash-events": "a/b", "long-events": LONG_SECTION}
    (workdir / "hostile.yaml").write_text(
        "sections:\n" + "".join(f"  - {{name: {json.dumps(s)}, kind: office}}\n" for s in sections.values())
        + "metrics:\n" + "".join(_metric(slug, section) for slug, section in sections.items()), encoding="utf-8")
    (workdir / "figures.csv").write_text("metric,period,value\n" + "".join(
        f"{slug},{month},{n}\n" for slug in sections for n, month in enumerate(["2025-07", "2025-08", "2025-09"], 3)))
    for step in (["import", "catalog", "hostile.yaml"], ["import", "observations", "figures.csv"]):
        done = _kpibot(step, workdir)
        assert done.returncode == 0, done.stderr
    return workdir


def _everything_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*")}


def test_a_dry_run_writes_every_file_inside_its_folder_under_a_safe_name(hostile_catalog):
    workdir = hostile_catalog
    top = workdir.parents[2]
    before = _everything_under(top)
    out = workdir / "out"
    result = _kpibot(["digest", "run", "quarterly", "--dry-run", "--out", "out", "--as-of", "2025-10-06"], workdir)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr

    written = _everything_under(top) - before
    assert {p.parent for p in written if p.is_file()} == {out}
    assert not Path("/tmp/x/PWNED.png").exists() and not Path("/tmp/x/pwned.png").exists()
    names = sorted(p.name for p in out.iterdir())
    long_chart = next(n for n in names if n.startswith(f"{STEM}-long-long"))
    assert names == sorted([f"{STEM}.json", f"{STEM}.txt", f"{STEM}-tmp-x-pwned.png", f"{STEM}-a-b.png", long_chart])
    assert len(long_chart) == len(STEM) + 1 + 80 + len(".png")
    payload = json.loads((out / f"{STEM}.json").read_text(encoding="utf-8"))
    assert sorted(c["file"] for c in payload["charts"]) == sorted(n for n in names if n.endswith(".png"))
    assert all(f"wrote out/{name}" in result.stdout for name in names)


def test_a_dry_run_into_a_folder_with_a_link_out_of_it_writes_nothing(hostile_catalog, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.png"
    (out / f"{STEM}-a-b.png").symlink_to(outside)
    result = _kpibot(["digest", "run", "quarterly", "--dry-run", "--out", str(out), "--as-of", "2025-10-06"],
                     hostile_catalog)
    assert result.returncode == 1
    assert "is not inside" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert not outside.exists()
    assert sorted(p.name for p in out.iterdir()) == [f"{STEM}-a-b.png"]
