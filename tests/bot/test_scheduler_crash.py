"""A process killed in the middle of sending, then restarted: no message lost, none sent twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.store.db import Database
from tests.bot.fakes import FakeConnector, SteppableClock
from tests.bot.test_scheduler_scale import CADENCE_ONLY, outbox_keys, scale_config, seed, services

ROOT = Path(__file__).resolve().parents[2]
TICKETS = 20
LEASE_SECONDS = 2.0  # how long a sending claim holds; a claim left by a dead process is taken over after it
TICK_SECONDS = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_bot(folder: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_"))},
           "FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'crash.db'}",
           "FAULTLINE_CONFIG": str(folder / "customers.toml"), "FAULTLINE_SCHEDULER_INTERVAL": str(TICK_SECONDS),
           "FAULTLINE_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONPATH": str(ROOT),
           "FAULTLINE_SEND_CONCURRENCY": "1"}  # one send at a time: the kill lands exactly on the fifth
    return subprocess.Popen([sys.executable, "-m", "bot", "--port", str(port)], cwd=folder, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 20)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return bool(condition())


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
async def test_a_process_killed_mid_send_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    scale_config(tmp_path)  # writes the cadence-only policy beside the customer file
    (tmp_path / "customers.toml").write_text("""
[msp]
name = "MSP"
tenants = ["00000000-0000-0000-0000-0000000000aa"]
admins = []

[[customers]]
id = "scale"
name = "Scale Ltd"
reference_prefix = "SCALE"
tenants = ["t-scale"]
policy_file = "cadence-only.toml"
services = ["all"]
engineers = ["e1"]
""", encoding="utf-8")
    assert "cadence-only" in CADENCE_ONLY
    connector = FakeConnector(hold_at=5)
    service_url = await connector.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}")
    await db.migrate()
    opened = datetime.now(UTC) - timedelta(minutes=61)
    async with aiohttp.ClientSession() as session:
        await seed(services(db, SteppableClock(opened), session, scale_config(tmp_path)), TICKETS, service_url,
                   opened)
    await db.close()
    log = tmp_path / "bot.log"
    first = start_bot(tmp_path, free_port(), log)
    try:
        assert await wait_for(lambda: connector._posts >= 5, 30), log.read_text()
        first.send_signal(signal.SIGKILL)  # dies while the fifth message waits for the connector's answer
        first.wait(10)
        assert await wait_for(lambda: any(c.status == 499 for c in connector.calls), 10)
        assert len(outbox_keys(connector)) == 4
        second = start_bot(tmp_path, free_port(), log)
        try:
            assert await wait_for(lambda: len(outbox_keys(connector)) >= TICKETS, 40), log.read_text()[-3000:]
            # A duplicate could only come from a claim taken over once its lease ran out: wait out a whole
            # lease, and a few ticks more, before counting.
            await asyncio.sleep(LEASE_SECONDS + 5 * TICK_SECONDS)
        finally:
            second.terminate()
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        await connector.stop()
    keys = outbox_keys(connector)
    assert len(keys) == TICKETS and len(set(keys)) == TICKETS
    assert [c.status for c in connector.calls if c.status == 499] == [499]  # the one in flight was never accepted
