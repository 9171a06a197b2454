"""The console as a platform: full access as the console's user, plain text, and no digests delivered to it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from answers.platform import Asker, DeliveryError, Failure
from answers.response import Response
from bot.console.platform import NO_DIGESTS_HINT, ConsolePlatform
from bot.console.repl import answer_line, run_console
from storage.addresses import Address
from storage.audit import entries

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
CONSOLE = Address("console", "console")


def test_it_declares_it_can_do_none_of_the_optional_things():
    capabilities = ConsolePlatform().capabilities
    assert (capabilities.finds_posted, capabilities.files_in_channels, capabilities.private_replies) == \
        (False, False, False)
    assert ConsolePlatform().name == "console"


def test_whoever_types_at_it_asks_as_the_console_user():
    assert ConsolePlatform().asker("console", CONSOLE) == Asker("console")


def test_it_renders_plain_text():
    assert ConsolePlatform().render(Response(title="Calls: 58%", notes=["Latest figures."])) == "Calls: 58%\nLatest figures."


def test_digests_are_refused_with_a_hint_and_never_looked_for():
    platform = ConsolePlatform()
    with pytest.raises(DeliveryError) as refused:
        platform.deliver(CONSOLE, Response(title="Weekly digest"), "console:weekly:2025-W44")
    assert refused.value.failure is Failure.REFUSED and refused.value.permanent
    assert platform.hint(refused.value, "weekly") == NO_DIGESTS_HINT
    assert platform.find_posted(CONSOLE, "console:weekly:2025-W44", timedelta(hours=1)) is None
    with pytest.raises(DeliveryError):
        platform.tell_user("console", "The weekly digest could not be posted.")
    cannot = platform.can_post(CONSOLE)
    assert (cannot.reason, cannot.hint) == ("console", NO_DIGESTS_HINT)
    # A conversation named at the console is another platform's: the console cannot look there, so says nothing.
    assert platform.can_post(Address("console", "C0LEADERS")) is None


def test_a_typed_line_is_asked_and_audited_as_the_console(demo_db, registry_at):
    response, text = answer_line(registry_at(PANEL_DAY), "/kpi calls-under-25s", platform=ConsolePlatform())
    assert response.title == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    assert text.splitlines()[0] == "Calls answered under 25 seconds: 58% (Jul-Sep 2025)"
    [entry] = [e for e in entries(demo_db) if e.action == "/kpi"]
    assert (entry.actor, entry.platform, entry.workspace, entry.place, entry.outcome) == \
        ("console", "console", "", "console", "ok")


def test_the_console_sees_case_details_as_today(demo_db, registry_at):
    out = io.StringIO()
    answered = run_console(registry_at(PANEL_DAY), stdin=io.StringIO("/reviews overdue\n"), stdout=out,
                           platform=ConsolePlatform())
    assert answered == 1
    assert "CR-2025-0058" in out.getvalue()
