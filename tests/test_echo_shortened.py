"""A person's own text echoed back in a message is cut to a readable length: a pasted page is not repeated."""
from __future__ import annotations

from bot.app import build_registry
from answers.response import shorten


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


def _longest_line(response) -> int:
    return max(len(line) for line in [response.title, *response.notes])


def test_digest_snapshot_and_dates_do_not_echo_a_pasted_page(db, settings):
    registry = build_registry(settings, db)
    pasted = "x" * 5000
    for line in (f"/digest {pasted}", f"/digest subscribe weekly C0123456789 at {pasted}",
                 f"/snapshot {pasted}", f"/kpi calls-under-25s as of {pasted}", f"/reviews quarter {pasted}"):
        answer = registry.run_line(line)
        assert answer.is_error, line
        assert "x" * 81 not in answer.title, line
        assert _longest_line(answer) < 400, line


def test_a_period_error_echoes_at_most_eighty_characters():
    import pytest

    from storage.periods import PeriodError, parse_period

    with pytest.raises(PeriodError) as caught:
        parse_period("2025/26 " + "Q" * 5000)
    assert len(str(caught.value)) < 200


def test_an_echo_never_carries_a_mention_typed_by_the_person(db, settings):
    from answers.mentions import TOKEN, person

    assert shorten(f"hello {person('U0ADMIN')}") == "hello person:U0ADMIN"
    registry = build_registry(settings, db)
    for line in (f"/kpi {person('U0ADMIN')}", f"/reviews {person('U0ADMIN')} soon", f"/{person('U0ADMIN')}"):
        answer = registry.run_line(line)
        assert answer.is_error, line
        assert "person:u0admin" in answer.title.lower() and not TOKEN.search(answer.title), line
