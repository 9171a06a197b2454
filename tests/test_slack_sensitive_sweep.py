"""The sweep, through Slack: a viewer without a role, in a channel that is not allowed, sends every command the bot
answers and clicks every button it offers, through the real signed HTTP path against the fake Slack; no case
reference of the loaded log appears in anything sent back (acks, response_url bodies), posted (messages,
ephemerals, upload comments) or uploaded (file names, titles, alt text, the files themselves)."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.app import build_registry
from bot.slack.render import SUGGESTION_ACTION
from bot.settings import Settings
from bot.slack.app import STILL_WORKING, WORKING
from storage.models import ReviewRow
from storage.repository import read_catalog
from tests.fake_slack import FakeSlack
from tests.slack_signing import block_actions_body, post_signed, slash_command_body
from tests.test_slack_e2e import SECRET, TOKEN, serving

# The Panel day: the bundled log then has 7 overdue cases and 2 due within the week, so every case list is full.
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
VIEWER = "U0VIEWER"          # no role: not named in any setting, in no group
PLACE = "C0GENERAL"          # not one of KPIBOT_SENSITIVE_CHANNEL_IDS
ALLOWED = "C0GOV"

# Every command with the forms its help lists, and the ways people get them wrong. Metrics and sections are
# added from the catalog itself (below), so a new one is swept too.
FORMS = {
    "/kpi": ["", "help", "sections", "list", "calls-under-25s", "calls-under-25s definition",
             "volunteer-hours chart", "calls-under-25s Q2", "calls-under-25s 2025/26 Q2", "calls-under-25s last month",
             "calls-under-25s as of 30/09/2025", "calls-under-25s public", "public interaction", "vawg",
             "complaint reviews public", "volunter hours", "review", "reviews overdue", "Q2",
             "calls-under-25s note 2025/26 Q2 Raised with the team.",
             "calls-under-25s action 2025/26 Q2 Review the rota."],
    "/reviews": ["", "help", "month", "month Sep 2025", "last month", "overdue", "overdue public", "OVERDUE",
                 "overdue as of 2025-10-27", "overdue as of 27/10/2025 public", "overdue 2025-10-14",
                 "overdue as of 2025-10-14", "overdue as of 2026-12-01", "quarter", "2025/26 Q2", "Q2", "last quarter",
                 "2025/26 Q2 public", "as of 2025-10-27 overdue", "overdeu", "2025/26"],
    "/csp": ["", "help", "leicester", "hinckley", "o&w", "2024/25", "leicester 2024/25", "as of 01/10/2025",
             "public", "nowhere", "2019/20"],
    "/snapshot": ["", "help", "history", "2025/26 Q2", "Q2", "last quarter", "2025/26 Q2 docx", "2025/26 Q2 pdf"],
    "/digest": ["", "help", "list", "preview weekly", "preview quarterly", "preview weekly as of 2025-10-27",
                "preview weekly as of 2025-10-14", "preview", "preview daily", "subscribe weekly",
                f"subscribe weekly <#{PLACE}|general>", f"subscribe weekly <#{ALLOWED}|gov>", "subscribe quarterly",
                "unsubscribe weekly", f"unsubscribe weekly <#{ALLOWED}|gov>", "subscribe weekly on friday at 09:00"],
    "/alert": ["", "help", "list", "subscribe rag", "subscribe rag public interaction", "subscribe reviews due 7",
               f"subscribe reviews due 7 <#{PLACE}|general>", f"subscribe reviews due 1 <#{ALLOWED}|gov>",
               "subscribe calls-under-25s below 58%", "unsubscribe reviews due 7"],
    "/upload": ["", "help", "confirm k3X9q0Zr7mPa", "cancel k3X9q0Zr7mPa", "confirm", "reviews.csv"],
}
# Buttons carrying a case list's command, as a message might offer them: clicked as well as typed.
CLICKED_AS_BUTTONS = ["/digest preview weekly", "/digest preview quarterly", "/reviews overdue",
                      "/reviews overdue public", "/reviews overdue as of 2025-10-14"]
SLOW_ANSWER_SECONDS = 120


@pytest.fixture
def sweep(demo_db):
    with FakeSlack() as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, sensitive_channel_ids=ALLOWED, editor_user_ids="U0EDITOR",
                            admin_user_ids="U0ADMIN", _env_file=None)
        registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
        with serving(settings, registry) as events:
            yield Sweeper(events, fake), registry


def case_references(db) -> list[str]:
    """Every reference in the loaded review log, read from the database."""
    with db.session() as session:
        return sorted(session.scalars(select(ReviewRow.reference)))


class Sweeper:
    """Sends the viewer's commands and clicks, and keeps every answer the app gave back directly (the acks)."""

    def __init__(self, events: str, fake: FakeSlack):
        self.events, self.fake = events, fake
        self.acks: list[dict] = []
        self.clicked: set[str] = set()
        self.files_owed = 0   # charts and documents that slow answers said would follow
        self._names = iter(range(1_000_000))

    def command(self, command: str, text: str) -> None:
        name = f"cmd{next(self._names)}"
        body = slash_command_body(command, text, user_id=VIEWER, channel_id=PLACE, channel_name="general",
                                  response_url=self.fake.response_url(name))
        answer = post_signed(self.events, body, SECRET, timeout=30)
        assert answer.status == 200, (command, text, answer.status)
        payload = json.loads(answer.body) if answer.body else {}
        self.acks.append(payload)
        if payload.get("text") in (WORKING, STILL_WORKING):
            followed = self.fake.wait_for(lambda: self.fake.responses(name), timeout=SLOW_ANSWER_SECONDS)[0]
            self.files_owed += followed.get("text", "").count("[chart: ") + followed.get("text", "").count("[file: ")

    def click(self, value: str, index: int = 0) -> None:
        self.clicked.add(value)
        name = f"click{next(self._names)}"
        body = block_actions_body(SUGGESTION_ACTION.format(index=index), value=value, user_id=VIEWER,
                                  channel_id=PLACE, response_url=self.fake.response_url(name))
        answer = post_signed(self.events, body, SECRET, timeout=30)
        assert answer.status == 200, (value, answer.status)
        self.fake.wait_for(lambda: self.fake.responses(name), timeout=SLOW_ANSWER_SECONDS)

    def buttons(self) -> list[tuple[int, str]]:
        """(index, value) of every button in every answer so far, not yet clicked."""
        found = []
        for payload in [*self.acks, *self.fake.responses(), *self.fake.messages()]:
            for block in payload.get("blocks") or []:
                if block.get("type") != "actions":
                    continue
                for index, element in enumerate(block.get("elements", [])):
                    value = element.get("value", "")
                    if value not in self.clicked and (index, value) not in found:
                        found.append((index, value))
        return found

    def uploads_settled(self) -> list[dict]:
        """Every upload, once those the slow answers owe have been shared: they follow the answer by a moment."""
        def shared():
            done = [u for u in self.fake.uploads() if u.get("bytes") is not None and u.get("channels")]
            return len(done) >= self.files_owed

        self.fake.wait_for(shared, timeout=SLOW_ANSWER_SECONDS)
        return self.fake.uploads()


def file_text(upload: dict) -> str:
    """What a person could read in an uploaded file: a document's text, a PDF's text, an image's bytes as text."""
    data = upload.get("bytes") or b""
    name = str(upload.get("filename") or "")
    if name.endswith(".docx"):
        with zipfile.ZipFile(io.BytesIO(data)) as document:
            return " ".join(document.read(n).decode("utf-8", "replace") for n in document.namelist()
                            if n.endswith(".xml"))
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("latin-1")


def everything_seen(sweeper: Sweeper) -> list[str]:
    """Each thing the viewer, or anyone in the channel, could read: acks, every request the app made to Slack
    (messages, ephemerals, response_url bodies, upload steps and their comments), and every uploaded file."""
    seen = [json.dumps(ack) for ack in sweeper.acks]
    seen += [json.dumps(call.params, default=repr) for call in sweeper.fake.calls()]
    for upload in sweeper.uploads_settled():
        seen.append(json.dumps({k: v for k, v in upload.items() if k != "bytes"}, default=repr))
        seen.append(file_text(upload))
    return seen


def test_a_viewer_in_a_channel_not_allowed_sees_no_case_reference(sweep):
    sweeper, registry = sweep
    db = registry.context.db
    references = case_references(db)
    assert len(references) == 66   # the bundled log: CR-2025-0001 to CR-2025-0066
    # Every command the app answers is swept: a command added later without its forms here fails this line.
    assert sorted(FORMS) == sorted(registry.handlers)
    with db.session() as session:
        catalog = read_catalog(session)
        named = [m.slug for m in catalog.metrics] + [s.name.lower() for s in catalog.sections]

    for command, forms in FORMS.items():
        for text in forms + (named if command == "/kpi" else []):
            sweeper.command(command, text)
    for value in CLICKED_AS_BUTTONS:
        sweeper.click(value)
    while pending := sweeper.buttons():          # and every button any answer offered, answers' buttons too
        for index, value in pending:
            sweeper.click(value, index)

    seen = everything_seen(sweeper)
    leaks = sorted({ref for ref in references for text in seen if ref in text})
    assert leaks == []
    # The sweep saw what it was meant to: the case answers came back, as counts, and buttons were clicked.
    everything = "\n".join(seen)
    assert "7 complaint reviews overdue on 27 Oct 2025" in everything
    assert "Counts only here: the case list can be seen in" in everything
    assert "Weekly performance digest: week of 27 Oct 2025" in everything
    assert "/kpi volunteer-hours" in sweeper.clicked and "/digest preview weekly" in sweeper.clicked
    assert any(u.get("filename", "").endswith(".png") for u in sweeper.fake.uploads())
    # Nothing about cases was posted for the channel to see: only the viewer's own answers and their charts.
    assert [m for m in sweeper.fake.messages() if not m.get("ephemeral") and not m.get("upload")] == []
