"""What the Teams smoke's upload adds (`python -m tests.teams_smoke --upload`): the Playground's signed-in person
made an editor, and a local file host the bot downloads the figures from, as from Teams' download URL.

The Playground's own people have object ids one digit too long for a GUID, which the bot refuses in its role
settings; its configuration file (.m365agentsplayground.yml where it runs) gives them well-formed ones.
"""
from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

EDITOR_ID = "00000000-0000-0000-0000-000000000020"
FILE_NAME = "volunteer-hours-sep.xlsx"
# September's volunteer hours (52 in the demo data) made 40: the preview says "52 hours -> 40 hours".
FIGURES = (("volunteer-hours", "2025-09", 40),)
EXPECT = "52 hours -> 40 hours"
CONFIG_FILE = ".m365agentsplayground.yml"
CONFIG = """version: "0.1.1"
tenantId: 00000000-0000-0000-0000-000000000001
bot:
  id: 00000000-0000-0000-0000-000000000011
  name: kpibot
currentUser:
  id: user-id-0
  name: Alex Wilber
  userPrincipleName: alexw@example.com
  aadObjectId: {editor}
  givenName: Alex
  surname: Wilber
  email: alexw@example.com
users:
{users}personalChat:
  id: personal-chat-id
groupChat:
  id: group-chat-id
  name: Group Chat
team:
  id: team-id
  name: OPCC
  aadGroupId: 00000000-0000-0000-0000-000000000031
  channels:
    - id: channel-leaders-id
      name: Leaders
"""


# The Playground wants five other people at least; they are not used here.
OTHERS = ("Megan Bowen", "Adele Vance", "Isaiah Langer", "Patti Fernandez", "Lynne Robbins")


def write_config(playground_folder: Path) -> None:
    users = "".join(f"  - id: user-id-{n}\n    name: {name}\n    userPrincipleName: {login}@example.com\n"
                    f"    aadObjectId: 00000000-0000-0000-0000-0000000000{20 + n}\n"
                    f"    givenName: {name.split()[0]}\n    surname: {name.split()[1]}\n"
                    f"    email: {login}@example.com\n"
                    for n, name in enumerate(OTHERS, start=1)
                    for login in [name.split()[0].lower()])
    text = CONFIG.format(editor=EDITOR_ID, users=users)
    (playground_folder / CONFIG_FILE).write_text(text, encoding="utf-8")


def figures_workbook() -> bytes:
    from tests.figure_files import workbook

    return workbook(*FIGURES)


@contextlib.contextmanager
def file_host(name: str, content: bytes) -> Iterator[str]:
    """`content` served at the URL yielded (on loopback, any path ending in `name`), until the block ends."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            found = self.path.split("?", 1)[0].endswith("/" + name)
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(content) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(content)

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/personal/Documents/{name}"
    finally:
        server.shutdown()
        server.server_close()
