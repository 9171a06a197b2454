"""/csp on the demo dataset: the Panel pack's CSP balances, one area's spend lines, lenient area names, bad input."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.app import build_registry
from bot.render_slack import render_message
from bot.render_text import render_text
from commands import csp
from commands.registry import CommandRegistry
from storage.csp_queries import year_days_elapsed
from storage.periods import FinancialYear

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
LATER_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 2026/27 has no allocations in the demo data

# Panel pack, 27 Oct 2025: allocation, expenditure and remaining of each CSP area, largest allocation first.
BALANCES = [
    ["Leicester", "£271,818.47", "£145,252.00", "£126,566.47", "53.4%", ""],
    ["Charnwood", "£89,530.24", "£89,530.24", "£0.00", "100%", ""],
    ["SNWLP", "£53,776.10", "£0.00", "£53,776.10", "0%", "Lagging"],
    ["Blaby", "£52,665.76", "£27,960.50", "£24,705.26", "53.1%", ""],
    ["Hinckley and Bosworth", "£51,217.55", "£36,343.00", "£14,874.55", "71%", ""],
    ["Harborough", "£37,479.75", "£0.00", "£37,479.75", "0%", "Lagging"],
    ["Oadby and Wigston", "£32,554.58", "£0.00", "£32,554.58", "0%", "Lagging"],
    ["Melton Mowbray", "£31,335.75", "£31,335.75", "£0.00", "100%", ""],
    ["Rutland", "£19,296.80", "£15,354.00", "£3,942.80", "79.6%", ""],
    ["TOTAL", "£639,675.00", "£345,775.49", "£293,899.51", "54.1%", ""],
]
LAGGING_NOTE = "Spend lags the year in: SNWLP; Harborough; Oadby and Wigston."
DEMO_AREAS = ["Leicester", "Charnwood", "SNWLP", "Blaby", "Hinckley and Bosworth", "Harborough", "Oadby and Wigston",
              "Melton Mowbray", "Rutland"]


def _registry(db, settings, clock=PANEL_DAY):
    """A registry holding only /csp, with the context the app builds and a fixed clock."""
    registry = CommandRegistry(build_registry(settings, db, clock=lambda: clock).context)
    csp.register(registry)
    return registry


@pytest.fixture
def registry(demo_db, settings):
    return _registry(demo_db, settings)


def _facts(response):
    return {fact.label: fact.value for fact in response.facts}


# --- every area -----------------------------------------------------------------------------------------

def test_balances_reproduce_the_panel_pack(registry):
    response = registry.run_line("/csp")
    assert not response.is_error
    assert response.title == "CSP balances 2025/26, as of 27 Oct 2025"
    assert response.table.columns == ["Area", "Allocation", "Spent", "Remaining", "% spent", "Status"]
    assert response.table.rows == BALANCES
    assert _facts(response) == {
        "Year": "2025/26", "As of": "27 Oct 2025",
        "Year elapsed": "57.5% (210 of 365 days)",  # 1 Apr to 27 Oct inclusive
        "Total allocated": "£639,675.00", "Total spent": "£345,775.49", "Total remaining": "£293,899.51",
    }
    assert LAGGING_NOTE in response.notes


@pytest.mark.parametrize("line", ["/csp as of 2025-10-01", "/CSP AS OF 2025-10-01", "/csp as of 2025-10-01 public"])
def test_balances_as_the_panel_pack_states_them(registry, line):
    response = registry.run_line(line)
    assert response.table.rows == BALANCES
    assert _facts(response)["As of"] == "1 Oct 2025"
    assert _facts(response)["Year elapsed"] == "50.4% (184 of 365 days)"  # 184 / 365 = 50.41%
    assert LAGGING_NOTE in response.notes


def test_balances_as_the_user_reads_them(registry):
    text = render_text(registry.run_line("/csp as of 2025-10-01"))
    lines = text.splitlines()
    assert lines[0] == "CSP balances 2025/26, as of 1 Oct 2025"
    assert "  Total remaining  £293,899.51" in lines
    assert "Leicester              £271,818.47  £145,252.00  £126,566.47  53.4%" in lines
    assert "SNWLP                  £53,776.10   £0.00        £53,776.10   0%       Lagging" in lines
    assert "TOTAL                  £639,675.00  £345,775.49  £293,899.51  54.1%" in lines
    assert LAGGING_NOTE in lines


def test_an_earlier_date_counts_spend_to_that_date(registry):
    response = registry.run_line("/csp rutland as of 2025-06-30")
    assert _facts(response) == {
        "Allocation": "£19,296.80", "Spent": "£9,854.00", "Remaining": "£9,442.80", "% spent": "51.1%",
        "Year elapsed": "24.9% (91 of 365 days)", "Lagging": "No",
    }
    assert response.table.rows == [["3 Jun 2025", "Weekly Targeted Support Group for Young Girls", "£9,854.00"]]


# --- one area -------------------------------------------------------------------------------------------

def test_one_area_with_its_spend_lines_oldest_first(registry):
    response = registry.run_line("/csp leicester")
    assert response.title == "CSP Leicester: £126,566.47 remaining of £271,818.47 (2025/26, as of 27 Oct 2025)"
    assert _facts(response) == {
        "Allocation": "£271,818.47", "Spent": "£145,252.00", "Remaining": "£126,566.47", "% spent": "53.4%",
        "Year elapsed": "57.5% (210 of 365 days)", "Lagging": "No",
    }
    assert response.table.columns == ["Date", "Project", "Amount"]
    assert response.table.rows == [
        ["14 Apr 2025", "NTE Ambulance St John", "£31,000.00"],
        ["19 May 2025", "CCTV Camera 269", "£8,750.00"],
        ["27 May 2025", "Early Intervention Team", "£28,778.00"],
        ["16 Jun 2025", "Premier League Kicks Roadshow LCITC", "£15,000.00"],
        ["8 Jul 2025", "AAA foundation Netherhall Afterschool Club", "£1,446.00"],
        ["21 Jul 2025", "Netherhall Fun Day Support Funds", "£500.00"],
        ["26 Aug 2025", "Early Intervention Team", "£28,778.00"],
        ["15 Sep 2025", "NTE Ambulance St John", "£31,000.00"],
    ]


def test_an_area_with_nil_spend_is_lagging(registry):
    response = registry.run_line("/csp nwl")
    assert response.title.startswith("CSP SNWLP: £53,776.10 remaining of £53,776.10")
    assert _facts(response)["Lagging"] == "Yes: spend trails the year"
    assert response.table is None
    assert "No spend lines in 2025/26 up to 27 Oct 2025." in response.notes


@pytest.mark.parametrize("text, area", [
    ("leicester", "Leicester"),
    ("LEICESTER", "Leicester"),
    ("Leicester City", "Leicester"),        # the project list's name for the area
    ("nwl", "SNWLP"),
    ("snwlp", "SNWLP"),
    ("hinckley", "Hinckley and Bosworth"),
    ("Hinckley & Bosworth", "Hinckley and Bosworth"),
    ("hinckley bosworth and", "Hinckley and Bosworth"),
    ("hb", "Hinckley and Bosworth"),
    ("H&B", "Hinckley and Bosworth"),
    ("o&w", "Oadby and Wigston"),
    ("O & W", "Oadby and Wigston"),
    ("oadby and wigston", "Oadby and Wigston"),
    ("Oadby-Wigston", "Oadby and Wigston"),
    ("melton", "Melton Mowbray"),
    ("harboro", "Harborough"),
    ("RUTLAND", "Rutland"),
])
def test_area_names_are_matched_leniently(registry, text, area):
    response = registry.run_line(f"/csp {text}")
    assert not response.is_error, response.title
    assert response.title.startswith(f"CSP {area}: ")


def test_an_ambiguous_name_lists_the_candidates(registry):
    response = registry.run_line("/csp b as of 2025-10-01")
    assert response.is_error
    assert response.title == "'b' could be more than one CSP area: Blaby, Hinckley and Bosworth."
    assert response.suggestions == ["/csp Blaby as of 2025-10-01", "/csp Hinckley and Bosworth as of 2025-10-01"]
    assert registry.run_line(response.suggestions[1]).title.startswith("CSP Hinckley and Bosworth: ")


def test_an_exact_name_beats_a_longer_one():
    areas = ["Leicester", "North West Leicestershire", "Leicestershire Rural"]
    assert csp.match_area("leicester", areas) == ["Leicester"]
    assert csp.match_area("nwl", areas) == ["North West Leicestershire"]
    assert csp.match_area("leicestersh", areas) == ["North West Leicestershire", "Leicestershire Rural"]
    assert csp.match_area("&", areas) == []


# --- the default as-of date -----------------------------------------------------------------------------

def test_a_year_without_allocations_answers_for_the_latest_one(demo_db, settings):
    registry = _registry(demo_db, settings, LATER_DAY)
    response = registry.run_line("/csp")
    assert response.title == "CSP balances 2025/26, as of 15 Sep 2025"
    assert response.table.rows[-1] == BALANCES[-1]
    assert response.notes[0] == (
        "There are no CSP allocations for 2026/27, so this answers for 2025/26 as of 15 Sep 2025, "
        "the date of its last spend line; add `as of YYYY-MM-DD` for another date.")
    area = registry.run_line("/csp blaby")
    assert _facts(area)["Remaining"] == "£24,705.26"
    assert area.notes[0] == response.notes[0]


def test_an_explicit_as_of_always_wins(demo_db, settings):
    registry = _registry(demo_db, settings, LATER_DAY)
    response = registry.run_line("/csp as of 2025-10-01")
    assert _facts(response)["Year elapsed"] == "50.4% (184 of 365 days)"
    assert not any("no CSP allocations" in note for note in response.notes)


def test_an_as_of_year_without_allocations_lists_those_that_have_them(registry):
    response = registry.run_line("/csp as of 2030-01-01")
    assert response.is_error
    assert response.title == "There are no CSP allocations for 2029/30 (the year of 1 Jan 2030)."
    assert response.notes == ["Years with allocations: 2025/26. Try /csp as of 2026-03-31."]


def test_nothing_loaded_says_how_to_load_it(db, settings):
    response = _registry(db, settings).run_line("/csp")
    assert not response.is_error
    assert response.title == "No CSP allocations are loaded yet."
    assert "kpibot import csp-allocations FILE" in response.notes[0]


# --- usage and bad input --------------------------------------------------------------------------------

def test_public_posts_in_the_channel(registry):
    assert registry.run_line("/csp public").public
    assert registry.run_line("/csp hb public").public
    assert not registry.run_line("/csp hb").public
    assert not registry.run_line("/csp atlantis public").public


def test_help(registry):
    response = registry.run_line("/csp HELP")
    assert not response.is_error
    assert response.notes == csp.HELP.splitlines()
    assert registry.help_texts["/csp"] == csp.HELP


@pytest.mark.parametrize("line, title, hint", [
    ("/csp atlantis", "I don't know a CSP area called 'atlantis'.",
     "Areas with a 2025/26 allocation: " + ", ".join(DEMO_AREAS) + "."),
    ("/csp as of 2030-01-01", "There are no CSP allocations for 2029/30", "Years with allocations: 2025/26."),
    ("/csp as of", "`as of` goes at the end, followed by a date", "Example: /csp as of 2025-10-01"),
    ("/csp as of 1 October", "'1 October' is not a date or month", "Example: /csp as of 2025-10-01"),
    ("/csp as of 2025-10-01 leicester", "`as of` goes at the end", "Example: /csp as of 2025-10-01"),
    ("/csp as of 2025-13-01", "'2025-13-01' is not a date or month", "Example: /csp as of 2025-10-01"),
])
def test_bad_input_says_what_would_work(registry, line, title, hint):
    response = registry.run_line(line)
    assert response.is_error
    assert response.title.startswith(title)
    assert any(hint in note for note in response.notes)
    assert render_message(response)["blocks"]


@pytest.mark.parametrize("line", ["/csp", "/csp leicester", "/csp b", "/csp atlantis"])
def test_every_answer_renders_for_slack(registry, line):
    message = render_message(registry.run_line(line))
    assert message["blocks"]
    assert message["text"]


@pytest.mark.parametrize("as_of, days", [
    (date(2025, 3, 31), (0, 365)),
    (date(2025, 4, 1), (1, 365)),
    (date(2025, 10, 1), (184, 365)),
    (date(2026, 3, 31), (365, 365)),
    (date(2026, 6, 1), (365, 365)),
])
def test_year_days_elapsed(as_of, days):
    assert year_days_elapsed(FinancialYear(2025), as_of) == days
