"""Files given to the bot in Slack: fetched with the bot's token from the address Slack gives, a chunk at a time,
and never read past the limit asked for."""
from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request
from functools import partial
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from answers.incoming import FetchFailed, FileTooLarge, IncomingFile

LOGGER = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
# Where Slack serves files from. The bot's token goes only to these, or to the Web API's own host where
# KPIBOT_SLACK_API_URL names another, and a redirect carries it on only to the same.
SLACK_FILE_HOSTS = ("slack.com", "slack-gov.com")
NO_FILES_READ = ("Slack showed its sign-in page instead of the file: the app needs the files:read scope "
                 "(add it under OAuth & Permissions and reinstall the app)")
NO_ADDRESS = "Slack gave no address to download the file from"
NOT_SLACKS = "the file's address is not Slack's ({host})"
GONE = "the file is no longer in Slack (HTTP {status})"
REFUSED = "Slack refused to hand the file over (HTTP {status})"
HTTP_FAILED = "Slack answered HTTP {status}"
UNREACHABLE = "could not reach Slack ({reason})"
NOT_READABLE = "Slack would not say where the file is ({error})"
TOO_LARGE = "the file holds more than {limit:,} bytes"


def incoming_file(client: WebClient, file: dict) -> IncomingFile:
    """A file object from a Slack event as the registry's file: its name, the size Slack declares, and a fetch
    through `client`'s token, proxy and timeout."""
    size = file.get("size")
    return IncomingFile(name=str(file.get("name") or file.get("title") or file.get("id") or "file"),
                        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                        fetch=partial(fetch_file, client, file))


def fetch_file(client: WebClient, file: dict, max_bytes: int) -> bytes:
    """The file's bytes when it holds at most `max_bytes`; FileTooLarge when it holds more (the download stops
    there), FetchFailed when Slack will not give it."""
    if not (file.get("url_private_download") or file.get("url_private")):
        file = _file_info(client, str(file.get("id") or ""))   # a file shared as "check_file_info"
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url:
        raise FetchFailed(NO_ADDRESS)
    if not _is_slacks(client, url):
        raise FetchFailed(NOT_SLACKS.format(host=urlsplit(url).hostname or "no host"))
    request = urllib.request.Request(url, method="GET")
    request.add_unredirected_header("Authorization", f"Bearer {client.token}")
    try:
        with _opener(client).open(request, timeout=client.timeout) as answer:
            if answer.headers.get_content_type() == "text/html" and file.get("mimetype") != "text/html":
                raise FetchFailed(NO_FILES_READ)
            declared = str(answer.headers.get("Content-Length") or "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FileTooLarge(TOO_LARGE.format(limit=max_bytes))
            return _read_at_most(answer, max_bytes)
    except urllib.error.HTTPError as exc:
        exc.close()
        template = GONE if exc.code in (404, 410) else REFUSED if exc.code in (401, 403) else HTTP_FAILED
        raise FetchFailed(template.format(status=exc.code)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        words = "timed out" if isinstance(reason, (socket.timeout, TimeoutError)) else type(reason).__name__
        raise FetchFailed(UNREACHABLE.format(reason=words)) from None


def _read_at_most(answer, max_bytes: int) -> bytes:
    """Chunks until the end, or one byte past `max_bytes` and no further."""
    chunks, held = [], 0
    while True:
        chunk = answer.read(min(CHUNK_BYTES, max_bytes + 1 - held))
        if not chunk:
            return b"".join(chunks)
        held += len(chunk)
        if held > max_bytes:
            raise FileTooLarge(TOO_LARGE.format(limit=max_bytes))
        chunks.append(chunk)


def _file_info(client: WebClient, file_id: str) -> dict:
    try:
        return client.files_info(file=file_id).get("file") or {}
    except SlackApiError as exc:
        raise FetchFailed(NOT_READABLE.format(error=exc.response.get("error") or "no reason given")) from None
    except (SlackClientError, OSError) as exc:
        raise FetchFailed(UNREACHABLE.format(reason=type(exc).__name__)) from None


def _is_slacks(client: WebClient, url: str) -> bool:
    """Only Slack's own hosts (over HTTPS), or the Web API's configured host, are given the token."""
    parts, api = urlsplit(url), urlsplit(client.base_url)
    host = (parts.hostname or "").lower()
    if parts.scheme == api.scheme and host == (api.hostname or "").lower() and parts.port == api.port:
        return True
    return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in SLACK_FILE_HOSTS)


class _TokenStaysWithSlack(urllib.request.HTTPRedirectHandler):
    """Redirects followed as usual, the token carried on only to Slack's own addresses."""

    def __init__(self, client: WebClient):
        self.client = client

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        moved = super().redirect_request(req, fp, code, msg, headers, newurl)
        if moved is not None and _is_slacks(self.client, newurl):
            moved.add_unredirected_header("Authorization", f"Bearer {self.client.token}")
        return moved


def _opener(client: WebClient) -> urllib.request.OpenerDirector:
    """As the Web API client connects: its proxy (HTTPS_PROXY when none was given) and its TLS context."""
    proxies = {"http": client.proxy, "https": client.proxy} if client.proxy else None
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies),
                                       urllib.request.HTTPSHandler(context=client.ssl), _TokenStaysWithSlack(client))
