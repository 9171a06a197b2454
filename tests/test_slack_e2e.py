"""The real Bolt app in HTTP mode, sent signed requests exactly as Slack sends them, talking to a fake Slack Web API."""
from __future__ import annotations

import contextlib
import json
import logging
import time
from datetime import datetime, timezone

import pytest

from bot.app import build_registry
from bot.wiring import build_kpibot
from bot.slack.http_server import SlackHTTPServer
from bot.settings import Settings
from bot.slack.app import STILL_WORKING, WORKING, build_slack_app
from answers.response import Response
from tests.fake_slack import FakeSlack
from tests.slack_signing import block_actions_body, post_signed, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-0000-test-token"
PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)


@contextlib.contextmanager
def serving(settings: Settings, registry, platform=None):
    """The Bolt app for `registry` in HTTP mode on a free port; yields its events URL."""
    server = SlackHTTPServer(build_slack_app(settings, registry, platform=platform), "127.0.0.1", 0)
    server.start_in_thread()
    try:
        yield f"http://127.0.0.1:{server.port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()


def serving_again(registry, fake):
    """A second app over `registry`: Bolt registers listeners at start, so a command a test adds needs one."""
    settings = Settings(database_url=registry.context.db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=fake.api_url, _env_file=None)
    return serving(settings, registry)


@pytest.fixture
def slack(demo_db):
    """A running app: (events URL, fake Slack, registry)."""
    with FakeSlack() as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, sensitive_channel_ids="C0GOV", _env_file=None)
        root = build_kpibot(settings, demo_db, clock=lambda: PANEL_DAY, metrics=True)   # as `kpibot serve`
        with serving(settings, root.registry, root.slack) as events:
            yield events, fake, root.registry


def command(url, fake, text, name="/kpi", **kwargs):
    body = slash_command_body(name, text, response_url=fake.response_url(kwargs.pop("response", "cmd")), **kwargs)
    return post_signed(url, body, SECRET)


def blocks_text(payload: dict) -> str:
    return json.dumps(payload.get("blocks", []))


def test_kpi_answers_in_the_ack_well_inside_three_seconds(slack):
    url, fake, _ = slack
    answer = command(url, fake, "calls-under-25s")
    assert answer.status == 200
    assert answer.elapsed < 3.0
    payload = json.loads(answer.body)
    assert payload["response_type"] == "ephemeral"
    assert "Calls answered under 25 seconds: 58% (Jul-Sep 2025)" in payload["text"]
    rendered = blocks_text(payload)
    assert "Last 3 months (Jul-Sep 2025)*\\n58%" in rendered
    assert "Difference to previous 3 months*\\nN/A" in rendered


def test_public_posts_in_channel(slack):
    url, fake, _ = slack
    payload = json.loads(command(url, fake, "volunteer-hours public").body)
    assert payload["response_type"] == "in_channel"
    assert ":red_circle: Red" in blocks_text(payload)


def test_tampered_and_stale_requests_are_refused_and_not_logged(slack, caplog):
    url, fake, _ = slack
    caplog.set_level(logging.DEBUG)
    body = slash_command_body("/kpi", "secret-words-in-the-body", response_url=fake.response_url())
    assert post_signed(url, body, SECRET, tamper=True).status == 401
    assert post_signed(url, body, SECRET, timestamp=int(time.time()) - 6 * 60).status == 401
    assert post_signed(url, body, "wrong-secret").status == 401
    assert post_signed(url, body, SECRET).status == 200
    refused = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refused) == 3
    leaks = [f"{r.name}: {r.getMessage()}" for r in caplog.records
             if r.levelno >= logging.INFO and "secret-words-in-the-body" in r.getMessage()]
    assert leaks == []


def test_chart_is_acknowledged_at_once_then_uploaded_to_the_channel(slack):
    url, fake, _ = slack
    answer = command(url, fake, "volunteer-hours chart", channel_id="C0PERF", response="chart")
    assert answer.status == 200 and answer.elapsed < 3.0
    assert json.loads(answer.body)["text"] == WORKING
    upload = fake.wait_for(lambda: [u for u in fake.uploads() if u.get("channel") == "C0PERF" and u.get("bytes")],
                           timeout=20)[0]
    assert upload["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    assert upload["filename"] == "volunteer-hours-2025-09.png"
    followup = fake.wait_for(lambda: fake.responses("chart"), timeout=10)[0]
    assert "Volunteer hours: 50.7 hours (Jul-Sep 2025)" in followup["text"]


def test_chart_in_a_channel_the_bot_is_not_in_says_how_to_fix_it(slack):
    url, fake, _ = slack
    fake.fail_next("files.completeUploadExternal", error="not_in_channel")
    command(url, fake, "icv-visits chart", channel_id="C0PRIVATE", response="private")
    notice = fake.wait_for(lambda: [r for r in fake.responses("private") if "couldn't post" in r.get("text", "")],
                           timeout=20)[0]
    assert "not_in_channel" in notice["text"] and "/invite @kpibot" in notice["text"]


def test_a_miss_offers_buttons_and_a_click_answers(slack):
    url, fake, _ = slack
    payload = json.loads(command(url, fake, "volunter hours").body)
    actions = [b for b in payload["blocks"] if b["type"] == "actions"][0]["elements"]
    assert actions[0]["value"] == "/kpi volunteer-hours"
    click = block_actions_body(actions[0]["action_id"], value=actions[0]["value"],
                               response_url=fake.response_url("click"))
    assert post_signed(url, click, SECRET).status == 200
    replaced = fake.wait_for(lambda: fake.responses("click"))[0]
    assert replaced["replace_original"] is True
    assert "Volunteer hours: 50.7 hours" in replaced["text"]


def test_an_answer_slower_than_the_ack_budget_follows_by_response_url(slack, steady_heap):
    url, fake, registry = slack

    def slow(request, context):
        time.sleep(2.5)
        return Response(title="slow answer ready")

    registry.add("/slowpoke", slow, "test only")
    with serving_again(registry, fake) as events:
        answer = command(events, fake, "", name="/slowpoke", response="slow")
        assert answer.status == 200 and answer.elapsed < 3.0
        assert json.loads(answer.body)["text"] == STILL_WORKING
        assert fake.wait_for(lambda: fake.responses("slow"), timeout=10)[0]["text"] == "slow answer ready"


def test_oversized_and_unknown_paths(slack):
    import urllib.error
    import urllib.request

    url, _, _ = slack
    big = urllib.request.Request(url, data=b"x" * (300 * 1024), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(big, timeout=10)
    assert caught.value.code == 413
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url.replace("/slack/events", "/elsewhere"), timeout=10)
    assert caught.value.code == 404


def test_csp_totals_over_slack(slack):
    url, fake, _ = slack
    answer = command(url, fake, "")  # warm the connection pool; /kpi help
    answer = post_signed(url, slash_command_body("/csp", "", response_url=fake.response_url("csp")), SECRET)
    assert answer.status == 200 and answer.elapsed < 3.0
    rendered = json.loads(answer.body)["text"]
    for figure in ("£639,675.00", "£345,775.49", "£293,899.51", "£126,566.47"):
        assert figure in rendered


def test_reviews_overdue_over_slack(slack):
    url, fake, _ = slack
    body = slash_command_body("/reviews", "overdue as of 2025-10-27", channel_id="C0GOV",
                              response_url=fake.response_url("rev"))
    answer = post_signed(url, body, SECRET)
    assert answer.status == 200 and answer.elapsed < 3.0
    text = json.loads(answer.body)["text"]
    assert "7 complaint reviews overdue on 27 Oct 2025" in text
    # Oldest first: CR-2025-0058 (due 17 Oct, 10 days overdue) before CR-2025-0064 (due 24 Oct, 3 days overdue).
    assert text.index("CR-2025-0058") < text.index("CR-2025-0064")
    assert "17 Oct 2025" in text


def test_digest_subscribe_checks_the_bot_can_post_there(demo_db):
    with FakeSlack() as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, admin_user_ids="U0ADMIN", _env_file=None)
        root = build_kpibot(settings, demo_db, clock=lambda: PANEL_DAY, metrics=True)   # as `kpibot serve`
        app = build_slack_app(settings, root.registry, platform=root.slack)
        scheduler = root.scheduler
        scheduler.start()
        server = SlackHTTPServer(app, "127.0.0.1", 0)
        server.start_in_thread()
        events = f"http://127.0.0.1:{server.port}/slack/events"
        try:
            fake.leave_channel("C0NOPE")
            def ask(text, user):
                body = slash_command_body("/digest", text, user_id=user, response_url=fake.response_url("d"))
                return json.loads(post_signed(events, body, SECRET).body)["text"]
            assert "That needs the admin role" in ask("subscribe weekly <#C0NOPE|nope>", "U0SOMEONE")
            refused = ask("subscribe weekly <#C0NOPE|nope>", "U0ADMIN")
            assert "I can't post in <#C0NOPE> (not_in_channel)" in refused and "/invite @kpibot" in refused
            assert "will get the weekly digest every Monday at 08:00" in ask("subscribe weekly <#C0LEAD|lead>", "U0ADMIN")
            assert "<#C0LEAD>" in ask("list", "U0SOMEONE")
        finally:
            scheduler.shutdown()
            server.shutdown()
            server.server_close()


def test_snapshot_is_acknowledged_then_uploaded(slack):
    url, fake, _ = slack
    body = slash_command_body("/snapshot", "2025/26 Q2", channel_id="C0GOV", response_url=fake.response_url("snap"))
    answer = post_signed(url, body, SECRET)
    assert answer.status == 200 and answer.elapsed < 3.0
    assert json.loads(answer.body)["text"] == WORKING
    def shared():
        done = [u for u in fake.uploads() if u.get("channel") == "C0GOV" and u.get("bytes")]
        return done if len(done) == 2 else None

    uploads = fake.wait_for(shared, timeout=120)
    names = sorted(u["filename"] for u in uploads)
    assert names == ["opcc-performance-snapshot-2025-26-Q2.docx", "opcc-performance-snapshot-2025-26-Q2.pdf"]
    by_name = {u["filename"]: u["bytes"] for u in uploads}
    assert by_name[names[0]][:2] == b"PK" and by_name[names[1]][:5] == b"%PDF-"
    history = json.loads(post_signed(url, slash_command_body("/snapshot", "history",
                                                             response_url=fake.response_url("h")), SECRET).body)
    assert "2025/26 Q2" in history["text"] and "U0USER" in history["text"]


def test_a_snapshot_refused_here_is_refused_at_once_not_after_working_on_it(slack):
    url, fake, registry = slack
    body = slash_command_body("/snapshot", "2025/26 Q2", channel_id="C0GENERAL", response_url=fake.response_url("no"))
    answer = post_signed(url, body, SECRET)
    assert answer.status == 200
    text = json.loads(answer.body)["text"]
    assert text.startswith("I don't answer that here") and "<#C0GOV>" in text
    assert text != WORKING
    from storage.audit import entries

    # One refusal, recorded once; nothing follows by response_url and nothing is uploaded.
    audited = fake.wait_for(lambda: [e for e in entries(registry.context.db) if e.action == "/snapshot"] or None)
    assert [e.outcome for e in audited] == ["refused"]
    time.sleep(1.0)  # the lazy listener has had its moment
    assert fake.responses("no") == [] and fake.uploads() == []


def test_case_lists_are_counts_only_outside_allowed_channels(slack):
    url, fake, _ = slack
    body = slash_command_body("/reviews", "overdue", channel_id="C0GENERAL", response_url=fake.response_url("x"))
    answer = json.loads(post_signed(url, body, SECRET).body)
    text = answer["text"]
    # the same answer's counts (on the Panel day, 27 Oct 2025: 9 open, 7 of them overdue), where the list can be
    # seen, and no reference
    assert "7 complaint reviews overdue on 27 Oct 2025" in text
    assert "Counts only here: the case list can be seen in <#C0GOV>" in text
    assert "CR-2025" not in json.dumps(answer)
    assert answer.get("response_type") != "in_channel"


def test_guests_are_refused_and_groups_grant_roles(demo_db):
    with FakeSlack() as fake:
        settings = Settings(database_url=demo_db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, editor_group_ids="S0ANALYSTS", _env_file=None)
        fake.make_guest("U0GUEST")
        fake.set_group("S0ANALYSTS", ["U0ANALYST"])
        with serving(settings, build_registry(settings, demo_db, clock=lambda: PANEL_DAY)) as events:
            def ask(text, user):
                body = slash_command_body("/kpi", text, user_id=user, response_url=fake.response_url("g"))
                return json.loads(post_signed(events, body, SECRET).body)["text"]

            assert "not available to guest accounts" in ask("calls-under-25s", "U0GUEST")
            assert "58%" in ask("calls-under-25s", "U0MEMBER")
            note = "calls-under-25s note 2025/26 Q2 Raised with the team."
            assert "That needs the editor role" in ask(note, "U0MEMBER")
            assert "Observation saved" in ask(note, "U0ANALYST")


def test_health_and_metrics_endpoints(slack):
    import urllib.request

    url, fake, _ = slack
    command(url, fake, "calls-under-25s")
    command(url, fake, "no-such-thing")
    base = url.replace("/slack/events", "")
    with urllib.request.urlopen(base + "/healthz", timeout=10) as health:
        assert health.status == 200 and json.loads(health.read())["ok"] is True
    with urllib.request.urlopen(base + "/metrics", timeout=10) as metrics:
        text = metrics.read().decode()
    assert 'kpibot_commands_total{command="/kpi",outcome="ok"}' in text
    assert 'kpibot_commands_total{command="/kpi",outcome="refused"}' in text
    assert "kpibot_command_seconds_bucket" in text


def test_unsigned_requests_are_refused(slack):
    import urllib.error
    import urllib.request

    url, fake, _ = slack
    body = slash_command_body("/kpi", "calls-under-25s", response_url=fake.response_url()).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 401


def test_health_is_503_when_the_database_is_down():
    import urllib.error
    import urllib.request

    from bot.app import database_health
    from storage.db import Database

    down = Database("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    with FakeSlack() as fake:
        settings = Settings(database_url=down.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, _env_file=None)
        server = SlackHTTPServer(build_slack_app(settings, build_registry(settings, down)), "127.0.0.1", 0,
                                 health_check=lambda: database_health(down))
        server.start_in_thread()
        try:
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
            assert caught.value.code == 503
            assert json.loads(caught.value.read())["ok"] is False
        finally:
            server.shutdown()
            server.server_close()
    down.dispose()


def test_twenty_slow_commands_at_once_are_all_acknowledged_and_answered(slack, steady_heap):
    """Bolt gives up on an ack after 3 s and answers 404; queued behind other requests, no ack may wait that long."""
    from concurrent.futures import ThreadPoolExecutor

    url, fake, registry = slack

    def slow(request, context):
        time.sleep(0.6)
        return Response(title=f"answer {request.text}")

    registry.add("/slowish", slow, "test only")
    with serving_again(registry, fake) as events:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda n: command(events, fake, str(n), name="/slowish", response=f"s{n}"),
                                    range(20)))
        assert [a.status for a in answers] == [200] * 20
        assert max(a.elapsed for a in answers) < 3.0
        in_ack = {n for n, a in enumerate(answers) if json.loads(a.body)["text"] == f"answer {n}"}
        followed = set(range(20)) - in_ack
        for n in followed:
            assert json.loads(answers[n].body)["text"] == STILL_WORKING
            assert fake.wait_for(lambda: fake.responses(f"s{n}"), timeout=10)[0]["text"] == f"answer {n}"


def test_serve_caps_malloc_arenas_unless_told_otherwise(monkeypatch):
    import os

    from bot.slack.serving import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False                 # the operator's own setting stands
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc") if hasattr(os, "confstr") else False
    assert limit_malloc_arenas() is glibc
