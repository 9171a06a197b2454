"""`kpibot teams package`: the zip it writes, its manifest against Microsoft's v1.29 schema, and its icons."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from bot.teams.manifest import PackageOptions, manifest

SCHEMA = Path(__file__).parent / "schemas" / "teams-manifest-1.29.json"
APP_ID = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
COMMANDS = ["kpi", "reviews", "csp", "digest", "snapshot", "alert", "help"]


def manifest_validator() -> jsonschema.protocols.Validator:
    """The schema is draft-04 but uses draft-06's `const` (manifestVersion "1.29"): honour it, as Teams does.
    It is checked against draft-04's meta-schema without its format checks: a few of its patterns are JavaScript's
    (`\\p{L}`), which Python's re cannot compile, in parts (Office add-in extensions) that a bot's manifest never
    reaches."""
    schema = json.loads(SCHEMA.read_text())
    draft4 = jsonschema.validators.extend(
        jsonschema.Draft4Validator, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]})
    jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA).validate(schema)
    return draft4(schema, format_checker=jsonschema.FormatChecker())


def problems(document: dict) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                  for e in manifest_validator().iter_errors(document))


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    for name in ("KPIBOT_TEAMS_CHANNEL_FILES", "KPIBOT_ADMIN_GROUP_IDS", "KPIBOT_EDITOR_GROUP_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KPIBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")

    def invoke(*args: str, env: dict | None = None):
        return CliRunner().invoke(app, ["teams", "package", *args], env=env or {})
    return invoke


def read_package(path: Path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["manifest.json"]), files


def test_the_cli_writes_a_flat_zip_whose_manifest_passes_the_v1_29_schema(run, tmp_path):
    result = run("--out", "kpibot-teams.zip", "--valid-domain", "kpibot.example.org", env={"TEAMS_APP_ID": APP_ID})
    assert result.exit_code == 0, result.output
    assert "Wrote kpibot-teams.zip: manifest 1.29 for app " + APP_ID in result.output

    document, files = read_package(tmp_path / "kpibot-teams.zip")
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]   # flat: no folder inside
    assert problems(document) == []
    assert document["$schema"] == "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
    assert (document["manifestVersion"], document["id"], document["name"]["short"]) == ("1.29", APP_ID, "kpibot")
    assert document["developer"]["privacyUrl"] == "https://kpibot.example.org/"
    assert document["validDomains"] == ["kpibot.example.org"]
    assert "webApplicationInfo" not in document and "authorization" not in document   # no Graph asked for

    bot, = document["bots"]
    assert bot["botId"] == APP_ID and bot["supportsFiles"] is True
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert [entry["scopes"] for entry in bot["commandLists"]] == [["personal"], ["team"], ["groupChat"]]
    for entry in bot["commandLists"]:
        assert [command["title"] for command in entry["commands"]] == COMMANDS
        assert all(0 < len(command["description"]) <= 128 for command in entry["commands"])


def test_the_icons_are_192_colour_and_32_white_on_transparent(run, tmp_path):
    assert run("--app-id", APP_ID, "--valid-domain", "kpibot.example.org").exit_code == 0
    _, files = read_package(tmp_path / "kpibot-teams.zip")
    color = Image.open(io.BytesIO(files["color.png"]))
    outline = Image.open(io.BytesIO(files["outline.png"])).convert("RGBA")
    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (Image.open(io.BytesIO(files["outline.png"])).format, outline.size) == ("PNG", (32, 32))

    pixels = [outline.getpixel((x, y)) for x in range(32) for y in range(32)]
    drawn = [p for p in pixels if p[3] > 0]
    assert outline.getpixel((0, 0))[3] == 0 and outline.getpixel((16, 2))[3] == 0   # the ground is transparent
    assert 0 < len(drawn) < len(pixels) // 2                                          # a drawing, not a tile
    assert {p[:3] for p in drawn} == {(255, 255, 255)}                               # and only white
    assert len(color.convert("RGB").getcolors(maxcolors=192 * 192)) > 1               # the colour icon has colour


def test_a_missing_app_id_writes_nothing(run, tmp_path):
    result = run("--out", "kpibot-teams.zip", "--valid-domain", "kpibot.example.org")
    assert result.exit_code == 1
    assert not (tmp_path / "kpibot-teams.zip").exists()


def test_the_error_lines_people_see(tmp_path, monkeypatch, capsys):
    """Through `main`, as the installed `kpibot` runs: one line on stderr, exit 1."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    monkeypatch.setenv("KPIBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    expected = {
        (): "kpibot: the Teams app id is not set: give --app-id or set TEAMS_APP_ID (the bot's Entra application id; "
            "see the README's Teams section)",
        ("--app-id", "kpibot"): "kpibot: the Teams app id 'kpibot' is not a GUID (the Entra application (client) id "
                                "looks like 1b2c3d4e-...)",
        ("--app-id", APP_ID): "kpibot: Teams shows a page about the app (support, privacy, terms): give --website "
                              "https://... or the bot's host with --valid-domain",
        ("--app-id", APP_ID, "--valid-domain", "https://kpibot.example.org/api"):
            "kpibot: --valid-domain 'https://kpibot.example.org/api' is not a host name (write kpibot.example.org, "
            "no https:// and no path)",
    }
    for args, line in expected.items():
        monkeypatch.setattr("sys.argv", ["kpibot", "teams", "package", *args])
        with pytest.raises(SystemExit) as stopped:
            main()
        assert stopped.value.code == 1
        assert capsys.readouterr().err == line + "\n"
    assert list(tmp_path.glob("*.zip")) == []


def test_the_entra_app_is_named_for_graph_only_when_graph_is_used(run, tmp_path):
    for env in ({"KPIBOT_TEAMS_CHANNEL_FILES": "true"}, {"KPIBOT_ADMIN_GROUP_IDS": "0f1e2d3c-4b5a-4968-8776-655443322110"}):
        result = run("--valid-domain", "kpibot.example.org", env={"TEAMS_APP_ID": APP_ID, **env})
        assert result.exit_code == 0, result.output
        assert ("grant it admin consent for GroupMember.Read.All (roles by Entra group) and Files.ReadWrite.All "
                "(snapshots into channel files)") in result.output.replace("\n", " ")
        document, _ = read_package(tmp_path / "kpibot-teams.zip")
        assert problems(document) == []
        assert document["webApplicationInfo"] == {"id": APP_ID}
        assert "authorization" not in document   # no resource-specific consent: the bot reads no channel messages

    assert run("--no-graph", "--valid-domain", "kpibot.example.org",
               env={"TEAMS_APP_ID": APP_ID, "KPIBOT_TEAMS_CHANNEL_FILES": "true"}).exit_code == 0
    assert "webApplicationInfo" not in read_package(tmp_path / "kpibot-teams.zip")[0]


def test_without_slash_the_commands_are_offered_after_a_mention_only():
    document = manifest(PackageOptions(app_id=APP_ID, website="https://intranet.example.org/kpibot", slash=False))
    assert problems(document) == []
    bot, = document["bots"]
    assert "supportsTargetedMessages" not in bot
    assert {tuple(entry["triggers"]) for entry in bot["commandLists"]} == {("mention",)}
    assert document["validDomains"] == [] and document["developer"]["websiteUrl"] == "https://intranet.example.org/kpibot"


def test_the_validator_refuses_planted_mistakes():
    good = manifest(PackageOptions(app_id=APP_ID, valid_domains=("kpibot.example.org",)))
    assert problems(good) == []

    def planted(change) -> list[str]:
        document = json.loads(json.dumps(good))
        change(document)
        return problems(document)

    assert planted(lambda d: d.update(manifestVersion="1.28")) == ["manifestVersion: '1.29' was expected"]
    assert planted(lambda d: d.update(id="not-a-guid"))[0].startswith("id: 'not-a-guid' does not match")
    assert planted(lambda d: d["bots"][0].update(scopes=["personal", "channel"])) == [
        "bots/0/scopes/1: 'channel' is not one of ['team', 'personal', 'groupChat', 'copilot']"]
    assert planted(lambda d: d.pop("icons")) == ["(top): 'icons' is a required property"]
    assert planted(lambda d: d.update(accentColor="blue"))[0].startswith("accentColor: 'blue' does not match")
    assert planted(lambda d: d["bots"][0].update(commands=[])) == [
        "bots/0: Additional properties are not allowed ('commands' was unexpected)"]
