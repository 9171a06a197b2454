"""A channel's files folder in Microsoft Graph: where a snapshot asked for in a channel is uploaded, when an admin
granted the bot Graph access to the teams' files (KPIBOT_TEAMS_CHANNEL_FILES; the Files.ReadWrite.All
application permission). Without it, the files are offered in the asker's personal chat."""
from __future__ import annotations

import logging
import threading
from urllib.parse import quote

from answers.response import FileAttachment
from bot.teams.caller import CallFailed, ServiceCaller
from bot.teams.ids import conversation_of, is_entra_id
from storage.addresses import Address
from storage.filenames import safe_filename

LOGGER = logging.getLogger(__name__)
# A channel's folder is named after the channel; the General channel's is always "General".
GENERAL_FOLDER = "General"

GRAPH_REFUSED = ("Microsoft Graph would not take files for the channel's Files (%s): an admin must grant the bot's "
                 "app registration the Files.ReadWrite.All application permission (admin consent); until then, "
                 "snapshots asked for in a channel are offered in the asker's personal chat")
UPLOAD_FAILED = "could not put %s into the Files of %s (%s); offering it in the asker's personal chat instead"
NO_TEAM = "could not tell which team %s belongs to (%s); offering its files in the asker's personal chat instead"


class UploadRefused(Exception):
    """Graph did not take a file: `detail` says why, for the log."""


class ChannelFiles:
    """Uploads to a channel's files folder through Graph. `connector` (the Bot Connector) is asked for the
    team's Entra group id when the stored reference has only Teams' own team id."""

    def __init__(self, graph: ServiceCaller, connector: ServiceCaller | None = None):
        self.graph = graph
        self.connector = connector
        self._refusal_told = False
        self._lock = threading.Lock()

    def upload(self, address: Address, files: list[FileAttachment]) -> list[tuple[str, str]] | None:
        """Each file put into the channel's folder: [(file name, its web address)], or None when any could not be
        (the caller offers them elsewhere). A file already there under the same name gets a new version."""
        group = self._team_group(address)
        if group is None:
            return None
        channel = conversation_of(address.conversation)
        links = []
        for file in files:
            name = safe_filename(file.filename)
            try:
                item = self._put(group, channel, name, file.content)
            except UploadRefused as exc:
                LOGGER.warning(UPLOAD_FAILED, name, address, exc)
                return None
            links.append((str(item.get("name") or name), str(item.get("webUrl") or "")))
        return links

    def _put(self, group: str, channel: str, name: str, content: bytes) -> dict:
        """The file into the channel's own files folder (asked of Graph), or into General's by its path when
        Graph does not say where the channel's is."""
        folder = self._call("GET", f"/v1.0/teams/{group}/channels/{quote(channel, safe='')}/filesFolder")
        if folder is not None:
            drive = str((folder.get("parentReference") or {}).get("driveId") or "")
            url = f"/v1.0/drives/{quote(drive, safe='')}/items/{quote(str(folder.get('id')), safe='')}:/{quote(name)}:/content"
        else:
            url = f"/v1.0/groups/{group}/drive/items/root:/{GENERAL_FOLDER}/{quote(name)}:/content"
        item = self._call("PUT", url, content=content, headers={"Content-Type": "application/octet-stream"})
        if item is None:
            raise UploadRefused("Graph had no folder for the channel")
        return item

    def _call(self, method: str, url: str, **kwargs) -> dict | None:
        """Graph's JSON answer; None when it has nothing there (404). Raises UploadRefused otherwise."""
        try:
            answer = self.graph.call(method, url, **kwargs)
        except CallFailed as exc:
            raise UploadRefused(exc.detail) from None
        if answer.status_code == 404:
            return None
        if answer.status_code in (401, 403):
            self._tell_refusal(f"HTTP {answer.status_code}")
            raise UploadRefused(f"HTTP {answer.status_code}")
        if answer.status_code >= 300:
            raise UploadRefused(f"HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            raise UploadRefused("an answer that is not JSON") from None
        return body if isinstance(body, dict) else {}

    def _team_group(self, address: Address) -> str | None:
        """The team's Entra group id: stored with the reference (channelData.team.aadGroupId), or asked of the
        Bot Connector from Teams' own team id."""
        reference = address.reference
        for stored in (reference.get("team_aad_group_id"), reference.get("team_id")):
            if stored and is_entra_id(str(stored)):
                return str(stored)
        team, service_url = str(reference.get("team_id") or ""), str(reference.get("service_url") or "")
        if not (team and service_url and self.connector is not None):
            LOGGER.warning(NO_TEAM, address, "no team stored with the conversation")
            return None
        try:
            answer = self.connector.call("GET", f"{service_url.rstrip('/')}/v3/teams/{quote(team, safe='')}")
        except CallFailed as exc:
            LOGGER.warning(NO_TEAM, address, exc.detail)
            return None
        if answer.status_code >= 300:
            LOGGER.warning(NO_TEAM, address, f"HTTP {answer.status_code}")
            return None
        try:
            group = str((answer.json() or {}).get("aadGroupId") or "")
        except ValueError:
            group = ""
        if not is_entra_id(group):
            LOGGER.warning(NO_TEAM, address, "the connector named no Entra group")
            return None
        return group

    def _tell_refusal(self, detail: str) -> None:
        with self._lock:
            told, self._refusal_told = self._refusal_told, True
        if not told:
            LOGGER.warning(GRAPH_REFUSED, detail)
