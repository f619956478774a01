"""Faultline and the Microsoft 365 Agents Playground in a loopback-only network namespace, and Chromium inside it.

Nothing here can reach the internet, Microsoft included: a holder process owns a new network namespace (`unshare
--net`, where only `lo` exists), and the bot, the Playground and the browser all join it with `nsenter`. Playwright
drives the browser over a pipe, so the test process itself never needs the namespace's network. Fixed ports are
safe: the namespace is private to this run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_CLI = ROOT / ".venv" / "npm" / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
PLAYGROUND_CONFIG = ROOT / ".m365agentsplayground.yml"
CHROMIUM = Path("/usr/bin/chromium")
BOT_PORT = 3978
PLAYGROUND_PORT = 56150
PLAYGROUND_URL = f"http://127.0.0.1:{PLAYGROUND_PORT}/"
USER_TIME_ZONE = "Europe/London"  # the Playground sends its own process's time zone as the user's
# Debian's Chromium on a machine with no network and no screen (as root, hence no sandbox).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def missing_prerequisites() -> list[str]:
    """What this machine lacks to run the Playground tests; empty when they can run."""
    needs = {
        "root (to make a network namespace)": os.geteuid() == 0,
        "unshare, nsenter and ip": all(shutil.which(tool) for tool in ("unshare", "nsenter", "ip")),
        "node": shutil.which("node") is not None,
        f"Debian's Chromium at {CHROMIUM} (scripts/setup dev installs it)": CHROMIUM.exists(),
        f"the Playground at {PLAYGROUND_CLI} (scripts/setup dev installs it)": PLAYGROUND_CLI.exists(),
    }
    return [need for need, present in needs.items() if not present]


@dataclass(frozen=True)
class Namespace:
    """A loopback-only network namespace, kept alive by its holder process."""

    holder: int

    @property
    def path(self) -> str:
        return f"/proc/{self.holder}/ns/net"

    def command(self, argv: Sequence[str]) -> list[str]:
        return ["nsenter", f"--net={self.path}", *argv]

    def port_open(self, port: int) -> bool:
        probe = f"exec 3<>/dev/tcp/127.0.0.1/{port}"
        return subprocess.run(self.command(["bash", "-c", probe]), capture_output=True, check=False).returncode == 0

    def interfaces(self) -> list[str]:
        listing = subprocess.run(self.command(["ip", "-o", "link", "show"]), capture_output=True, text=True,
                                 check=True).stdout
        return [line.split(":")[1].strip() for line in listing.splitlines()]


@contextmanager
def namespace() -> Iterator[Namespace]:
    holder = subprocess.Popen(["unshare", "--net", "sh", "-c", "ip link set lo up && echo up && exec sleep 3600"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "up", "could not bring up lo"
        yield Namespace(holder.pid)
    finally:
        stop(holder)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(net: Namespace, port: int, process: subprocess.Popen[str], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not net.port_open(port):
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before listening on {port}; see {log}:\n"
                               + log.read_text(encoding="utf-8", errors="replace")[-2000:])
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {port} after {seconds:.0f} s; see {log}")
        time.sleep(0.2)


@contextmanager
def started(net: Namespace, argv: Sequence[str], env: dict[str, str], log: Path, port: int) -> Iterator[None]:
    """Run ``argv`` in the namespace from ``log``'s folder (the Playground writes devTools/ there)."""
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(net.command(argv), env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                   cwd=log.parent)
    try:
        wait_for_port(net, port, process, log, seconds=60)
        yield
    finally:
        stop(process)


# The demo customers, with Maintel's support channel moved to the Playground's team and its Announcements channel,
# so a new ticket's post to the support channel lands where the Playground shows it.
SUPPORT_CHANNEL = {"19:demo-team@thread.tacv2": "team-id",
                   "19:demo-support-maintel-demo@thread.tacv2": "channel-announcements-id"}


def customer_file(workdir: Path) -> Path:
    text = (ROOT / "bot" / "demo_customers.toml").read_text(encoding="utf-8")
    for demo, playground in SUPPORT_CHANNEL.items():
        assert demo in text, f"bot/demo_customers.toml no longer names {demo}; update SUPPORT_CHANNEL"
        text = text.replace(demo, playground)
    path = workdir / "customers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bot_environment(workdir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_", "APPLICATIONINSIGHTS"))}
    return {**base, "FAULTLINE_LOCAL": "1", "FAULTLINE_PORT": str(BOT_PORT), "FAULTLINE_LOG_FORMAT": "text",
            "FAULTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'faultline.db'}",
            "FAULTLINE_CONFIG": str(customer_file(workdir)), "FAULTLINE_GRAPH_URL": ""}


def playground_environment() -> dict[str, str]:
    return {**os.environ, "TZ": USER_TIME_ZONE, "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(PLAYGROUND_CONFIG),
            "APPLICATION_INSIGHTS_NO_STATSBEAT": "1", "TEAMSAPPTESTER_BROWSER": "none"}


@contextmanager
def faultline_and_playground(net: Namespace, workdir: Path) -> Iterator[str]:
    """Start the bot (local mode, SQLite in ``workdir``), then the Playground pointed at it; yield its URL."""
    bot = [str(ROOT / ".venv" / "bin" / "python"), "-m", "bot"]
    playground = ["node", str(PLAYGROUND_CLI), "start", "--app-endpoint",
                  f"http://127.0.0.1:{BOT_PORT}/api/messages", "--channel-id", "msteams", "--disable-telemetry",
                  "--port", str(PLAYGROUND_PORT)]
    with started(net, bot, bot_environment(workdir), workdir / "bot.log", BOT_PORT), \
            started(net, playground, playground_environment(), workdir / "playground.log", PLAYGROUND_PORT):
        yield PLAYGROUND_URL


def chromium_in(net: Namespace, workdir: Path) -> Path:
    """An executable that starts Debian's Chromium inside the namespace, for Playwright's executable_path."""
    wrapper = workdir / "chromium-in-namespace"
    wrapper.write_text(f'#!/bin/sh\nexec nsenter --net={net.path} {CHROMIUM} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper
