"""Which conversation a subscription command is about: the one it was asked in, or the one named in its text."""
from __future__ import annotations

from answers.context import CommandContext
from commands.registry import CONSOLE_PLATFORM, CommandRequest
from storage.addresses import Address


def subscribed_address(context: CommandContext, request: CommandRequest, channel: str | None) -> Address:
    """The conversation a subscription is for: where it was asked, or the one named there, on the platform it
    was asked from. A channel named at the console is the chat platform's (the console has no channels)."""
    if channel is None:
        return request.address
    if request.platform == CONSOLE_PLATFORM and context.chat_platform:
        return Address(context.chat_platform, channel)
    return Address(request.platform, channel, request.workspace)
