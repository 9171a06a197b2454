"""Digests in Teams, end to end: the app installed in a channel keeps its conversation reference, an admin's
`digest subscribe weekly` there subscribes it, `kpibot digest run` posts the digest once, as proactive cards
with the charts inside, through the stored serviceUrl however often it runs; it rides out 429 (for its
Retry-After), 412, 502 and 504, tells the subscriber of a 403 once without retrying it, and removing the app
retires the subscription."""
from __future__ import annotations

import pytest

from tests.teams_e2e_kit import require_serving

require_serving()

from storage import digest_store  # noqa: E402
from tests.adaptive_cards import card_texts, validate_card  # noqa: E402
from tests.fake_teams import TENANT_ID, bot_account, conversation_update  # noqa: E402
from tests.teams_e2e_kit import (  # noqa: E402,F401  (fixture)
    ADMIN, CHANNEL, activity_texts, card_images, teams, teams_environment,
)

RUN = ["digest", "run", "weekly", "--as-of", "2025-10-06", "--platform", "teams"]
KEY = f"{CHANNEL}:weekly:2025-W41"


@pytest.fixture
def cli(teams, demo_db, monkeypatch, tmp_path):
    """`kpibot` run in this process with the Teams settings in its environment, no .env file found."""
    from typer.testing import CliRunner

    from bot.cli import build_app

    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in teams_environment(demo_db.url, teams.entra).items():
        monkeypatch.setenv(name, value)
    return lambda args: CliRunner().invoke(build_app(), args)


def _subscribe_the_channel(teams):
    """Installed in the channel, and subscribed there by an admin; the number of requests the connector has had
    by the time the answer is in (it goes to the admin's personal chat, and the channel is told so)."""
    teams.install_in_channel()
    assert teams.say("digest subscribe weekly", CHANNEL, ADMIN, "channel")[0] == 200
    teams.connector.wait_for(lambda: [r for r in teams.connector.requests("activity")
                                      if r.conversation_id.startswith(CHANNEL + ";messageid=")])
    return len(teams.connector.requests())


def _posts_to_channel(teams, since: int):
    return [r for r in teams.connector.requests()[since:] if r.kind == "activity" and r.conversation_id == CHANNEL]


def _ids(element) -> list[str]:
    if isinstance(element, list):
        return [i for item in element for i in _ids(item)]
    if not isinstance(element, dict):
        return []
    own = [element["id"]] if isinstance(element.get("id"), str) else []
    return own + [i for value in element.values() if isinstance(value, (dict, list)) for i in _ids(value)]


def test_an_admins_subscription_in_a_channel_names_the_channel_whose_reference_was_kept(teams, demo_db):
    from storage import conversations
    from storage.addresses import Address

    _subscribe_the_channel(teams)
    [subscription] = digest_store.active_subscriptions(demo_db, "weekly")
    address = subscription.address
    # The channel itself, not the thread of the message that asked (its ;messageid=...).
    assert (address.platform, address.conversation, address.workspace) == ("teams", CHANNEL, TENANT_ID)
    assert subscription.created_by == ADMIN.aad_object_id
    reference = conversations.reference(demo_db, Address("teams", CHANNEL, TENANT_ID)).reference
    assert reference["service_url"].rstrip("/") == teams.service_url.rstrip("/")
    assert (reference["conversation_type"], reference["team_id"]) == ("channel", CHANNEL)


def test_digest_run_twice_posts_one_card_with_its_charts(teams, demo_db, cli):
    since = _subscribe_the_channel(teams)
    first, second = cli(RUN), cli(RUN)
    assert first.exit_code == 0, first.output
    assert f"weekly digest 2025-W41 to {CHANNEL}: posted (" in first.output
    assert second.exit_code == 0, second.output
    assert f"weekly digest 2025-W41 to {CHANNEL}: already delivered or being delivered: nothing posted" \
        in second.output
    # One message: the digest's card with its ledger key and its three charts inside (a digest too large for
    # one card would continue in more, each titled "(continued)"); nothing more on the second run.
    posts = _posts_to_channel(teams, since)
    assert len(posts) == 1 and posts[0].status == 201
    assert all(teams.entra.verify(post.token) is not None for post in posts)
    cards = [attachment["content"] for post in posts for attachment in post.body["attachments"]]
    for card in cards:
        validate_card(card)
    assert [f"kpibot-key:{KEY}" in _ids(card) for card in cards] == [True] + [False] * (len(cards) - 1)
    assert card_texts(cards[0])[0] == "Weekly performance digest: week of 6 Oct 2025"
    assert any("Volunteer hours" in text for text in card_texts(cards[0]))
    continued = "Weekly performance digest: week of 6 Oct 2025 (continued)"
    assert [card_texts(card)[0] for card in cards[1:]] == [continued] * (len(cards) - 1)
    images = card_images(cards)
    assert len(images) == 3   # volunteer hours, complaint reviews by month, CSP allocation and spend
    assert all(image["url"].startswith("data:image/png;base64,") for image in images)
    alt_texts = [image["altText"] for image in images]
    assert all(alt_texts) and any("complaint reviews by month" in alt for alt in alt_texts), alt_texts
    [record] = digest_store.deliveries(demo_db)
    assert (record.state, record.message_ref) == ("posted", posts[0].body["id"])


def test_a_429_is_waited_out_and_the_card_posted_once(teams, cli):
    since = _subscribe_the_channel(teams)
    teams.connector.fail_next(429, retry_after=1, conversation_id=CHANNEL, kind="activity")
    result = cli(RUN)
    assert result.exit_code == 0, result.output
    assert "posted (" in result.output
    tries = _posts_to_channel(teams, since)
    assert [t.status for t in tries] == [429] + [201] * (len(tries) - 1) and len(tries) >= 2
    assert tries[1].body["attachments"] == tries[0].body["attachments"]   # the same part again
    assert tries[1].at - tries[0].at >= 1.0   # Retry-After: 1
    keyed = [t for t in tries if t.status < 300 and f"kpibot-key:{KEY}" in _ids(t.body)]
    assert len(keyed) == 1


@pytest.mark.parametrize("status", [412, 502, 504])
def test_a_transient_error_is_retried_after_a_backoff_and_the_card_posted_once(teams, cli, status):
    since = _subscribe_the_channel(teams)
    teams.connector.fail_next(status, conversation_id=CHANNEL, kind="activity")
    result = cli(RUN)
    assert result.exit_code == 0, result.output
    tries = _posts_to_channel(teams, since)
    assert [t.status for t in tries] == [status] + [201] * (len(tries) - 1) and len(tries) >= 2
    assert tries[1].body["attachments"] == tries[0].body["attachments"]   # the same part again
    assert tries[1].at - tries[0].at >= 1.0   # backed off before trying again
    assert len([t for t in tries if t.status < 300 and f"kpibot-key:{KEY}" in _ids(t.body)]) == 1


def test_a_403_is_told_to_the_subscriber_once_and_not_retried(teams, cli):
    since = _subscribe_the_channel(teams)
    teams.connector.remove_bot(CHANNEL)
    first = cli(RUN)
    assert first.exit_code == 1, first.output
    assert f"weekly digest 2025-W41 to {CHANNEL}: failed: " in first.output
    assert [t.status for t in _posts_to_channel(teams, since)] == [403]   # permanent: one try
    chat = teams.connector.personal_chat(ADMIN.id)   # where the subscription was confirmed
    confirmed, told = teams.connector.activities(chat)
    assert "weekly digest" in " ".join(activity_texts(confirmed))
    assert " ".join(activity_texts(told)).startswith(
        "The weekly digest for that channel (2025-W41) could not be posted: 403 BotNotInConversationRoster.")
    next_week = cli(["digest", "run", "weekly", "--as-of", "2025-10-13", "--platform", "teams"])
    assert next_week.exit_code == 1, next_week.output
    assert len(teams.connector.activities(chat)) == 2   # told once, not every week


def test_removing_the_app_retires_the_channels_subscriptions(teams, demo_db):
    _subscribe_the_channel(teams)
    assert len(digest_store.active_subscriptions(demo_db, "weekly")) == 1
    teams.install_in_channel(action="remove")
    assert digest_store.active_subscriptions(demo_db) == []


def test_the_bot_removed_from_the_team_retires_them_too(teams, demo_db):
    _subscribe_the_channel(teams)
    removed = conversation_update(CHANNEL, ADMIN, TENANT_ID, teams.service_url, "channel",
                                  members_removed=[bot_account()])
    assert teams.send(removed)[0] < 300
    assert digest_store.active_subscriptions(demo_db) == []


def test_with_only_teams_configured_digest_run_posts_there_unasked(teams, cli):
    since = _subscribe_the_channel(teams)
    result = cli(["digest", "run", "weekly", "--as-of", "2025-10-06"])
    assert result.exit_code == 0, result.output
    assert f"weekly digest 2025-W41 to {CHANNEL}: posted (" in result.output
    posts = _posts_to_channel(teams, since)
    assert posts and all(post.status == 201 for post in posts)
    assert f"kpibot-key:{KEY}" in _ids(posts[0].body)
