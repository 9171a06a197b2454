"""Slack as the platform port: answers in Block Kit, digests through the Web API, and who people are from Slack."""
from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient

from answers.access import AccessPolicy
from answers.platform import Asker, CannotPost, Capabilities, DeliveryError
from answers.response import Response
from bot.slack.connection import web_client
from bot.slack.identity import SlackIdentities
from bot.slack.render import render_message
from bot.slack.transport import SlackDigestTransport
from storage.addresses import Address

LOGGER = logging.getLogger(__name__)

PLATFORM = "slack"
# One Slack workspace per deployment: its conversations are stored in workspace "" (as the rows carried over
# from before addresses were), so a channel named at the console, in a request or by `digest run` is the same
# address. Serving several workspaces from one deployment would store each one's team id here.
WORKSPACE = ""


class SlackPlatform:
    """One Slack workspace's bot, through one Web API client: delivery is the transport's, people the identities'."""

    name = PLATFORM

    def __init__(self, client: WebClient, groups: frozenset[str] = frozenset()):
        self.client = client
        self.transport = SlackDigestTransport(client)
        self.identities = SlackIdentities(client, groups)

    @classmethod
    def from_settings(cls, settings, access: AccessPolicy) -> SlackPlatform:
        """The bot of SLACK_BOT_TOKEN; the user groups looked up are those the access policy gives roles to."""
        return cls(web_client(settings), access.editor_groups | access.admin_groups)

    @property
    def capabilities(self) -> Capabilities:
        return self.transport.capabilities

    def render(self, response: Response) -> dict:
        return render_message(response)

    def deliver(self, address: Address, response: Response, key: str) -> str:
        return self.transport.deliver(address, response, key)

    def find_posted(self, address: Address, key: str, within: timedelta) -> str | None:
        return self.transport.find_posted(address, key, within)

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        self.transport.tell_user(user_id, text, workspace=workspace)

    def can_post(self, address: Address) -> CannotPost | None:
        return self.transport.can_post(address)

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        return self.transport.hint(error, digest_kind)

    def asker(self, user_id: str, address: Address) -> Asker:
        return self.identities.asker(user_id, address)

    def address(self, conversation: str) -> Address:
        """A Slack conversation as every store names one."""
        return Address(PLATFORM, conversation, WORKSPACE)
