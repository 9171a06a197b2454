"""/snapshot: the Panel paper's performance section for a quarter, as Word and PDF; /snapshot history lists past ones."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from answers.context import CommandContext
from commands.registry import CommandRegistry, CommandRequest
from answers.response import FileAttachment, Response, Table, error, shorten
from storage.filenames import period_stem
from storage.figures import format_day
from storage.periods import PeriodError, Quarter, parse_period_text
from storage.snapshot_queries import last_complete_quarter, last_quarter_with_office_figures, quarter_has_office_figures

HELP = """/snapshot [2025/26 Q2] [docx|pdf] - the Panel paper's performance tables and charts for a quarter (default: the last complete one with office figures; both formats)
/snapshot history - snapshots produced so far, with the fingerprint of their figures"""
FORMATS = ("docx", "pdf")
NOT_A_QUARTER = "{text!r} is not a quarter."
QUARTER_EXAMPLE = ("Example: /snapshot 2025/26 Q2, /snapshot Q2 or /snapshot last quarter "
                   "(Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar), optionally docx or pdf.")
NOT_OVER = "{quarter} has not ended yet (today is {today})."
LATEST_HINT = "The latest complete quarter with office figures is {latest}."
NO_FIGURES = "No office figures for {quarter} ({span}): the snapshot is held back and nothing was recorded."
NONE_LOADED = ("No office figures are loaded for any complete quarter (up to {last}), so there is no paper to write; "
               "nothing was recorded.")
LOAD_HINT = "Load the office's monthly figures first: kpibot import observations FILE (CSV or Excel)."
READY = "Panel snapshot {quarter}: {files}"
READY_NOTE = "Figures fingerprint (SHA-256) {digest}; recorded as snapshot #{number}. Data as of {day}."
NO_HISTORY = "No snapshots have been produced yet."


def register(registry: CommandRegistry) -> None:
    registry.add("/snapshot", snapshot_command, HELP,
                 is_slow=lambda text: text.strip().lower() not in ("history", "help"),
                 sensitive=lambda text: text.strip().lower() not in ("help", "?", "history"))


@dataclass(frozen=True)
class QuarterChoice:
    """The quarter a snapshot is for, or why there is none: a problem and what would work instead."""

    quarter: Quarter | None
    problem: str | None = None
    hints: tuple[str, ...] = ()


def choose_quarter(context: CommandContext, text: str) -> QuarterChoice:
    """The quarter `text` asks for (2025/26 Q2, Q2, last quarter), or by default the last complete quarter with
    office figures; a quarter not over yet, or with no office figures, is held back with what would work.

    /snapshot and `kpibot snapshot` both choose here, so they default, refuse and hold back alike.
    """
    today = context.today()
    with context.db.session() as session:
        latest = last_quarter_with_office_figures(session, today)
        latest_hint = (LATEST_HINT.format(latest=latest.label),) if latest else (LOAD_HINT,)
        if not text.strip():
            if latest is None:
                return QuarterChoice(None, NONE_LOADED.format(last=last_complete_quarter(today).label), latest_hint)
            return QuarterChoice(latest)
        try:
            quarter = parse_period_text(text, today)
        except PeriodError:
            quarter = None
        if not isinstance(quarter, Quarter):
            return QuarterChoice(None, NOT_A_QUARTER.format(text=shorten(text.strip())), (QUARTER_EXAMPLE,))
        if quarter.months[-1].last_day >= today:
            return QuarterChoice(None, NOT_OVER.format(quarter=quarter.label, today=format_day(today)), latest_hint)
        if not quarter_has_office_figures(session, quarter):
            return QuarterChoice(None, NO_FIGURES.format(quarter=quarter.label, span=quarter.span), latest_hint)
    return QuarterChoice(quarter)


def snapshot_command(request: CommandRequest, context: CommandContext) -> Response:
    words = request.text.split()
    lowered = [w.lower() for w in words]
    if lowered in (["help"], ["?"]):
        return Response(title="Panel snapshots", notes=HELP.splitlines())
    if lowered == ["history"]:
        return history_answer(context)
    formats = [w for w in lowered if w in FORMATS] or list(FORMATS)
    choice = choose_quarter(context, " ".join(w for w in words if w.lower() not in FORMATS))
    if choice.quarter is None:
        return error(choice.problem, *choice.hints)
    return produce(context, choice.quarter, formats, request.user_id)


def produce(context: CommandContext, quarter: Quarter, formats: list[str], requested_by: str) -> Response:
    """Build, write and record the snapshot of a quarter chosen by choose_quarter."""
    from digests.docx_writer import write_docx
    from digests.pdf_writer import write_pdf
    from digests.snapshot import build_snapshot
    from storage.snapshot_store import record_snapshot

    now = context.clock()
    snapshot = build_snapshot(context, quarter, now, context.classification)
    writers = {"docx": write_docx, "pdf": write_pdf}
    stem = f"opcc-performance-snapshot-{period_stem(quarter.label)}"
    files = [FileAttachment(f"{stem}.{fmt}", writers[fmt](snapshot.document),
                            f"OPCC performance snapshot {quarter.label} ({fmt.upper()})") for fmt in formats]
    record = record_snapshot(context.db, quarter.label, requested_by, now, snapshot.data_as_of, formats,
                             snapshot.sha256, snapshot.figures)
    return Response(
        title=READY.format(quarter=quarter.label, files=", ".join(f.filename for f in files)),
        notes=[READY_NOTE.format(digest=snapshot.sha256[:16], number=record.id,
                                 day=format_day(snapshot.data_as_of))],
        files=files,
    )


def history_answer(context: CommandContext) -> Response:
    from storage.snapshot_store import recent_snapshots

    records = recent_snapshots(context.db)
    if not records:
        return Response(title=NO_HISTORY, notes=[HELP.splitlines()[0]])
    zone = ZoneInfo(context.timezone)
    rows = []
    for r in records:
        produced = r.created_at.astimezone(zone)
        rows.append([f"#{r.id}", r.quarter, f"{format_day(produced.date())} {produced:%H:%M}", r.requested_by,
                     format_day(r.data_as_of), r.formats, r.figures_sha256[:16]])
    return Response(title="Panel snapshots produced",
                    table=Table(["#", "Quarter", "Produced", "By", "Data as of", "Formats", "Fingerprint"], rows))
