"""/alert on the demo data at the Panel day, over an in-memory platform: each way to subscribe says what the
channel will hear, bad input says what would work, a viewer cannot change alerts, and list and unsubscribe
name the conversation by its mention."""
from __future__ import annotations

import pytest

from answers.access import AccessPolicy
from answers.context import CommandContext
from answers.mentions import conversation, plain
from commands import register
from commands.registry import CommandRegistry
from storage import alert_store
from storage.addresses import Address
from tests.conftest import PANEL_DAY
from tests.memory_platform import NOT_HERE_HINT, MemoryPlatform

ADMIN, VIEWER = "U0ADMIN", "U0VIEWER"
LEADS = conversation("C0LEAD")


@pytest.fixture
def platform():
    return MemoryPlatform(outside={"C0ELSEWHERE"})


@pytest.fixture
def registry(demo_db, platform):
    context = CommandContext(demo_db, clock=lambda: PANEL_DAY, platforms={platform.name: platform},
                             access=AccessPolicy(admin_users=frozenset({ADMIN}),
                                                 sensitive_channels=frozenset({"C0GOV"})))
    registry = CommandRegistry(context)
    register(registry)
    return registry


def _run(registry, platform, text, user=ADMIN, channel="C0HERE"):
    return registry.run_line(text, user_id=user, channel_id=channel, platform=platform.name, workspace="W1")


def _alerts(db):
    return [(s.address.conversation, s.kind, s.section, s.metric, s.direction, s.limit, s.days)
            for s in alert_store.active_subscriptions(db)]


def test_rag_for_a_section_in_a_named_channel(registry, platform, demo_db):
    answer = _run(registry, platform, f"/alert subscribe rag {LEADS} public interaction")
    assert not answer.is_error, answer.title
    assert answer.title == f"{LEADS} will hear when a Public Interaction metric turns worse, and when it recovers."
    assert _alerts(demo_db) == [("C0LEAD", "rag", "Public Interaction", "", "", None, None)]
    [sub] = alert_store.active_subscriptions(demo_db)
    assert (sub.address.platform, sub.address.workspace, sub.created_by) == ("memory", "W1", ADMIN)


def test_rag_for_every_metric_here_and_again_says_it_already_hears(registry, platform, demo_db):
    first = _run(registry, platform, "/alert subscribe rag")
    assert first.title == f"{conversation('C0HERE')} will hear when any metric turns worse, and when it recovers."
    again = _run(registry, platform, "/alert subscribe rag")
    assert again.title == f"{conversation('C0HERE')} already hears when any metric turns worse, and when it recovers."
    assert _alerts(demo_db) == [("C0HERE", "rag", "", "", "", None, None)]


def test_a_section_named_by_part_of_its_name_and_a_tie_offers_both(registry, platform, demo_db):
    assert _run(registry, platform, "/alert subscribe rag rural").title == (
        f"{conversation('C0HERE')} will hear when a Rural Crime metric turns worse, and when it recovers.")
    tie = _run(registry, platform, "/alert subscribe rag scrutiny")
    assert tie.is_error
    assert tie.title == "'scrutiny' fits more than one section: Scrutiny Functions or Scrutiny and Legitimacy."
    assert tie.notes == ["Say which, e.g. /alert subscribe rag scrutiny functions"]
    missing = _run(registry, platform, "/alert subscribe rag neighbourhod crime")
    assert (missing.title, missing.notes) == ("There is no section called 'neighbourhod crime'.",
                                              ["Did you mean Neighbourhood Crime?"])
    assert [a[2] for a in _alerts(demo_db)] == ["Rural Crime"]


def test_a_threshold_in_the_metrics_unit_and_a_new_line_replaces_the_old(registry, platform, demo_db):
    answer = _run(registry, platform, f"/alert subscribe calls-under-25s below 58% {LEADS}")
    assert answer.title == (f"{LEADS} will hear when Calls answered under 25 seconds falls below 58%, and when "
                            "it is no longer below.")
    hours = _run(registry, platform, "/alert subscribe volunteer hours above 1,250 hours")
    assert hours.title == (f"{conversation('C0HERE')} will hear when Volunteer hours rises above 1,250 hours, "
                           "and when it is no longer above.")
    _run(registry, platform, f"/alert subscribe calls-under-25s below 60 {LEADS}")
    assert _alerts(demo_db) == [("C0LEAD", "threshold", "", "calls-under-25s", "below", 60.0, None),
                                ("C0HERE", "threshold", "", "volunteer-hours", "above", 1250.0, None)]


@pytest.mark.parametrize("text, title, notes", [
    ("/alert subscribe calls-under-25s below £58",
     "'£58' is not a value for Calls answered under 25 seconds, which is in percent.",
     ["Example: /alert subscribe calls-under-25s below 58%"]),
    ("/alert subscribe volunteers above 25%", "'25%' is not a value for Number of volunteers, which is in a count.",
     ["Example: /alert subscribe volunteers above 25"]),
    ("/alert subscribe volunteers above lots", "'lots' is not a value for Number of volunteers, which is in a count.",
     ["Example: /alert subscribe volunteers above 25"]),
    ("/alert subscribe volunteers above", "Say the value Number of volunteers should not go above.",
     ["Example: /alert subscribe volunteers above 25"]),
    ("/alert subscribe calls-under-25s 58%", "Say below or above and a value after the metric.",
     ["Example: /alert subscribe calls-under-25s below 58%, or /alert subscribe rag public interaction"]),
    ("/alert subscribe public interaction below 5", "Public Interaction is a section: a line is set for one metric.",
     ["For the section's RAG turns: /alert subscribe rag public interaction"]),
    ("/alert subscribe reviews due 0", "'0' is not a number of days from 1 to 60.",
     ["Example: /alert subscribe reviews due 7"]),
    ("/alert subscribe reviews due 61", "'61' is not a number of days from 1 to 60.",
     ["Example: /alert subscribe reviews due 7"]),
    ("/alert subscribe reviews due", "Say within how many days: /alert subscribe reviews due 7",
     ["Example: /alert subscribe reviews due 7"]),
    ("/alert subscribe", "Say which alert: rag, reviews due <days>, or a metric with below or above and a value.",
     ["Example: /alert subscribe calls-under-25s below 58%, or /alert subscribe rag public interaction"]),
    (f"/alert subscribe rag {LEADS} {conversation('C0GOV')}", "Name one channel at a time.",
     ["Name the channel with # and pick it from the list, so I get its id, or leave it out for this channel."]),
])
def test_bad_input_says_what_would_work_and_stores_nothing(registry, platform, demo_db, text, title, notes):
    answer = _run(registry, platform, text)
    assert answer.is_error
    assert (answer.title, answer.notes) == (title, notes)
    assert _alerts(demo_db) == []


def test_reviews_due_counts_only_outside_an_allowed_channel(registry, platform, demo_db):
    answer = _run(registry, platform, f"/alert subscribe reviews due 7 {LEADS}")
    assert answer.title == (f"{LEADS} will hear each working morning at 09:00 (Europe/London), of the complaint "
                            "reviews due within 7 days.")
    assert plain(answer.notes[0]) == ("Counts only: case references go only to #C0GOV, and to editors and admins "
                                      "in a direct message with me.")
    allowed = _run(registry, platform, "/alert subscribe reviews due 1", channel="C0GOV")
    assert allowed.notes == ["With case references: an allowed channel."]
    assert [(a[0], a[6]) for a in _alerts(demo_db)] == [("C0LEAD", 7), ("C0GOV", 1)]


def test_a_viewer_is_refused_a_change_but_may_list(registry, platform, demo_db):
    refused = _run(registry, platform, "/alert subscribe rag", user=VIEWER)
    assert refused.is_error
    assert refused.title == "That needs the admin role, which you don't have."
    assert _run(registry, platform, "/alert unsubscribe rag", user=VIEWER).is_error
    assert _alerts(demo_db) == []
    listed = _run(registry, platform, "/alert list", user=VIEWER)
    assert not listed.is_error and listed.title == "No alerts here yet."


def test_a_channel_the_bot_is_not_in_is_refused_with_the_platforms_hint(registry, platform, demo_db):
    answer = _run(registry, platform, f"/alert subscribe rag {conversation('C0ELSEWHERE')}")
    assert answer.is_error
    assert answer.title == f"I can't post in {conversation('C0ELSEWHERE')} (not_here)."
    assert answer.notes == [NOT_HERE_HINT]
    assert _alerts(demo_db) == []


def test_list_shows_this_conversations_alerts_and_unsubscribe_stops_one(registry, platform, demo_db):
    _run(registry, platform, "/alert subscribe rag vawg")
    _run(registry, platform, "/alert subscribe calls-under-25s below 58%")
    _run(registry, platform, f"/alert subscribe reviews due 14 {LEADS}")
    here = _run(registry, platform, "/alert list", user=VIEWER)
    assert here.table.rows == [[conversation("C0HERE"), "RAG turns: VAWG", ADMIN],
                               [conversation("C0HERE"), "Calls answered under 25 seconds below 58%", ADMIN]]
    gone = _run(registry, platform, "/alert unsubscribe calls-under-25s below 58%")
    assert gone.title == (f"{conversation('C0HERE')} will no longer hear when Calls answered under 25 seconds falls "
                          "below 58%, and when it is no longer below.")
    again = _run(registry, platform, "/alert unsubscribe calls-under-25s below 58%")
    assert (again.title, again.notes) == (f"{conversation('C0HERE')} had no such alert.", ["Its alerts: /alert list"])
    assert _run(registry, platform, f"/alert unsubscribe reviews due 14 {LEADS}").title == (
        f"{LEADS} will no longer hear each working morning at 09:00 (Europe/London), of the complaint reviews due "
        "within 14 days.")
    assert _alerts(demo_db) == [("C0HERE", "rag", "VAWG", "", "", None, None)]


def test_the_console_lists_every_alert_for_an_admin_and_names_a_channel_to_subscribe(registry, platform, demo_db):
    _run(registry, platform, "/alert subscribe rag")
    _run(registry, platform, f"/alert subscribe rag {LEADS} workforce")
    listed = registry.run_line("/alert list")
    assert [row[:2] for row in listed.table.rows] == [[conversation("C0HERE"), "RAG turns: any metric"],
                                                      [LEADS, "RAG turns: Workforce"]]
    nowhere = registry.run_line("/alert subscribe rag")
    assert nowhere.is_error and nowhere.title == "The console is not a channel: an alert subscribed here would go nowhere."


def test_help_is_the_commands_docstring_of_lines(registry, platform):
    answer = _run(registry, platform, "/alert help", user=VIEWER)
    assert answer.notes[0].startswith("/alert subscribe rag [#channel] [section]")
    assert len(answer.notes) == 6


def test_the_store_updates_the_same_alert_and_keeps_the_newest_reference(demo_db):
    here = Address("teams", "19:leads@thread.tacv2", "tenant-1", {"service_url": "https://one/"})
    first, created = alert_store.subscribe(demo_db, here, "reviews", ADMIN, PANEL_DAY, days=7)
    moved = Address("teams", "19:leads@thread.tacv2", "tenant-1", {"service_url": "https://two/"})
    second, again = alert_store.subscribe(demo_db, moved, "reviews", "U0OTHER", PANEL_DAY, days=10)
    assert (created, again, first.id == second.id) == (True, False, True)
    assert (second.days, second.created_by, second.address.reference) == (10, ADMIN, {"service_url": "https://two/"})
    assert [s.days for s in alert_store.subscriptions_at(demo_db, here)] == [10]
    assert alert_store.unsubscribe(demo_db, here, "reviews", PANEL_DAY) is True
    assert alert_store.subscriptions_at(demo_db, here) == [] and alert_store.active_subscriptions(demo_db) == []
    with pytest.raises(ValueError):
        alert_store.subscribe(demo_db, here, "weekly", ADMIN, PANEL_DAY)
