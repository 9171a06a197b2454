"""A fake of where Teams keeps a file sent to a bot in personal chat (the sender's OneDrive), on 127.0.0.1.

`host_file(name, content)` stores a file and returns its pre-authenticated download URL, as a file.download.info
attachment's downloadUrl carries it (a `tempauth` in the query; no bearer token is asked for, and one sent is
noted). Each GET is counted per file, with how many bytes went before the client stopped reading. A file can be
sent without its Content-Length (chunked, so only the bytes read can tell its size), and `repeat` sends its
content that many times over (a large file without holding it). `fail_next(status)` answers the next downloads
with 403, 404 or another status, as SharePoint does when a link has expired or the file was deleted; `hold()`
keeps every download waiting until `release()` (a slow download).
"""
from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fake_teams_http import LocalService, Reply, Request

DOWNLOAD_PATH = "/personal/{owner}/_layouts/15/download.aspx"
PIECE_BYTES = 64 * 1024


@dataclass
class HostedFile:
    name: str
    content: bytes
    unique_id: str
    length_sent: bool = True
    repeat: int = 1
    fetches: int = 0
    # Per download: bytes written before the client stopped reading (or all of them), and whether all went.
    sent: list[tuple[int, bool]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.content) * self.repeat


@dataclass(frozen=True)
class Download:
    unique_id: str
    status: int
    bearer: str | None


class FakeFileHost(LocalService):
    """Files people sent the bot, each at its own download URL."""

    thread_name = "fake-teams-files"

    def __init__(self, **server: Any) -> None:
        super().__init__(**server)
        self._files: dict[str, HostedFile] = {}
        self._downloads: list[Download] = []
        self._faults: deque[list[int]] = deque()
        self._tokens = itertools.count(1)
        self._open = threading.Event()
        self._open.set()

    def host_file(self, name: str, content: bytes, *, length_sent: bool = True, repeat: int = 1,
                  owner: str = "anne_analyst_pcc_example_gov_uk") -> str:
        """Keep `content` as the file `name` and return its download URL (its uniqueId is in the query)."""
        unique_id = str(uuid.uuid4()).upper()
        with self._lock:
            self._files[unique_id] = HostedFile(name, content, unique_id, length_sent, repeat)
        path = DOWNLOAD_PATH.format(owner=owner)
        return f"{self.base_url}{path}?UniqueId={unique_id}&Translate=false&tempauth=fake.{next(self._tokens)}"

    def unique_id(self, url: str) -> str:
        """The uniqueId of the file at a download URL this host gave."""
        return url.split("UniqueId=", 1)[1].split("&", 1)[0]

    def fail_next(self, status: int = 404, times: int = 1) -> None:
        with self._lock:
            self._faults.append([status, times])

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def stop(self) -> None:
        self.release()
        super().stop()

    def file(self, url_or_id: str) -> HostedFile:
        key = self.unique_id(url_or_id) if "UniqueId=" in url_or_id else url_or_id
        with self._lock:
            return self._files[key]

    def fetches(self, url_or_id: str) -> int:
        return self.file(url_or_id).fetches

    def downloads(self) -> list[Download]:
        with self._lock:
            return list(self._downloads)

    def summary(self) -> str:
        with self._lock:
            return f"{len(self._downloads)} downloads"

    def answer(self, request: Request) -> Reply:
        query = dict(part.partition("=")[::2] for part in request.query.split("&") if part)
        with self._changed:
            hosted = self._files.get(query.get("UniqueId", "")) if request.method == "GET" else None
            status = self._take_fault() or (200 if hosted is not None and query.get("tempauth") else 404)
            self._downloads.append(Download(query.get("UniqueId", ""), status, request.bearer))
            if hosted is not None:
                hosted.fetches += 1
            self._recorded()
        self._open.wait(30)
        if status != 200:
            return Reply.json({"error": {"code": "itemNotFound" if status == 404 else "accessDenied",
                                         "message": "fake SharePoint"}}, status)
        return Reply(200, content_type="application/octet-stream", stream=self._pieces(hosted),
                     length=hosted.size if hosted.length_sent else None, sent=self._sent_to(hosted))

    @staticmethod
    def _pieces(hosted: HostedFile):
        for _ in range(hosted.repeat):
            for start in range(0, len(hosted.content), PIECE_BYTES):
                yield hosted.content[start:start + PIECE_BYTES]

    def _sent_to(self, hosted: HostedFile):
        def sent(written: int, whole: bool) -> None:
            with self._changed:
                hosted.sent.append((written, whole))
                self._recorded()
        return sent

    def _take_fault(self) -> int | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault[1] -= 1
        if fault[1] <= 0:
            self._faults.popleft()
        return fault[0]
