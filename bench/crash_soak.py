"""Crash soak: N reporters open tickets while the service is SIGKILLed K times and restarted; Teams-style
re-delivery (the same activity, same id) of every request that failed. Then it counts what went wrong.

Starts on loopback: an in-process fake Bot Connector (it records every call, so it outlives the restarts) and
Faultline (`python -m bot`, local mode) on PostgreSQL in its own database, dropped and created afresh (or on a
SQLite file, removed first with its WAL).

Run: scripts/setup && .venv/bin/python bench/crash_soak.py [--reporters 30] [--kills 5] [--seconds 45]
     [--database postgresql+asyncpg://postgres@127.0.0.1:5432/faultline_soak | sqlite+aiosqlite:////tmp/soak.db]
Prints figures only: lost, doubled, mismatched, unposted, without timers (and reporters without their card)
must all be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intake_bench import chat_message, free_port, wait_alive  # noqa: E402
from bot.store.db import Database  # noqa: E402
from bot.store.schema import outbox, tickets, timers  # noqa: E402

ANSWERS = ["10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone", "confirm"]
OPEN = re.compile(r"Ticket (\S+) is open")


@dataclass
class Connector:
    """The fake Bot Connector: answers at once, keeps every accepted call."""

    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        number = next(self.ids)
        if request.method == "POST":
            self.posts.append((request.path, body))
        if request.method == "POST" and request.path.rstrip("/") == "/v3/conversations":
            return web.json_response({"id": f"19:soak@thread.tacv2;messageid={number}", "activityId": str(number)})
        return web.json_response({"id": f"activity-{number}"})


@dataclass
class Soak:
    url: str
    service_url: str
    until: float
    confirms: dict[str, str] = field(default_factory=dict)  # confirm activity id -> report token
    answered: list[str] = field(default_factory=list)  # tokens whose confirm was answered 200
    redeliveries: int = 0


def activity(n: int, text: str, service_url: str) -> dict[str, Any]:
    return chat_message("soak", n, text, service_url)


async def deliver(session: aiohttp.ClientSession, soak: Soak, body: dict[str, Any]) -> int:
    """Teams-style: a failed request (no answer, or 5xx) is delivered again, same activity, until answered."""
    for attempt in range(200):
        try:
            async with session.post(soak.url, json=body, timeout=aiohttp.ClientTimeout(total=15)) as response:
                await response.read()
                if response.status < 500:
                    return response.status
        except (aiohttp.ClientError, TimeoutError):
            pass
        soak.redeliveries += 1
        await asyncio.sleep(min(2.0, 0.3 * (attempt + 1)))
    return 0


async def reporter(session: aiohttp.ClientSession, soak: Soak, n: int) -> None:
    for report in itertools.count():
        if time.monotonic() > soak.until:
            return
        token = f"R{n}x{report}"
        await deliver(session, soak, activity(n, f"our phones are down at site {token}", soak.service_url))
        for text_ in ANSWERS:
            body = activity(n, text_, soak.service_url)
            if text_ == "confirm":
                soak.confirms[body["id"]] = token
            if await deliver(session, soak, body) == 200 and text_ == "confirm":
                soak.answered.append(token)


def separate_reports_config(folder: Path) -> Path:
    """The demo customers with "same problem?" offers off: every reporter here reports the same words, and the
    reporters answer blind (they never read a question), so each report must stay its own ticket."""
    demo = (ROOT / "bot" / "demo_customers.toml").read_text(encoding="utf-8")
    path = folder / "customers.toml"
    path.write_text(demo.replace("\n[[customers]]\n", "\n[[customers]]\nmatch_window_hours = 0\n"), encoding="utf-8")
    return path


def start_bot(port: int, database: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_"))},
           "FAULTLINE_CONFIG": str(separate_reports_config(log.parent)),
           "FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": database, "FAULTLINE_SCHEDULER_INTERVAL": "0.5",
           "FAULTLINE_SCHEDULER_LEASE_SECONDS": "5", "FAULTLINE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "bot", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def killer(session: aiohttp.ClientSession, holder: list[subprocess.Popen[bytes]], port: int, database: str,
                 log: Path, kills: int, seconds: float, rng: random.Random) -> None:
    began = time.monotonic()
    for moment in sorted(rng.uniform(1.0, seconds) for _ in range(kills)):
        await asyncio.sleep(max(0.0, began + moment - time.monotonic()))
        holder[0].send_signal(signal.SIGKILL)
        holder[0].wait()
        holder[0] = start_bot(port, database, log)
        await wait_alive(session, f"http://127.0.0.1:{port}/healthz", seconds=30.0)


async def fresh_database(url: str) -> None:
    name = make_url(url).database
    if make_url(url).get_backend_name() == "sqlite":  # the file and its WAL, gone
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        return
    admin = Database(str(make_url(url).set(database="postgres")), isolation_level="AUTOCOMMIT")
    async with admin.engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.close()


async def quiet(db: Database, seconds: float) -> None:
    """Wait until the outbox has nothing left to send (or give up)."""
    for _ in range(int(seconds * 2)):
        async with db.read() as conn:
            waiting = (await conn.execute(select(func.count()).select_from(outbox)
                                          .where(outbox.c.status.in_(("pending", "sending")),
                                                 outbox.c.purpose.in_(("channel_post", "ticket_card"))))
                       ).scalar_one()
        if not waiting:
            return
        await asyncio.sleep(0.5)


async def figures(db: Database, soak: Soak, connector: Connector) -> dict[str, int]:
    async with db.read() as conn:
        rows = (await conn.execute(select(tickets.c.id, tickets.c.reference, tickets.c.report,
                                          tickets.c.channel_conversation_id))).all()
        timed = set((await conn.execute(select(timers.c.ticket_id).distinct())).scalars())
    token_of = {ref: re.search(r"site (R\d+x\d+)", json.dumps(report)) for _, ref, report, _ in rows}
    per_token: dict[str, int] = {}
    for match in token_of.values():
        if match:
            per_token[match.group(1)] = per_token.get(match.group(1), 0) + 1
    posted = {m.group(1) for path, body in connector.posts if path.rstrip("/") == "/v3/conversations"
              for m in [re.search(r"New ticket (\S+) ", str(body.get("activity", {}).get("text")))] if m}
    carded = {m.group(1) for path, body in connector.posts if body.get("attachments")
              for m in [OPEN.search(str(body.get("text")))] if m}
    mismatched = 0
    for _, body in connector.posts:
        named = OPEN.search(str(body.get("text")))
        token = soak.confirms.get(str(body.get("replyToId")))
        found = token_of.get(named.group(1)) if named else None
        if named and token and (found is None or found.group(1) != token):
            mismatched += 1
    return {"confirms answered": len(soak.answered), "tickets": len(rows),
            "lost": sum(1 for t in set(soak.answered) if t not in per_token),
            "doubled": sum(n - 1 for n in per_token.values() if n > 1), "mismatched": mismatched,
            "unposted": sum(1 for _, ref, _, thread in rows if thread is None or ref not in posted),
            "without timers": sum(1 for tid, *_ in rows if tid not in timed),
            "reporters without their card": sum(1 for _, ref, _, _ in rows if ref not in carded)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reporters", type=int, default=30)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=45.0, help="how long reporters keep reporting")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/faultline_soak")
    args = parser.parse_args()
    await fresh_database(args.database)
    connector = Connector()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", connector.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    fake_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", fake_port).start()
    log = Path(tempfile.mkdtemp(prefix="crash-soak-")) / "bot.log"
    holder = [start_bot(port, args.database, log)]
    db = Database(args.database)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.reporters + 10)) as session:
            await wait_alive(session, f"http://127.0.0.1:{port}/healthz", seconds=30.0)
            soak = Soak(f"http://127.0.0.1:{port}/api/messages", f"http://127.0.0.1:{fake_port}/",
                        time.monotonic() + args.seconds)
            began = time.monotonic()
            await asyncio.gather(killer(session, holder, port, args.database, log, args.kills, args.seconds,
                                        random.Random(args.seed)),
                                 *(reporter(session, soak, n) for n in range(args.reporters)))
            # The support channel takes 60 posts per 30 s (Teams): the posts of a busy soak drain for minutes.
            await quiet(db, max(360.0, len(set(soak.answered)) / 2 + 60))
            found = await figures(db, soak, connector)
    finally:
        holder[0].terminate()
        holder[0].wait(10)
        await db.close()
        await runner.cleanup()
    kind = "SQLite" if make_url(args.database).get_backend_name() == "sqlite" else "PostgreSQL"
    print(f"{args.reporters} reporters, {args.kills} SIGKILLs with restart in {args.seconds:g} s, {kind}; "
          f"{soak.redeliveries} re-deliveries, {time.monotonic() - began:.0f} s in all (log: {log})")
    for name, value in found.items():
        print(f"  {name:<30} {value}")


if __name__ == "__main__":
    asyncio.run(main())
