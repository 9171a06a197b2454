"""Activities as Teams sends them to a bot (a message in personal chat, a channel or a group chat; a file sent in
personal chat or shared in a channel; the app installed or removed; members added or removed), the people who
send them, and `send_activity` to post one to the bot's /api/messages with a Bot Connector token."""
from __future__ import annotations

import hashlib
import itertools
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

APP_ID = "6a5d1c8e-3f2b-4c1d-9e8f-0a1b2c3d4e5f"
APP_PASSWORD = "fake-entra-client-secret"
TENANT_ID = "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e"
BOT_NAME = "kpibot"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MESSAGES_PATH = "/api/messages"

_activity_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    """A person in Teams: their id in the bot's conversations (29:...) and their Entra object id."""

    id: str
    aad_object_id: str
    name: str
    role: str = "user"  # "user" or "guest", as the roster's userRole says
    tenant_id: str = TENANT_ID

    @property
    def email(self) -> str:
        domain = "partner.example.org" if self.role == "guest" else "pcc.example.gov.uk"
        return f"{self.name.lower().replace(' ', '.')}@{domain}"

    def account(self) -> dict[str, Any]:
        """As the user appears in an activity's "from"."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}

    def channel_account(self) -> dict[str, Any]:
        """As the roster (GET .../members/{id}) describes the user: a TeamsChannelAccount."""
        given, _, surname = self.name.partition(" ")
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id, "email": self.email,
                "userPrincipalName": self.email, "givenName": given, "surname": surname,
                "tenantId": self.tenant_id, "userRole": self.role}


def bot_account(app_id: str = APP_ID) -> dict[str, str]:
    return {"id": f"28:{app_id}", "name": BOT_NAME}


def message_activity(text: str | None, conversation: str, user: TeamsUser, tenant: str = TENANT_ID,
                     service_url: str = "", conversation_type: str = "personal", *, team_id: str | None = None,
                     mention: bool | None = None, threaded: bool = True, value: dict | None = None,
                     app_id: str = APP_ID) -> dict[str, Any]:
    """A message from `user` in `conversation` (a personal chat's a:..., a channel's 19:...@thread.tacv2, a group
    chat's 19:...@thread.v2). In a channel or group chat the bot hears only a message that @mentions it, so the
    text starts with <at>kpibot</at> unless `mention=False`; a channel post's conversation id names its thread
    (;messageid=...) unless `threaded=False`. `value` is what an Action.Submit button sends."""
    activity_id = _next_id()
    mention = conversation_type != "personal" if mention is None else mention
    conversation_id = conversation
    if conversation_type == "channel" and threaded:
        conversation_id = f"{conversation};messageid={activity_id}"
    entities: list[dict[str, Any]] = [_client_info()]
    if mention and text is not None:
        tag = f"<at>{BOT_NAME}</at>"
        text = f"{tag} {text}"
        entities.insert(0, {"type": "mention", "text": tag, "mentioned": bot_account(app_id)})
    activity = _base("message", activity_id, conversation_id, conversation_type, tenant, service_url, user,
                     app_id, _channel_data(conversation, conversation_type, tenant, team_id))
    activity.update({"textFormat": "plain", "entities": entities, "attachments": []})
    if text is not None:
        activity["text"] = text
    if value is not None:
        activity["value"] = value
    return activity


def file_message(files: list[tuple[str, str]], conversation: str, user: TeamsUser, tenant: str = TENANT_ID,
                 service_url: str = "", *, text: str | None = None, app_id: str = APP_ID) -> dict[str, Any]:
    """Files sent in the bot's personal chat, each (name, download URL), as Teams gives them: a download-info
    attachment with the pre-authenticated downloadUrl, the file's uniqueId (as its URL names it) and its type,
    after the message's own HTML."""
    activity = message_activity(text, conversation, user, tenant, service_url, "personal", app_id=app_id)
    attachments = [{"contentType": "text/html", "content": f"<p>{text or ''}</p>"}]
    for name, url in files:
        unique_id = url.split("UniqueId=", 1)[1].split("&", 1)[0] if "UniqueId=" in url else str(_next_id())
        attachments.append({"contentType": FILE_DOWNLOAD_INFO, "name": name,
                            "contentUrl": f"https://pcc.sharepoint.example/personal/Documents/{name}",
                            "content": {"downloadUrl": url, "uniqueId": unique_id,
                                        "fileType": name.rsplit(".", 1)[-1].lower(), "etag": f'"{unique_id},1"'}})
    activity["attachments"] = attachments
    return activity


def shared_file_message(name: str, conversation: str, user: TeamsUser, tenant: str = TENANT_ID,
                        service_url: str = "", conversation_type: str = "channel", *, text: str = "",
                        team_id: str | None = None, app_id: str = APP_ID) -> dict[str, Any]:
    """A file shared with an @mention of the bot in a channel or group chat: Teams gives the bot no download,
    only the message's HTML with the file's <attachment> tag."""
    activity = message_activity(text, conversation, user, tenant, service_url, conversation_type, team_id=team_id,
                                app_id=app_id)
    tag = f'<attachment id="{uuid_like(name)}"></attachment>'
    activity["attachments"] = [{"contentType": "text/html", "content": f"<p>{activity['text']}</p>{tag}"}]
    return activity


def inline_image_message(conversation: str, user: TeamsUser, tenant: str = TENANT_ID,
                         service_url: str = "") -> dict[str, Any]:
    """A picture pasted into the personal chat: an image attachment and the HTML that shows it, no file."""
    activity = message_activity(None, conversation, user, tenant, service_url, "personal")
    url = "https://smba.trafficmanager.example/emea/v3/attachments/0-weu-d1/views/original"
    activity["attachments"] = [{"contentType": "image/*", "contentUrl": url},
                               {"contentType": "text/html", "content": f'<p><img src="{url}"></p>'}]
    return activity


def uuid_like(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def installation_activity(conversation: str, user: TeamsUser, tenant: str = TENANT_ID, service_url: str = "",
                          conversation_type: str = "channel", *, action: str = "add", team_id: str | None = None,
                          team_name: str = "Performance and Scrutiny", app_id: str = APP_ID) -> dict[str, Any]:
    """The app installed in (action "add") or removed from ("remove") a team, a group chat or a personal scope, by
    `user`. For a team, `conversation` is the channel the app was added to (the General channel's id is the
    team's own unless `team_id` says otherwise)."""
    team_id = team_id or (conversation if conversation_type == "channel" else None)
    data = _channel_data(conversation, conversation_type, tenant, team_id, team_name)
    data["settings"] = {"selectedChannel": {"id": conversation}} if conversation_type == "channel" else {}
    data["source"] = {"name": "message"}
    activity = _base("installationUpdate", _next_id(), conversation, conversation_type, tenant, service_url, user,
                     app_id, data)
    activity.update({"action": action, "entities": [_client_info()]})
    return activity


def conversation_update(conversation: str, user: TeamsUser, tenant: str = TENANT_ID, service_url: str = "",
                        conversation_type: str = "channel", *, members_added: list[dict] | None = None,
                        members_removed: list[dict] | None = None, team_id: str | None = None,
                        team_name: str = "Performance and Scrutiny", app_id: str = APP_ID) -> dict[str, Any]:
    """Members added to or removed from a team or chat (the bot itself is `bot_account()`), as Teams says it."""
    team_id = team_id or (conversation if conversation_type == "channel" else None)
    data = _channel_data(conversation, conversation_type, tenant, team_id, team_name)
    if team_id:
        data["eventType"] = "teamMemberRemoved" if members_removed else "teamMemberAdded"
    activity = _base("conversationUpdate", _next_id(), conversation, conversation_type, tenant, service_url, user,
                     app_id, data)
    if members_added:
        activity["membersAdded"] = members_added
    if members_removed:
        activity["membersRemoved"] = members_removed
    return activity


def send_activity(bot_url: str, activity: dict[str, Any], token: str | None = None,
                  timeout: float = 30) -> tuple[int, Any]:
    """POST `activity` to the bot (its base URL or its /api/messages) with `token` as the Bot Connector's bearer
    token (none when None); the status and the body (JSON when it is JSON, else text)."""
    url = bot_url if bot_url.rstrip("/").endswith(MESSAGES_PATH) else bot_url.rstrip("/") + MESSAGES_PATH
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Microsoft-SkypeBotApi"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(activity).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status, _body(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _body(error.read())


def _base(kind: str, activity_id: str, conversation_id: str, conversation_type: str, tenant: str,
          service_url: str, user: TeamsUser, app_id: str, channel_data: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    conversation: dict[str, Any] = {"conversationType": conversation_type, "tenantId": tenant, "id": conversation_id}
    if conversation_type != "personal":
        conversation["isGroup"] = True
    return {"type": kind, "id": activity_id, "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.isoformat(), "localTimezone": "Europe/London", "serviceUrl": service_url,
            "channelId": "msteams", "from": user.account(), "conversation": conversation,
            "recipient": bot_account(app_id), "locale": "en-GB", "channelData": channel_data}


def _channel_data(conversation: str, conversation_type: str, tenant: str, team_id: str | None,
                  team_name: str = "Performance and Scrutiny") -> dict[str, Any]:
    data: dict[str, Any] = {"tenant": {"id": tenant}}
    if conversation_type == "channel":
        team = team_id or conversation
        data.update({"teamsChannelId": conversation, "teamsTeamId": team, "channel": {"id": conversation},
                     "team": {"id": team, "name": team_name, "aadGroupId": "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"}})
    return data


def _client_info() -> dict[str, str]:
    return {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London"}


def _next_id() -> str:
    return f"1761{next(_activity_ids):09d}"


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")
