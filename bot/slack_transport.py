"""Digests to Slack: messages with metadata naming their ledger key, charts as files, and Slack's errors mapped to ours."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from decimal import Decimal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.render_slack import render_message
from digests.content import Digest
from digests.delivery import DeliveryError
from storage.filenames import safe_filename

LOGGER = logging.getLogger(__name__)

DIGEST_EVENT = "kpibot_digest"
# Errors that the same request will keep getting: report them, do not retry them.
PERMANENT = {"not_in_channel", "channel_not_found", "is_archived", "invalid_auth", "account_inactive",
             "token_revoked", "missing_scope", "restricted_action", "not_authed", "user_not_found"}
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
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        return DeliveryError(code, permanent=code in PERMANENT)
    return DeliveryError(f"connection: {type(exc).__name__}", permanent=False)


class SlackDigestTransport:
    """Posts digests through a WebClient whose retry handlers honour Retry-After and back off on 5xx."""

    def __init__(self, client: WebClient):
        self.client = client
        self._rendered: list[tuple[Digest, dict]] = []   # the last few digests, rendered once for every channel
        self._rendering = threading.Lock()

    def _message(self, digest: Digest) -> dict:
        with self._rendering:
            for known, message in self._rendered:
                if known is digest:
                    return message
            message = render_message(digest.message)
            message.pop("response_type", None)
            self._rendered = [(digest, message), *self._rendered[:RENDERED_KEPT - 1]]
            return message

    def post_digest(self, channel_id: str, digest: Digest, key: str) -> str:
        message = self._message(digest)
        try:
            posted = self.client.chat_postMessage(
                channel=channel_id, unfurl_links=False, unfurl_media=False,
                metadata={"event_type": DIGEST_EVENT, "event_payload": {"key": key}}, **message)
        except (SlackClientError, OSError) as exc:
            raise _error(exc) from None
        ts = posted["ts"]
        for chart in digest.charts:
            filename = safe_filename(chart.filename, fallback="chart")   # named from data: a section's name
            try:
                self.client.files_upload_v2(channel=channel_id, content=chart.png, filename=filename,
                                            title=chart.title, alt_txt=chart.alt_text)
            except (SlackClientError, OSError) as exc:
                # The message is up and recorded; a missing chart is logged, never a reason to post twice.
                LOGGER.warning("digest %s: chart %s not uploaded: %s", key, filename, _error(exc).reason)
        return ts

    def find_posted(self, channel_id: str, key: str, within: timedelta) -> str | None:
        """The ts of a message in the channel carrying `key`, posted no more than `within` ago, if there is one.

        Read newest first, with no `oldest`: a time of day from our clock means nothing on Slack's, which may
        run hours behind or ahead. `within` is a length of time, the same on both clocks, so it is laid back
        from Slack's own times: from the channel's newest message, which is no later than Slack's now, so the
        search goes back at least as far as it must. It stops at the first message older than that, or after
        HISTORY_PAGES pages.
        """
        cursor, oldest_possible = None, None
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

    def tell_user(self, user_id: str, text: str) -> None:
        try:
            self.client.chat_postMessage(channel=user_id, text=text)
        except (SlackClientError, OSError) as exc:
            raise _error(exc) from None

    def can_post(self, channel_id: str) -> tuple[bool, str]:
        """Whether the bot is in the channel, and if not, why not in Slack's words."""
        try:
            info = self.client.conversations_info(channel=channel_id)
        except (SlackClientError, OSError) as exc:
            return False, _error(exc).reason
        channel = info.get("channel") or {}
        if channel.get("is_archived"):
            return False, "is_archived"
        if channel.get("is_member") or channel.get("is_im"):
            return True, ""
        return False, "not_in_channel"
