"""The Teams smoke test, from start to screenshot: kpibot on the demo data, the Agents Playground, headless Chromium.

`python -m tests.teams_smoke --out teams-smoke.png` (what `make teams-smoke` and tests/test_teams_playground.py
run). It loads the demo data into a SQLite file of its own, starts `kpibot serve` for Teams with the local-only
switch for a client that sends no token, starts the Playground (npm, in tests/playground) against it, and has
tests/playground/smoke.mjs send `kpi calls-under-25s` through the Playground's page and wait for 58%. With
`--upload`, tests/playground/upload.mjs sends a workbook in the personal chat instead (as Teams sends a file),
screenshots the preview card and presses its Confirm import button (tests/teams_smoke_upload.py).

Everything runs in a network namespace of its own that has only a loopback interface, so nothing it starts can
reach beyond this machine: the Playground tries the internet (telemetry and a cloud metadata address) whatever it
is told, and its page asks a CDN for fonts. The browser refuses those requests as well. Exits 0 when the card came,
1 (with the reason and the tail of each log) otherwise, 2 when the tools are missing.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests import teams_smoke_upload

PLAYGROUND = Path(__file__).parent / "playground"
PLAYGROUND_CLI = PLAYGROUND / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
CHROMIUM = Path(os.environ.get("KPIBOT_CHROMIUM", "/usr/bin/chromium"))
SAY, EXPECT = "kpi calls-under-25s", "58%"
SETUP_S, BOT_START_S, PLAYGROUND_START_S, BROWSER_S, TOTAL_S = 60, 60, 60, 120, 300
INSIDE = "--inside-namespace"
LOG_TAIL = 25

MISSING = "teams smoke: {what} is missing: {fix}"
NO_NAMESPACE = ("teams smoke: cannot make a loopback-only network namespace here (unshare -n, or unshare -rn as a "
                "user): the Playground reaches for the internet, so it is not started outside one ({detail})")


class SmokeFailed(Exception):
    """The smoke did not get its card; the message says which step stopped."""


def missing_tools() -> list[str]:
    """What this machine lacks for the smoke, each with how to get it."""
    lacking = []
    if not shutil.which("node"):
        lacking.append(MISSING.format(what="node", fix="apt-get install -y nodejs npm"))
    if not CHROMIUM.exists():
        lacking.append(MISSING.format(what=str(CHROMIUM), fix="apt-get update && apt-get install -y chromium"))
    if not PLAYGROUND_CLI.exists():
        lacking.append(MISSING.format(what="the Playground", fix=f"npm ci --prefix {PLAYGROUND}"))
    if not shutil.which("unshare"):
        lacking.append(MISSING.format(what="unshare", fix="apt-get install -y util-linux"))
    return lacking


def namespace_command() -> list[str]:
    """How to start a process in a new network namespace: as root directly, otherwise as a user namespace's root."""
    return ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--net", "--map-root-user"]


def loopback_up() -> None:
    """Brings up `lo`, the only interface a new network namespace has (it starts down)."""
    import fcntl
    import struct

    get_flags, set_flags, up = 0x8913, 0x8914, 0x1   # SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP (linux/sockios.h, if.h)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        flags = struct.unpack("16sh", fcntl.ioctl(probe, get_flags, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(probe, set_flags, struct.pack("16sh", b"lo", flags | up))


def only_loopback() -> bool:
    """This process sees no network interface but `lo` (so every connection it makes stays on the machine)."""
    names = [line.split(":")[0].strip() for line in Path("/proc/net/dev").read_text().splitlines()[2:]]
    return names == ["lo"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, ready, deadline_s: float, process: subprocess.Popen) -> None:
    """Polls `ready()` until it is true; fails when the process ends first or the time runs out."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SmokeFailed(f"{what} stopped (exit {process.returncode}) before it was ready")
        if ready():
            return
        time.sleep(0.25)
    raise SmokeFailed(f"{what} was not ready within {deadline_s:.0f} s")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def page_served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def bot_environment(folder: Path) -> dict[str, str]:
    """The bot's settings: its own database and output folder; no credentials of any platform, so the switch for
    a client that sends no token is allowed (the bot refuses it when Teams credentials are set)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("TEAMS_", "SLACK_", "KPIBOT_", "CLIENT_", "APPLICATION_INSIGHTS"))}
    env.update(KPIBOT_DATABASE_URL=f"sqlite:///{folder / 'kpibot.db'}", KPIBOT_OUTPUT_DIR=str(folder / "output"),
               KPIBOT_TEAMS_ALLOW_UNAUTHENTICATED="1")
    return env


def playground_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TEAMSAPPTESTER_BROWSER="none", APPLICATION_INSIGHTS_NO_STATSBEAT="true")
    return env


def start(command: list[str], log: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, **kwargs)


def stop(process: subprocess.Popen) -> None:
    """Ends a process started here and what it started (its own session's group), by its id."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join(f"  | {line}" for line in lines[-LOG_TAIL:]) or "  | (nothing)"


def kpibot_command() -> list[str]:
    found = Path(sys.executable).with_name("kpibot")
    return [str(found)] if found.exists() else [sys.executable, "-m", "bot.cli"]


def browser_half(page: str, out: Path, file_url: str) -> list[str]:
    """The command for the browser's half: ask for the figure, or send the file at `file_url` and confirm it."""
    if not file_url:
        return ["node", str(PLAYGROUND / "smoke.mjs"), "--url", page, "--out", str(out), "--say", SAY,
                "--expect", EXPECT]
    return ["node", str(PLAYGROUND / "upload.mjs"), "--url", page, "--out", str(out),
            "--preview", str(preview_of(out)), "--file-url", file_url, "--file-name", teams_smoke_upload.FILE_NAME,
            "--expect", teams_smoke_upload.EXPECT]


def preview_of(out: Path) -> Path:
    """Where the upload's screenshot of its preview card goes: beside `out`."""
    return out.with_name(out.stem + "-preview" + out.suffix)


def smoke(out: Path, folder: Path, upload: bool = False) -> str:
    """The whole smoke in `folder` (already inside the namespace); returns what the browser said. With `upload`,
    the Playground's person is an editor who sends a workbook and confirms it (tests/teams_smoke_upload.py)."""
    host = (teams_smoke_upload.file_host(teams_smoke_upload.FILE_NAME, teams_smoke_upload.figures_workbook())
            if upload else contextlib.nullcontext(""))
    with host as file_url:
        return _smoke(out, folder, file_url)


def _smoke(out: Path, folder: Path, file_url: str) -> str:
    bot_port, page_port = free_port(), free_port()
    env = bot_environment(folder)
    if file_url:
        env["KPIBOT_EDITOR_USER_IDS"] = teams_smoke_upload.EDITOR_ID
    for step in (["init"], ["load-demo"]):
        done = subprocess.run(kpibot_command() + step, env=env, cwd=folder, capture_output=True, text=True,
                              timeout=SETUP_S)
        if done.returncode:
            raise SmokeFailed(f"kpibot {step[0]} failed: {done.stderr.strip()[-500:]}")
    logs = {"kpibot serve": folder / "kpibot.log", "the Playground": folder / "playground.log"}
    running: list[subprocess.Popen] = []
    try:
        # In the temporary folder, so that no .env of the checkout's (real credentials) is read.
        bot = start(kpibot_command() + ["serve", "--teams-host", "127.0.0.1", "--teams-port", str(bot_port)],
                    logs["kpibot serve"], env=env,
                    cwd=folder)
        running.append(bot)
        wait_for("kpibot serve", lambda: listening(bot_port), BOT_START_S, bot)
        playground_folder = folder / "playground"   # it writes ./devTools/ where it runs
        playground_folder.mkdir()
        # Why it stopped (a configuration it refused, say) is in its own log, not on its output.
        logs["the Playground (devTools)"] = playground_folder / "devTools" / "m365agentsplayground.log"
        if file_url:
            teams_smoke_upload.write_config(playground_folder)
        playground = start(["node", str(PLAYGROUND_CLI), "-e", f"http://127.0.0.1:{bot_port}/api/messages",
                            "-c", "msteams", "--disable-telemetry", "-p", str(page_port)],
                           logs["the Playground"], env=playground_environment(), cwd=playground_folder)
        running.append(playground)
        page = f"http://127.0.0.1:{page_port}/"
        wait_for("the Playground", lambda: page_served(page), PLAYGROUND_START_S, playground)
        browser = subprocess.run(browser_half(page, out, file_url), capture_output=True, text=True,
                                 timeout=BROWSER_S, cwd=PLAYGROUND)
        if browser.returncode:
            said = (browser.stderr or browser.stdout).strip().splitlines()
            raise SmokeFailed("\n".join(line.removeprefix("teams smoke: ") for line in said)
                              + "".join(f"\n{name}'s log:\n{tail(log)}" for name, log in logs.items()))
        return browser.stdout.strip()
    except subprocess.TimeoutExpired as exc:
        raise SmokeFailed(f"{' '.join(map(str, exc.cmd[:2]))} took over {exc.timeout:.0f} s") from None
    except SmokeFailed as exc:
        if "'s log:" in str(exc):
            raise
        raise SmokeFailed(str(exc) + "".join(f"\n{name}'s log:\n{tail(log)}" for name, log in logs.items())) from None
    finally:
        for process in reversed(running):
            stop(process)


def out_of_time(signum, frame):
    raise SmokeFailed("stopped from outside: out of time")


def inside(out: Path, upload: bool) -> int:
    signal.signal(signal.SIGTERM, out_of_time)   # so the bot and the Playground are stopped on the way out
    try:
        loopback_up()
    except OSError as exc:
        print(NO_NAMESPACE.format(detail=f"lo: {exc}"), file=sys.stderr)
        return 2
    if not only_loopback():
        print(NO_NAMESPACE.format(detail="other interfaces are present"), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kpibot-teams-smoke-") as folder:
        try:
            print(smoke(out, Path(folder), upload))
        except SmokeFailed as exc:
            print(f"teams smoke: {exc}", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The Teams smoke test: the Agents Playground against kpibot.")
    parser.add_argument("--out", type=Path, default=Path("teams-smoke.png"), help="Where the screenshot goes.")
    parser.add_argument("--upload", action="store_true",
                        help="Send a workbook in the personal chat and press Confirm on its preview card (a second "
                             "screenshot, of the preview, goes beside --out).")
    parser.add_argument(INSIDE, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.out.absolute()
    if args.inside_namespace:
        return inside(out, args.upload)
    lacking = missing_tools()
    if lacking:
        print("\n".join(lacking), file=sys.stderr)
        return 2
    out.unlink(missing_ok=True)
    preview_of(out).unlink(missing_ok=True)
    repo = Path(__file__).resolve().parent.parent
    command = namespace_command() + [sys.executable, "-m", "tests.teams_smoke", INSIDE, "--out", str(out)]
    command += ["--upload"] if args.upload else []
    runner = subprocess.Popen(command, cwd=repo, stdin=subprocess.DEVNULL)
    try:
        return runner.wait(timeout=TOTAL_S)
    except subprocess.TimeoutExpired:
        runner.terminate()   # it stops what it started, then itself
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()
        print(f"teams smoke: stopped after {TOTAL_S} s", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
