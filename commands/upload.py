"""/upload: figures given in chat. A file dropped into the bot's chat is checked by the CLI's own import, shown
as what it would change, and imported only when its uploader presses Confirm (`/upload confirm <token>`).

The platform's adapter hands the file over on the request (`request.file`); the buttons run the same command
as typed lines, so who may press them, the replay check and the audit are the registry's, as for any command.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from answers.access import Identity, Place
from answers.context import CommandContext
from answers.incoming import FetchFailed, FileTooLarge
from answers.mentions import conversation as mention
from answers.response import Button, Response, error, shorten
from commands.registry import CommandRegistry, CommandRequest
from storage import upload_store
from storage.audit import record_change
from storage.filenames import safe_filename
from storage.importers.common import ImportRejected
from storage.importers.limits import FILE_TOO_LARGE, MAX_FILE_BYTES, megabytes
from storage.text_rules import without_control_characters

LOGGER = logging.getLogger(__name__)

HELP = """Send me a CSV or Excel (.xlsx) file in our one-to-one chat to load it
I check it as `kpibot import` does and show what it would change, with Confirm and Cancel buttons
/upload confirm <code> - import a previewed file (the Confirm button does this)
/upload cancel <code> - discard it (the Cancel button does this)
Figures (metric,period,value or one column per month), the review log, CSP allocations and CSP spend are told apart by their columns. Editors and admins only."""
HOW = "To load figures, send the file to me in a direct message: I'll show what it would change before importing it."
NOT_UNDERSTOOD = "I didn't understand {text!r} after /upload."
USAGE = "Send a CSV or .xlsx file to me; its preview has Confirm and Cancel buttons."
WRONG_TYPE = "{name} is not a CSV or Excel workbook, so I can't load it."
WRONG_TYPE_HINT = ("Save the sheet as CSV UTF-8 (.csv) or as an Excel Workbook (.xlsx) and send that; "
                   "`/upload help` says which columns each kind of file needs.")
STOPPED = "{name} holds more than the {limit} a single import accepts: I stopped fetching it there."
TOO_LARGE_HINT = "Split it (by year, say) and send each part, or load it on the server with `kpibot import`."
NOT_FETCHED = "I couldn't fetch {name} ({detail})."
NOT_FETCHED_HINT = "Send it again in a minute; if it keeps failing, load it on the server with `kpibot import`."
REJECTED = "{name} was not loaded: nothing was written or kept."
FIX_AND_SEND = "Fix these in the file and send it again."
NOTHING_TO_LOAD = "{name}: nothing to load."
NOTHING_KEPT = "Nothing was kept."
PREVIEW_TITLE = "Check {name} before it is loaded"
CONFIRM_BY = "Nothing is loaded until you press Confirm. Unanswered, the file is discarded after {minutes} minutes."
CONFIRM, CANCEL = "Confirm import", "Cancel"
GONE = "That upload is no longer waiting: it was loaded, cancelled, or left unanswered for {minutes} minutes."
GONE_HINT = "Nothing more was loaded. To load the file, send it again."
NOT_YOURS = "Only the person who sent the file can confirm or cancel it, in the conversation it was sent to."
NOT_YOURS_HINT = "Send the file yourself to load it."
BUSY = "That upload is being loaded already: nothing more was loaded."
LOADED = "Loaded {name}"
ALERTED = "Alerts posted to {places}."
ALERT_FAILED = "An alert could not be posted to {places}; the error is logged."
ALERT_UNCERTAIN = ("An alert to {places} may already have been posted by an attempt cut short, so it was not "
                   "posted again: check there.")
NOT_SERVED = ("Alerts for {places} are kept for a kpibot connected to their chat platform (its tokens are not "
              "set here): it posts them at its next check.")
CHANGED_SINCE = ("{name} no longer loads as it did in its preview (the figures or the catalog changed in between): "
                 "nothing was written, and the upload is discarded.")
CANCELLED = "Cancelled: {name} was discarded and nothing was loaded."
CHECKS_MINUTES = int(upload_store.KEPT_FOR.total_seconds() // 60)
SAFE_NAME_CHARACTERS = 120


def register(registry: CommandRegistry) -> None:
    registry.add("/upload", upload_command, HELP, needs=lambda text: "editor")


def upload_command(request: CommandRequest, context: CommandContext) -> Response:
    if request.file is not None:
        return receive(request, context)
    words = request.text.split()
    verb = words[0].lower() if words else "help"
    if verb in ("help", "?") and len(words) <= 1:
        return Response(title=HOW, notes=HELP.splitlines())
    if verb in ("confirm", "cancel") and len(words) == 2:
        return confirm(request, context, words[1]) if verb == "confirm" else cancel(request, context, words[1])
    return error(NOT_UNDERSTOOD.format(text=shorten(request.text)), USAGE)


def display_name(name: str) -> str:
    """The file's own name as people gave it, when it can be one: else a safe one made from it."""
    base = Path(name or "").name
    if (not base or base.startswith(".") or len(base) > SAFE_NAME_CHARACTERS
            or without_control_characters(base) != base):
        return safe_filename(base or "upload.csv", fallback="upload")
    return base


def receive(request: CommandRequest, context: CommandContext) -> Response:
    """Check a file given in chat and answer with its problems, or with its preview and the buttons."""
    from storage.importers.kinds import kind_of
    from storage.importers.preview import preview

    file, now = request.file, context.clock()
    name = display_name(file.name)
    upload_store.discard_expired(context.db, now)
    if Path(name).suffix.lower() not in (".csv", ".xlsx"):
        return error(WRONG_TYPE.format(name=shorten(name)), WRONG_TYPE_HINT)
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return error(f"{shorten(name)}: " + FILE_TOO_LARGE.format(size=megabytes(file.size),
                                                                  limit=megabytes(MAX_FILE_BYTES)), TOO_LARGE_HINT)
    try:
        content = file.fetch(MAX_FILE_BYTES)
    except FileTooLarge:
        return error(STOPPED.format(name=shorten(name), limit=megabytes(MAX_FILE_BYTES)), TOO_LARGE_HINT)
    except FetchFailed as exc:
        return error(NOT_FETCHED.format(name=shorten(name), detail=shorten(exc.detail)), NOT_FETCHED_HINT)
    with tempfile.TemporaryDirectory(prefix="kpibot-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            kind = kind_of(path)
            shown = preview(context.db, path, request.user_id, now, kind=kind, place=request.address,
                            due_days=context.review_due_days)
        except ImportRejected as exc:
            return error(REJECTED.format(name=shorten(name)), *problem_lines(exc), FIX_AND_SEND)
    may_see_cases = context.access.may_see_cases(Identity(request.user_id, request.is_guest, request.groups),
                                                 Place(request.channel_id, request.direct_with_bot))
    lines = shown.summary_lines(show_cases=may_see_cases)
    if not (shown.figures or shown.cases or shown.allocations or shown.spend):
        return Response(title=NOTHING_TO_LOAD.format(name=shorten(name)), notes=[*lines, NOTHING_KEPT])
    pending = upload_store.keep(context.db, request.address, request.user_id, name, kind, content, now)
    LOGGER.info("upload %s (%s, %d bytes) from %s kept for confirmation", pending.token, kind, len(content),
                request.user_id)
    return Response(title=PREVIEW_TITLE.format(name=shorten(name)),
                    notes=[*lines, CONFIRM_BY.format(minutes=CHECKS_MINUTES)],
                    buttons=[Button(CONFIRM, f"/upload confirm {pending.token}", "primary"),
                             Button(CANCEL, f"/upload cancel {pending.token}", "danger")])


def problem_lines(exc: ImportRejected) -> list[str]:
    """The rejection's lines as a chat answer lists them (its header is the answer's title)."""
    return [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]


def _theirs(request: CommandRequest, pending: upload_store.PendingUpload) -> bool:
    here = request.address
    return (pending.user_id == request.user_id and pending.address.platform == here.platform
            and pending.address.workspace == here.workspace and pending.address.conversation == here.conversation)


def confirm(request: CommandRequest, context: CommandContext, token: str) -> Response:
    """Load a previewed upload, once: the click that claims it loads it, any other is told nothing more was."""
    from digests.alerts import announce_change, standing
    from digests.delivery import process_name
    from storage.importers.load import load

    now = context.clock()
    pending = upload_store.find(context.db, token)
    if pending is None or pending.expires_at <= now:
        upload_store.discard_expired(context.db, now)
        return error(GONE.format(minutes=CHECKS_MINUTES), GONE_HINT)
    if not _theirs(request, pending):
        return error(NOT_YOURS, NOT_YOURS_HINT)
    claimed = upload_store.claim(context.db, token, process_name(), now)
    if claimed is None:
        return error(BUSY, GONE_HINT)
    name = pending.filename
    with tempfile.TemporaryDirectory(prefix="kpibot-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(claimed.content)
        try:
            with context.db.session() as session:
                before = standing(context, session)
                result = load(session, pending.kind, path, request.user_id, now, place=request.address)
                record_change(session, now, request.user_id, request.address, "upload confirmed",
                              f"{name} (sha256 {claimed.upload.sha256}): {result.summary()}")
                upload_store.remove(session, token)
        except ImportRejected as exc:
            with context.db.session() as session:
                upload_store.remove(session, token)
            return error(CHANGED_SINCE.format(name=shorten(name)), *problem_lines(exc))
        except BaseException:
            upload_store.give_back(context.db, token)
            raise
    LOGGER.info("upload %s loaded by %s: %s", token, request.user_id, result.summary())
    notes = [result.summary()]
    try:
        outcomes = announce_change(context, before, standing(context), name, f"upload by {request.user_id}")
    except Exception:   # the figures are in: a failure to alert must not say otherwise
        LOGGER.exception("alerts after upload %s failed", token)
        outcomes = []
    notes += alert_notes(outcomes)
    return Response(title=LOADED.format(name=shorten(name)), notes=notes)


def alert_notes(outcomes) -> list[str]:
    """What the alerts after a load did, as the loader is told."""
    notes = []
    for state, text in (("posted", ALERTED), ("failed", ALERT_FAILED), ("uncertain", ALERT_UNCERTAIN),
                        ("not-served", NOT_SERVED)):
        places = [mention(o.address.conversation) for o in outcomes if o.state == state]
        if places:
            notes.append(text.format(places=", ".join(places)))
    return notes


def cancel(request: CommandRequest, context: CommandContext, token: str) -> Response:
    pending = upload_store.find(context.db, token)
    if pending is None:
        return error(GONE.format(minutes=CHECKS_MINUTES), GONE_HINT)
    if not _theirs(request, pending):
        return error(NOT_YOURS, NOT_YOURS_HINT)
    if not upload_store.cancel(context.db, token):
        return error(BUSY, GONE_HINT)
    return Response(title=CANCELLED.format(name=shorten(pending.filename)))
