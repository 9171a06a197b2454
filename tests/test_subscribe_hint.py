"""/digest subscribe says what to do in the platform's own words: the hint comes with the adapter's answer, so
the command itself holds no platform's instructions (a Slack `/invite` would mean nothing in Teams)."""
from __future__ import annotations

from commands import digest
from answers.context import CannotPost, CommandContext
from commands.registry import CommandRegistry
from storage import digest_store


def _registry(db, can_post) -> CommandRegistry:
    registry = CommandRegistry(CommandContext(db, can_post=can_post))
    digest.register(registry)
    return registry


def test_a_channel_the_bot_cannot_post_in_is_refused_with_the_adapters_reason_and_hint(db):
    registry = _registry(db, lambda channel: CannotPost("not_a_member", "Add me to the team first."))
    answer = registry.run_line("/digest subscribe weekly C0LEADERS")
    assert answer.is_error
    assert answer.title == "I can't post in <#C0LEADERS> (not_a_member)."
    assert answer.notes == ["Add me to the team first."]
    assert digest_store.active_subscriptions(db) == []


def test_a_channel_the_bot_can_post_in_is_subscribed(db):
    asked = []
    registry = _registry(db, lambda channel: asked.append(channel))
    answer = registry.run_line("/digest subscribe weekly C0LEADERS")
    assert not answer.is_error, answer.title
    assert asked == ["C0LEADERS"]
    assert [s.channel_id for s in digest_store.active_subscriptions(db)] == ["C0LEADERS"]
