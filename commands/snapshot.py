"""/snapshot: the Panel paper's performance section for a quarter, as Word and PDF; /snapshot history lists past ones."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from commands.context import CommandContext
from commands.registry import CommandRegistry, CommandRequest
from commands.response import FileAttachment, Response, Table, error
from storage.periods import Month, PeriodError, Quarter, parse_period

HELP = """/snapshot [2025/26 Q2] [docx|pdf] - the Panel paper's performance tables and charts for a quarter (default: the last complete one; both formats)
/snapshot history - snapshots produced so far, with the fingerprint of their figures"""
FORMATS = ("docx", "pdf")
NOT_A_QUARTER = "{text!r} is not a quarter."
QUARTER_EXAMPLE = "Example: /snapshot 2025/26 Q2 (Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar), optionally docx or pdf."
NOT_OVER = "{quarter} has not ended yet (today is {today})."
NOT_OVER_HINT = "The last complete quarter is {last}: /snapshot {last}"
READY = "Panel snapshot {quarter}: {files}"
READY_NOTE = "Figures fingerprint (SHA-256) {digest}; recorded as snapshot #{number}. Data as of {day}."
NO_HISTORY = "No snapshots have been produced yet."


def register(registry: CommandRegistry) -> None:
    registry.add("/snapshot", snapshot_command, HELP,
                 is_slow=lambda text: text.strip().lower() not in ("history", "help"),
                 sensitive=lambda text: text.strip().lower() not in ("help", "?", "history"))


def last_complete_quarter(today) -> Quarter:
    quarter = Month.of(today).quarter
    return quarter if quarter.months[-1].last_day < today else quarter.previous()


def snapshot_command(request: CommandRequest, context: CommandContext) -> Response:
    words = request.text.split()
    lowered = [w.lower() for w in words]
    if lowered in (["help"], ["?"]):
        return Response(title="Panel snapshots", notes=HELP.splitlines())
    if lowered == ["history"]:
        return history_answer(context)
    formats = [w for w in lowered if w in FORMATS] or list(FORMATS)
    rest = " ".join(w for w in words if w.lower() not in FORMATS)
    today = context.today()
    if rest:
        try:
            quarter = parse_period(rest)
        except PeriodError:
            quarter = None
        if not isinstance(quarter, Quarter):
            return error(NOT_A_QUARTER.format(text=rest), QUARTER_EXAMPLE)
    else:
        quarter = last_complete_quarter(today)
    if quarter.months[-1].last_day >= today:
        last = last_complete_quarter(today).label
        return error(NOT_OVER.format(quarter=quarter.label, today=today.isoformat()), NOT_OVER_HINT.format(last=last))
    return produce(context, quarter, formats, request.user_id)


def produce(context: CommandContext, quarter: Quarter, formats: list[str], requested_by: str) -> Response:
    from digests.docx_writer import write_docx
    from digests.pdf_writer import write_pdf
    from digests.snapshot import build_snapshot
    from storage.snapshot_store import record_snapshot

    now = context.clock()
    snapshot = build_snapshot(context, quarter, now, context.classification)
    writers = {"docx": write_docx, "pdf": write_pdf}
    stem = f"opcc-performance-snapshot-{quarter.label.replace('/', '-').replace(' ', '-')}"
    files = [FileAttachment(f"{stem}.{fmt}", writers[fmt](snapshot.document),
                            f"OPCC performance snapshot {quarter.label} ({fmt.upper()})") for fmt in formats]
    record = record_snapshot(context.db, quarter.label, requested_by, now, snapshot.data_as_of, formats,
                             snapshot.sha256, snapshot.figures)
    return Response(
        title=READY.format(quarter=quarter.label, files=", ".join(f.filename for f in files)),
        notes=[READY_NOTE.format(digest=snapshot.sha256[:16], number=record.id,
                                 day=snapshot.data_as_of.isoformat())],
        files=files,
    )


def history_answer(context: CommandContext) -> Response:
    from storage.snapshot_store import recent_snapshots

    records = recent_snapshots(context.db)
    if not records:
        return Response(title=NO_HISTORY, notes=[HELP.splitlines()[0]])
    zone = ZoneInfo(context.timezone)
    rows = [[f"#{r.id}", r.quarter, r.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), r.requested_by,
             r.data_as_of.isoformat(), r.formats, r.figures_sha256[:16]] for r in records]
    return Response(title="Panel snapshots produced",
                    table=Table(["#", "Quarter", "Produced", "By", "Data as of", "Formats", "Fingerprint"], rows))
