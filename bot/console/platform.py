"""The console as the platform port: whoever types at it already holds the database, so it asks with full
access; answers are plain text; it never receives digests, since nothing is there to read them later."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from answers.context import CONSOLE_USER
from answers.mentions import neutralised
from answers.platform import Asker, CannotPost, Capabilities, DeliveryError, Failure
from answers.response import Response
from bot.render_text import render_text
from commands.registry import CONSOLE_CHANNEL, CONSOLE_PLATFORM, CommandRegistry
from storage.addresses import Address

PLATFORM = CONSOLE_PLATFORM
CONVERSATION = CONSOLE_CHANNEL
NO_DIGESTS = "console"   # the refusal's detail, as an SDK's error code would be
NO_DIGESTS_HINT = "The console shows answers only to whoever types them; subscribe a chat channel instead."


class ConsolePlatform:
    name = PLATFORM
    # Nothing it delivers can be looked up, shared or kept private: it delivers nothing.
    capabilities = Capabilities()
    address = Address(PLATFORM, CONVERSATION)

    def __init__(self, reads: Callable[[str], str] = neutralised):
        # How a typed line's conversations are read: a channel named at the console is the chat platform's
        # (an admin subscribing one), so the composition root gives that platform's reader; alone, the
        # console takes the text as it is, with no mention in it.
        self.reads = reads

    def render(self, response: Response) -> str:
        return render_text(response)

    def deliver(self, address: Address, response: Response, key: str) -> str:
        raise DeliveryError(Failure.REFUSED, NO_DIGESTS)

    def find_posted(self, address: Address, key: str, within: timedelta) -> str | None:
        return None

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        raise DeliveryError(Failure.REFUSED, NO_DIGESTS)

    def can_post(self, address: Address) -> CannotPost | None:
        # Its own conversation takes no digests. A conversation named at the console is another platform's
        # (an admin subscribing a chat channel): the console cannot look at it, so it does not refuse it.
        return CannotPost(NO_DIGESTS, NO_DIGESTS_HINT) if address.conversation == CONVERSATION else None

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        return NO_DIGESTS_HINT if error.detail == NO_DIGESTS else ""

    def asker(self, user_id: str, address: Address) -> Asker:
        return Asker(user_id)

    def answer(self, registry: CommandRegistry, line: str, as_of: date | None = None) -> Response:
        """A typed line through the registry, asked by the console's user in the console."""
        asker = self.asker(CONSOLE_USER, self.address)
        return registry.run_line(self.reads(line), as_of=as_of, user_id=asker.user_id, channel_id=self.address.conversation,
                                 is_guest=asker.is_guest, groups=asker.groups, direct_with_bot=asker.direct_with_bot,
                                 platform=self.name, workspace=self.address.workspace)
