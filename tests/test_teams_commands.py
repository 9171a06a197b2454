"""How a Teams message's text becomes a command line: mentions stripped, the slash optional, help alone, a card's
button, and text that names no command."""
from __future__ import annotations

import pytest

from bot.teams.commands import card_line, command_line, not_a_command, strip_mentions

COMMANDS = frozenset({"/kpi", "/reviews", "/csp", "/digest", "/snapshot"})


@pytest.mark.parametrize("text, line", [
    ("kpi calls-under-25s", "/kpi calls-under-25s"),
    ("/kpi calls-under-25s", "/kpi calls-under-25s"),
    ("<at>kpibot</at> kpi calls-under-25s", "/kpi calls-under-25s"),
    ("<at>kpibot</at>&nbsp;/reviews   overdue", "/reviews overdue"),
    ("<p><at>kpibot</at> csp Ashford</p>", "/csp Ashford"),
    ("KPI calls-under-25s chart", "/kpi calls-under-25s chart"),
    ("help", "/kpi help"),
    ("/help", "/kpi help"),
    ("kpi", "/kpi"),                      # a command-list item arrives as its title
    ("digest subscribe weekly", "/digest subscribe weekly"),
    ("snapshot 2025/26 Q2", "/snapshot 2025/26 Q2"),
])
def test_text_forms_that_are_commands(text, line):
    assert command_line(text, COMMANDS) == line


@pytest.mark.parametrize("text", ["hello", "", "<at>kpibot</at>", "help me please", "/unknown thing"])
def test_text_that_names_no_command(text):
    assert command_line(text, COMMANDS) is None


def test_a_card_button_runs_its_line_whatever_the_text():
    value = {"kpibot": "run", "line": "/kpi calls-under-25s"}
    assert command_line("", COMMANDS, value) == "/kpi calls-under-25s"
    assert card_line({"kpibot": "other", "line": "/kpi x"}) is None
    assert card_line({"line": "/kpi x"}) is None
    assert card_line("kpi") is None


def test_mentions_of_anyone_are_stripped():
    assert strip_mentions("<at>kpibot</at> kpi x <at>Anne Analyst</at>") == "kpi x"


def test_the_answer_to_no_command_lists_the_commands():
    assert not_a_command(COMMANDS) == ("I answer csp, digest, kpi, reviews and snapshot: type one with what you "
                                       "want, for example `kpi calls-under-25s`, or `help`.")
