"""The `kpibot` command as a user runs it: a real process, a fresh database, the answers it prints."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KPIBOT = str(Path(sys.executable).with_name("kpibot"))


def run(args, cwd, env_extra=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.update(env_extra or {})
    return subprocess.run([KPIBOT, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory whose default SQLite database has been initialised and loaded with the demo dataset."""
    path = tmp_path_factory.mktemp("cli")
    assert run(["init"], path).returncode == 0
    loaded = run(["load-demo"], path)
    assert loaded.returncode == 0, loaded.stderr
    return path


def test_init_then_load_demo_reports_what_it_did(workdir):
    assert (workdir / "kpibot.db").exists()
    again = run(["load-demo"], workdir)
    assert again.returncode == 1
    assert "already holds figures" in again.stderr
    assert "Traceback" not in again.stderr


def test_kpi_json_for_calls_under_25s(workdir):
    result = run(["kpi", "calls-under-25s", "--json"], workdir)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"slug", "name", "unit", "period", "latest", "last3", "previous3", "change_vs_previous3",
                           "baseline", "change_vs_baseline", "target", "rag", "direction"}
    assert (answer["period"], answer["last3"], answer["previous3"], answer["baseline"], answer["rag"]) == \
        ("2025-09", 58.0, None, None, "none")


def test_kpi_as_of_an_earlier_month(workdir):
    answer = json.loads(run(["kpi", "icv-visits", "--as-of", "2025-06", "--json"], workdir).stdout)
    # Apr-Jun 2025 average 8 against Jan-Mar 2025 and the 2024/25 baseline of 8.
    assert (answer["period"], answer["last3"], answer["baseline"]) == ("2025-06", 8.0, 8.0)


def test_ask_prints_the_plain_text_answer(workdir):
    result = run(["ask", "/kpi calls-under-25s"], workdir)
    assert result.returncode == 0, result.stderr
    assert "58% (Jul-Sep 2025)" in result.stdout
    assert "Difference to previous 3 months   N/A" in result.stdout


def test_ask_with_a_typo_suggests_and_exits_non_zero(workdir):
    result = run(["ask", "/kpi volunter hours"], workdir)
    assert result.returncode == 1
    assert "Closest metrics: volunteer-hours" in result.stdout


def test_unknown_metric_on_kpi(workdir):
    result = run(["kpi", "calls-under-25"], workdir)
    assert result.returncode == 1
    assert "unknown metric 'calls-under-25'; did you mean: calls-under-25s" in result.stderr


def test_metrics_json_lists_the_catalog(workdir):
    metrics = json.loads(run(["metrics", "--json"], workdir).stdout)
    office = [m["slug"] for m in metrics if m["kind"] == "office"]
    assert office == ["correspondence-within-28-days", "avg-days-to-respond", "public-line-calls", "calls-under-25s",
                      "icv-visits", "icv-visits-on-target", "aws-visits", "aws-visits-on-target", "volunteer-hours",
                      "volunteers", "foi-requests", "sar-requests"]


def test_rejected_import_names_file_row_and_column(workdir):
    bad = workdir / "bad.csv"
    bad.write_text("metric,period,value\nfoi-requests,2025-10,1\nfoi-requests,2025-11,x\n")
    result = run(["import", "observations", str(bad)], workdir, {"KPIBOT_LOADED_BY": "tester"})
    assert result.returncode == 1
    assert "bad.csv, row 3, column value: 'x' is not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_catalog_adds_a_user_metric(workdir):
    extra = workdir / "extra.yaml"
    extra.write_text(
        "sections:\n  - {name: Engagement, kind: office}\n"
        "metrics:\n  - slug: engagement-events\n    name: Engagement events attended\n"
        "    definition: Community events the Commissioner attended in the month.\n"
        "    section: Engagement\n    unit: count\n    aggregate: sum\n    polarity: higher_better\n"
    )
    result = run(["import", "catalog", str(extra)], workdir)
    assert result.returncode == 0, result.stderr
    assert "1 metrics added" in result.stdout
    assert "new sections: Engagement" in result.stdout
    bad = workdir / "bad.yaml"
    bad.write_text("metrics:\n  - slug: Bad Slug\n")
    failed = run(["import", "catalog", str(bad)], workdir)
    assert failed.returncode == 1
    assert "slug 'Bad Slug' must be kebab-case" in failed.stderr


@pytest.mark.parametrize("escape, named", [("\\0", "U+0000 (NUL)"), ("\\a", "U+0007 (BEL)")])
def test_import_catalog_refuses_a_control_character_naming_where_it_is(workdir, escape, named):
    # YAML's double-quoted escapes write a NUL or a bell into a name: refused, not a database error
    bad = workdir / "nul.yaml"
    bad.write_text(
        "metrics:\n  - slug: engagement-events\n"
        f'    name: "Engagement{escape} events"\n'
        "    definition: Community events the Commissioner attended in the month.\n"
        "    section: Engagement\n    unit: count\n    aggregate: sum\n    polarity: higher_better\n"
    )
    failed = run(["import", "catalog", str(bad)], workdir)
    assert failed.returncode == 1
    assert f"metrics #1, name: the text contains {named} at character 11" in failed.stderr
    assert "Traceback" not in failed.stderr and "unexpected" not in failed.stderr


def test_invalid_setting_fails_with_one_line_naming_it(tmp_path):
    result = run(["metrics"], tmp_path, {"KPIBOT_REVIEW_DUE_DAYS": "soon"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "KPIBOT_REVIEW_DUE_DAYS" in result.stderr


def test_uninitialised_database_says_run_init(tmp_path):
    result = run(["kpi", "calls-under-25s"], tmp_path)
    assert result.returncode == 1
    assert "run `kpibot init` first" in result.stderr


def test_run_sets_up_loads_and_answers_in_the_console(tmp_path):
    """What a new user does: `kpibot run` (make run) then types a command."""
    result = run(["run"], tmp_path, stdin="/kpi calls-under-25s\n")
    assert result.returncode == 0, result.stderr
    assert "Imported observations" in result.stderr
    assert "Calls answered under 25 seconds: 58% (Jul-Sep 2025)" in result.stdout
    second = run(["run"], tmp_path, stdin="")
    assert "Imported" not in second.stderr  # the dataset loads only into an empty database


def test_ask_saves_a_chart_where_the_console_does_and_says_where(workdir, tmp_path):
    """`ask` and the console answer through one path: the same text, and the chart under KPIBOT_OUTPUT_DIR/charts."""
    out = tmp_path / "out"
    env = {"KPIBOT_OUTPUT_DIR": str(out)}
    asked = run(["ask", "/kpi volunteer-hours chart"], workdir, env)
    assert asked.returncode == 0, asked.stderr
    charts = list((out / "charts").glob("volunteer-hours*.png"))
    assert len(charts) == 1 and charts[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Chart saved to {charts[0]}" in asked.stdout
    typed = run(["console"], workdir, env, stdin="/kpi volunteer-hours chart\n")
    assert asked.stdout.strip() in typed.stdout


def test_ask_writes_the_snapshot_it_records(workdir, tmp_path):
    out = tmp_path / "out"
    result = run(["ask", "/snapshot 2025/26 Q2"], workdir, {"KPIBOT_OUTPUT_DIR": str(out)})
    assert result.returncode == 0, result.stderr
    docx = out / "snapshots" / "opcc-performance-snapshot-2025-26-Q2.docx"
    pdf = out / "snapshots" / "opcc-performance-snapshot-2025-26-Q2.pdf"
    assert docx.read_bytes()[:2] == b"PK" and pdf.read_bytes()[:5] == b"%PDF-"
    assert f"Saved {docx}" in result.stdout and f"Saved {pdf}" in result.stdout


def test_charts_go_under_the_working_directory_by_default(workdir):
    result = run(["ask", "/kpi icv-visits chart"], workdir)
    assert result.returncode == 0, result.stderr
    saved = [line for line in result.stdout.splitlines() if line.startswith("Chart saved to ")]
    assert len(saved) == 1
    path = Path(saved[0].removeprefix("Chart saved to "))
    assert path.parent == workdir / "charts" and path.name.startswith("icv-visits") and path.exists()


def test_an_output_dir_that_is_a_file_is_refused_at_start(workdir, tmp_path):
    taken = tmp_path / "a-file"
    taken.write_text("")
    result = run(["ask", "/kpi help"], workdir, {"KPIBOT_OUTPUT_DIR": str(taken)})
    assert result.returncode == 2
    assert "KPIBOT_OUTPUT_DIR" in result.stderr and "must be a folder" in result.stderr


def test_digest_subscribe_from_the_console_is_refused_and_says_where(workdir):
    refused = run(["ask", "/digest subscribe weekly"], workdir)
    assert refused.returncode == 1
    assert "The console is not a channel" in refused.stdout
    assert "`/digest subscribe weekly #channel` in a chat with me" in refused.stdout
    assert "No channel is subscribed to a digest yet." in run(["ask", "/digest list"], workdir).stdout
    named = run(["ask", "/digest subscribe quarterly C0LEADERS"], workdir)
    assert named.returncode == 0, named.stdout
    assert "#C0LEADERS will get the quarterly digest" in named.stdout   # the plain-text mention
    listed = run(["ask", "/digest list"], workdir).stdout
    assert "C0LEADERS" in listed and "console" not in listed
    assert run(["ask", "/digest unsubscribe quarterly C0LEADERS"], workdir).returncode == 0


def test_an_invalid_database_url_is_named_without_its_password(tmp_path):
    result = run(["metrics"], tmp_path, {"KPIBOT_DATABASE_URL": "mysql://kpibot:s3cret-pw@db.internal/kpibot"})
    assert result.returncode == 2
    assert "invalid setting KPIBOT_DATABASE_URL: must be a sqlite:/// or postgresql+psycopg:// URL" in result.stderr
    assert "mysql://kpibot:***@db.internal/kpibot" in result.stderr and "s3cret" not in result.stderr


def test_a_chart_that_cannot_be_saved_says_so_instead_of_failing(tmp_path):
    from bot.console.repl import save_attachments
    from answers.response import Chart, Response

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    lines = save_attachments(Response(title="t", charts=[Chart("Trend", b"\x89PNG", "alt", "trend.png")]), blocked)
    assert lines == [f"Couldn't save trend.png in {blocked / 'charts'} (Not a directory); "
                     "set KPIBOT_OUTPUT_DIR to a folder you can write to."]


def test_a_file_name_from_data_is_saved_inside_the_output_folder(tmp_path):
    # a chart named after a catalog section such as ../../PWNED lands in charts/, under a safe name
    from bot.console.repl import save_attachments
    from answers.response import Chart, FileAttachment, Response

    out = tmp_path / "out"
    response = Response(title="t", charts=[Chart("Trend", b"\x89PNG", "alt", "../../PWNED.png")],
                        files=[FileAttachment("a/b c.docx", b"PK", "Snapshot")])
    lines = save_attachments(response, out)
    assert (out / "charts" / "PWNED.png").read_bytes() == b"\x89PNG"
    assert (out / "snapshots" / "a-b-c.docx").read_bytes() == b"PK"
    assert not (tmp_path / "PWNED.png").exists()
    assert len(lines) == 2 and "PWNED.png" in lines[0] and "a-b-c.docx" in lines[1]


@pytest.mark.parametrize("since", ["2025-09-30", "30/09/2025", "30 Sep 2025", "Sep 2025"])
def test_audit_since_takes_the_date_forms_people_write(workdir, since):
    result = run(["audit", "--since", since], workdir)
    assert result.returncode == 0, result.stderr
    assert "load-demo" in result.stdout          # loaded today, so after any 2025 date


def test_audit_since_an_unreadable_date_says_which_forms_work(workdir):
    result = run(["audit", "--since", "the other day"], workdir)
    assert result.returncode != 0
    assert "--since" in result.stderr and "30/09/2025" in result.stderr and "last month" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("as_of", ["30/09/2025", "30 Sep 2025", "2025/26 Q2"])
def test_ask_and_digest_take_the_same_date_forms(workdir, as_of, tmp_path):
    answer = run(["ask", "/reviews overdue", "--as-of", as_of], workdir)
    assert answer.returncode == 0, answer.stderr
    assert "30 Sep 2025" in answer.stdout
    digest = run(["digest", "run", "weekly", "--dry-run", "--out", str(tmp_path), "--as-of", as_of], workdir)
    assert digest.returncode == 0, digest.stderr
