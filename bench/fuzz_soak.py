"""Fuzz soak: 10,000+ odd activities against Faultline running as its own process; prints what it answered.

Faultline runs in local mode on SQLite in a temporary folder; the fake Bot Connector runs in this process and
counts the bot's messages and its apologies. Activities come from tests/bot/fuzz_activities.py (wrong types at
every level, odd strings, 5,000-deep JSON, bad service URLs); by default nearly every one names a conversation and
a user of its own, as scanning traffic would. Prints HTTP status counts, apologies, readiness and the bot's RSS
at the start, every 2,000 activities and at the end.

Run: scripts/setup dev && .venv/bin/python bench/fuzz_soak.py [--activities 10000] [--tree /path/to/checkout]
(--tree runs another checkout's bot with this venv, e.g. the previous main, for a before/after figure.)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intake_bench import free_port, wait_alive  # noqa: E402
from tests.bot.fuzz_activities import fuzzed  # noqa: E402

APOLOGY = b"went wrong on our side"
EVERY = 2000


class Connector:
    """Answers like the Bot Connector and counts what the bot sent."""

    def __init__(self) -> None:
        self.messages = 0
        self.apologies = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.method == "POST":
            self.messages += 1
            self.apologies += APOLOGY in body
        return web.json_response({"id": f"activity-{self.messages}"}, status=201 if request.method == "POST" else 200)

    async def start(self, port: int) -> web.AppRunner:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def ready(session: aiohttp.ClientSession, base: str) -> bool:
    try:
        async with session.get(f"{base}/readyz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def soak(args: argparse.Namespace, base: str, service_url: str, pid: int, connector: Connector) -> None:
    statuses: collections.Counter[str] = collections.Counter()
    rng = random.Random(args.seed)
    bodies = iter(range(args.activities))
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        print(f"{'sent':>7} {'RSS MiB':>8} {'ready':>6} {'apologies':>9}  statuses")
        print(f"{0:>7} {rss_mib(pid):>8.1f} {await ready(session, base)!s:>6} {0:>9}")

        async def sender() -> None:
            for n in bodies:
                raw = fuzzed(rng, service_url, n, conversations=args.conversations, users=args.users, long=args.long)
                try:
                    async with session.post(f"{base}/api/messages", data=raw, headers=headers) as response:
                        await response.read()
                        statuses[str(response.status)] += 1
                except aiohttp.ClientError as exc:
                    statuses[type(exc).__name__] += 1
                done = sum(statuses.values())
                if done % EVERY == 0:
                    shown = " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
                    print(f"{done:>7} {rss_mib(pid):>8.1f} {await ready(session, base)!s:>6} "
                          f"{connector.apologies:>9}  {shown}", flush=True)

        await asyncio.gather(*(sender() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
    server_errors = sum(v for k, v in statuses.items() if k.isdigit() and int(k) >= 500)
    print(f"\nactivities {sum(statuses.values())} in {elapsed:.0f} s; responses >= 500: {server_errors}; "
          f"apologies: {connector.apologies}; messages sent by the bot: {connector.messages}")
    print(f"RSS at the end: {rss_mib(pid):.1f} MiB; process alive: {os.path.exists(f'/proc/{pid}')}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=1_000_000, help="distinct conversation ids to draw from")
    parser.add_argument("--users", type=int, default=1_000_000, help="distinct users to draw from")
    parser.add_argument("--long", action="store_true", help="ids and names as long as Teams allows (512, 256)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose bot to run")
    args = parser.parse_args()
    ports = {"connector": free_port(), "faultline": free_port()}
    connector = Connector()
    runner = await connector.start(ports["connector"])
    with tempfile.TemporaryDirectory() as folder:
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "--port", str(ports["faultline"])], cwd=args.tree,
            env={**os.environ, "FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/s.db",
                 "FAULTLINE_LOG_LEVEL": "ERROR", "FAULTLINE_GRAPH_URL": ""},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{ports['faultline']}"
            async with aiohttp.ClientSession() as session:
                await wait_alive(session, f"{base}/healthz", seconds=120.0)
            print(f"Faultline from {args.tree}: {args.activities} fuzzed activities, {args.concurrency} at a time")
            await soak(args, base, f"http://127.0.0.1:{ports['connector']}/", bot.pid, connector)
        finally:
            bot.terminate()
            bot.wait(timeout=20)
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
