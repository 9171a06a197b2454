"""The Teams smoke test from pytest: the Agents Playground's page, in headless Chromium, asks the real bot.

It runs where node, Chromium and the Playground (npm ci in tests/playground) are installed, as `.ci/run` does,
and is skipped elsewhere with what is missing. Everything it starts runs in a network namespace with only a
loopback interface (tests/teams_smoke.py), under a hard time limit.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import teams_smoke

ROOT = Path(__file__).resolve().parent.parent


def test_the_playground_shows_58_percent_for_calls_under_25s(tmp_path):
    lacking = teams_smoke.missing_tools()
    if lacking:
        pytest.skip("; ".join(lacking))
    shot = tmp_path / "teams-smoke.png"
    done = subprocess.run([sys.executable, "-m", "tests.teams_smoke", "--out", str(shot)], cwd=ROOT,
                          capture_output=True, text=True, timeout=teams_smoke.TOTAL_S + 60)
    if done.returncode == 2 and "network namespace" in done.stderr:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr + done.stdout
    assert '"kpi calls-under-25s" answered with a card: ' in done.stdout
    card = done.stdout.split("answered with a card: ", 1)[1].splitlines()[0]
    assert "Calls answered under 25 seconds" in card and "58%" in card
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_playground_previews_a_sent_workbook_and_its_confirm_button_loads_it(tmp_path):
    """An editor sends September's volunteer hours as a workbook in the personal chat: the preview card says what
    it replaces and has Confirm import; pressing it turns that card into "Loaded ...", with no button left."""
    lacking = teams_smoke.missing_tools()
    if lacking:
        pytest.skip("; ".join(lacking))
    shot = tmp_path / "teams-upload.png"
    done = subprocess.run([sys.executable, "-m", "tests.teams_smoke", "--upload", "--out", str(shot)], cwd=ROOT,
                          capture_output=True, text=True, timeout=teams_smoke.TOTAL_S + 60)
    if done.returncode == 2 and "network namespace" in done.stderr:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr + done.stdout
    said = done.stdout
    previewed = said.split("previewed on a card: ", 1)[1].splitlines()[0]
    assert "Check volunteer-hours-sep.xlsx before it is loaded" in previewed
    assert "Volunteer hours, Sep 2025: 52 hours -> 40 hours" in previewed and "Confirm import" in previewed
    loaded = said.split("Confirm import answered with a card: ", 1)[1].splitlines()[0]
    assert loaded.startswith("Loaded volunteer-hours-sep.xlsx") and "1 replaced" in loaded
    assert "Confirm import buttons left in the chat: 0" in said
    for picture in (shot, teams_smoke.preview_of(shot)):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
