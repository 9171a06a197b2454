"""The platform port's delivery side for Slack: messages with metadata naming their ledger key, charts as files,
a look back through a channel's history for a message already posted, and Slack's errors mapped to ours."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from decimal import Decimal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from answers.mentions import format_mentions
from answers.platform import CannotPost, Capabilities, DeliveryError, Failure
from answers.response import Response
from bot.slack.ids import is_channel_id, is_user_id
from bot.slack.render import posted_message
from storage.addresses import Address
from storage.filenames import safe_filename

LOGGER = logging.getLogger(__name__)

DIGEST_EVENT = "kpibot_digest"
# Slack's error codes in delivery's words. The permanent ones the same request keeps getting: they are
# reported, not retried. A code not named here (and any 5xx) is taken as transient and retried.
FAILURES = {
    "not_in_channel": Failure.NOT_A_MEMBER,
    "channel_not_found": Failure.GONE,
    "is_archived": Failure.GONE,
    "user_not_found": Failure.GONE,
    "ratelimited": Failure.RATE_LIMITED,
    "invalid_auth": Failure.REFUSED,
    "account_inactive": Failure.REFUSED,
    "token_revoked": Failure.REFUSED,
    "missing_scope": Failure.REFUSED,
    "restricted_action": Failure.REFUSED,
    "not_authed": Failure.REFUSED,
}
# What /digest subscribe says when the bot cannot post in the channel named.
INVITE_FIRST = "Invite me there first with `/invite @kpibot`, then subscribe again."
# What the subscriber can do, by Slack error code; `{kind}` is the digest's kind.
HINTS = {
    "not_in_channel": "Invite me with `/invite @kpibot` in that channel; the next digest will be posted.",
    "channel_not_found": "The channel may have been deleted or made private; subscribe another with "
                         "`/digest subscribe {kind} #channel`.",
    "is_archived": "The channel is archived; subscribe another with `/digest subscribe {kind} #channel`.",
}
# How far back a look for a digest already posted reads at most: 1,000 messages.
HISTORY_PAGES = 5
HISTORY_PAGE_SIZE = 200
RENDERED_KEPT = 4  # a weekly and a quarterly digest can be due in the same pass


def _stamp(message: dict) -> Decimal | None:
    """A message's ts as a number of seconds on Slack's clock (exact: ts strings carry microseconds)."""
    try:
        stamp = Decimal(str(message.get("ts")))
    except ArithmeticError:
        return None
    return stamp if stamp.is_finite() else None


def _carries(message: dict, key: str) -> bool:
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == DIGEST_EVENT and (metadata.get("event_payload") or {}).get("key") == key


def _error(exc: Exception) -> DeliveryError:
    """A Slack SDK error as delivery's: the neutral failure, with Slack's own code as the detail."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str(exc.response.get("error") or f"http_{status}")
        if code in FAILURES:
            return DeliveryError(FAILURES[code], code)
        return DeliveryError(Failure.RATE_LIMITED if status == 429 else Failure.TRANSIENT, code)
    return DeliveryError(Failure.TRANSIENT, f"connection: {type(exc).__name__}")


def _with_links(text: str) -> str:
    """The bot's own text to one person, its mention tokens written as Slack's links."""
    return format_mentions(text, lambda c: f"<#{c}>" if is_channel_id(c) else f"#{c}",
                           lambda p: f"<@{p}>" if is_user_id(p) else f"@{p}")


class SlackDigestTransport:
    """Delivers through a WebClient whose retry handlers honour Retry-After and back off on 5xx."""

    name = "slack"
    capabilities = Capabilities(finds_posted=True, files_in_channels=True, private_replies=True)

    def __init__(self, client: WebClient):
        self.client = client
        # The last few responses, rendered once for every channel: the same Response object is one message.
        self._rendered: list[tuple[Response, dict]] = []
        self._rendering = threading.Lock()

    def _message(self, response: Response) -> dict:
        with self._rendering:
            for known, message in self._rendered:
                if known is response:
                    return message
            message = posted_message(response)
            self._rendered = [(response, message), *self._rendered[:RENDERED_KEPT - 1]]
            return message

    def deliver(self, address: Address, response: Response, key: str) -> str:
        """Post the message carrying `key` in its metadata, then its charts; the message's ts."""
        message = self._message(response)
        channel_id = address.conversation
        try:
            posted = self.client.chat_postMessage(
                channel=channel_id, unfurl_links=False, unfurl_media=False,
                metadata={"event_type": DIGEST_EVENT, "event_payload": {"key": key}}, **message)
        except (SlackClientError, OSError) as exc:
            raise _error(exc) from None
        ts = posted["ts"]
        for chart in response.charts:
            filename = safe_filename(chart.filename, fallback="chart")   # named from data: a section's name
            try:
                self.client.files_upload_v2(channel=channel_id, content=chart.png, filename=filename,
                                            title=chart.title, alt_txt=chart.alt_text)
            except (SlackClientError, OSError) as exc:
                # The message is up and recorded; a missing chart is logged, never a reason to post twice.
                LOGGER.warning("digest %s: chart %s not uploaded: %s", key, filename, _error(exc).detail)
        return ts

    def find_posted(self, address: Address, key: str, within: timedelta) -> str | None:
        """The ts of a message in the channel carrying `key`, posted no more than `within` ago, if there is one.

        Read newest first, with no `oldest`: a time of day from our clock means nothing on Slack's, which may
        run hours behind or ahead. `within` is a length of time, the same on both clocks, so it is laid back
        from Slack's own times: from the channel's newest message, which is no later than Slack's now, so the
        search goes back at least as far as it must. It stops at the first message older than that, or after
        HISTORY_PAGES pages.
        """
        channel_id, cursor, oldest_possible = address.conversation, None, None
        for _ in range(HISTORY_PAGES):
            try:
                page = self.client.conversations_history(channel=channel_id, include_all_metadata=True,
                                                         limit=HISTORY_PAGE_SIZE, cursor=cursor)
            except (SlackClientError, OSError) as exc:
                raise _error(exc) from None
            for message in page.get("messages", []):
                if _carries(message, key):
                    return message.get("ts")
                stamp = _stamp(message)
                if stamp is None:
                    continue
                if oldest_possible is None:
                    oldest_possible = stamp - Decimal(str(within.total_seconds()))
                elif stamp < oldest_possible:
                    return None
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def tell_user(self, user_id: str, text: str, workspace: str = "") -> None:
        """A direct message (one workspace per client: `workspace` names it, and is not needed to post)."""
        try:
            self.client.chat_postMessage(channel=user_id, text=_with_links(text))
        except (SlackClientError, OSError) as exc:
            raise _error(exc) from None

    def hint(self, error: DeliveryError, digest_kind: str) -> str:
        """What the subscriber can do about `error` in Slack; "" when there is nothing they can do."""
        return HINTS.get(error.detail, "").format(kind=digest_kind)

    def can_post(self, address: Address) -> CannotPost | None:
        """None when the bot is in the channel; if not, why not in Slack's words and what to do in Slack."""
        channel_id = address.conversation
        try:
            info = self.client.conversations_info(channel=channel_id)
        except (SlackClientError, OSError) as exc:
            return CannotPost(_error(exc).detail, INVITE_FIRST)
        channel = info.get("channel") or {}
        if channel.get("is_archived"):
            return CannotPost("is_archived", INVITE_FIRST)
        if channel.get("is_member") or channel.get("is_im"):
            return None
        return CannotPost("not_in_channel", INVITE_FIRST)
