"""The Web API methods the fake Slack answers (people, groups, conversations, messages, files) and how it
stamps messages, over the state tests.fake_slack keeps; its reading of requests is tests.fake_slack_wire's."""
from __future__ import annotations

from urllib.parse import quote

from tests.fake_slack_wire import (
    JSON_FIELDS, _channel_list, _decoded, _error, _file_view, _has_content, _history_view, _in_history, _truthy,
    _whole_number, _within_bounds,
)

BOT_IDENTITY = {
    "url": "https://fake.slack.com/",
    "team": "OPCC",
    "user": "kpibot",
    "team_id": "T0001",
    "user_id": "U0BOT",
    "bot_id": "B0BOT",
}
HISTORY_PAGE_SIZE = 100
# The types Slack gives files by their name's ending; anything else is a binary it does not know.
FILE_TYPES = {
    "csv": ("csv", "text/csv"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "txt": ("text", "text/plain"),
    "html": ("html", "text/html"),
}


class WebApiMethods:
    """Mixed into FakeSlack: each method reads and changes the fake's state under its lock."""

    # -- Web API methods ----------------------------------------------------------

    def hold_answer(self, method: str, seconds: float) -> None:
        """Carry out the next `method` call at once but send its answer only after `seconds`."""
        with self._lock:
            self._holds[method] = seconds

    def make_guest(self, user: str) -> None:
        """users.info will say `user` is a guest (a restricted account)."""
        with self._lock:
            self._guests.add(user)

    def set_group(self, group: str, users: list[str]) -> None:
        with self._lock:
            self._groups[group] = list(users)

    def add_file(self, name: str, content: bytes, user: str = "U0USER", size: int | None = None,
                 declare_length: bool = True, moved: bool = False) -> dict:
        """A file `user` shared, as the file object Slack puts in a message event: id, name, size, filetype,
        mimetype and url_private(_download) on this fake. `size` is what Slack declares (the content's length
        unless given); `declare_length=False` serves it with no Content-Length, ending when the connection
        closes; `moved`: its url_private_download redirects to its url_private (the token still needed there)."""
        file_id = f"F{next(self._file_counter):010d}"
        filetype, mimetype = FILE_TYPES.get(name.rpartition(".")[2].lower(), ("binary", "application/octet-stream"))
        base = f"{self.url}/files-pri/{BOT_IDENTITY['team_id']}-{file_id}"
        file = {
            "id": file_id, "created": int(self.now()), "timestamp": int(self.now()), "name": name, "title": name,
            "mimetype": mimetype, "filetype": filetype, "pretty_type": filetype.upper(), "user": user,
            "user_team": BOT_IDENTITY["team_id"], "editable": False, "size": len(content) if size is None else size,
            "mode": "hosted", "is_external": False, "external_type": "", "is_public": False,
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": f"{base}/{quote(name)}", "url_private_download": f"{base}/download/{quote(name)}",
            "permalink": f"https://opcc.slack.com/files/{user}/{file_id}/{quote(name)}",
            "file_access": "visible", "has_rich_preview": False,
        }
        with self._lock:
            self._shared_files[file_id] = {"file": file, "content": bytes(content), "length_declared": declare_length,
                                          "moved": moved}
        return dict(file)

    def _files_info(self, params: dict) -> dict:
        shared = self._shared_files.get(str(params.get("file") or ""))
        if shared is None:
            return _error("file_not_found")
        return {"ok": True, "file": dict(shared["file"]), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _users_info(self, params: dict) -> dict:
        user = str(params.get("user") or "")
        if not user:
            return _error("user_not_found")
        return {"ok": True, "user": {"id": user, "is_restricted": user in self._guests,
                                     "is_ultra_restricted": False, "is_bot": False}}

    def _usergroup_users(self, params: dict) -> dict:
        group = str(params.get("usergroup") or "")
        if group not in self._groups:
            return _error("no_such_subteam")
        return {"ok": True, "users": list(self._groups[group])}

    def leave_channel(self, channel: str) -> None:
        """The bot is not a member of `channel`: conversations.info says so and posting there fails."""
        with self._lock:
            self._not_member.add(channel)

    def open_direct_message(self, channel: str, user: str) -> None:
        """`channel` is the bot's own direct message with `user`, as conversations.info reports it.

        Any other D... conversation is a direct message between people, which the bot is not in:
        conversations.info answers channel_not_found for it, as Slack does."""
        with self._lock:
            self._direct_messages[channel] = user

    def _conversations_info(self, params: dict) -> dict:
        channel = str(params.get("channel") or "")
        with self._lock:
            other = self._direct_messages.get(channel)
        if other is not None:
            return {"ok": True, "channel": {"id": channel, "is_im": True, "user": other, "is_member": True,
                                            "is_archived": False}}
        if not channel or channel.startswith("D"):
            return _error("channel_not_found")
        is_im = channel.startswith("U")
        return {"ok": True, "channel": {"id": channel, "is_member": channel not in self._not_member,
                                        "is_im": is_im, "is_archived": False}}

    def _auth_test(self, params: dict) -> dict:
        return {"ok": True, **BOT_IDENTITY}

    def _chat_post_message(self, params: dict) -> dict:
        channel = params.get("channel")
        if not channel:
            return _error("channel_not_found")
        if not _has_content(params):
            return _error("no_text")
        if channel in self._not_member:
            return _error("not_in_channel")
        message = self._new_message(params)
        self._messages.append({"channel": channel, **message})
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_post_ephemeral(self, params: dict) -> dict:
        channel, user = params.get("channel"), params.get("user")
        if not channel:
            return _error("channel_not_found")
        if not user:
            return _error("user_not_found")
        if not _has_content(params):
            return _error("no_text")
        message = self._new_message(params)
        self._messages.append({"channel": channel, **message, "user": user, "ephemeral": True})
        return {"ok": True, "message_ts": message["ts"]}

    def _conversations_history(self, params: dict) -> dict:
        channel = params.get("channel")
        if not channel:
            return _error("channel_not_found")
        with_metadata = _truthy(params.get("include_all_metadata"))
        newest_first = [_history_view(message, with_metadata) for message in reversed(self._messages)
                        if message["channel"] == channel and _in_history(message)]
        matching = [message for message in newest_first if _within_bounds(message["ts"], params)]
        offset = int(str(params.get("cursor") or "offset:0").removeprefix("offset:"))
        limit = int(params.get("limit") or HISTORY_PAGE_SIZE)
        has_more = len(matching) > offset + limit
        return {
            "ok": True,
            "messages": matching[offset:offset + limit],
            "has_more": has_more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": f"offset:{offset + limit}" if has_more else ""},
        }

    def _files_get_upload_url(self, params: dict) -> dict:
        filename, length = params.get("filename"), _whole_number(params.get("length"))
        if not filename or length is None:
            return _error("invalid_arguments")
        file_id = f"F{next(self._file_counter):010d}"
        self._uploads[file_id] = {
            "file_id": file_id, "filename": filename, "title": None, "length": length, "bytes": None,
            "channel": None, "channels": [], "initial_comment": None, "thread_ts": None,
            "alt_txt": params.get("alt_txt"),
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict) -> dict:
        items = _decoded(params.get("files"))
        if not isinstance(items, list) or not items:
            return _error("invalid_arguments")
        uploads = [self._uploads.get(item.get("id")) for item in items]
        # Completing a file whose bytes never arrived is the fake's error, stricter than documented.
        if any(upload is None or upload["bytes"] is None for upload in uploads):
            return _error("file_not_found")
        channels = _channel_list(params)
        for item, upload in zip(items, uploads):
            upload.update(
                title=item.get("title") or upload["filename"], channel=channels[0] if channels else None,
                channels=channels, initial_comment=params.get("initial_comment"),
                thread_ts=params.get("thread_ts"),
            )
        for channel in channels:
            self._share_files(channel, uploads, params)
        return {"ok": True, "files": [_file_view(upload) for upload in uploads]}

    # -- messages -----------------------------------------------------------------

    def now(self) -> float:
        """The time on Slack's clock, in seconds since the epoch."""
        return self.clock() + self.clock_offset

    def _next_ts(self) -> str:
        """A new message's ts as Slack makes one: its own clock's time in microseconds, one later than the last
        message's when two arrive in the same microsecond (or the clock is set back), so none repeats."""
        microseconds = max(round(self.now() * 1_000_000), self._last_ts_microseconds + 1)
        self._last_ts_microseconds = microseconds
        return f"{microseconds // 1_000_000}.{microseconds % 1_000_000:06d}"

    def _new_message(self, params: dict) -> dict:
        message = {
            "type": "message",
            "user": BOT_IDENTITY["user_id"],
            "bot_id": BOT_IDENTITY["bot_id"],
            "text": params.get("text") or "",
            "ts": self._next_ts(),
        }
        for name in JSON_FIELDS:
            if params.get(name):
                message[name] = _decoded(params[name])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
            message["reply_broadcast"] = _truthy(params.get("reply_broadcast"))
        return message

    def _share_files(self, channel: str, uploads: list[dict], params: dict) -> None:
        """Post the message Slack posts when files are shared: the initial comment with the files."""
        message = self._new_message({"text": params.get("initial_comment"), "thread_ts": params.get("thread_ts")})
        message.update(upload=True, files=[_file_view(upload) for upload in uploads])
        self._messages.append({"channel": channel, **message})
