"""The Teams app package: the manifest (schema v1.29) and the two icons, zipped flat for upload to Teams.

Teams installs a bot from this package, not from the bot itself: the manifest names the Entra app (the bot's
id), where the bot may be added (personal chat, teams, group chats), the command menu people see, and that the
bot takes files (an editor's figures sent in personal chat, and the file consent flow for snapshots there). The icons are drawn here, so the package
needs nothing but the code.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.29"
MANIFEST_FILE = "manifest.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
ACCENT = "#0072B2"  # the charts' series blue (Okabe-Ito), so the app and its charts look like one thing
BAR_HEIGHTS = (0.45, 0.7, 0.55, 0.9)  # the icon's bar chart, in the icon's own proportions
SCOPES = ("personal", "team", "groupChat")
# Graph's application permissions the bot uses, each granted with admin consent in Entra (none in the manifest:
# no resource-specific consent grants writing a channel's files, and the bot reads no channel messages).
GRAPH_PERMISSIONS = ("GroupMember.Read.All (roles by Entra group)", "Files.ReadWrite.All (snapshots into channel files)")

SHORT_DESCRIPTION = "The office's KPIs, complaint reviews and CSP balances, in chat."
FULL_DESCRIPTION = (
    "kpibot answers questions about the office's performance from its shared figures: type "
    "'kpi calls-under-25s' for a KPI's latest figure with its Panel comparison (last 3 months, previous 3 "
    "months, baseline year) and RAG, 'reviews overdue' for complaint reviews past their 28 days, 'csp' for "
    "Community Safety Partnership balances and 'snapshot 2025/26 Q2' for the Police and Crime Panel paper's "
    "tables and charts as Word and PDF. Channels can subscribe to weekly and quarterly digests with charts, and "
    "to alerts when a metric turns worse, crosses a line, or complaint reviews fall due. Editors load figures by "
    "sending a CSV or Excel file in the bot's personal chat: it shows what would change and loads it on Confirm. "
    "Complaint case references are shown only in the allowed channels and in the bot's personal chat with an "
    "editor or admin."
)
FULL_NAME = "kpibot: KPIs, complaint reviews and CSP balances"
DEVELOPER = "OPCC performance and governance"

# The command menu: what Teams puts in the compose box, and the one line it shows beside it.
COMMANDS = (
    ("kpi", "A KPI's figure and Panel comparison: kpi calls-under-25s; kpi alone lists the sections"),
    ("reviews", "Complaint reviews: reviews overdue, reviews month Sep 2025, reviews quarter"),
    ("csp", "CSP balances this financial year: csp, or csp <area>"),
    ("digest", "Weekly or quarterly digests here: digest subscribe weekly, digest list, digest preview"),
    ("snapshot", "The Panel paper's tables and charts as Word and PDF: snapshot 2025/26 Q2"),
    ("alert", "Alerts when a metric turns worse, crosses a line, or reviews fall due"),
    ("help", "What kpibot can answer, and how to ask"),
)

MISSING_APP_ID = ("the Teams app id is not set: give --app-id or set TEAMS_APP_ID (the bot's Entra application "
                  "id; see the README's Teams section)")
BAD_APP_ID = "the Teams app id {value!r} is not a GUID (the Entra application (client) id looks like 1b2c3d4e-...)"
BAD_VERSION = "the app version {value!r} must be three numbers, e.g. 1.0.0"
BAD_DOMAIN = "--valid-domain {value!r} is not a host name (write kpibot.example.org, no https:// and no path)"
BAD_WEBSITE = "--website {value!r} must be an https:// address"
NO_WEBSITE = ("Teams shows a page about the app (support, privacy, terms): give --website https://... or the bot's "
              "host with --valid-domain")
BAD_NAME = "--name must be 1 to 30 characters"

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
HOST = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


class PackageError(ValueError):
    """A package that cannot be made as asked, said in one line."""


@dataclass(frozen=True)
class PackageOptions:
    """What varies between one office's package and another's."""

    app_id: str | None
    name: str = "kpibot"
    version: str = "1.0.0"
    valid_domains: tuple[str, ...] = ()
    website: str | None = None
    graph: bool = False          # Graph is used (roles by group, channel files): the manifest names the Entra app
    slash: bool = True           # the commands in Teams' slash menu as well as after an @mention (preview)


def checked(options: PackageOptions) -> PackageOptions:
    """The options, or a PackageError naming the first thing wrong with them."""
    if not options.app_id:
        raise PackageError(MISSING_APP_ID)
    if not GUID.match(options.app_id):
        raise PackageError(BAD_APP_ID.format(value=options.app_id))
    if not SEMVER.match(options.version):
        raise PackageError(BAD_VERSION.format(value=options.version))
    if not 1 <= len(options.name.strip()) <= 30:
        raise PackageError(BAD_NAME)
    for domain in options.valid_domains:
        if not HOST.match(domain):
            raise PackageError(BAD_DOMAIN.format(value=domain))
    if options.website is not None and not options.website.lower().startswith("https://"):
        raise PackageError(BAD_WEBSITE.format(value=options.website))
    if options.website is None and not [d for d in options.valid_domains if not d.startswith("*.")]:
        raise PackageError(NO_WEBSITE)
    return options


def website(options: PackageOptions) -> str:
    """The page Teams links to: the one given, else the bot's own host."""
    if options.website:
        return options.website
    host = next(d for d in options.valid_domains if not d.startswith("*."))
    return f"https://{host}/"


def command_lists(slash: bool) -> list[dict]:
    """One command list per scope, as the schema asks: the same commands everywhere (Teams shows at most 10)."""
    commands = [{"title": title, "description": text} for title, text in COMMANDS]
    triggers = ["mention", "slash"] if slash else ["mention"]
    return [{"scopes": [scope], "commands": commands, "triggers": triggers} for scope in SCOPES]


def manifest(options: PackageOptions) -> dict:
    """The manifest.json for these options (checked first)."""
    options = checked(options)
    page = website(options)
    bot = {"botId": options.app_id, "scopes": list(SCOPES), "supportsFiles": True, "isNotificationOnly": False,
           "commandLists": command_lists(options.slash)}
    if options.slash:
        bot["supportsTargetedMessages"] = True
    document = {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": options.version,
        "id": options.app_id,
        "developer": {"name": DEVELOPER, "websiteUrl": page, "privacyUrl": page, "termsOfUseUrl": page},
        "name": {"short": options.name.strip(), "full": FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [bot],
        "validDomains": list(dict.fromkeys(options.valid_domains)),
    }
    if options.graph:
        # Ties the app to its Entra registration, so the Teams admin centre shows the Graph permissions it was
        # given and can grant admin consent there. Without Graph the bot still answers and posts everywhere.
        document["webApplicationInfo"] = {"id": options.app_id}
    return document


def _rgba(hex_colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def _bars(size: int, margin: float) -> list[tuple[int, int, int, int]]:
    """The bar chart both icons draw: four bars on a common base, as boxes (left, top, right, bottom)."""
    inner = size * (1 - 2 * margin)
    gap = inner / (len(BAR_HEIGHTS) * 3 + 1)   # bars twice as wide as the gaps between them
    boxes = []
    for index, height in enumerate(BAR_HEIGHTS):
        left = size * margin + gap + index * 3 * gap
        boxes.append((round(left), round(size * (1 - margin) - inner * height),
                      round(left + 2 * gap) - 1, round(size * (1 - margin)) - 1))
    return boxes


def color_icon() -> bytes:
    """The 192x192 full-colour icon: white bars on the accent blue, with a rising line over them."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), _rgba(ACCENT))
    draw = ImageDraw.Draw(image)
    boxes = _bars(COLOR_SIZE, margin=0.2)
    for box in boxes:
        draw.rectangle(box, fill=(255, 255, 255, 255))
    tops = [((left + right) / 2, top - 14) for left, top, right, _ in boxes]
    draw.line(tops, fill=_rgba("#E69F00"), width=7, joint="curve")   # the Okabe-Ito orange: a trend on the bars
    return _png(image)


def outline_icon() -> bytes:
    """The 32x32 outline icon: white bars and a white base line on a transparent ground, as Teams requires."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for left, top, right, bottom in _bars(OUTLINE_SIZE, margin=0.125):
        draw.rectangle((left, top, right, bottom - 2), outline=(255, 255, 255, 255), width=1)
    base = OUTLINE_SIZE - round(OUTLINE_SIZE * 0.125) - 1
    draw.line((3, base, OUTLINE_SIZE - 4, base), fill=(255, 255, 255, 255), width=1)
    return _png(image)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def package_bytes(options: PackageOptions) -> bytes:
    """The zip Teams takes: manifest.json and the two icons at its top level (no folder)."""
    document = manifest(options)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST_FILE, json.dumps(document, indent=2) + "\n")
        archive.writestr(COLOR_ICON, color_icon())
        archive.writestr(OUTLINE_ICON, outline_icon())
    return buffer.getvalue()


def write_package(options: PackageOptions, out: Path) -> Path:
    """Writes the package to `out` (whole or not at all) and returns the path."""
    data = package_bytes(options)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)
    return out
