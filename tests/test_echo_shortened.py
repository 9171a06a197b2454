"""A person's own text echoed back in a message is cut to a readable length: a pasted page is not repeated."""
from __future__ import annotations

from bot.app import build_registry
from commands.response import shorten


def test_short_text_is_echoed_whole():
    assert shorten("calls-under-25s") == "calls-under-25s"
    assert shorten("x" * 80) == "x" * 80


def test_long_text_is_cut_to_eighty_characters_with_an_ellipsis():
    cut = shorten("volunteer hours " * 300)
    assert len(cut) == 80
    assert cut == ("volunteer hours " * 5).rstrip() + "\u2026"


def test_an_unknown_five_thousand_character_command_is_not_echoed_in_full(db, settings):
    registry = build_registry(settings, db)
    typed = "/" + "k" * 5000
    answer = registry.run_line(typed)
    assert answer.is_error
    assert answer.title == f"I don't know the command /{'k' * 78}\u2026."
    not_a_command = registry.run_line("kpi " + "x" * 5000)
    assert not_a_command.title == f"'kpi {'x' * 75}\u2026' is not a command."
