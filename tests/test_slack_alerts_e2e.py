"""Alerts end to end: the real Bolt app in HTTP mode, wired as `kpibot serve` wires it, against the fake Slack.
An admin subscribes channels with `/alert subscribe` as a slash command; figures arrive from an editor's direct
message (the file, then Confirm) and from `kpibot import`; the composition root's scheduler runs the mornings.

Hand-worked from storage/demo/observations.csv: volunteer hours Jul-Sep 2025 are 48, 52, 52, a mean of 50.7
against the 2024/25 baseline of 75 (tolerance 5%, 3.75): Red. September at 140 makes (48 + 52 + 140) / 3 = 80,
over 78.75: Green; at 40, (48 + 52 + 40) / 3 = 46.7: Red.

And from storage/demo/reviews.csv, a review due 28 days after receipt: on Mon 13 Oct 2025 nine reviews are open
(CR-2025-0058 to 0066, received 19-30 Sep); CR-2025-0058 (received 19 Sep, due 17 Oct) and CR-2025-0059 (22 Sep,
due 20 Oct) fall due within 7 days, CR-2025-0060 (23 Sep, due 21 Oct) in 8. On Tue 26 Aug 2025 four fall due
within 7 days (26 Aug to 2 Sep): CR-2025-0017, 0018, 0019 and 0021, received 29 Jul to 5 Aug. Mon 25 Aug 2025
is the August bank holiday; 13 Oct and 26 Aug are in British Summer Time, so 09:00 there is 08:00 UTC.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.cli.data import _load
from storage.addresses import Address
from storage.digest_store import deliveries
from tests.conftest import PANEL_DAY
from tests.figure_files import workbook
from tests.slack_alert_kit import GOVERNANCE, LEADERS, office_slack

TAIL = "Ask for the figures with /kpi; this channel's alerts: /alert list."
RECOVERED = "Alert: Volunteer hours recovered to Green (was Red): 80 hours in Jul-Sep 2025"
TURNED_RED = "Alert: Volunteer hours turned Red (was Green): 46.7 hours in Jul-Sep 2025"
DIGEST_EVENT = "kpibot_digest"
OCT_13 = "Complaint reviews due within 7 days: 2 on 13 Oct 2025"
AUG_26 = "Complaint reviews due within 7 days: 4 on 26 Aug 2025"
COUNTS_ONLY = "Counts only here: the case references go to <#C0GOV>."


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def posted(office, channel: str) -> list[dict]:
    """What the bot posted in `channel` with chat.postMessage, oldest first."""
    return [m for m in office.fake.messages(channel) if not m.get("ephemeral")]


def whole(message: dict) -> str:
    """Everything a message carried: its text, blocks and metadata."""
    return json.dumps(message)


@pytest.fixture
def office(demo_db):
    with office_slack(demo_db, PANEL_DAY) as office:
        yield office


def upload_september(office, hours: int, name: str) -> dict:
    """The editor drops a workbook with September's volunteer hours and confirms it: the loader's answer."""
    file = f"volunteer-hours-{name}.xlsx"
    preview = office.drop(file, workbook(("volunteer-hours", "2025-09", hours)))
    loaded = office.press(preview, "Confirm import", name)
    assert loaded["text"].startswith(f"Loaded {file}"), loaded["text"]
    return loaded


def import_september(office, tmp_path, hours: int, capsys) -> str:
    """`kpibot import observations september.csv --by analyst` on the app's settings: what it printed."""
    path = tmp_path / "september.csv"
    path.write_text(f"metric,period,value\nvolunteer-hours,2025-09,{hours}\n", encoding="utf-8")
    capsys.readouterr()
    _load(office.settings, office.db, "observations", path, "analyst")
    return capsys.readouterr().out


def test_a_metric_turning_red_is_told_once_and_again_only_after_it_recovers(office, tmp_path, capsys):
    subscribed = office.admin(f"subscribe rag <#{LEADERS}|leaders>")
    assert subscribed["text"] == "<#C0LEADERS> will hear when any metric turns worse, and when it recovers."
    assert posted(office, LEADERS) == []

    first = upload_september(office, 140, "first")
    assert "Alerts posted to <#C0LEADERS>." in first["text"]
    upload_september(office, 40, "second")
    cli = import_september(office, tmp_path, 40, capsys)        # the same figures again, from the command line
    assert "Imported observations from september.csv: 1 row" in cli and "Alert" not in cli
    assert [m["text"].split("\n")[0] for m in posted(office, LEADERS)] == [RECOVERED, TURNED_RED]
    upload_september(office, 140, "third")
    upload_september(office, 40, "fourth")

    messages = posted(office, LEADERS)
    assert [m["text"] for m in messages] == [
        f"{RECOVERED}\nAfter volunteer-hours-first.xlsx was loaded.\n{TAIL}",
        f"{TURNED_RED}\nAfter volunteer-hours-second.xlsx was loaded.\n{TAIL}",
        f"{RECOVERED}\nAfter volunteer-hours-third.xlsx was loaded.\n{TAIL}",
        f"{TURNED_RED}\nAfter volunteer-hours-fourth.xlsx was loaded.\n{TAIL}",
    ]
    ledger = {row.message_ref: row for row in deliveries(office.db, Address("slack", LEADERS))}
    assert len(ledger) == 4
    keys = []
    for message in messages:
        row = ledger[message["ts"]]
        assert (row.kind, row.state) == ("alert", "posted")
        assert message["metadata"]["event_type"] == DIGEST_EVENT
        keys.append(message["metadata"]["event_payload"]["key"])
        assert keys[-1] == f"{LEADERS}:alert:{row.period}"
    assert len(set(keys)) == 4                                  # a turn after a recovery is a new alert


def at(office, moment: datetime) -> dict[str, list[dict]]:
    """The scheduler's check with the clock at `moment`: what it newly posted to each channel."""
    before = {channel: len(posted(office, channel)) for channel in (LEADERS, GOVERNANCE)}
    office.hand[0] = moment
    office.root.scheduler.check()
    return {channel: posted(office, channel)[before[channel]:] for channel in (LEADERS, GOVERNANCE)}


def test_the_review_alert_comes_at_nine_each_working_morning_once_with_cases_only_where_allowed(demo_db):
    with office_slack(demo_db, utc(2025, 10, 13, 7, 0)) as office:
        office.admin(f"subscribe reviews due 7 <#{LEADERS}|leaders>")
        office.admin(f"subscribe reviews due 7 <#{GOVERNANCE}|gov>")

        assert at(office, utc(2025, 10, 13, 7, 59)) == {LEADERS: [], GOVERNANCE: []}   # 08:59 in London
        nine = at(office, utc(2025, 10, 13, 8, 0))
        [leaders], [governance] = nine[LEADERS], nine[GOVERNANCE]
        assert governance["text"].split("\n")[0] == OCT_13
        shown = whole(governance)
        assert "CR-2025-0058" in shown and "CR-2025-0059" in shown and "CR-2025-0060" not in shown
        assert leaders["text"].split("\n")[0] == OCT_13
        assert "*Due*\\n2" in whole(leaders) and COUNTS_ONLY in leaders["text"]
        assert "CR-2025-" not in whole(leaders)
        assert at(office, utc(2025, 10, 13, 10, 30)) == {LEADERS: [], GOVERNANCE: []}  # 11:30: told already

        assert at(office, utc(2025, 8, 25, 8, 0)) == {LEADERS: [], GOVERNANCE: []}     # the bank holiday
        tuesday = at(office, utc(2025, 8, 26, 8, 0))
        [leaders], [governance] = tuesday[LEADERS], tuesday[GOVERNANCE]
        assert leaders["text"].split("\n")[0] == governance["text"].split("\n")[0] == AUG_26
        shown = whole(governance)
        assert all(f"CR-2025-00{n}" in shown for n in (17, 18, 19, 21))
        assert "CR-2025-" not in whole(leaders)
        assert at(office, utc(2025, 8, 26, 15, 0)) == {LEADERS: [], GOVERNANCE: []}
