"""What Slack's libraries may log: never a request's body, and their connection chatter only at DEBUG."""
from __future__ import annotations

import logging

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

# The loggers slack_sdk's Socket Mode client is given: its account of a reconnect runs to a dozen lines.
SOCKET_MODE_SDK_LOGGER = "bot.slack.connection.sdk"
# slack_sdk's Web API client logs every failed attempt and retry; our own lines say what failed, once.
WEB_API_LOGGER = "slack_sdk.web.base_client"


class _NoRequestBodies(logging.Filter):
    """Bolt reports a failed signature check with the whole request body; we log our own line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "body:" not in record.getMessage() and "Invalid request signature" not in record.getMessage()


class _NoTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client we give it wins: true, and noise at every start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


class _AtDebug(logging.Filter):
    """Every line through this logger demoted to DEBUG, and shown only when DEBUG is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _add_filter(logger_name: str, kind: type[logging.Filter]) -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())


def quiet_slack_libraries() -> None:
    """Install the filters once (calling again changes nothing)."""
    _add_filter("slack_bolt.RequestVerification", _NoRequestBodies)
    _add_filter("slack_bolt.App", _NoTokenNotice)
    _add_filter(SOCKET_MODE_SDK_LOGGER, _AtDebug)
    _add_filter(WEB_API_LOGGER, _AtDebug)
