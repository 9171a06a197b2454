"""The registry refuses a repeated state-changing request itself, by the key and the time its platform gives.

The key is opaque to the registry (any platform's signature of a request); the time is when the platform says
the request was made. A repeat is answered "already done", changes nothing and is audited as replayed; a
question, a request with no key and a refused request never touch the record of seen requests; a database that
cannot record the key leaves the request undone.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, text

from commands.registry import ALREADY_DONE, DATA_UNAVAILABLE, CommandRequest
from storage.audit import entries
from storage.models import CommentaryRow, SeenRequestRow

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
NOTE = "calls-under-25s note 2025/26 Q2 Raised with the call centre manager."
SIGNED_AT = 1_761_555_600   # 27 Oct 2025 09:00 UTC, as a platform would stamp the request


def note(key: str = "teams:request-1", user_id: str = "U0EDITOR", made_at: int | None = SIGNED_AT) -> CommandRequest:
    return CommandRequest("/kpi", NOTE, user_id=user_id, channel_id="C0PERF", request_key=key,
                          platform="memory", workspace="W1", request_time=made_at)


def seen(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(SeenRequestRow))


def notes_stored(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(CommentaryRow))


def test_a_repeated_note_is_saved_once_and_the_repeats_are_audited_as_replayed(demo_db, settings):
    from bot.app import build_registry

    registry = build_registry(settings.model_copy(update={"editor_user_ids": "U0EDITOR"}), demo_db,
                              clock=lambda: PANEL_DAY)
    answers = [registry.dispatch(note()) for _ in range(3)]
    assert answers[0].title.startswith("Observation saved")
    assert [a.title for a in answers[1:]] == [ALREADY_DONE, ALREADY_DONE]
    assert answers[1].notes == ["Nothing was changed this time. To do it again, run the command again."]
    assert notes_stored(demo_db) == 1
    rows = [(e.outcome, e.platform, e.workspace, e.place) for e in entries(demo_db) if e.action == "/kpi"]
    assert rows == [("ok", "memory", "W1", "C0PERF"), ("replayed", "memory", "W1", "C0PERF"),
                    ("replayed", "memory", "W1", "C0PERF")]


def test_another_key_is_another_request_and_no_key_is_never_looked_up(demo_db, registry_at):
    registry = registry_at(PANEL_DAY)
    console = CommandRequest("/kpi", NOTE)   # the console's own user; nothing can replay a typed line
    assert registry.dispatch(note("k-1", "console")).title.startswith("Observation saved")
    assert registry.dispatch(note("k-2", "console")).title.startswith("Observation saved")
    assert registry.dispatch(console).title.startswith("Observation saved")
    assert registry.dispatch(console).title.startswith("Observation saved")
    assert notes_stored(demo_db) == 4
    assert seen(demo_db) == 2


def test_the_key_is_not_read_for_a_time_and_a_request_with_no_time_is_kept_from_now(demo_db, registry_at):
    registry = registry_at(PANEL_DAY)
    assert registry.dispatch(note("no time in here", "console", made_at=None)).title.startswith("Observation saved")
    assert registry.dispatch(note("no time in here", "console", made_at=None)).title == ALREADY_DONE
    assert seen(demo_db) == 1


def test_questions_and_refused_requests_leave_no_record(demo_db, registry_at):
    registry = registry_at(PANEL_DAY)
    question = CommandRequest("/kpi", "calls-under-25s", user_id="U0VIEWER", request_key="q", request_time=SIGNED_AT)
    assert [registry.dispatch(question).title for _ in range(2)] == ["Calls answered under 25 seconds: 58% (Jul-Sep 2025)"] * 2
    refused = [registry.dispatch(note("v", "U0VIEWER")).title for _ in range(2)]
    assert refused == ["That needs the editor role, which you don't have."] * 2
    assert seen(demo_db) == 0
    assert notes_stored(demo_db) == 0


def test_a_key_that_cannot_be_recorded_leaves_the_request_undone(demo_db, registry_at):
    registry = registry_at(PANEL_DAY)
    table = SeenRequestRow.__tablename__
    with demo_db.engine.begin() as connection:   # the record of seen requests out of reach, the rest there
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        answer = registry.dispatch(note("k", "console"))
    finally:
        with demo_db.engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))
    assert answer.title == DATA_UNAVAILABLE
    assert notes_stored(demo_db) == 0
    assert [e.outcome for e in entries(demo_db) if e.action == "/kpi"] == ["unavailable"]


def test_a_request_the_platform_takes_for_longer_is_remembered_for_longer(demo_db, settings):
    """A Teams activity passes its token check for about an hour: sent again 40 minutes later, it is still
    refused. With a signed request's few minutes (the default), its key is gone by then, and it would run."""
    from datetime import timedelta

    from bot.app import build_registry

    editors = settings.model_copy(update={"editor_user_ids": "U0EDITOR"})
    moment = [PANEL_DAY]
    registry = build_registry(editors, demo_db, clock=lambda: moment[0])
    hour_long = CommandRequest("/kpi", NOTE, user_id="U0EDITOR", channel_id="C0PERF", request_key="teams:a1:c1",
                               platform="teams", workspace="W1", request_time=SIGNED_AT, replay_window=2 * 3600)
    assert registry.dispatch(hour_long).title.startswith("Observation saved")
    moment[0] = PANEL_DAY + timedelta(minutes=40)
    assert registry.dispatch(hour_long).title == ALREADY_DONE
    assert notes_stored(demo_db) == 1
    minutes_long = note(key="slack:a2")
    moment[0] = PANEL_DAY
    assert registry.dispatch(minutes_long).title.startswith("Observation saved")
    moment[0] = PANEL_DAY + timedelta(minutes=40)   # the key was pruned with its window: not remembered now
    assert registry.dispatch(minutes_long).title.startswith("Observation saved")
