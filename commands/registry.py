"""Slash commands by name: each command module registers its handler; the bot and the console dispatch through here."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Callable

from answers.context import CommandContext
from answers.incoming import IncomingFile  # noqa: F401  (a request's file)
from answers.response import Response, counts_only, error, shorten, shows_cases
from storage.addresses import Address

LOGGER = logging.getLogger(__name__)

DATA_UNAVAILABLE = "The data is temporarily unavailable: I can't reach the database just now."
DATA_UNAVAILABLE_HINT = "Try again in a minute; nothing you asked for was changed."
INTERNAL_ERROR = "Sorry, that went wrong on my side and has been logged."
INTERNAL_ERROR_HINT = "Try again in a minute; if it keeps happening, tell the performance team."
# The channel of a request typed at the console or given to `kpibot ask`: no chat channel at all.
CONSOLE_CHANNEL = "console"
CONSOLE_PLATFORM = "console"
COUNTS_ONLY_HERE = ("Counts only here: the case list can be seen in {channels}, or in a direct message with me "
                    "if you are an editor or admin.")
NOT_POSTED = "Shown to you only: `public` posts an answer about cases only where the case list can be seen."
NOT_RECORDED = "I couldn't record this request in the audit log, so I haven't answered it."
NOT_RECORDED_HINT = ("Case details and Panel papers are given only once the request is recorded. "
                     "Try again in a minute; if it keeps happening, tell the performance team.")
ALREADY_DONE = "Already done: this exact request arrived before and was carried out then."
ALREADY_DONE_HINT = "Nothing was changed this time. To do it again, run the command again."


@dataclass(frozen=True)
class CommandRequest:
    command: str  # e.g. "/kpi"
    text: str
    user_id: str = "console"
    channel_id: str = CONSOLE_CHANNEL
    as_of: date | None = None
    is_guest: bool = False
    groups: frozenset[str] = frozenset()
    # The platform says this conversation is the bot's own direct message with the asker.
    direct_with_bot: bool = False
    # The platform's identity of this one request (a signature, say), so that a replay can be told apart;
    # opaque here. "" where the platform gives none (nothing can replay a typed console line).
    request_key: str = ""
    # Where it was asked: the platform, and its workspace or tenant ("" where there is none).
    platform: str = CONSOLE_PLATFORM
    workspace: str = ""
    # When the platform says the request was made (Unix seconds, as it signed it), for how long its key is kept.
    request_time: int | None = None
    # How long after `request_time` the platform would still take this request as authentic (seconds); None: a
    # signed request's few minutes (storage.replays). Its key is remembered that long.
    replay_window: int | None = None
    # A file given with the request (dropped into the conversation): only `/upload` reads it.
    file: "IncomingFile | None" = None

    @property
    def address(self) -> Address:
        """The conversation the request came from, as every store names one."""
        return Address(self.platform, self.channel_id, self.workspace)


Handler = Callable[[CommandRequest, CommandContext], Response]


@dataclass
class CommandRegistry:
    context: CommandContext
    handlers: dict[str, Handler] = field(default_factory=dict)
    help_texts: dict[str, str] = field(default_factory=dict)
    slow_checks: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    role_checks: dict[str, Callable[[str], str]] = field(default_factory=dict)
    sensitive_checks: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    # Called after every command with (command, outcome, seconds): metrics, in the Slack process.
    observers: list[Callable[[str, str, float], None]] = field(default_factory=list)

    def add(self, command: str, handler: Handler, help_text: str,
            is_slow: Callable[[str], bool] | None = None, needs: Callable[[str], str] | None = None,
            sensitive: Callable[[str], bool] | None = None) -> None:
        """Register a handler. `is_slow(text)`: too slow to answer in the ack; `needs(text)`: the role a
        request needs (viewer, editor, admin); `sensitive(text)`: it lists case details."""
        if command in self.handlers:
            raise ValueError(f"{command} is registered twice")
        self.handlers[command] = handler
        self.help_texts[command] = help_text
        if is_slow is not None:
            self.slow_checks[command] = is_slow
        if needs is not None:
            self.role_checks[command] = needs
        if sensitive is not None:
            self.sensitive_checks[command] = sensitive

    def refusal_for(self, request: CommandRequest) -> tuple[str, str] | None:
        """The one place access is decided, for every command: (message, hint) when refused, else None."""
        identity, place = _asker(request)
        return self.context.access.refusal(identity, place, self.needs(request), self._is_sensitive(request))

    def needs(self, request: CommandRequest) -> str:
        """The role the request needs: viewer for a question; editor or admin for a change."""
        return self.role_checks.get(request.command, lambda text: "viewer")(request.text)

    def _is_sensitive(self, request: CommandRequest) -> bool:
        """Registered as answered only where case details may be seen (a whole Panel paper), not cut to counts."""
        return self.sensitive_checks.get(request.command, lambda text: False)(request.text)

    def shown_here(self, request: CommandRequest, response: Response) -> Response:
        """The answer as this asker, in this place, may see it: counts only, with where the list can be seen,
        unless they may see case details here. The one place this is decided, for every command."""
        access = self.context.access
        if access.may_see_cases(*_asker(request)):
            return response
        shown = counts_only(response, COUNTS_ONLY_HERE.format(channels=access.case_channels_text()))
        if response.public and shown is not response:
            shown = replace(shown, notes=[*shown.notes, NOT_POSTED])
        return shown

    def is_slow(self, command: str, text: str) -> bool:
        check = self.slow_checks.get(command)
        return bool(check and check(text))

    def dispatch(self, request: CommandRequest) -> Response:
        """Run a command and audit it; anything unexpected becomes a short apology, never a stack trace.

        An answer with case details (or a Panel paper) is given only once its audit row is committed: when the
        row cannot be written, the asker is told so instead, and sees nothing of the cases (fail closed). Other
        answers are given whatever the audit log does; a failure to write it is logged."""
        import time

        started = time.perf_counter()
        response = self.shown_here(request, self._answer(request))
        from storage.audit import record

        outcome = "unavailable" if response.title == DATA_UNAVAILABLE else ("refused" if response.is_error else "ok")
        if response.title == INTERNAL_ERROR:
            outcome = "failed"
        elif response.title == ALREADY_DONE:
            outcome = "replayed"
        written = record(self.context.db, self.context.clock(), request.user_id, request.address,
                         request.command, request.text, outcome)
        if not written and self._needs_audit(request, response):
            LOGGER.warning("command %s: not answered, its audit row could not be written", request.command)
            response, outcome = error(NOT_RECORDED, NOT_RECORDED_HINT), "unrecorded"
        for observe in self.observers:
            observe(request.command if request.command in self.handlers else "unknown", outcome,
                    time.perf_counter() - started)
        return response

    def _needs_audit(self, request: CommandRequest, response: Response) -> bool:
        """A sensitive answer: it lists cases, or it is one of the answers kept to allowed places."""
        return shows_cases(response) or (self._is_sensitive(request) and not response.is_error)

    def _answer(self, request: CommandRequest) -> Response:
        handler = self.handlers.get(request.command)
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            return error(f"I don't know the command {shorten(request.command)}.", f"Commands I answer: {known}.")
        from storage.text_rules import REMOVE_IT, control_character_problem

        problem = control_character_problem(request.text, f"The text after {request.command}")
        if problem is not None:
            return error(problem, REMOVE_IT)
        refusal = self.refusal_for(request)
        if refusal is not None:
            return error(*refusal)
        from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError, TimeoutError as SQLAlchemyTimeout

        try:
            if self._is_replay(request):
                return error(ALREADY_DONE, ALREADY_DONE_HINT)
        except SQLAlchemyError as exc:  # the database that records requests is not answering: change nothing
            LOGGER.warning("could not check %s for a replay: %s", request.command, type(exc).__name__)
            return error(DATA_UNAVAILABLE, DATA_UNAVAILABLE_HINT)
        try:
            return handler(request, self.context)
        except (OperationalError, DBAPIError) as exc:
            if not _unreachable(exc):
                LOGGER.exception("command %s failed", request.command)
                return error(INTERNAL_ERROR, INTERNAL_ERROR_HINT)
            LOGGER.warning("command %s: database unreachable (%s)", request.command, type(exc.orig).__name__)
            return error(DATA_UNAVAILABLE, DATA_UNAVAILABLE_HINT)
        except SQLAlchemyTimeout:  # every connection of the pool busy for longer than its wait: a database too slow
            LOGGER.warning("command %s: no database connection free in time", request.command)
            return error(DATA_UNAVAILABLE, DATA_UNAVAILABLE_HINT)
        except Exception:
            LOGGER.exception("command %s failed", request.command)
            return error(INTERNAL_ERROR, INTERNAL_ERROR_HINT)

    def _is_replay(self, request: CommandRequest) -> bool:
        """Whether this state-changing request was seen before (on any replica), by the key its platform gave.
        Asked only after the request passed its access check: read-only commands, requests with no key and
        requests refused anyway never touch the record. Database errors propagate (the request is not run)."""
        if not request.request_key or self.needs(request) == "viewer":
            return False
        from storage.replays import first_time

        now = self.context.clock().timestamp()   # the one clock commands run by
        if first_time(self.context.db, request.request_key, request.request_time, now=now, window=request.replay_window):
            return False
        LOGGER.warning("refused a replayed %s from %s in %s", request.command, request.user_id, request.channel_id)
        return True

    def run_line(self, line: str, as_of: date | None = None, user_id: str = "console",
                 channel_id: str = CONSOLE_CHANNEL, is_guest: bool = False,
                 groups: frozenset[str] = frozenset(), direct_with_bot: bool = False,
                 request_key: str = "", platform: str = CONSOLE_PLATFORM, workspace: str = "") -> Response:
        """Run a typed line such as '/kpi calls-under-25s'."""
        stripped = line.strip()
        if not stripped.startswith("/"):
            known = ", ".join(sorted(self.handlers))
            return error(f"{shorten(stripped)!r} is not a command.",
                         f"Start with a slash command: {known}. Try /kpi help.")
        command, _, text = stripped.partition(" ")
        return self.dispatch(CommandRequest(command.lower(), text.strip(), user_id, channel_id, as_of, is_guest,
                                            groups, direct_with_bot, request_key, platform, workspace))


def _asker(request: CommandRequest):
    """(who is asking, where): what access is decided on."""
    from answers.access import Identity, Place

    return Identity(request.user_id, request.is_guest, request.groups), Place(request.channel_id,
                                                                              request.direct_with_bot)


def _unreachable(exc) -> bool:
    """A lost or refused connection (the database is down), as opposed to a bug in a query."""
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(sign in text for sign in ("connection", "could not connect", "server closed", "timeout",
                                          "terminating", "unable to open database", "database is locked"))
