"""/reviews on the demo dataset: the Commissioner's quarterly table, this month and last, overdue cases, bad input."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.app import build_registry
from bot.render_text import render_text
from commands import reviews
from commands.registry import CommandRegistry
from storage.importers.reviews import import_reviews
from storage.periods import Quarter
from storage.review_queries import due_soon_reviews
from storage.reviews import Review

from tests.conftest import PANEL_DAY, TODAY
from tests.memory_platform import MemoryPlatform

# Over a year after the demo log's last entry (30 Sep 2025).
LATER_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LOG_ENDS_TODAY = ("The review log's latest entry is 30 Sep 2025, 14 months ago: "
                  "cases received or completed since are not loaded yet.")

# The Commissioner's update to the 27 Oct 2025 Panel: Month, Received, Not upheld, Completed within 28 days,
# Not completed within 28 days, Learning/recommendations.
Q2_TABLE = [
    ["Jul 2025", "18", "0", "2", "16", "0"],
    ["Aug 2025", "24", "0", "12", "12", "0"],
    ["Sep 2025", "24", "0", "15", "0", "0"],
    ["Total", "66", "0", "29", "28", "0"],
]
# Open September cases in storage/demo/reviews.csv, due 28 days after receipt, as they stand on 27 Oct 2025.
OVERDUE_ON_PANEL_DAY = [
    ["CR-2025-0058", "19 Sep 2025", "17 Oct 2025", "10"],
    ["CR-2025-0059", "22 Sep 2025", "20 Oct 2025", "7"],
    ["CR-2025-0060", "23 Sep 2025", "21 Oct 2025", "6"],
    ["CR-2025-0061", "23 Sep 2025", "21 Oct 2025", "6"],
    ["CR-2025-0062", "24 Sep 2025", "22 Oct 2025", "5"],
    ["CR-2025-0063", "25 Sep 2025", "23 Oct 2025", "4"],
    ["CR-2025-0064", "26 Sep 2025", "24 Oct 2025", "3"],
]
# The same nine open cases on 1 Dec 2026, none completed since: days from each due date to 1 Dec 2026
# (17 Oct 2025 + 365 days is 17 Oct 2026, then 14 days of October, 30 of November and 1 of December: 410).
OVERDUE_TODAY = [
    ["CR-2025-0058", "19 Sep 2025", "17 Oct 2025", "410"],
    ["CR-2025-0059", "22 Sep 2025", "20 Oct 2025", "407"],
    ["CR-2025-0060", "23 Sep 2025", "21 Oct 2025", "406"],
    ["CR-2025-0061", "23 Sep 2025", "21 Oct 2025", "406"],
    ["CR-2025-0062", "24 Sep 2025", "22 Oct 2025", "405"],
    ["CR-2025-0063", "25 Sep 2025", "23 Oct 2025", "404"],
    ["CR-2025-0064", "26 Sep 2025", "24 Oct 2025", "403"],
    ["CR-2025-0065", "29 Sep 2025", "27 Oct 2025", "400"],
    ["CR-2025-0066", "30 Sep 2025", "28 Oct 2025", "399"],
]
# Due on the day itself is not yet overdue; these two are due within the next 7 days.
DUE_SOON_ON_PANEL_DAY = [
    ["CR-2025-0065", "29 Sep 2025", "27 Oct 2025", "0"],
    ["CR-2025-0066", "30 Sep 2025", "28 Oct 2025", "1"],
]


def _registry(db, settings, clock=PANEL_DAY):
    """A registry holding only /reviews, with the context the app builds and a fixed clock."""
    registry = CommandRegistry(build_registry(settings, db, clock=lambda: clock).context)
    reviews.register(registry)
    return registry


@pytest.fixture
def registry(demo_db, settings):
    return _registry(demo_db, settings)


def _facts(response):
    return {fact.label: fact.value for fact in response.facts}


# --- a quarter ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "/reviews 2025/26 Q2",
    "/reviews quarter 2025/26 Q2",
    "/reviews Q2 2025/26",
    "/REVIEWS QUARTER 2025/26 q2",
    "/reviews quarter",  # the last complete quarter before 27 Oct 2025
    "/reviews 2025/26 Q2 as of 2025-12-31",  # counted at the quarter's end, not later
    "/reviews Q2",  # of the financial year 27 Oct 2025 is in
    "/reviews last quarter",
    "/reviews quarter last quarter",
    "/reviews 2025/26 Q2 as of 31/12/2025",
])
def test_quarter_reproduces_the_commissioners_update(registry, line):
    response = registry.run_line(line)
    assert not response.is_error
    assert response.title == "Complaint reviews 2025/26 Q2 (Jul-Sep 2025), as of 30 Sep 2025"
    assert response.table.columns == ["Month", "Received", "Not upheld", "Completed within 28 days",
                                      "Not completed within 28 days", "Learning/recommendations"]
    assert response.table.rows == Q2_TABLE
    assert _facts(response) == {"Received": "66", "Completed in the quarter": "57",
                                "Average days to complete": "35 days", "Counted as of": "30 Sep 2025"}


def test_quarter_counted_on_an_earlier_as_of_date(registry):
    response = registry.run_line("/reviews 2025/26 Q2 as of 2025-08-31")
    assert response.title == "Complaint reviews 2025/26 Q2 (Jul-Sep 2025), as of 31 Aug 2025"
    assert response.table.rows == [
        ["Jul 2025", "18", "0", "2", "16", "0"],
        ["Aug 2025", "24", "0", "2", "1", "0"],  # only 1 August case (1 Aug) was past due by 31 Aug
        ["Sep 2025", "0", "0", "0", "0", "0"],
        ["Total", "42", "0", "4", "17", "0"],
    ]
    assert _facts(response)["Average days to complete"] == "32.5 days"
    assert "2025/26 Q2 is not over: counted as of 31 Aug 2025." in response.notes


def test_current_quarter_is_counted_to_today(registry):
    response = registry.run_line("/reviews 2025/26 Q3")
    assert response.title == "Complaint reviews 2025/26 Q3 (Oct-Dec 2025), as of 27 Oct 2025"
    assert response.table.rows[-1] == ["Total", "0", "0", "0", "0", "0"]
    assert _facts(response)["Average days to complete"] == "N/A"
    assert "2025/26 Q3 is not over: counted as of 27 Oct 2025." in response.notes


def test_a_quarter_not_yet_begun_says_which_would_work(registry):
    response = registry.run_line("/reviews 2026/27 Q1")
    assert response.is_error
    assert response.title == "2026/27 Q1 had not begun on 27 Oct 2025."
    assert "/reviews 2025/26 Q2" in response.notes[0]


def test_review_due_days_come_from_the_context(registry):
    registry.context.review_due_days = 35
    response = registry.run_line("/reviews 2025/26 Q2")
    assert response.table.columns[3:5] == ["Completed within 35 days", "Not completed within 35 days"]
    overdue = registry.run_line("/reviews overdue as of 2025-10-27")
    # 19 Sep + 35 days = 24 Oct is past; 22 Sep + 35 = 27 Oct is due that day.
    assert [row[0] for row in overdue.table.rows] == ["CR-2025-0058"]
    assert "A review is due 35 days after it is received." in overdue.notes


# --- this month and last month --------------------------------------------------------------------------

def test_this_month_and_last_month(registry):
    response = registry.run_line("/reviews")
    assert response.title == "Complaint reviews as of 27 Oct 2025"
    assert response.table.columns == ["Month", "Received", "Completed within 28 days", "Not completed within 28 days",
                                      "Upheld", "Avg days to complete"]
    assert response.table.rows == [
        # 9 September cases still open on 27 Oct, 7 of them past due; 51 reviews completed in September.
        ["Sep 2025", "24", "15", "7", "15", "35.3 days"],
        ["Oct 2025", "0", "0", "0", "0", "N/A"],
    ]
    assert _facts(response) == {"Open on 27 Oct 2025": "9", "Overdue": "7", "Due in the next 7 days": "2"}


@pytest.mark.parametrize("line", [
    "/reviews month 2025-09",
    "/reviews 2025-09",
    "/reviews as of 2025-09-30",
    "/reviews month September 2025",
    "/reviews Sep 2025",
    "/Reviews MONTH 2025-09",
    "/reviews last month",  # Sep 2025, the month before 27 Oct 2025
    "/reviews month last month",
    "/reviews as of 30/09/2025",
    "/reviews as of 30 Sep 2025",
])
def test_month_and_the_month_before(registry, line):
    response = registry.run_line(line)
    assert response.title == "Complaint reviews as of 30 Sep 2025"
    assert response.table.rows == [
        ["Aug 2025", "24", "12", "12", "24", "32.5 days"],
        ["Sep 2025", "24", "15", "0", "15", "35.3 days"],
    ]


# --- overdue --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line", ["/reviews overdue as of 2025-10-27", "/reviews overdue", "/reviews OVERDUE",
                                  "/reviews overdue as of 27/10/2025", "/reviews overdue as of 27 Oct 2025",
                                  "/reviews overdue 27/10/2025"])
def test_overdue_on_the_panel_day(registry, line):
    response = registry.run_line(line)
    assert response.title == "7 complaint reviews overdue on 27 Oct 2025"
    assert response.table.columns == ["Reference", "Received", "Due", "Days overdue"]
    assert response.table.rows == OVERDUE_ON_PANEL_DAY
    assert _facts(response) == {"Open on 27 Oct 2025": "9", "Overdue": "7", "Due in the next 7 days": "2"}
    [due_soon] = response.parts
    assert due_soon.title == "Due in the next 7 days"
    assert due_soon.table.columns == ["Reference", "Received", "Due", "Days left"]
    assert due_soon.table.rows == DUE_SOON_ON_PANEL_DAY


def test_overdue_as_the_user_reads_it(registry):
    text = render_text(registry.run_line("/reviews overdue as of 2025-10-27"))
    assert text.startswith("7 complaint reviews overdue on 27 Oct 2025\n")
    assert """Reference     Received     Due          Days overdue
------------  -----------  -----------  ------------
CR-2025-0058  19 Sep 2025  17 Oct 2025  10
""" in text
    assert text.endswith("""A review is due 28 days after it is received.

Due in the next 7 days

Reference     Received     Due          Days left
------------  -----------  -----------  ---------
CR-2025-0065  29 Sep 2025  27 Oct 2025  0
CR-2025-0066  30 Sep 2025  28 Oct 2025  1""")


def test_none_overdue_is_said_plainly(registry):
    response = registry.run_line("/reviews overdue as of 2025-09-30")
    assert response.title == "No complaint reviews overdue on 30 Sep 2025"
    assert response.table is None
    assert [part.title for part in response.parts] == ["None due in the next 7 days."]
    assert _facts(response)["Open on 30 Sep 2025"] == "9"
    assert render_text(response).splitlines()[-1] == "None due in the next 7 days."


def test_only_due_soon_cases(registry):
    response = registry.run_line("/reviews overdue as of 2025-10-14")
    assert response.title == "No complaint reviews overdue on 14 Oct 2025"
    assert response.table is None
    assert response.parts[0].table.rows == [["CR-2025-0058", "19 Sep 2025", "17 Oct 2025", "3"],
                                            ["CR-2025-0059", "22 Sep 2025", "20 Oct 2025", "6"],
                                            ["CR-2025-0060", "23 Sep 2025", "21 Oct 2025", "7"],
                                            ["CR-2025-0061", "23 Sep 2025", "21 Oct 2025", "7"]]


def test_long_lists_stop_at_25_rows(db, settings, write_file):
    header = "reference,received,completed,outcome,learning\n"
    lines = [f"OLD-{n:03d},2025-08-{n:02d},,,no\n" for n in range(1, 31)]      # due by 27 Sep: overdue on 27 Oct
    lines += [f"NEW-{n:03d},2025-09-{n:02d},,,no\n" for n in range(28, 31)]    # due 26-28 Oct: 1 overdue, 2 soon
    lines += [f"SOON-{n:03d},2025-10-{n:02d},,,no\n" for n in range(1, 28)]    # due 29 Oct-24 Nov: 6 within 7 days
    with db.session() as session:
        import_reviews(session, write_file("log.csv", header + "".join(lines)), "test", PANEL_DAY)
    response = _registry(db, settings).run_line("/reviews overdue as of 2025-10-27")
    assert response.title == "31 complaint reviews overdue on 27 Oct 2025"
    assert len(response.table.rows) == 25
    assert response.table.rows[0][0] == "OLD-001"
    # Said under the list, and only with it: an answer with counts only has no list to be longer than.
    assert response.table.caption == "and 6 more overdue, not shown"
    assert "and 6 more overdue, not shown" not in response.notes
    assert [row[0] for row in response.parts[0].table.rows] == [
        "NEW-029", "NEW-030", "SOON-001", "SOON-002", "SOON-003", "SOON-004", "SOON-005", "SOON-006"]


def test_a_long_due_soon_list_stops_at_25_rows(db, settings, write_file):
    lines = [f"DUE-{n:03d},2025-09-30\n" for n in range(1, 28)]  # open, all due 28 Oct
    with db.session() as session:
        import_reviews(session, write_file("log.csv", "reference,received\n" + "".join(lines)), "test", PANEL_DAY)
    response = _registry(db, settings).run_line("/reviews overdue as of 2025-10-27")
    assert response.title == "No complaint reviews overdue on 27 Oct 2025"
    [due_soon] = response.parts
    assert len(due_soon.table.rows) == 25
    assert due_soon.table.caption == "and 2 more due in the next 7 days, not shown"
    assert due_soon.notes == []


# --- the default as-of date -----------------------------------------------------------------------------

def test_now_is_today_however_quiet_the_log(demo_db, registry_at):
    """The nine cases open since September 2025 are overdue today, 1 Dec 2026, not on the log's last date."""
    registry = registry_at(TODAY)
    overdue = registry.run_line("/reviews overdue")
    assert overdue.title == "9 complaint reviews overdue on 1 Dec 2026"
    assert overdue.table.rows == OVERDUE_TODAY
    assert _facts(overdue) == {"Open on 1 Dec 2026": "9", "Overdue": "9", "Due in the next 7 days": "0"}
    assert overdue.notes[0] == LOG_ENDS_TODAY
    assert LOG_ENDS_TODAY in render_text(overdue)
    month = registry.run_line("/reviews")
    assert month.title == "Complaint reviews as of 1 Dec 2026"
    assert [row[0] for row in month.table.rows] == ["Nov 2026", "Dec 2026"]
    assert _facts(month) == {"Open on 1 Dec 2026": "9", "Overdue": "9", "Due in the next 7 days": "0"}
    assert month.notes[0] == LOG_ENDS_TODAY


def test_the_last_complete_quarter_today_points_to_the_logs_latest(demo_db, registry_at):
    quarter = registry_at(TODAY).run_line("/reviews quarter")
    assert quarter.title == "Complaint reviews 2026/27 Q2 (Jul-Sep 2026), as of 30 Sep 2026"
    assert quarter.table.rows[-1] == ["Total", "0", "0", "0", "0", "0"]
    assert LOG_ENDS_TODAY in quarter.notes
    assert "The latest quarter in the log is 2025/26 Q2: /reviews 2025/26 Q2" in quarter.notes


def test_a_period_after_overdue_counts_at_its_end(demo_db, registry_at):
    response = registry_at(TODAY).run_line("/reviews overdue last month")
    assert response.title == "9 complaint reviews overdue on 30 Nov 2026"
    assert response.table.rows[0] == ["CR-2025-0058", "19 Sep 2025", "17 Oct 2025", "409"]


def test_a_fresh_log_has_no_line_about_its_age(registry):
    # 30 Sep 2025 is 27 days before the Panel day.
    for line in ("/reviews", "/reviews overdue", "/reviews quarter"):
        assert not any(note.startswith("The review log's latest entry") for note in registry.run_line(line).notes)


def test_an_explicit_as_of_always_wins(demo_db, settings):
    registry = _registry(demo_db, settings, LATER_DAY)
    response = registry.run_line("/reviews overdue as of 2025-10-27")
    assert response.table.rows == OVERDUE_ON_PANEL_DAY
    assert not any(note.startswith("The review log's latest entry") for note in response.notes)


def test_a_future_as_of_answers_as_of_today(registry):
    response = registry.run_line("/reviews overdue as of 2030-01-01")
    assert response.title == "7 complaint reviews overdue on 27 Oct 2025"
    assert "1 Jan 2030 is after today, so this answers as of today (27 Oct 2025)." in response.notes


def test_an_empty_log_says_how_to_load_it(db, settings):
    registry = _registry(db, settings)
    for line in ("/reviews", "/reviews overdue", "/reviews quarter", "/reviews 2025/26 Q2"):
        response = registry.run_line(line)
        assert not response.is_error, line
        assert any("kpibot import reviews FILE" in note for note in response.notes), line


# --- usage and bad input --------------------------------------------------------------------------------

def test_public_posts_in_the_channel(registry):
    assert registry.run_line("/reviews overdue public").public
    assert registry.run_line("/reviews 2025/26 Q2 PUBLIC").public
    assert not registry.run_line("/reviews overdue").public
    assert not registry.run_line("/reviews sometimes public").public


def test_help_lists_every_form(registry):
    response = registry.run_line("/reviews help")
    assert not response.is_error
    assert response.notes == reviews.HELP.splitlines()
    assert registry.help_texts["/reviews"] == reviews.HELP


@pytest.mark.parametrize("line, title, hint", [
    ("/reviews 2025/26 Q9", "I can't read '2025/26 Q9' as a quarter: quarter Q9 does not exist; quarters are Q1 to Q4.",
     "Example: /reviews 2025/26 Q2"),
    ("/reviews quarter 2025/26 Q0", "I can't read '2025/26 Q0' as a quarter: quarter Q0 does not exist; "
     "quarters are Q1 to Q4.", "Example: /reviews 2025/26 Q2"),
    ("/reviews quarter soon", "I can't read 'soon' as a quarter", "Example: /reviews 2025/26 Q2"),
    ("/reviews sometimes", "I didn't understand 'sometimes' after /reviews.", "/reviews overdue"),
    ("/reviews overdue now", "I didn't understand 'now' after /reviews.", "/reviews overdue"),
    ("/reviews month someday", "I didn't understand 'month someday' after /reviews.", "/reviews month 2025-09"),
    ("/reviews 2025/26", "2025/26 is a financial year; /reviews answers for a quarter or a month.",
     "Example: /reviews 2025/26 Q2"),
    ("/reviews as of", "`as of` goes at the end, followed by a date", "as of 2025-10-27"),
    ("/reviews as of 2025-10-27 overdue", "`as of` goes at the end", "as of 2025-10-27"),
    ("/reviews as of 2025-13-45", "'2025-13-45' is not a date or month", "as of 2025-10-27"),
    ("/reviews month 2025/26 Q2", "I didn't understand 'month 2025/26 Q2' after /reviews.", "/reviews last month"),
])
def test_bad_input_says_what_would_work(registry, line, title, hint):
    response = registry.run_line(line)
    assert response.is_error
    assert response.title.startswith(title)
    assert any(hint in note for note in response.notes)
    assert MemoryPlatform().render(response).startswith(title)


@pytest.mark.parametrize("line", ["/reviews", "/reviews overdue", "/reviews 2025/26 Q2", "/reviews 2025/26 Q9"])
def test_every_answer_renders(registry, line):
    """Rendered as a platform would (Slack's rendering of the same answers: tests/test_slack_command_answers.py)."""
    response = registry.run_line(line)
    assert MemoryPlatform().render(response).startswith(response.title) and response.title.strip()


# --- the pieces -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of, quarter", [
    (date(2025, 10, 27), Quarter(2025, 2)),
    (date(2025, 9, 30), Quarter(2025, 2)),   # the quarter's last day completes it
    (date(2025, 9, 29), Quarter(2025, 1)),
    (date(2025, 4, 1), Quarter(2024, 4)),
])
def test_last_complete_quarter(as_of, quarter):
    assert reviews.last_complete_quarter(as_of) == quarter


def test_due_soon_runs_from_today_to_seven_days_ahead():
    cases = [
        Review("A", date(2025, 9, 28)),                      # due 26 Oct: overdue, not due soon
        Review("B", date(2025, 9, 29)),                      # due 27 Oct: 0 days left
        Review("C", date(2025, 10, 6)),                      # due 3 Nov: 7 days left
        Review("D", date(2025, 10, 7)),                      # due 4 Nov: too far ahead
        Review("E", date(2025, 9, 30), date(2025, 10, 20)),  # completed
    ]
    rows = due_soon_reviews(cases, date(2025, 10, 27))
    assert [(r.reference, r.days_left) for r in rows] == [("B", 0), ("C", 7)]


def test_a_long_text_is_not_echoed_in_full(registry):
    for line in ("/reviews " + "x" * 5000, "/reviews overdue " + "x" * 5000, "/reviews 2025/26 Q" + "9" * 5000):
        response = registry.run_line(line)
        assert response.is_error
        assert len(response.title) < 250, line[:30]  # the text shown is cut to 80 characters
        assert "\u2026" in response.title
