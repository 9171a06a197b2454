"""`kpibot teams package`: the Teams app package (manifest and icons) an admin uploads to Teams."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from bot.cli.common import Failure, cli_settings, echo

WROTE = "Wrote {path}: manifest {version} for app {app_id} ({scopes}); upload it in the Teams admin centre or in Teams"
WITH_GRAPH = ("It names the Entra app for Microsoft Graph: grant it admin consent for {permissions} (Entra, or the Teams "
              "admin centre's Permissions tab)")


def package(
    out: Path = typer.Option(Path("kpibot-teams.zip"), "--out", help="Where to write the package (.zip)."),
    app_id: Optional[str] = typer.Option(None, "--app-id", help="The bot's Entra application id (default: TEAMS_APP_ID)."),
    name: str = typer.Option("kpibot", "--name", help="The app's name in Teams (up to 30 characters)."),
    valid_domain: List[str] = typer.Option(
        [], "--valid-domain", help="The bot's host name (repeat for more); its https:// page is the app's website."),
    website: Optional[str] = typer.Option(
        None, "--website", help="The https:// page about the app that Teams links to (support, privacy, terms)."),
    app_version: str = typer.Option("1.0.0", "--app-version",
                                    help="The package's version: raise it each time an updated package is uploaded."),
    graph: Optional[bool] = typer.Option(
        None, "--graph/--no-graph",
        help="The bot uses Microsoft Graph (default: when KPIBOT_TEAMS_CHANNEL_FILES or a role's group ids are set)."),
    slash: bool = typer.Option(True, "--slash/--no-slash",
                               help="Also list the commands in Teams' slash menu (a preview feature)."),
) -> None:
    """Write the Teams app package: manifest.json (schema v1.29) and its two icons, zipped flat."""
    from bot.teams.manifest import GRAPH_PERMISSIONS, MANIFEST_VERSION, SCOPES, PackageError, PackageOptions, write_package

    settings = cli_settings()
    uses_graph = graph if graph is not None else bool(
        settings.teams_channel_files or settings.admin_group_ids or settings.editor_group_ids)
    options = PackageOptions(app_id=app_id or settings.teams_app_id, name=name, version=app_version,
                             valid_domains=tuple(valid_domain), website=website, graph=uses_graph, slash=slash)
    try:
        path = write_package(options, out)
    except PackageError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    echo(WROTE.format(path=path, version=MANIFEST_VERSION, app_id=options.app_id, scopes=", ".join(SCOPES)))
    if uses_graph:
        echo(WITH_GRAPH.format(permissions=" and ".join(GRAPH_PERMISSIONS)))

