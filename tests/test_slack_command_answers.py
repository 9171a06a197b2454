"""The commands' real answers rendered for Slack: within Slack's limits, with blocks and notification text, for the
answers themselves, their misses and arbitrary text (the answers' words are tested on the responses, in the
commands' own tests)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from bot.app import build_registry
from bot.slack.render import escape_mrkdwn, render_message
from tests.test_commands_fuzz import FUZZED, command_text, without_slow_words
from tests.test_slack_render import assert_markup_inert, assert_within_slack_limits

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
ANSWERS = ["/csp", "/csp leicester", "/csp b", "/csp atlantis", "/reviews", "/reviews overdue", "/reviews 2025/26 Q2",
           "/reviews 2025/26 Q9", "/kpi calls-under-25s", "/kpi sections", "/kpi neighbourhod crime"]
MISSES = ["/csp as of 2030-01-01", "/csp as of", "/csp as of 2025-13-01", "/reviews quarter soon",
          "/reviews as of 2025-10-27 overdue", "/reviews month 2025/26 Q2", "/kpi " + "x" * 5000,
          "/kpi calls-under-25s as of " + "x" * 5000, "/kpi " + "x" * 5000 + " note 2025/26 Q2 text"]


@pytest.fixture
def registry(demo_db, settings):
    return build_registry(settings, demo_db, clock=lambda: PANEL_DAY)


@pytest.mark.parametrize("line", ANSWERS + MISSES)
def test_every_answer_renders_for_slack(registry, line):
    response = registry.run_line(line)
    message = render_message(response)
    assert_within_slack_limits(message)
    assert_markup_inert(message)
    assert message["blocks"] and message["text"].startswith(escape_mrkdwn(response.title[:60]))


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=command_text, command=st.sampled_from(FUZZED))
def test_any_text_gets_an_answer_that_renders_for_slack(registry, command, text):
    text = without_slow_words(command, text)
    message = render_message(registry.run_line(f"{command} {text}"))
    assert_within_slack_limits(message)
    assert_markup_inert(message)
