"""Dry runs: digests written to a folder, each file named by its digest and period so none overwrites another."""
from __future__ import annotations

import json
from datetime import date

from answers.mentions import conversation
from answers.response import Chart, Response
from bot.dry_run import write_digest
from digests.content import Digest
from tests.memory_platform import MemoryPlatform

PNG = b"\x89PNG\r\n\x1a\n"


def as_text(response: Response) -> dict:
    """A platform's message for the files' sake: its text (Slack's own is written in tests/test_slack_render.py)."""
    return {"text": MemoryPlatform().render(response)}


def _digest(kind: str, period: str, marker: bytes) -> Digest:
    """A digest carrying the two charts every digest has, their bytes marked by the digest they belong to."""
    charts = [Chart(title="Complaint reviews", png=PNG + marker, alt_text="reviews", filename="complaint-reviews.png"),
              Chart(title="CSP balances", png=PNG + marker, alt_text="csp", filename="csp-balances.png")]
    return Digest(kind, period, date(2025, 10, 6), Response(title=f"{kind} digest", charts=charts))


def test_weekly_then_quarterly_to_one_folder_keeps_both_sets_of_charts(tmp_path):
    write_digest(_digest("weekly", "2025-W41", b"weekly"), tmp_path, as_text)
    write_digest(_digest("quarterly", "2025/26 Q2", b"quarterly"), tmp_path, as_text)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "quarterly-2025-26-Q2-complaint-reviews.png", "quarterly-2025-26-Q2-csp-balances.png",
        "quarterly-2025-26-Q2.json", "quarterly-2025-26-Q2.txt",
        "weekly-2025-W41-complaint-reviews.png", "weekly-2025-W41-csp-balances.png",
        "weekly-2025-W41.json", "weekly-2025-W41.txt",
    ]
    assert (tmp_path / "weekly-2025-W41-csp-balances.png").read_bytes() == PNG + b"weekly"
    assert (tmp_path / "quarterly-2025-26-Q2-csp-balances.png").read_bytes() == PNG + b"quarterly"


def test_the_message_names_the_chart_files_as_written(tmp_path):
    written = write_digest(_digest("quarterly", "2025/26 Q2", b"q"), tmp_path, as_text)
    payload = json.loads((tmp_path / "quarterly-2025-26-Q2.json").read_text())
    assert [c["file"] for c in payload["charts"]] == ["quarterly-2025-26-Q2-complaint-reviews.png",
                                                      "quarterly-2025-26-Q2-csp-balances.png"]
    assert {p.name for p in written} >= {c["file"] for c in payload["charts"]}


def test_two_weeks_to_one_folder_are_kept_apart(tmp_path):
    write_digest(_digest("weekly", "2025-W41", b"41"), tmp_path, as_text)
    write_digest(_digest("weekly", "2025-W42", b"42"), tmp_path, as_text)
    assert (tmp_path / "weekly-2025-W41-complaint-reviews.png").read_bytes() == PNG + b"41"
    assert (tmp_path / "weekly-2025-W42-complaint-reviews.png").read_bytes() == PNG + b"42"


def test_the_real_digests_of_panel_week_share_a_folder(demo_db, settings, tmp_path):
    """The weekly digest of 6 Oct 2025 and the 2025/26 Q2 quarterly, as `kpibot digest run --dry-run` builds them."""
    from dataclasses import replace

    from bot.app import build_registry
    from tests.conftest import PANEL_DAY
    from digests.content import digest_builder
    from digests.schedule import occurrence_for

    context = build_registry(settings, demo_db, clock=lambda: PANEL_DAY).context
    build = digest_builder(context)
    monday = date(2025, 10, 6)
    weekly = build(replace(occurrence_for("weekly", monday), as_of=monday))
    quarterly = build(occurrence_for("quarterly", monday))
    write_digest(weekly, tmp_path, as_text)
    write_digest(quarterly, tmp_path, as_text)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    for stem in ("weekly-2025-W41", "quarterly-2025-26-Q2"):
        assert f"{stem}-complaint-reviews.png" in pngs and f"{stem}-csp-balances.png" in pngs
    assert len(pngs) == len(weekly.charts) + len(quarterly.charts)


def test_chart_names_from_data_are_made_safe_and_kept_apart(tmp_path):
    """Sections `a/b` and `a b` give one safe name; the second chart gets -2 rather than overwriting the first."""
    charts = [Chart(title=title, png=PNG + title.encode(), alt_text=title, filename=name) for title, name in
              [("a/b", "a/b.png"), ("a b", "a-b.png"), ("..", "...png"), ("climbing", "../../../../tmp/x/pwned.png")]]
    written = write_digest(Digest("quarterly", "2025/26 Q2", date(2025, 10, 6), Response(title="q", charts=charts)),
                           tmp_path / "out", as_text)
    assert [p.name for p in written] == [
        "quarterly-2025-26-Q2.json", "quarterly-2025-26-Q2.txt", "quarterly-2025-26-Q2-a-b.png",
        "quarterly-2025-26-Q2-a-b-2.png", "quarterly-2025-26-Q2-chart.png", "quarterly-2025-26-Q2-tmp-x-pwned.png",
    ]
    assert all(p.parent == tmp_path / "out" for p in written)
    assert (tmp_path / "out" / "quarterly-2025-26-Q2-a-b-2.png").read_bytes() == PNG + b"a b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_message_is_written_as_the_callers_platform_renders_it(tmp_path):
    platform = MemoryPlatform()
    digest = Digest("weekly", "2025-W41", date(2025, 10, 6),
                    Response(title="Weekly digest", notes=[f"Case list only in {conversation('C0GOV')}."]),
                    held_reason="no figures")
    written = write_digest(digest, tmp_path, render=lambda response: {"said": platform.render(response)},
                           suffix=".memory.json")
    assert [p.name for p in written] == ["weekly-2025-W41.memory.json", "weekly-2025-W41.txt"]
    assert json.loads(written[0].read_text()) == {
        "held_reason": "no figures", "said": "Weekly digest\nCase list only in #C0GOV.", "charts": []}
    assert written[1].read_text() == "Weekly digest\nCase list only in #C0GOV.\n"   # mentions as plain text
