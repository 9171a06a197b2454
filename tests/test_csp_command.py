"""/csp on the demo dataset: the Panel pack's CSP balances, one area's spend lines, lenient area names, bad input."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.app import build_registry
from bot.render_text import render_text
from commands import csp
from commands.csp_areas import match_area
from commands.registry import CommandRegistry
from storage.csp_queries import year_days_elapsed
from storage.periods import FinancialYear
from tests.memory_platform import MemoryPlatform

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


@pytest.mark.parametrize("line", ["/csp as of 2025-10-01", "/CSP AS OF 2025-10-01", "/csp as of 2025-10-01 public",
                                  "/csp as of 01/10/2025", "/csp as of 1 Oct 2025", "/csp 01/10/2025"])
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
    ("hinkley", "Hinckley and Bosworth"),    # misspelt: the closest spelling of one area
    ("leicster", "Leicester"),
    ("charnwod", "Charnwood"),
    ("harbrough", "Harborough"),
    ("oadby wigstun", "Oadby and Wigston"),
    ("leicester 2025/26", "Leicester"),      # with the year
    ("2025/26 leicester", "Leicester"),
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
    assert match_area("leicester", areas) == ["Leicester"]
    assert match_area("nwl", areas) == ["North West Leicestershire"]
    assert match_area("leicestersh", areas) == ["North West Leicestershire", "Leicestershire Rural"]
    assert match_area("&", areas) == []


def test_a_misspelling_close_to_several_areas_offers_them_all():
    # 'malton' is one letter from both (5 of 6 letters in place: 0.83 each); 'atlantis' is close to none.
    assert match_area("malton", ["Melton", "Milton", "Rutland"]) == ["Melton", "Milton"]
    assert match_area("atlantis", DEMO_AREAS) == []
    assert match_area("hinkley", DEMO_AREAS) == ["Hinckley and Bosworth"]


def test_a_misspelt_area_close_to_two_offers_both_as_choices(db, settings, write_file):
    from storage.importers.csp import import_csp_allocations

    with db.session() as session:
        import_csp_allocations(session, write_file("a.csv", "year,area,allocation\n2025/26,Melton,1000\n"
                                                            "2025/26,Milton,2000\n"), "test", PANEL_DAY)
    response = _registry(db, settings).run_line("/csp malton")
    assert response.is_error
    # Equally close, so in the balances' order: the larger allocation first.
    assert response.title == "'malton' could be more than one CSP area: Milton, Melton."
    assert response.suggestions == ["/csp Milton", "/csp Melton"]


# --- the default as-of date -----------------------------------------------------------------------------

def test_a_current_year_without_allocations_says_so_and_offers_the_latest(demo_db, settings):
    registry = _registry(demo_db, settings, LATER_DAY)
    response = registry.run_line("/csp")
    assert not response.is_error
    assert response.title == "There are no CSP allocations for 2026/27, the current financial year."
    assert response.table is None
    assert response.notes == ["Years with allocations: 2025/26.",
                              "The latest year with allocations is 2025/26: /csp 2025/26"]
    assert response.suggestions == ["/csp 2025/26"]
    area = registry.run_line("/csp blaby")
    assert area.title == response.title
    assert area.suggestions == ["/csp blaby 2025/26"]


def test_a_past_year_answers_at_its_end_and_says_how_old_its_spend_is(demo_db, settings):
    registry = _registry(demo_db, settings, LATER_DAY)
    response = registry.run_line("/csp blaby 2025/26")
    assert response.title == "CSP Blaby: £24,705.26 remaining of £52,665.76 (2025/26, as of 31 Mar 2026)"
    # The whole year has gone and 53.1% is spent: more than 25 points behind.
    assert _facts(response)["Year elapsed"] == "100% (365 of 365 days)"
    assert _facts(response)["Lagging"] == "Yes: spend trails the year"
    assert response.notes[0] == ("The latest spend line of 2025/26 is dated 15 Sep 2025, 14 months ago: "
                                 "later spend may not be loaded yet.")
    balances = registry.run_line("/csp 2025/26")
    assert balances.title == "CSP balances 2025/26, as of 31 Mar 2026"
    assert balances.table.rows[-1] == BALANCES[-1]


def test_a_year_typed_answers_for_that_year(registry):
    response = registry.run_line("/csp 2025/26")
    assert response.title == "CSP balances 2025/26, as of 27 Oct 2025"  # the year is not over: today
    assert response.table.rows == BALANCES
    assert not any("latest spend line" in note for note in response.notes)  # 15 Sep is recent on 27 Oct


def test_a_quarter_typed_answers_at_its_end(registry):
    response = registry.run_line("/csp 2025/26 Q2")
    assert response.title == "CSP balances 2025/26, as of 30 Sep 2025"
    assert _facts(response)["Year elapsed"] == "50.1% (183 of 365 days)"  # 1 Apr to 30 Sep inclusive


def test_a_year_without_allocations_offers_the_years_that_have_them(registry):
    response = registry.run_line("/csp 2024/25")
    assert response.is_error
    assert response.title == "There are no CSP allocations for 2024/25."
    assert response.notes == ["Years with allocations: 2025/26.",
                              "The latest year with allocations is 2025/26: /csp 2025/26"]
    assert response.suggestions == ["/csp 2025/26"]
    assert registry.run_line("/csp leicester 2024/25").suggestions == ["/csp leicester 2025/26"]


def test_an_explicit_as_of_always_wins(demo_db, settings):
    registry = _registry(demo_db, settings, LATER_DAY)
    response = registry.run_line("/csp as of 2025-10-01")
    assert _facts(response)["Year elapsed"] == "50.4% (184 of 365 days)"
    assert not any("no CSP allocations" in note for note in response.notes)


def test_an_as_of_year_without_allocations_lists_those_that_have_them(registry):
    response = registry.run_line("/csp as of 2030-01-01")
    assert response.is_error
    assert response.title == "There are no CSP allocations for 2029/30 (the year of 1 Jan 2030)."
    assert response.notes == ["Years with allocations: 2025/26.",
                              "The latest year with allocations is 2025/26: /csp 2025/26"]


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
    assert MemoryPlatform().render(response).startswith(title)


@pytest.mark.parametrize("line", ["/csp", "/csp leicester", "/csp b", "/csp atlantis"])
def test_every_answer_renders(registry, line):
    """Rendered as a platform would (Slack's rendering of the same answers: tests/test_slack_command_answers.py)."""
    response = registry.run_line(line)
    assert MemoryPlatform().render(response).startswith(response.title) and response.title.strip()


@pytest.mark.parametrize("as_of, days", [
    (date(2025, 3, 31), (0, 365)),
    (date(2025, 4, 1), (1, 365)),
    (date(2025, 10, 1), (184, 365)),
    (date(2026, 3, 31), (365, 365)),
    (date(2026, 6, 1), (365, 365)),
])
def test_year_days_elapsed(as_of, days):
    assert year_days_elapsed(FinancialYear(2025), as_of) == days


def test_a_long_text_is_not_echoed_in_full(registry):
    response = registry.run_line("/csp " + "x" * 5000)
    assert response.is_error
    assert response.title == "I don't know a CSP area called '" + "x" * 79 + "\u2026'."
