"""A real `python -m bot` on 127.0.0.1 with seeded tickets, its SSO keys served beside it, and Debian's Chromium.

The bot runs as in production (authentication on, Teams SSO for the board) except that its Entra is the local
`TenantKeys` server; nothing it or the browser does leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config, load_config
from bot.store.db import Database
from tests.board.keys import APP_ID, TenantKeys, serving
from tests.playground.harness import stop

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-features=Translate,OptimizationHints,MediaRouter", "--no-default-browser-check"]
ARTEFACTS = ROOT / "test-artefacts" / "board"
TENANTS = {"msp": "00000000-0000-0000-0000-0000000000aa", "maintel": "00000000-0000-0000-0000-000000000001",
           "vodafone": "00000000-0000-0000-0000-000000000002", "stranger": "00000000-0000-0000-0000-0000000000ff"}
Seeder = Callable[[Database, Config, datetime], Awaitable[object]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing_prerequisites() -> list[str]:
    return [] if CHROMIUM.exists() else [f"Debian's Chromium at {CHROMIUM} (scripts/setup dev installs it)"]


async def _seed(url: str, seeder: Seeder, now: datetime) -> object:
    db = Database(url)
    try:
        await db.migrate()
        return await seeder(db, load_config(None), now)
    finally:
        await db.close()


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bot did not start; see {log}:\n" + log.read_text(errors="replace")[-2000:])
        time.sleep(0.2)


@contextmanager
def running_bot(workdir: Path, seeder: Seeder, now: datetime | None = None) -> Iterator[tuple[str, TenantKeys, object]]:
    """Seed a SQLite database, start `python -m bot` on it; yield its base URL, the SSO keys and what was seeded."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = f"sqlite+aiosqlite:///{workdir / 'board.db'}"
    seeded = asyncio.run(_seed(database, seeder, now or datetime.now(UTC)))
    keys = TenantKeys(list(TENANTS.values()), audience=f"api://127.0.0.1:{port}/{APP_ID}")
    with serving(keys):
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_"))},
               "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-used", "FAULTLINE_HOST": "127.0.0.1",
               "FAULTLINE_PORT": str(port), "FAULTLINE_PUBLIC_URL": base, "FAULTLINE_DATABASE_URL": database,
               "FAULTLINE_TAB_OPENID_METADATA_URL": keys.metadata_url(), "FAULTLINE_SCHEDULER_INTERVAL": "0",
               "FAULTLINE_GRAPH_URL": "", "FAULTLINE_TOKEN_ENDPOINT": f"{keys.url}/token",
               "FAULTLINE_OPENID_METADATA_URL": f"{keys.url}/none", "FAULTLINE_LOG_FORMAT": "text",
               "FAULTLINE_EMULATOR_OPENID_METADATA_URL": f"{keys.url}/none",
               "FAULTLINE_REPORT_LINK_SECRET": "board-test-signing-key"}
        log = workdir / "bot.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=workdir, stdout=out,
                                       stderr=subprocess.STDOUT)
        try:
            wait_healthy(base, process, log)
            yield base, keys, seeded
        finally:
            stop(process)
