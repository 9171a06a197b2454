"""Stored conversation names (storage.conversations): set for the conversations a workspace has stored, read
back by id for live conversations only, and never set on a conversation the bot was not added to."""
from __future__ import annotations

from datetime import datetime, timezone

from storage import conversations
from storage.addresses import Address

NOW = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
TENANT = "tenant-opcc"
REFERENCE = {"service_url": "https://smba.example/emea/", "conversation_type": "channel", "team_id": "19:t@thread.tacv2"}
LEADERS = Address("teams", "19:leaders@thread.tacv2", TENANT, REFERENCE)
CASES = Address("teams", "19:cases@thread.tacv2", TENANT, REFERENCE)


def test_names_are_set_for_stored_channels_only_and_read_by_id(db):
    conversations.remember(db, LEADERS, NOW)
    conversations.remember(db, CASES, NOW)
    changed = conversations.set_names(db, "teams", TENANT, {LEADERS.conversation: "Leaders",
                                                            "19:never-added@thread.tacv2": "Elsewhere"})
    assert changed == 1
    assert conversations.names(db, "teams") == {LEADERS.conversation: "Leaders"}
    assert conversations.name_of(db, LEADERS) == "Leaders" and conversations.name_of(db, CASES) is None
    assert conversations.set_names(db, "teams", TENANT, {LEADERS.conversation: "Leaders"}) == 0   # unchanged


def test_a_name_in_another_tenant_or_platform_is_not_taken(db):
    conversations.remember(db, LEADERS, NOW)
    assert conversations.set_names(db, "teams", "another-tenant", {LEADERS.conversation: "Theirs"}) == 0
    assert conversations.set_names(db, "slack", TENANT, {LEADERS.conversation: "Theirs"}) == 0
    assert conversations.names(db, "teams") == {}


def test_a_removed_channel_keeps_its_name_stored_but_is_not_written_by_it(db):
    conversations.remember(db, LEADERS, NOW)
    conversations.set_names(db, "teams", TENANT, {LEADERS.conversation: "Leaders"})
    conversations.mark_removed(db, LEADERS, NOW)
    assert conversations.names(db, "teams") == {}
    conversations.remember(db, LEADERS, NOW)   # added back
    assert conversations.names(db, "teams") == {LEADERS.conversation: "Leaders"}


def test_a_long_name_is_cut_to_what_the_column_holds(db):
    conversations.remember(db, LEADERS, NOW)
    conversations.set_names(db, "teams", TENANT, {LEADERS.conversation: "L" * 500})
    assert conversations.name_of(db, LEADERS) == "L" * conversations.NAME_LENGTH
