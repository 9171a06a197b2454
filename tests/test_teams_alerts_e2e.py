"""Alerts in Teams, end to end: the real Teams app against the fake Entra and Bot Connector. A channel subscribed
to RAG alerts hears a metric's turn once per turn, whether the figures come from a file in the personal chat or
from `kpibot import`; a channel subscribed to the review alert hears at 09:00 London time on working days only.

Hand-worked from storage/demo/observations.csv: volunteer hours Jul-Sep 2025 are 48, 52 and 52, a mean of 50.7
against the 2024/25 baseline of 75 (tolerance 5%, 3.75): Red. September at 140 makes (48 + 52 + 140) / 3 = 80,
over 78.75: Green; at 40, (48 + 52 + 40) / 3 = 46.7, under 71.25: Red.

Hand-worked from storage/demo/reviews.csv (a review is due 28 days after receipt): on Monday 13 Oct 2025 two
open cases fall due within 7 days, CR-2025-0058 (received 19 Sep, due 17 Oct) and CR-2025-0059 (received 22 Sep,
due 20 Oct), of nine open. Monday 25 Aug is the August bank holiday; on Tuesday 26 Aug four fall due within 7
days: 0017 (received 29 Jul, due 26 Aug), 0018 (30 Jul, 27 Aug), 0019 (1 Aug, 29 Aug) and 0021 (5 Aug, 2 Sep);
0020 (4 Aug) was completed on 25 Aug and 0022 (6 Aug) is due on 3 Sep, 8 days on.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from tests.teams_e2e_kit import require_serving

require_serving()

from tests.adaptive_cards import card_elements  # noqa: E402
from tests.figure_files import workbook  # noqa: E402
from tests.teams_e2e_kit import (  # noqa: E402
    ADMIN, ANNE, ANNE_CHAT, CHANNEL, activity_texts, running_rig,
)

CASES_CHANNEL = "19:perf0cases@thread.tacv2"
TEAM_CHANNEL = "19:perf0team@thread.tacv2"
RECOVERED = "Volunteer hours recovered to Green (was Red): 80 hours in Jul-Sep 2025"
TURNED_RED = "Volunteer hours turned Red (was Green): 46.7 hours in Jul-Sep 2025"
AUGUST_26 = "Complaint reviews due within 7 days: 4 on 26 Aug 2025"
OCTOBER_13 = "Complaint reviews due within 7 days: 2 on 13 Oct 2025"
REVIEWS_HEARD = "will hear each working morning at 09:00 (Europe/London), of the complaint reviews due within 7"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def posted_to(rig, conversation: str) -> list[dict]:
    """What the bot posted to the channel itself (not the thread of a message in it)."""
    return [r.body for r in rig.connector.requests("activity") if r.status < 300 and r.conversation_id == conversation]


def said(activity: dict) -> str:
    return "\n".join(activity_texts(activity))


def subscribe(rig, line: str, channel: str, hears: str) -> None:
    """Install the bot in `channel` and have Ada subscribe it there; her personal chat is told what it will hear."""
    rig.install_in_channel(channel)
    admin_chat = rig.connector.personal_chat(ADMIN.id)
    since = len(rig.connector.activities(admin_chat)) if admin_chat else 0
    assert rig.say(f"alert subscribe {line}", channel, ADMIN, "channel")[0] == 200
    admin_chat = rig.connector.wait_for(lambda: rig.connector.personal_chat(ADMIN.id))
    [confirmed] = rig.connector.wait_for(lambda: rig.connector.activities(admin_chat)[since:])
    assert hears in said(confirmed)


def answer(rig, chat: str, since: int) -> dict:
    return rig.connector.wait_for(lambda: rig.connector.activities(chat)[since:], timeout=20)[0]


@pytest.fixture
def rig(demo_db):
    """The Teams app on the Panel day with Anne an editor and Ada an admin, and the channel subscribed to RAG
    alerts by Ada there."""
    with running_rig(demo_db, editor_user_ids=ANNE.aad_object_id, sensitive_channel_ids=CASES_CHANNEL) as running:
        subscribe(running, "rag", CHANNEL, "will hear when any metric turns worse")
        yield running


def upload(rig, september_hours: int) -> None:
    """Anne sends September's volunteer hours in an Excel file in her personal chat and presses Confirm."""
    name = f"volunteer-hours-sep-{september_hours}.xlsx"
    since = len(rig.connector.activities(ANNE_CHAT))
    url = rig.host_file(name, workbook(("volunteer-hours", "2025-09", september_hours)))
    assert rig.send_files([(name, url)])[0] == 200
    preview = answer(rig, ANNE_CHAT, since)
    [confirm] = [action for actions in card_elements(preview["attachments"][0]["content"], "ActionSet")
                 for action in actions["actions"] if action["title"] == "Confirm import"]
    since = len(rig.connector.activities(ANNE_CHAT))
    assert rig.press(confirm["data"]["line"])[0] == 200
    assert f"Loaded {name}" in said(answer(rig, ANNE_CHAT, since))


def kpibot_import(rig, tmp_path, september_hours: int) -> None:
    """`kpibot import observations` of September's volunteer hours, with the settings the app serves."""
    from bot.cli.data import _load

    figures = tmp_path / "september.csv"
    figures.write_text(f"metric,period,value\nvolunteer-hours,2025-09,{september_hours}\n", encoding="utf-8")
    _load(rig.root.settings, rig.root.db, "observations", figures, "analyst")


def alert_lines(rig, conversation: str) -> list[str]:
    """The line naming the turn in each alert posted to the conversation."""
    return [said(activity).splitlines()[0].removeprefix("Alert: ") for activity in posted_to(rig, conversation)]


def test_a_channel_hears_each_turn_once_from_a_file_in_chat_or_the_command_line(rig, tmp_path, capsys):
    upload(rig, 140)
    assert alert_lines(rig, CHANNEL) == [RECOVERED]
    upload(rig, 40)
    assert alert_lines(rig, CHANNEL) == [RECOVERED, TURNED_RED]
    kpibot_import(rig, tmp_path, 40)
    assert "Alerts posted" not in capsys.readouterr().out
    assert alert_lines(rig, CHANNEL) == [RECOVERED, TURNED_RED]
    kpibot_import(rig, tmp_path, 140)
    assert "Alerts posted" in capsys.readouterr().out
    upload(rig, 40)
    assert [said(activity) for activity in posted_to(rig, CHANNEL)] == [
        alert(RECOVERED, "volunteer-hours-sep-140.xlsx"), alert(TURNED_RED, "volunteer-hours-sep-40.xlsx"),
        alert(RECOVERED, "september.csv"), alert(TURNED_RED, "volunteer-hours-sep-40.xlsx")]


def alert(line: str, loaded: str) -> str:
    return (f"Alert: {line}\nAfter {loaded} was loaded.\n"
            "Ask for the figures with /kpi; this channel's alerts: /alert list.")


@pytest.fixture
def morning(demo_db):
    """The Teams app on a clock the test moves, with the cases channel the allowed one, and Ada's review alert
    subscribed in it and in the team's channel before 09:00 on the August bank holiday."""
    moment = [utc(2025, 8, 25, 7, 0)]
    with running_rig(demo_db, clock=lambda: moment[0], sensitive_channel_ids=CASES_CHANNEL) as running:
        subscribe(running, "reviews due 7", CASES_CHANNEL, REVIEWS_HEARD)
        subscribe(running, "reviews due 7", TEAM_CHANNEL, REVIEWS_HEARD)
        yield running, moment


def check_at(morning, when: datetime) -> None:
    rig, moment = morning
    moment[0] = when
    rig.root.scheduler.check()


def everything_sent_to(rig, conversation: str) -> str:
    """Every request the bot made in the conversation (posts, replies, updates), as sent."""
    return json.dumps([r.body for r in rig.connector.requests() if conversation in (r.conversation_id or "")])


def references(activity: dict) -> list[str]:
    return re.findall(r"CR-\d{4}-\d{4}", said(activity))


def test_the_review_alert_comes_at_nine_london_time_on_working_days_with_cases_only_where_allowed(morning):
    rig = morning[0]
    check_at(morning, utc(2025, 8, 25, 8, 0))     # 09:00 BST on the August bank holiday
    assert posted_to(rig, CASES_CHANNEL) == posted_to(rig, TEAM_CHANNEL) == []

    check_at(morning, utc(2025, 8, 26, 8, 0))     # 09:00 BST the next day
    [allowed] = posted_to(rig, CASES_CHANNEL)
    [counted] = posted_to(rig, TEAM_CHANNEL)
    assert said(allowed).splitlines()[0] == said(counted).splitlines()[0] == AUGUST_26
    assert references(allowed) == ["CR-2025-0017", "CR-2025-0018", "CR-2025-0019", "CR-2025-0021"]

    check_at(morning, utc(2025, 10, 13, 7, 59))   # 08:59 BST
    assert len(posted_to(rig, CASES_CHANNEL)) == len(posted_to(rig, TEAM_CHANNEL)) == 1

    check_at(morning, utc(2025, 10, 13, 8, 0))    # 09:00 BST
    [allowed] = posted_to(rig, CASES_CHANNEL)[1:]
    [counted] = posted_to(rig, TEAM_CHANNEL)[1:]
    assert said(allowed).splitlines()[:7] == [OCTOBER_13, "Due", "2", "Open", "9", "Overdue", "0"]
    assert references(allowed) == ["CR-2025-0058", "CR-2025-0059"]
    assert said(counted).splitlines()[:7] == [OCTOBER_13, "Due", "2", "Open", "9", "Overdue", "0"]
    assert "Counts only here: the case references go to " in said(counted)
    assert "CR-2025-" not in everything_sent_to(rig, TEAM_CHANNEL)
    assert "CR-2025-0058" in everything_sent_to(rig, CASES_CHANNEL)

    check_at(morning, utc(2025, 10, 13, 8, 5))
    check_at(morning, utc(2025, 10, 13, 15, 30))
    assert len(posted_to(rig, CASES_CHANNEL)) == len(posted_to(rig, TEAM_CHANNEL)) == 2
