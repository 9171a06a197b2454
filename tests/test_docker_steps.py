"""The Dockerfile's own steps, run in order as `docker build` would run them, on a machine without Docker.

The image is stood in for by this machine's root file system seen through an overlay (every write lands in a
throwaway upper folder, never on the machine itself), entered with chroot in a private mount namespace. The
build context is a copy of the repository with the files an admin would have beside it (`.env` with tokens,
the SQLite file, charts/), filtered by .dockerignore as Docker filters it. RUN steps before USER run as root,
those after as that user (created by the Dockerfile's own useradd, inside the overlay); WORKDIR makes a missing
folder as root, as Docker does; COPY --chown owns what it copies, not the folder it copies into. The one
stand-in: apt-get, which only checks that the packages asked for are already on this machine.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The python:3.11-slim image's PATH; /usr/local/sbin first, where the apt-get stand-in goes.
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Made afresh each run, so that no file in the repository (this one included) can hold it.
PLANTED_TOKEN = f"xoxb-{secrets.token_hex(12)}"
# What the build may take from this machine's environment: how pip reaches its index here.
PASSED_THROUGH = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
APT_GET_STAND_IN = """#!/bin/sh
# Stand-in for the base image's apt-get: nothing is fetched; each package asked for must be installed already.
case "$1" in
  update) exit 0 ;;
  install) shift
    for package in "$@"; do
      case "$package" in -*) ;; *) dpkg -s "$package" >/dev/null 2>&1 \\
        || { echo "apt-get stand-in: $package is not installed on this machine" >&2; exit 100; } ;; esac
    done ;;
  *) echo "apt-get stand-in: unexpected: $*" >&2; exit 100 ;;
esac
"""


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore(text: str):
    """Docker's rule: patterns in order, the last that matches a path (or a folder above it) decides; `!` keeps."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        rules.append((keep, _pattern_regex(line.lstrip("!").strip("/"))))

    def ignored(relative: str) -> bool:
        parts = relative.split("/")
        verdict = False
        for keep, regex in rules:
            if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
                verdict = not keep
        return verdict

    return ignored


def _repository_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            text=True)
    if listed.returncode == 0:
        return [name for name in listed.stdout.splitlines() if (REPO / name).is_file()]
    return [str(p.relative_to(REPO)) for p in REPO.rglob("*")
            if p.is_file() and not {".git", ".venv"} & set(p.relative_to(REPO).parts)]


def build_context(folder: Path) -> Path:
    """The repository as an admin's checkout holds it, tokens and local data included."""
    for name in _repository_files():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, folder / name)
    (folder / ".env").write_text(f"SLACK_BOT_TOKEN={PLANTED_TOKEN}\n")
    (folder / "kpibot.db").write_bytes(b"SQLite format 3\0 local data")
    for name in ("charts/volunteer-hours-2025-09.png", "snapshots/opcc-performance-snapshot-2025-26-Q2.docx"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"local output")
    return folder


class Image:
    """The image being built: an overlay of / whose changes go to `upper`, entered once per step."""

    def __init__(self, scratch: Path):
        self.upper, self.work, self.root = scratch / "upper", scratch / "work", scratch / "root"
        for folder in (self.upper, self.work, self.root):
            folder.mkdir(parents=True)
        self.env: dict[str, str] = {"PATH": IMAGE_PATH, "HOME": "/root"}
        self.env.update({k: v for k, v in os.environ.items() if k.startswith(PASSED_THROUGH)})
        self.workdir = "/"
        self.user: str | None = None

    def run(self, command: str, as_root: bool = False, timeout: float = 1200,
            workdir: str | None = None) -> subprocess.CompletedProcess:
        user = None if as_root else self.user
        env = dict(self.env)
        switch = ""
        if user is not None:
            uid, gid, home = self.account(user)
            env["HOME"], env["USER"] = home, user
            switch = f"setpriv --reuid={uid} --regid={gid} --clear-groups "
        inner = f"cd {shlex.quote(workdir or self.workdir)} && {command}"
        environment = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
        script = "\n".join([
            "set -e",
            f"mount -t overlay overlay -o lowerdir=/,upperdir={self.upper},workdir={self.work} {self.root}",
            f"mount -t proc proc {self.root}/proc",
            f"mount --rbind /dev {self.root}/dev",
            f"exec chroot {self.root} {switch}/usr/bin/env -i {environment} /bin/sh -c {shlex.quote(inner)} "
            "</dev/null",
        ])
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script],
                              capture_output=True, text=True, timeout=timeout)

    def account(self, user: str) -> tuple[int, int, str]:
        passwd = self.upper / "etc" / "passwd"
        for line in (passwd if passwd.exists() else Path("/etc/passwd")).read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user or fields[2] == user:
                return int(fields[2]), int(fields[3]), fields[5]
        raise AssertionError(f"USER {user}: no such user in the image (the Dockerfile must create it)")

    def path(self, inside: str) -> Path:
        """Where a path in the image landed, if the build wrote it."""
        return self.upper / inside.lstrip("/")


def _sandbox_or_skip(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: the image is stood in for by an overlay of / in a private mount namespace")
    missing = [tool for tool in ("unshare", "chroot", "setpriv", "tar", "make", "python3") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on this machine")
    probe = Image(tmp_path / "probe-scratch")
    result = probe.run("true", as_root=True, timeout=60)
    if result.returncode != 0:
        pytest.skip(f"cannot overlay / in a mount namespace here: {result.stderr.strip()[:200]}")


def _copy(image: Image, arguments: str, context: Path, scratch: Path) -> None:
    words = shlex.split(arguments)
    owner = next((w.split("=", 1)[1] for w in words if w.startswith("--chown=")), None)
    sources = [w for w in words if not w.startswith("--")]
    assert sources[:-1] == ["."], f"this stand-in copies the whole context only, not COPY {arguments}"
    ignored = dockerignore((context / ".dockerignore").read_text())
    archive, tops = scratch / "context.tar", scratch / "context-tops.txt"
    names = sorted(str(p.relative_to(context)) for p in context.rglob("*") if p.is_file())
    kept = [name for name in names if not ignored(name)]
    with tarfile.open(archive, "w") as tar:
        for name in kept:
            tar.add(context / name, arcname=name)
    tops.write_text("\n".join(sorted({name.split("/")[0] for name in kept})) + "\n")
    destination = sources[-1] if sources[-1].startswith("/") else f"{image.workdir.rstrip('/')}/{sources[-1]}"
    command = f"mkdir -p {shlex.quote(destination)} && tar -xf {archive} -C {shlex.quote(destination)} --no-same-owner"
    if owner:
        command += f" && cd {shlex.quote(destination)} && xargs -d '\\n' chown -R {shlex.quote(owner)} < {tops}"
    result = image.run(command, as_root=True)
    assert result.returncode == 0, f"COPY {arguments}: {result.stderr}"


@pytest.mark.docker
def test_the_dockerfile_builds_as_its_user_without_secrets_or_test_tools(tmp_path):
    _sandbox_or_skip(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    context = build_context(tmp_path / "context")
    image = Image(tmp_path / "image")
    passwd_before = Path("/etc/passwd").read_text()
    apt_get = image.path("/usr/local/sbin/apt-get")
    apt_get.parent.mkdir(parents=True, exist_ok=True)
    apt_get.write_text(APT_GET_STAND_IN)
    apt_get.chmod(0o755)
    logs, command = {}, None
    try:
        for keyword, arguments in dockerfile_instructions((context / "Dockerfile").read_text()):
            if keyword == "RUN":
                result = image.run(arguments, as_root=image.user is None)
                logs[arguments] = result.stdout + result.stderr
                assert result.returncode == 0, f"RUN {arguments} (as {image.user or 'root'}):\n{logs[arguments]}"
            elif keyword == "WORKDIR":  # made if missing, by root whatever USER says, as Docker does
                image.workdir = arguments if arguments.startswith("/") else f"{image.workdir}/{arguments}"
                made = image.run(f"mkdir -p {shlex.quote(image.workdir)}", as_root=True, workdir="/")
                assert made.returncode == 0, made.stderr
            elif keyword == "COPY":
                _copy(image, arguments, context, scratch)
            elif keyword == "USER":
                image.user = arguments
                image.account(arguments)
            elif keyword == "ENV":
                image.env.update(dict(word.split("=", 1) for word in shlex.split(arguments)))
            elif keyword == "CMD":
                command = " ".join(shlex.quote(w) for w in json.loads(arguments))
        app = image.workdir
        uid, _, _ = image.account(image.user)
        assert image.path(app).stat().st_uid == uid
        assert not image.path(f"{app}/.env").exists()
        for local in ("kpibot.db", "charts", "snapshots"):
            assert not image.path(f"{app}/{local}").exists(), f"{local} was copied into the image"
        assert not any(PLANTED_TOKEN.encode() in p.read_bytes()
                       for p in image.path(app).rglob("*") if p.is_file() and ".venv" not in p.parts)
        venv = image.path(f"{app}/.venv")
        assert (venv / "bin" / "kpibot").exists() and venv.stat().st_uid == uid
        site = next(venv.glob("lib/python3*/site-packages"))
        assert (site / "slack_bolt").is_dir() and (site / "pandas").is_dir()
        assert not [p.name for p in site.iterdir() if p.name.split("-")[0] in ("pytest", "_pytest", "hypothesis")]
        # The licence given the old way made setuptools warn twice (one build for metadata, one for the wheel).
        install_output = "\n".join(logs.values())
        assert "license" not in install_output.lower(), install_output
        # And the image runs: `make run` (the CMD) sets up the database in the volume, loads the bundled
        # dataset, and opens the console, which ends with its input.
        assert command is not None, "the Dockerfile has no CMD"
        started = image.run(command)
        assert started.returncode == 0, started.stdout + started.stderr
        assert "Imported observations" in started.stderr
        assert image.path(f"{app}/data/kpibot.db").stat().st_uid == uid
    finally:
        assert Path("/etc/passwd").read_text() == passwd_before  # the build touched only its overlay
        shutil.rmtree(tmp_path / "image", ignore_errors=True)


def test_the_readme_shows_the_compose_file_as_shipped():
    """The compose file in the README is the one in the repository, and it points the bot at its PostgreSQL."""
    import yaml

    compose_text = (REPO / "docker-compose.yml").read_text()
    assert f"```yaml\n{compose_text}```" in (REPO / "README.md").read_text()
    services = yaml.safe_load(compose_text)["services"]
    url = services["kpibot"]["environment"]["KPIBOT_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://kpibot:") and url.endswith("@db:5432/kpibot")
    assert services["kpibot"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "kpibot-data:/app/data" in services["kpibot"]["volumes"]
    assert services["db"]["environment"]["POSTGRES_DB"] == "kpibot"


def test_dockerignore_leaves_out_secrets_and_local_data():
    ignored = dockerignore((REPO / ".dockerignore").read_text())
    for path in (".env", ".env.production", "kpibot.db", "charts/a.png", "snapshots/p.docx", "data/kpibot.db",
                 ".venv/bin/python", "bot/__pycache__/cli.cpython-311.pyc"):
        assert ignored(path), path
    for path in ("Dockerfile", "pyproject.toml", "bot/cli.py", "storage/demo/observations.csv", "Makefile"):
        assert not ignored(path), path
