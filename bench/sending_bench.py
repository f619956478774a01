"""One slow conversation among many: how long the others wait, sending one conversation at a time vs side by side.

A fake Bot Connector on loopback answers at once, except for one conversation whose every send takes --slow
seconds (accepted, answered late). The outbox holds --messages messages for each of --conversations conversations,
the slow one queued first. For each concurrency it runs scheduler ticks until the quick conversations' messages have
all arrived and prints that time, and the ratio to concurrency 1 (the old one-at-a-time sender) from the same run.

Run: .venv/bin/python bench/sending_bench.py [--conversations 40] [--messages 3] [--slow 2] [--concurrency 1 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from botbuilder.core import ConversationState

from bot.clock import SystemClock
from bot.config import load_config
from bot.edge.connector import Connector, NoToken
from bot.reminders.scheduler import Scheduler
from bot.reminders.store import PENDING
from bot.services.context import Services
from bot.settings import Settings
from bot.store.conversations import ConversationStore, DatabaseStorage
from bot.store.db import Database
from bot.store.tickets import TicketStore
from bot.telemetry import Telemetry

SLOW = "19:slow"


async def connector(slow: float, arrivals: dict[str, float]) -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        arrivals[body["channelData"]["faultline"]["outboxKey"]] = time.perf_counter()
        if f"/{SLOW}/" in request.path:
            await asyncio.sleep(slow)
        return web.json_response({"id": "activity"}, status=201)

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"


async def run(concurrency: int, args: argparse.Namespace, folder: Path) -> float:
    arrivals: dict[str, float] = {}
    runner, service_url = await connector(args.slow, arrivals)
    db = Database(f"sqlite+aiosqlite:///{folder / f'send{concurrency}.db'}")
    await db.migrate()
    clock = SystemClock()
    try:
        async with aiohttp.ClientSession() as session:
            services = Services(settings=Settings(local=True, send_concurrency=concurrency), config=load_config(None),
                                db=db, tickets=TicketStore(db), conversations=ConversationStore(db),
                                state=ConversationState(DatabaseStorage(db, clock)), clock=clock,
                                connector=Connector(session, NoToken(), attempts=1), telemetry=Telemetry())
            scheduler = Scheduler(services)
            names = [SLOW] + [f"19:quick{n}" for n in range(args.conversations - 1)]
            now = clock.now()
            await scheduler.outbox.enqueue(
                {"key": f"{n}:{name}", "ticket_id": None, "timer_id": None, "purpose": "notice",
                 "recipient": f"conversation:{name}", "tenant_id": None, "status": PENDING, "attempts": 0,
                 "not_before": now, "created_at": now,
                 "payload": {"activity": {"type": "message", "text": "x"}, "service_url": service_url,
                             "due_at": now.isoformat()}} for name in names for n in range(args.messages))
            quick = {f"{n}:{name}" for name in names[1:] for n in range(args.messages)}
            started = time.perf_counter()
            while not quick <= arrivals.keys():
                await scheduler.tick()
            return max(arrivals[k] for k in quick) - started
    finally:
        await db.close()
        await runner.cleanup()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--slow", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {c: await run(c, args, Path(folder)) for c in args.concurrency}
    baseline = results[args.concurrency[0]]
    print(f"{args.conversations - 1} quick conversations x {args.messages} messages, one conversation answering in "
          f"{args.slow:.1f} s per send")
    for concurrency, seconds in results.items():
        print(f"concurrency {concurrency}: last quick message arrived after {seconds:.2f} s "
              f"({seconds / baseline:.2f} x concurrency {args.concurrency[0]})")


if __name__ == "__main__":
    asyncio.run(main())
