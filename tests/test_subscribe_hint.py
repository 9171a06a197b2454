"""/digest subscribe says what to do in the platform's own words: the hint comes with the adapter's answer, so
the command itself holds no platform's instructions (a Slack `/invite` would mean nothing in Teams)."""
from __future__ import annotations

from answers.context import CommandContext
from answers.mentions import conversation, plain
from commands import digest
from commands.registry import CommandRegistry
from storage import digest_store
from tests.memory_platform import NOT_HERE_HINT, MemoryPlatform


def _registry(db, platform) -> CommandRegistry:
    registry = CommandRegistry(CommandContext(db, platforms={platform.name: platform}))
    digest.register(registry)
    return registry


def _subscribe(registry, platform, text):
    return registry.run_line(text, channel_id="C0HERE", platform=platform.name, workspace="W1")


def test_a_channel_the_bot_cannot_post_in_is_refused_with_the_adapters_reason_and_hint(db):
    platform = MemoryPlatform(outside={"C0LEADERS"})
    answer = _subscribe(_registry(db, platform), platform, f"/digest subscribe weekly {conversation('C0LEADERS')}")
    assert answer.is_error
    assert plain(answer.title) == "I can't post in #C0LEADERS (not_here)."
    assert answer.notes == [NOT_HERE_HINT]
    assert digest_store.active_subscriptions(db) == []


def test_a_channel_the_bot_can_post_in_is_subscribed_on_the_requests_platform_and_workspace(db):
    platform = MemoryPlatform()
    answer = _subscribe(_registry(db, platform), platform, f"/digest subscribe weekly {conversation('C0LEADERS')}")
    assert not answer.is_error, answer.title
    assert plain(answer.title).startswith("#C0LEADERS will get the weekly digest every Monday at 08:00")
    [subscription] = digest_store.active_subscriptions(db)
    assert (subscription.address.platform, subscription.address.workspace, subscription.address.conversation) == (
        "memory", "W1", "C0LEADERS")


def test_without_a_channel_the_conversation_asked_in_is_subscribed(db):
    platform = MemoryPlatform()
    answer = _subscribe(_registry(db, platform), platform, "/digest subscribe weekly at 09:30")
    assert not answer.is_error, answer.title
    assert [(s.address.conversation, s.hour, s.minute) for s in digest_store.active_subscriptions(db)] == [
        ("C0HERE", 9, 30)]


def test_a_word_that_is_not_a_channel_mention_is_refused_in_neutral_words(db):
    platform = MemoryPlatform()
    answer = _subscribe(_registry(db, platform), platform, "/digest subscribe weekly C0LEADERS")
    assert answer.is_error
    assert answer.title == "'C0LEADERS' is not a channel I can use."
    assert answer.notes == [digest.BAD_CHANNEL_HINT]
    assert "Slack" not in digest.BAD_CHANNEL_HINT and "Slack" not in digest.NO_CHANNEL_HERE_HINT
    assert digest_store.active_subscriptions(db) == []


def test_unsubscribe_and_list_name_the_conversation_by_its_mention(db):
    platform = MemoryPlatform()
    registry = _registry(db, platform)
    _subscribe(registry, platform, f"/digest subscribe quarterly {conversation('C0LEAD')}")
    listed = _subscribe(registry, platform, "/digest list")
    assert [row[:2] for row in listed.table.rows] == [[conversation("C0LEAD"), "quarterly"]]
    gone = _subscribe(registry, platform, f"/digest unsubscribe quarterly {conversation('C0LEAD')}")
    assert plain(gone.title) == "#C0LEAD will no longer get the quarterly digest."
    again = _subscribe(registry, platform, f"/digest unsubscribe quarterly {conversation('C0LEAD')}")
    assert plain(again.title) == "#C0LEAD was not subscribed to the quarterly digest."
