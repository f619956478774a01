"""A real `python -m bot` process killed at points of the confirm path, restarted, and the confirm re-delivered
(same activity id, as Teams does): one ticket with this report's answers, its card with the reporter, its
channel post and its timers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.schema import timers
from bot.store.tickets import TicketStore
from tests.bot.fakes import FakeConnector, activity
from tests.bot.test_scheduler_crash import free_port

ROOT = Path(__file__).resolve().parents[2]
CHAT = "a:crash-reporter"
LEASE = 8
"""The outbox lease: each connector call is bounded well inside it (bot.edge.connector.Connector.bounded), so it must
leave room for the slow thread creation below."""
ANSWERS = ["our phones are down at the Leeds office", "10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no",
           "Callers hear a busy tone on 0161 555 0100"]


class SlowThreads(FakeConnector):
    """Creates channel threads half a second late, so a crash after the post lands after the turn's reply is recorded
    (a crash between a reply's acceptance and its record is the other, separate duplicate window)."""

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST" and request.path.rstrip("/") == "/v3/conversations":
            await asyncio.sleep(0.5)
        return await super()._handle(request)


def start_bot(folder: Path, port: int, crash_at: str | None) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_"))},
           "FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'crash.db'}",
           "FAULTLINE_SCHEDULER_INTERVAL": "0.2", "FAULTLINE_SCHEDULER_LEASE_SECONDS": str(LEASE),
           "PYTHONPATH": str(ROOT), **({"FAULTLINE_TEST_CRASH_AT": crash_at} if crash_at else {})}
    return subprocess.Popen([sys.executable, "-m", "bot", "--port", str(port)], cwd=folder, env=env,
                            stdout=(folder / "bot.log").open("ab"), stderr=subprocess.STDOUT)


async def until(condition: Callable[[], Any], seconds: float) -> bool:
    for _ in range(int(seconds * 10)):
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return bool(await condition())


async def post(session: aiohttp.ClientSession, port: int, body: dict[str, Any]) -> int:
    """One delivery; 0 when the process died before answering."""
    try:
        async with session.post(f"http://127.0.0.1:{port}/api/messages", json=body) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return 0


async def alive(session: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def reporter_cards(connector: FakeConnector, reference: str) -> int:
    return sum(1 for c in connector.calls if c.method == "POST" and c.status < 300 and f"/{CHAT}/" in c.path
               and c.body.get("attachments") and f"Ticket {reference} is open" in str(c.body.get("text")))


def channel_posts(connector: FakeConnector) -> int:
    return sum(1 for c in connector.calls if c.method == "POST" and c.path.rstrip("/") == "/v3/conversations"
               and "New ticket" in str(c.body.get("activity", {}).get("text")))


@pytest.mark.skipif(sys.platform == "win32", reason="needs os._exit semantics of a killed process")
@pytest.mark.parametrize(("crash_at", "posts"), [("after_commit", 1), ("before_reply", 1),
                                                 ("after_channel_post", 2)])
async def test_a_crash_in_the_confirm_path_loses_and_doubles_nothing(tmp_path: Path, crash_at: str,
                                                                     posts: int) -> None:
    connector = SlowThreads()
    service_url = await connector.start()
    confirm = activity(service_url=service_url, text="confirm", conversation=CHAT)
    port = free_port()
    process = start_bot(tmp_path, port, crash_at)
    try:
        async with aiohttp.ClientSession() as session:
            assert await until(lambda: alive(session, port), 30), (tmp_path / "bot.log").read_text()
            for text in ANSWERS:
                assert await post(session, port, activity(service_url=service_url, text=text,
                                                          conversation=CHAT)) == 200
            await post(session, port, confirm)  # dies somewhere in here
            assert await until(lambda: asyncio.sleep(0, process.poll() is not None), 20)  # the loop serves the fake
            assert process.returncode == 137
            process = start_bot(tmp_path, port, None)
            assert await until(lambda: alive(session, port), 30), (tmp_path / "bot.log").read_text()
            assert await post(session, port, confirm) == 200  # Teams re-delivers the same activity
            db = Database(f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}")
            store = TicketStore(db)

            async def settled() -> bool:
                found = await store.open_tickets()
                return bool(found) and found[0].channel_conversation_id is not None and \
                    reporter_cards(connector, found[0].reference) >= 1

            assert await until(settled, 45), (tmp_path / "bot.log").read_text()[-3000:]
            await asyncio.sleep(LEASE + 0.5)  # past the outbox lease: anything sent twice would be sent now
            found = await store.open_tickets()
            async with db.read() as conn:
                planned = (await conn.execute(select(func.count()).select_from(timers)
                                              .where(timers.c.ticket_id == found[0].id))).scalar_one()
            await db.close()
    finally:
        process.terminate()
        process.wait(10)
        await connector.stop()
    assert len(found) == 1
    assert "Leeds office" in json.dumps(found[0].report)  # this report's answers
    assert reporter_cards(connector, found[0].reference) == 1
    assert channel_posts(connector) == posts  # after_channel_post: Teams has no idempotency key (see README)
    assert planned > 0
