"""Slash commands by name: each command module registers its handler; the bot and the console dispatch through here."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from commands.context import CommandContext
from commands.response import Response, error

LOGGER = logging.getLogger(__name__)

INTERNAL_ERROR = "Sorry, that went wrong on my side and has been logged."
INTERNAL_ERROR_HINT = "Try again in a minute; if it keeps happening, tell the performance team."


@dataclass(frozen=True)
class CommandRequest:
    command: str  # e.g. "/kpi"
    text: str
    user_id: str = "console"
    channel_id: str = "console"
    as_of: date | None = None


Handler = Callable[[CommandRequest, CommandContext], Response]


@dataclass
class CommandRegistry:
    context: CommandContext
    handlers: dict[str, Handler] = field(default_factory=dict)
    help_texts: dict[str, str] = field(default_factory=dict)
    slow_checks: dict[str, Callable[[str], bool]] = field(default_factory=dict)

    def add(self, command: str, handler: Handler, help_text: str,
            is_slow: Callable[[str], bool] | None = None) -> None:
        """Register a handler; `is_slow(text)` says whether an answer will take too long to give in the ack."""
        if command in self.handlers:
            raise ValueError(f"{command} is registered twice")
        self.handlers[command] = handler
        self.help_texts[command] = help_text
        if is_slow is not None:
            self.slow_checks[command] = is_slow

    def is_slow(self, command: str, text: str) -> bool:
        check = self.slow_checks.get(command)
        return bool(check and check(text))

    def dispatch(self, request: CommandRequest) -> Response:
        """Run a command; anything unexpected becomes a short apology, never a stack trace."""
        handler = self.handlers.get(request.command)
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            return error(f"I don't know the command {request.command}.", f"Commands I answer: {known}.")
        try:
            return handler(request, self.context)
        except Exception:
            LOGGER.exception("command %s failed", request.command)
            return error(INTERNAL_ERROR, INTERNAL_ERROR_HINT)

    def run_line(self, line: str, as_of: date | None = None, user_id: str = "console",
                 channel_id: str = "console") -> Response:
        """Run a typed line such as '/kpi calls-under-25s'."""
        stripped = line.strip()
        if not stripped.startswith("/"):
            known = ", ".join(sorted(self.handlers))
            return error(f"{stripped!r} is not a command.", f"Start with a slash command: {known}. Try /kpi help.")
        command, _, text = stripped.partition(" ")
        return self.dispatch(CommandRequest(command.lower(), text.strip(), user_id, channel_id, as_of))
