"""Case references only where they may be seen (DESIGN.md, "What is sensitive"): the allowed channels and the bot's
own direct message with an editor or admin. Everywhere else the same answer carries counts only and says where
the list can be seen: command answers, and digests posted to a channel that is not allowed. (The same through
Slack, /digest preview and the bot's own direct message as Slack says it is: tests/test_slack_case_references.py.)"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from answers.mentions import conversation
from answers.response import Fact, Response, Table, counts_only, shows_cases
from bot.app import build_registry
from bot.render_text import render_text
from bot.settings import Settings
from digests.content import LISTS_CASES, digest_builder
from digests.delivery import DeliveryPolicy, run_due
from digests.schedule import occurrence_for
from tests.memory_platform import MemoryPlatform

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
ALLOWED = "C0GOV"
GOV, LEAD = conversation(ALLOWED), conversation("C0LEAD")
COUNTS_ONLY_HERE = (f"Counts only here: the case list can be seen in {GOV}, or in a direct message with me "
                    "if you are an editor or admin.")
NOT_POSTED = "Shown to you only: `public` posts an answer about cases only where the case list can be seen."
# The open September cases of the bundled log, overdue (or due within the week) on the Panel day.
OVERDUE_ON_PANEL_DAY = ["CR-2025-0058", "CR-2025-0059", "CR-2025-0060", "CR-2025-0061", "CR-2025-0062",
                        "CR-2025-0063", "CR-2025-0064"]
DUE_SOON_ON_PANEL_DAY = ["CR-2025-0065", "CR-2025-0066"]
OPEN_CASES = OVERDUE_ON_PANEL_DAY + DUE_SOON_ON_PANEL_DAY


def _settings(db, **extra) -> Settings:
    return Settings(database_url=db.url, sensitive_channel_ids=ALLOWED, editor_user_ids="U0EDITOR",
                    admin_user_ids="U0ADMIN", _env_file=None, **extra)


def _named(text: str) -> list[str]:
    return [reference for reference in OPEN_CASES if reference in text]


# --- one function makes the counts-only answer ----------------------------------------------------------------

OVERDUE_LIST = Table(["Reference", "Due"], [["CR-1", "17 Oct 2025"], ["CR-2", "20 Oct 2025"]],
                     caption="and 1 more overdue, not shown", lists_cases=True)
SOON_LIST = Table(["Reference", "Due"], [["CR-4", "28 Oct 2025"]], lists_cases=True)
COUNTS = Table(["Month", "Received"], [["Sep 2025", "24"]])


def test_counts_only_takes_the_lists_out_and_keeps_the_counts():
    answer = Response(title="3 overdue", facts=[Fact("Overdue", "3"), Fact("Due in the next 7 days", "1")],
                      table=OVERDUE_LIST, notes=["A review is due 28 days after it is received."], public=True,
                      parts=[Response(title="Due in the next 7 days", table=SOON_LIST),
                             Response(title="Received by month", table=COUNTS)])
    assert counts_only(answer, "See it in #gov.") == Response(
        title="3 overdue", facts=[Fact("Overdue", "3"), Fact("Due in the next 7 days", "1")],
        notes=["A review is due 28 days after it is received.", "See it in #gov."], public=False,
        # the part that was only a list goes; a part of counts stays as it was
        parts=[Response(title="Received by month", table=COUNTS)])


def test_a_part_that_keeps_its_counts_says_where_its_list_is():
    """A digest: the complaint reviews part loses its lists (its own and its due-soon part) and says so itself."""
    reviews = Response(title="Complaint reviews: 3 overdue", facts=[Fact("Overdue", "3")], table=OVERDUE_LIST,
                       parts=[Response(title="Due in the next 7 days", table=SOON_LIST)])
    digest = Response(title="Weekly digest", notes=["Figures as of 27 Oct 2025."],
                      parts=[Response(title="Red and amber metrics", table=COUNTS), reviews])
    shown = counts_only(digest, "See it in #gov.")
    assert shown.notes == ["Figures as of 27 Oct 2025."]
    assert shown.parts == [Response(title="Red and amber metrics", table=COUNTS),
                           Response(title="Complaint reviews: 3 overdue", facts=[Fact("Overdue", "3")],
                                    notes=["See it in #gov."])]
    assert shows_cases(digest) and not shows_cases(shown)


def test_an_answer_that_is_only_a_list_keeps_its_title_and_says_where_the_list_is():
    only = Response(title="No reviews overdue", parts=[Response(title="Due in the next 7 days", table=SOON_LIST)])
    assert counts_only(only, "See it in #gov.") == Response(title="No reviews overdue", notes=["See it in #gov."])
    bare = Response(title="Cases", table=SOON_LIST)
    assert counts_only(bare, "See it in #gov.") == Response(title="Cases", notes=["See it in #gov."])


def test_an_answer_without_cases_comes_back_as_it_was():
    answer = Response(title="Complaint reviews", table=COUNTS, public=True, parts=[Response(title="x", table=COUNTS)])
    assert counts_only(answer, "See it in #gov.") is answer


# --- /reviews overdue: counts only outside the places that may see cases --------------------------------------

def test_reviews_overdue_outside_allowed_places_gives_the_counts_and_where_to_see_the_list(demo_db):
    registry = build_registry(_settings(demo_db), demo_db, clock=lambda: PANEL_DAY)
    shown = registry.run_line("/reviews overdue public", user_id="U0VIEWER", channel_id="C0GENERAL")
    assert shown.title == "7 complaint reviews overdue on 27 Oct 2025"
    assert {f.label: f.value for f in shown.facts} == {"Open on 27 Oct 2025": "9", "Overdue": "7",
                                                       "Due in the next 7 days": "2"}
    assert shown.table is None and shown.parts == []
    assert shown.notes == ["A review is due 28 days after it is received.", COUNTS_ONLY_HERE, NOT_POSTED]
    assert shown.public is False
    assert _named(render_text(shown)) == []
    # In the allowed channel the same request lists the cases, posted for the channel.
    listed = registry.run_line("/reviews overdue public", user_id="U0VIEWER", channel_id=ALLOWED)
    assert [row[0] for row in listed.table.rows] == OVERDUE_ON_PANEL_DAY
    assert [row[0] for row in listed.parts[0].table.rows] == DUE_SOON_ON_PANEL_DAY
    assert listed.public is True and COUNTS_ONLY_HERE not in listed.notes


# --- item 2: digests posted to a channel ------------------------------------------------------------------------

def test_a_digest_posted_to_a_channel_not_allowed_has_counts_only(demo_db):
    moment = {"now": PANEL_DAY - timedelta(days=7)}
    registry = build_registry(_settings(demo_db), demo_db, clock=lambda: moment["now"])
    platform = MemoryPlatform()
    run = lambda line, channel: registry.run_line(line, user_id="U0ADMIN", channel_id=channel,  # noqa: E731
                                                  platform=platform.name)
    # a channel named in the text arrives as a mention token, as each platform's adapter makes it
    lead = run(f"/digest subscribe weekly {LEAD}", "C0LEAD")
    assert lead.title == f"{LEAD} will get the weekly digest every Monday at 08:00 (Europe/London), counts only."
    assert lead.notes == [f"It carries no case references: they go only to {GOV}, and to editors and admins "
                          "in a direct message with me."]
    gov = run("/digest subscribe weekly", ALLOWED)
    assert gov.title == (f"{GOV} will get the weekly digest every Monday at 08:00 (Europe/London), "
                         "with case references (an allowed channel).")
    quarterly = run("/digest subscribe quarterly", ALLOWED)
    assert quarterly.title.endswith(", counts only (it lists no cases).")
    listed = run("/digest list", "C0LEAD")
    assert [(row[0], row[1], row[3]) for row in listed.table.rows] == [
        (LEAD, "weekly", "counts only"), (GOV, "weekly", "case references"), (GOV, "quarterly", "counts only")]
    assert platform.render(lead).startswith("#C0LEAD will get the weekly digest")   # as plain text names it

    moment["now"] = PANEL_DAY   # Monday 27 Oct 2025, 09:00: the 08:00 weekly digest is due
    outcomes = run_due(demo_db, platform, digest_builder(registry.context), lambda: PANEL_DAY, DeliveryPolicy(),
                       kind="weekly")
    assert sorted((o.channel_id, o.state) for o in outcomes) == [("C0GOV", "posted"), ("C0LEAD", "posted")]
    posted = {d.address.conversation: d for d in platform.delivered}
    assert _named(posted["C0LEAD"].text) == []
    assert not shows_cases(posted["C0LEAD"].response) and posted["C0LEAD"].response.charts
    assert "Complaint reviews: 7 complaint reviews overdue on 27 Oct 2025" in posted["C0LEAD"].text
    assert ("Counts only in this channel: the case list is posted only to #C0GOV; editors and admins can also see "
            "it with /reviews overdue in a direct message with me.") in posted["C0LEAD"].text
    assert _named(posted["C0GOV"].text) == OPEN_CASES


def test_which_digests_list_cases_is_what_they_carry(demo_db):
    """/digest subscribe says a quarterly digest lists no case: pinned to what the builders make."""
    context = build_registry(_settings(demo_db), demo_db, clock=lambda: PANEL_DAY).context
    build = digest_builder(context)
    for kind in ("weekly", "quarterly"):
        digest = build(occurrence_for(kind, PANEL_DAY.date()))
        assert digest.held_reason is None
        assert shows_cases(digest.message) is LISTS_CASES[kind]
        assert digest.for_channel(ALLOWED) is digest
        assert not shows_cases(digest.for_channel("C0LEAD").message)
    # A digest rendered for one channel of counts is the one every such channel gets (rendered once).
    assert digest.for_channel("C0LEAD") is digest.for_channel("C0OTHER")
    weekly = build(occurrence_for("weekly", PANEL_DAY.date())).for_channel("C0LEAD")
    reviews = next(p for p in weekly.message.parts if p.title.startswith("Complaint reviews:"))
    assert reviews.title == "Complaint reviews: 7 complaint reviews overdue on 27 Oct 2025"
    assert {f.label: f.value for f in reviews.facts}["Due in the next 7 days"] == "2"
    assert reviews.table is None and reviews.parts == []
    assert reviews.notes[-1] == (f"Counts only in this channel: the case list is posted only to {GOV}; editors "
                                 "and admins can also see it with /reviews overdue in a direct message with me.")
