"""Files given to the bot in Teams: a file sent in the personal chat arrives as a download-info attachment (its
name, a pre-authenticated download URL, its unique id and type), fetched in chunks and stopped at a limit; a file
shared in a channel or group chat arrives only as a link in the message's HTML, which the bot is not given."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import partial

import httpx

from answers.incoming import FetchFailed, FileTooLarge, IncomingFile

LOGGER = logging.getLogger(__name__)

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
HTML = "text/html"
REFERENCE = "reference"   # a file shared from OneDrive or SharePoint as a link
# More than this many files in one message are not taken: each is checked and previewed on its own.
MAX_FILES = 3
CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = httpx.Timeout(30.0, connect=10.0)

IN_PERSONAL_CHAT = ("I take files in our personal chat only: open kpibot in Teams (Apps, then kpibot) and send "
                    "the file there.")
TOO_MANY_FILES = ("I took the first {taken} files of the {given} you sent: send the others in another message "
                  "(at most {taken} at a time).")
# FetchFailed's details, as the person who sent the file is told them (inside the command's own sentence).
DOWNLOAD_REFUSED = "Teams refused the download, HTTP {status}: its link may have expired"
DOWNLOAD_GONE = "Teams no longer has the file, HTTP {status}"
DOWNLOAD_FAILED = "Teams answered HTTP {status}"
DOWNLOAD_UNREACHABLE = "Teams could not be reached: {error}"
NO_DOWNLOAD_URL = "Teams gave no download link"

# How Teams writes a file into a channel message's HTML: an <attachment> tag, or a link to the shared file.
_FILE_IN_HTML = re.compile(r"<attachment\b|href=\"[^\"]+\.(csv|xlsx|xlsm|xls)([?#\"])", re.IGNORECASE)


@dataclass(frozen=True)
class TeamsFile:
    """A file sent in the bot's personal chat, as its download-info attachment describes it."""

    name: str
    download_url: str
    unique_id: str
    file_type: str

    def incoming(self) -> IncomingFile:
        """The file as a command takes it: Teams does not say its size, so only the download can tell."""
        return IncomingFile(name=self.name, size=None, fetch=partial(download, self.download_url))


def _field(attachment, name: str, alias: str):
    if isinstance(attachment, dict):
        return attachment.get(alias)
    return getattr(attachment, name, None)


def files_given(activity) -> list[TeamsFile]:
    """The files sent with the message (download-info attachments), in order; an inline image, a card or the
    message's own HTML are not files."""
    given = []
    for attachment in getattr(activity, "attachments", None) or []:
        if _field(attachment, "content_type", "contentType") != FILE_DOWNLOAD_INFO:
            continue
        content = _field(attachment, "content", "content")
        content = content if isinstance(content, dict) else {}
        given.append(TeamsFile(name=str(_field(attachment, "name", "name") or "file"),
                               download_url=str(content.get("downloadUrl") or ""),
                               unique_id=str(content.get("uniqueId") or ""),
                               file_type=str(content.get("fileType") or "")))
    return given


def file_shared_elsewhere(activity) -> bool:
    """Whether the message shares a file the way a channel or group chat does: a link in its HTML, or a
    reference to a file in SharePoint, rather than a download the bot is given."""
    for attachment in getattr(activity, "attachments", None) or []:
        kind = _field(attachment, "content_type", "contentType")
        content = _field(attachment, "content", "content")
        if kind in (REFERENCE, FILE_DOWNLOAD_INFO):
            return True
        if kind == HTML and isinstance(content, str) and _FILE_IN_HTML.search(content):
            return True
    return False


def download(url: str, max_bytes: int, client: httpx.Client | None = None) -> bytes:
    """The file at Teams' pre-authenticated `url` (no token sent: the URL carries its own), read in chunks.
    Stops, and raises FileTooLarge, as soon as the server says or sends more than `max_bytes`; raises
    FetchFailed when Teams will not hand it over."""
    if not url:
        raise FetchFailed(NO_DOWNLOAD_URL)
    owned = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True)
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FetchFailed(_refusal(response.status_code))
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FileTooLarge(f"{declared} bytes, more than {max_bytes}")
            received, total = [], 0
            for chunk in response.iter_bytes(CHUNK_BYTES):
                total += len(chunk)
                if total > max_bytes:
                    raise FileTooLarge(f"more than {max_bytes} bytes")
                received.append(chunk)
            return b"".join(received)
    except httpx.HTTPError as exc:
        LOGGER.warning("a file from Teams was not downloaded: %s", type(exc).__name__)
        raise FetchFailed(DOWNLOAD_UNREACHABLE.format(error=type(exc).__name__)) from None
    finally:
        if owned:
            client.close()


def _refusal(status: int) -> str:
    if status in (401, 403):
        return DOWNLOAD_REFUSED.format(status=status)
    if status in (404, 410):
        return DOWNLOAD_GONE.format(status=status)
    return DOWNLOAD_FAILED.format(status=status)
