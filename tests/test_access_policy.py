"""Who may do what (answers/access.py): roles by user and group, guests refused, case details kept in their place."""
from __future__ import annotations

import pytest

from answers.access import (
    GUEST_HINT,
    GUEST_REFUSED,
    NEEDS_ROLE,
    SENSITIVE_HERE,
    AccessPolicy,
    Identity,
    Place,
)
from answers.mentions import conversation

# The allowed channels as an answer names them: mention tokens, which each platform's renderer writes out.
PANEL, REVIEWS = conversation("C_PANEL"), conversation("C_REVIEWS")
POLICY = AccessPolicy(
    editor_users=frozenset({"U_EDITOR"}), admin_users=frozenset({"U_ADMIN"}),
    editor_groups=frozenset({"S_ANALYSTS"}), admin_groups=frozenset({"S_LEADS"}),
    sensitive_channels=frozenset({"C_REVIEWS", "C_PANEL"}),
)


@pytest.mark.parametrize("identity, role", [
    (Identity("U_ANYONE"), "viewer"),
    (Identity("U_EDITOR"), "editor"),
    (Identity("U_ADMIN"), "admin"),
    (Identity("U_ANYONE", groups=frozenset({"S_ANALYSTS"})), "editor"),
    (Identity("U_ANYONE", groups=frozenset({"S_LEADS"})), "admin"),
    (Identity("U_ANYONE", groups=frozenset({"S_OTHER"})), "viewer"),
    # admin by group beats editor by user
    (Identity("U_EDITOR", groups=frozenset({"S_LEADS"})), "admin"),
    (Identity("U_ADMIN", groups=frozenset({"S_ANALYSTS"})), "admin"),
    (Identity("console"), "admin"),
])
def test_role_of(identity, role):
    assert POLICY.role_of(identity) == role


def test_a_viewer_may_ask_for_figures_anywhere():
    assert POLICY.refusal(Identity("U_ANYONE"), Place("C_GENERAL"), "viewer", sensitive=False) is None


def test_a_guest_is_refused_whatever_they_ask():
    guest = Identity("U_ADMIN", is_guest=True)
    assert POLICY.refusal(guest, Place("C_REVIEWS"), "viewer", sensitive=False) == (GUEST_REFUSED, GUEST_HINT)


def test_an_editor_command_needs_the_editor_role():
    message, hint = POLICY.refusal(Identity("U_ANYONE"), Place("C_GENERAL"), "editor", sensitive=False)
    assert message == "That needs the editor role, which you don't have."
    assert hint == "Ask a kpibot admin to add you (KPIBOT_EDITOR_USER_IDS)."
    assert POLICY.refusal(Identity("U_EDITOR"), Place("C_GENERAL"), "editor", sensitive=False) is None
    assert POLICY.refusal(Identity("U_ADMIN"), Place("C_GENERAL"), "editor", sensitive=False) is None


def test_an_admin_command_needs_the_admin_role():
    message, hint = POLICY.refusal(Identity("U_EDITOR"), Place("C_GENERAL"), "admin", sensitive=False)
    assert message == NEEDS_ROLE.format(role="admin")
    assert hint == "Ask a kpibot admin to add you (KPIBOT_ADMIN_USER_IDS)."
    assert POLICY.refusal(Identity("U_ADMIN"), Place("C_GENERAL"), "admin", sensitive=False) is None


def test_case_details_are_answered_in_an_allowed_channel():
    assert POLICY.refusal(Identity("U_ANYONE"), Place("C_REVIEWS"), "viewer", sensitive=True) is None
    assert POLICY.refusal(Identity("U_ANYONE"), Place("C_PANEL"), "viewer", sensitive=True) is None


def test_case_details_are_refused_elsewhere_naming_the_allowed_channels_in_order():
    message, hint = POLICY.refusal(Identity("U_ADMIN"), Place("C_GENERAL"), "viewer", sensitive=True)
    assert message == SENSITIVE_HERE
    assert hint == f"Ask in {PANEL}, {REVIEWS}, or in a direct message with me if you are an editor or admin."


def test_case_details_in_a_direct_message_with_an_editor_or_admin():
    assert POLICY.refusal(Identity("U_EDITOR"), Place("D_EDITOR", direct_with_bot=True), "viewer", sensitive=True) is None
    assert POLICY.refusal(Identity("U_ADMIN"), Place("D_ADMIN", direct_with_bot=True), "viewer", sensitive=True) is None


def test_case_details_refused_in_a_direct_message_with_a_viewer():
    refused = POLICY.refusal(Identity("U_ANYONE"), Place("D_VIEWER", direct_with_bot=True), "viewer", sensitive=True)
    assert refused is not None and refused[0] == SENSITIVE_HERE


def test_an_editor_in_a_channel_that_is_not_allowed_is_refused_case_details():
    # a channel ID that merely contains a D is not a direct message
    refused = POLICY.refusal(Identity("U_EDITOR"), Place("CD_TEAM"), "viewer", sensitive=True)
    assert refused is not None and refused[0] == SENSITIVE_HERE


def test_the_console_sees_case_details():
    assert POLICY.refusal(Identity("console"), Place("console"), "admin", sensitive=True) is None


def test_without_allowed_channels_the_hint_says_how_to_set_them_up():
    _, hint = AccessPolicy().refusal(Identity("U_ANYONE"), Place("C_GENERAL"), "viewer", sensitive=True)
    assert hint == ("Ask in an allowed channel (none is set up yet: KPIBOT_SENSITIVE_CHANNEL_IDS), "
                    "or in a direct message with me if you are an editor or admin.")


def test_the_role_is_checked_before_the_place():
    # a viewer asking for an editor command with case details in a public channel hears about the role
    message, _ = POLICY.refusal(Identity("U_ANYONE"), Place("C_GENERAL"), "editor", sensitive=True)
    assert message == NEEDS_ROLE.format(role="editor")
