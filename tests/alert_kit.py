"""An office desk for alert tests: the demo data behind every command, an in-memory platform, subscriptions made
with `/alert subscribe`, and figures loaded as an editor loads them from chat (the file, then its Confirm)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from answers.access import AccessPolicy
from answers.context import CommandContext
from answers.incoming import IncomingFile
from answers.mentions import conversation, plain
from answers.response import Response
from commands import register
from commands.registry import CommandRegistry, CommandRequest
from storage.db import Database
from tests.conftest import PANEL_DAY
from tests.memory_platform import MemoryPlatform

ADMIN, EDITOR = "U0ADMIN", "U0EDITOR"
EDITOR_DM = "D0EDITOR"
GOVERNANCE = "C0GOV"   # the allowed channel: it sees case references
FILE_NAME = "september.csv"


@dataclass
class Clock:
    """A clock a test moves."""

    now: datetime = PANEL_DAY

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    db: Database
    platform: MemoryPlatform
    registry: CommandRegistry
    clock: Clock
    answers: list[Response] = field(default_factory=list)

    @property
    def context(self) -> CommandContext:
        return self.registry.context

    def run(self, line: str, user: str = ADMIN, channel: str = "C0HERE") -> Response:
        return self.registry.run_line(line, user_id=user, channel_id=channel, platform=self.platform.name)

    def subscribe(self, what: str, channel: str) -> Response:
        """`/alert subscribe <what>` for `channel`, named by its mention."""
        answer = self.run(f"/alert subscribe {what} {conversation(channel)}")
        assert not answer.is_error, (answer.title, answer.notes)
        return answer

    def preview(self, rows: list[tuple[str, str, object]], name: str = FILE_NAME) -> Response:
        """The editor drops a figures file (metric, period, value) into the bot's direct message."""
        content = ("metric,period,value\n" + "".join(f"{m},{p},{v}\n" for m, p, v in rows)).encode("utf-8")
        return self.registry.dispatch(CommandRequest(
            command="/upload", text="", user_id=EDITOR, channel_id=EDITOR_DM, direct_with_bot=True,
            platform=self.platform.name, file=IncomingFile(name, len(content), lambda limit: content)))

    def load(self, rows: list[tuple[str, str, object]], name: str = FILE_NAME) -> Response:
        """Drop the file, then press its Confirm button: the loader's answer."""
        shown = self.preview(rows, name)
        assert not shown.is_error, (shown.title, shown.notes)
        [confirm] = [button for button in shown.buttons if button.line.startswith("/upload confirm ")]
        answer = self.registry.run_line(confirm.line, user_id=EDITOR, channel_id=EDITOR_DM,
                                        platform=self.platform.name, direct_with_bot=True)
        assert answer.title == f"Loaded {name}", (answer.title, answer.notes)
        self.answers.append(answer)
        return answer

    def hours_in_september(self, value: object) -> Response:
        return self.load([("volunteer-hours", "2025-09", value)])

    def texts(self, channel: str) -> list[str]:
        return [message.text for message in self.platform.messages_to(channel)]

    def kpi(self, slug: str) -> str:
        return self.platform.render(self.run(f"/kpi {slug}"))


def answer_text(answer: Response) -> str:
    return plain("\n".join([answer.title, *answer.notes]))


def make_desk(db: Database, *, clock: Clock | None = None, platform: MemoryPlatform | None = None,
              sensitive: frozenset[str] = frozenset({GOVERNANCE})) -> Desk:
    clock = clock or Clock()
    platform = platform or MemoryPlatform(clock=clock)
    context = CommandContext(db, clock=clock, platforms={platform.name: platform},
                             access=AccessPolicy(admin_users=frozenset({ADMIN}), editor_users=frozenset({EDITOR}),
                                                 sensitive_channels=sensitive))
    registry = CommandRegistry(context)
    register(registry)
    return Desk(db, platform, registry, clock)
