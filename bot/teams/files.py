"""Snapshots (an answer's Word and PDF files) in Teams: the file consent flow in a personal chat; in a channel,
the channel's files folder where an admin granted Graph access, else the files offered in the asker's
personal chat.

A bot can put a file into a personal chat only with the person's consent: it sends a consent card, the person
accepts, Teams answers with an upload URL in the person's OneDrive, and the bot uploads there. The files wait
in memory for that (30 minutes at most): a snapshot is made again in seconds, and nothing of it is stored.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
import weakref
from typing import Callable, Mapping, Protocol

import httpx

from answers.access import AccessPolicy, Identity, Place
from answers.response import FileAttachment, Response
from storage.addresses import Address
from storage.filenames import safe_filename

LOGGER = logging.getLogger(__name__)

CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
KEEP_SECONDS = 30 * 60
# OneDrive takes a file in one PUT up to about 4 MB; past that, in pieces of a multiple of 320 KiB.
ONE_REQUEST_BYTES = 4 * 1024 * 1024
PIECE_BYTES = 10 * 320 * 1024
UPLOAD_TIMEOUT_SECONDS = 60.0
CONTEXT_KEY = "kpibot_file"

NOT_SENT = "Not sent: {name}."
NO_LONGER_WAITING = "{name} is no longer waiting (files wait {minutes} minutes): ask for it again."
UPLOAD_FAILED = "Could not send {name}: Teams did not take the file ({detail}). Ask for it again."
OFFERED_PRIVATELY = ("{title}: Teams lets me hand over files only in a personal chat, so I have offered them "
                     "to the person who asked, in their personal chat with me.")
NOT_OFFERED = ("{title}: Teams lets me hand over files only in a personal chat, and Panel papers go there only "
               "to editors and admins. An admin can let me upload to this channel's files (KPIBOT_TEAMS_CHANNEL_FILES).")
NO_PERSONAL_CHAT = ("{title}: I could not open a personal chat with the person who asked, so the files were not "
                    "sent ({detail}). Start a chat with me and ask there.")
IN_CHANNEL_FILES = "{title}: the files are in this channel's Files."


class FilePoster(Protocol):
    """What the files need of the Teams platform (bot.teams.platform.TeamsPlatform has both)."""

    def post(self, address: Address, activities: list[dict], reply_to: str | None = None) -> str: ...

    def personal_chat(self, user_id: str, workspace: str, member_id: str | None = None,
                      service_url: str | None = None) -> Address: ...


class PendingFiles:
    """Files waiting for the person's consent, by a random key; each dropped once taken or 30 minutes old."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, keep_seconds: float = KEEP_SECONDS):
        self.clock = clock
        self.keep_seconds = keep_seconds
        self._waiting: dict[str, tuple[float, FileAttachment]] = {}
        self._lock = threading.Lock()

    def put(self, file: FileAttachment) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._drop_old()
            self._waiting[key] = (self.clock(), file)
        return key

    def pop(self, key: str, default: FileAttachment | None = None) -> FileAttachment | None:
        """The file waiting under `key`, taken out; `default` when there is none or it waited too long."""
        with self._lock:
            self._drop_old()
            entry = self._waiting.pop(key, None)
        return entry[1] if entry else default

    def __len__(self) -> int:
        with self._lock:
            self._drop_old()
            return len(self._waiting)

    def _drop_old(self) -> None:
        now = self.clock()
        for key in [k for k, (added, _) in self._waiting.items() if now - added >= self.keep_seconds]:
            del self._waiting[key]


def consent_card(file: FileAttachment, key: str) -> dict:
    """The attachment asking the person's consent to put `file` into their OneDrive; `key` comes back with
    their answer, naming the file waiting for it."""
    from microsoft_teams.api.models.file import FileConsentCard

    name = safe_filename(file.filename)
    context = {CONTEXT_KEY: key, "name": name}
    content = FileConsentCard(description=file.title, size_in_bytes=len(file.content), accept_context=context,
                              decline_context=context)
    return {"contentType": CONSENT_CARD, "name": name, "content": content.model_dump(by_alias=True, exclude_none=True)}


def on_consent(invoke_value, files_by_key, http: httpx.Client) -> dict:
    """The person's answer to a consent card (the fileConsent/invoke activity's value): on accept the file is
    uploaded to the URL Teams gave and the reply is a file card; on decline, a short line. The reply is the
    message activity to post in the personal chat."""
    value = _as_dict(invoke_value)
    context = value.get("context") or {}
    name = str(context.get("name") or "the file")
    file = files_by_key.pop(str(context.get(CONTEXT_KEY) or ""), None)
    if str(value.get("action") or "").lower() != "accept":
        return {"type": "message", "text": NOT_SENT.format(name=name)}
    info = value.get("uploadInfo") or value.get("upload_info") or {}
    if file is None:
        return {"type": "message", "text": NO_LONGER_WAITING.format(name=name, minutes=KEEP_SECONDS // 60)}
    upload_url = str(info.get("uploadUrl") or info.get("upload_url") or "")
    problem = upload(upload_url, file.content, http) if upload_url else "no upload address"
    if problem:
        LOGGER.warning("upload of %s after consent failed: %s", name, problem)
        return {"type": "message", "text": UPLOAD_FAILED.format(name=name, detail=problem)}
    return {"type": "message", "attachments": [file_info_card(info, name)]}


def upload(upload_url: str, content: bytes, http: httpx.Client) -> str | None:
    """PUT `content` to a OneDrive upload URL (pre-authorised: no token goes with it), in one request under
    4 MB, else in pieces; None when the file arrived, else what went wrong."""
    total = len(content)
    piece = total if total < ONE_REQUEST_BYTES else PIECE_BYTES
    start = 0
    while True:
        chunk = content[start:start + piece]
        end = start + len(chunk) - 1
        headers = {"Content-Length": str(len(chunk)), "Content-Range": f"bytes {start}-{end}/{total}"}
        try:
            answer = http.put(upload_url, content=chunk, headers=headers, timeout=UPLOAD_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            return f"connection: {type(exc).__name__}"
        if answer.status_code >= 300:
            return f"HTTP {answer.status_code}"
        start = end + 1
        if start >= total:
            return None


def file_info_card(upload_info: Mapping, name: str) -> dict:
    """The card showing an uploaded file in the chat, from what Teams said about the upload."""
    from microsoft_teams.api.models.file import FileInfoCard

    content = FileInfoCard(unique_id=upload_info.get("uniqueId") or upload_info.get("unique_id"),
                           file_type=upload_info.get("fileType") or upload_info.get("file_type"))
    return {"contentType": FILE_INFO_CARD, "contentUrl": upload_info.get("contentUrl") or upload_info.get("content_url"),
            "name": upload_info.get("name") or name, "content": content.model_dump(by_alias=True, exclude_none=True)}


def text_card(text: str, links: list[tuple[str, str]] = ()) -> dict:
    """A short Adaptive Card attachment: one line, and a button opening each (title, url) link."""
    from microsoft_teams.cards import AdaptiveCard, OpenUrlAction, TextBlock

    card = AdaptiveCard(version="1.5", body=[TextBlock(text=text, wrap=True)],
                        actions=[OpenUrlAction(title=title, url=url) for title, url in links] or None)
    content = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
               **card.model_dump(by_alias=True, exclude_none=True)}
    return {"contentType": ADAPTIVE_CARD, "content": content}


class TeamsFiles:
    """Hands over an answer's files wherever it was asked for, and takes the consent answers back. `access`
    decides whether a Panel paper asked for in a channel may go to the asker's personal chat (None: it may not);
    `channel_store` (bot.teams.channel_files) is used where an admin granted Graph access to the channels'
    files (`channel_files`, KPIBOT_TEAMS_CHANNEL_FILES)."""

    def __init__(self, access: AccessPolicy | None = None, pending: PendingFiles | None = None, channel_store=None,
                 channel_files: bool = False, http: httpx.Client | None = None):
        self.access = access
        self.pending = pending or PendingFiles()
        self.channel_store = channel_store
        self.channel_files = channel_files
        self.http = http or httpx.Client(timeout=UPLOAD_TIMEOUT_SECONDS, follow_redirects=False)

    @classmethod
    def from_settings(cls, settings, identities=None) -> "TeamsFiles":
        """The settings' access rules; the channel store on the Graph and connector callers of `identities`
        (bot.teams.identity.TeamsIdentities) when KPIBOT_TEAMS_CHANNEL_FILES is set."""
        store = None
        if settings.teams_channel_files and identities is not None and identities.graph is not None:
            from bot.teams.channel_files import ChannelFiles

            store = ChannelFiles(identities.graph, identities.connector)
        return cls(settings.access_policy(), channel_store=store, channel_files=settings.teams_channel_files)

    def offer(self, platform: FilePoster, where: Address, request, response: Response) -> None:
        """The files of `response`, asked for by `request` (a CommandRequest), for the conversation at `where`
        (with its stored reference): consent cards in a personal chat; in a channel, its files folder or the
        asker's personal chat. Failures are logged and said in the conversation, never raised."""
        if not response.files:
            return
        from answers.platform import DeliveryError

        kind = where.reference.get("conversation_type")
        if kind == "personal":
            try:
                self._send_consent_cards(platform, where, response.files)
            except DeliveryError as exc:
                LOGGER.warning("could not offer files in %s: %s", where, exc.detail)
            return
        if self.channel_files and self.channel_store is not None and kind == "channel":
            links = self.channel_store.upload(where, response.files)
            if links is not None:
                self._say(platform, where, text_card(IN_CHANNEL_FILES.format(title=response.title), links))
                return
        self._offer_privately(platform, where, request, response)

    def answer_consent(self, platform: FilePoster, where: Address, invoke_value) -> None:
        """The person answered a consent card in the personal chat at `where`: upload and post the file card,
        or the line saying it was not sent. Run off the invoke's own answer, which Teams wants at once."""
        from answers.platform import DeliveryError

        reply = on_consent(invoke_value, self.pending, self.http)
        try:
            platform.post(where, [reply])
        except DeliveryError as exc:
            LOGGER.warning("could not answer a file consent in %s: %s", where, exc.detail)

    def _offer_privately(self, platform: FilePoster, where: Address, request, response: Response) -> None:
        """The files in the asker's personal chat, when that chat may hold them: a Panel paper goes to an editor's
        or admin's own chat with the bot only (DESIGN.md, "What is sensitive")."""
        identity = Identity(request.user_id, request.is_guest, request.groups)
        if self.access is None or not self.access.may_see_cases(identity, Place("", direct_with_bot=True)):
            self._say(platform, where, text_card(NOT_OFFERED.format(title=response.title)))
            return
        from answers.platform import DeliveryError

        try:
            chat = platform.personal_chat(request.user_id, where.workspace,
                                          service_url=where.reference.get("service_url") or None)
            self._send_consent_cards(platform, chat, response.files)
        except DeliveryError as exc:
            LOGGER.warning("could not offer %s files in %s's personal chat: %s", len(response.files),
                           request.user_id, exc.detail)
            self._say(platform, where, text_card(NO_PERSONAL_CHAT.format(title=response.title, detail=exc.detail)))
            return
        self._say(platform, where, text_card(OFFERED_PRIVATELY.format(title=response.title)))

    def _send_consent_cards(self, platform: FilePoster, chat: Address, files: list[FileAttachment]) -> None:
        """One consent card a message: each file is accepted or declined on its own."""
        for file in files:
            key = self.pending.put(file)
            platform.post(chat, [{"type": "message", "attachments": [consent_card(file, key)]}])

    @staticmethod
    def _say(platform: FilePoster, where: Address, attachment: dict) -> None:
        from answers.platform import DeliveryError

        try:
            platform.post(where, [{"type": "message", "attachments": [attachment]}])
        except DeliveryError as exc:
            LOGGER.warning("could not tell %s about its files: %s", where, exc.detail)


_DEFAULTS: "weakref.WeakKeyDictionary[object, TeamsFiles]" = weakref.WeakKeyDictionary()
_DEFAULTS_LOCK = threading.Lock()


def files_of(platform) -> TeamsFiles:
    """The platform's TeamsFiles (its `files`, built from the settings), else one kept for it here, which
    offers nothing from a channel to a personal chat: it has no access rules to decide who may have it."""
    own = getattr(platform, "files", None)
    if isinstance(own, TeamsFiles):
        return own
    with _DEFAULTS_LOCK:
        if platform not in _DEFAULTS:
            _DEFAULTS[platform] = TeamsFiles()
        return _DEFAULTS[platform]


def offer_files(platform: FilePoster, where: Address, request, response: Response) -> None:
    """What the app calls with an answer that has files: see TeamsFiles.offer."""
    files_of(platform).offer(platform, where, request, response)


def answer_consent(platform: FilePoster, where: Address, invoke_value) -> None:
    """What the app calls with a fileConsent/invoke's value from the personal chat at `where`."""
    files_of(platform).answer_consent(platform, where, invoke_value)


def _as_dict(value) -> dict:
    """The invoke's value as JSON: the SDK's model (FileConsentCardResponse) or the raw dict."""
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True, exclude_none=True)
    return dict(value or {})
