"""One customer's outage, many reporters: the burst of reports, then one engineer update fanned out to them all.

Starts a real `python -m bot` (local mode, PostgreSQL, scheduler running) in its own process; the fake Bot
Connector runs in this process on loopback and records every call. Then:

1. The first reporter reports the outage in one sentence and answers until the ticket is open.
2. The other N-1 reporters start at random instants within --spread seconds; each sends the same kind of one-sentence
   report and answers what the bot asks ("Same problem?" → "yes, same problem", or --decline of them say "no,
   something else" and report on). Every turn's latency is kept: p50 / p99 printed.
3. The database is read: tickets opened, subscribers joined.
4. An engineer posts one update; the time until the last subscriber has it is printed, with duplicates and losses
   (by each message's outbox key) and the highest send rates seen per conversation and for the tenant, against
   Teams' limits (7 / s, 8 / 2 s, 60 / 30 s per conversation; 50 / s per tenant).

Run: createdb -h 127.0.0.1 -U postgres grouping_bench
     nice .venv/bin/python bench/burst_bench.py --database postgresql+asyncpg://postgres@127.0.0.1:5432/grouping_bench
Prints figures only. The database named is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake_bench import ANSWERS as INTAKE_ANSWERS
from intake_bench import (
    ROOT,
    SUMMARY_WORDS,
    chat_message,
    cpu_seconds,
    free_port,
    fresh_database,
    percentiles,
    wait_alive,
)

TENANT = "00000000-0000-0000-0000-000000000001"  # the demo Maintel customer
MSP_TENANT = "00000000-0000-0000-0000-0000000000aa"
ENGINEER = "00000000-0000-0000-0000-00000000e001"
REPORT = "since 9:40 nobody at the Leeds office can receive inbound calls"
UPDATE = "Carrier fault on the Leeds trunk; the carrier expects a fix by 11:30."
ANSWERS: list[tuple[tuple[str, ...], str]] = [  # the summary's “confirm”, then the intake bench's answers to questions
    ((SUMMARY_WORDS,), "confirm"),
    *((words, answer) for words, answer in INTAKE_ANSWERS if not {"same problem?", "what's wrong"} & set(words))]
CONVERSATION_LIMITS = ((7, 1.0), (8, 2.0), (60, 30.0))
TENANT_LIMIT = (50, 1.0)


class Connector:
    """The Bot Connector: answers at once, records (time, method, conversation, outbox key, text) of every call,
    and keeps each conversation's unread texts for the reporters to read."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, str, str | None, str]] = []
        self.unread: dict[str, list[str]] = defaultdict(list)
        self.arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json() if request.can_read_body else {}
        number = next(self.ids)
        if request.method == "POST" and request.path.rstrip("/") == "/v3/conversations":
            self.calls.append((time.monotonic(), "CREATE", "channel", None, ""))
            return web.json_response({"id": f"19:burst@thread.tacv2;messageid={number}", "activityId": str(number)})
        parts = request.path.split("/")
        conversation = parts[3] if len(parts) > 3 else ""
        key = ((body.get("channelData") or {}).get("faultline") or {}).get("outboxKey")
        text = str(body.get("text") or "")
        self.calls.append((time.monotonic(), request.method, conversation, key, text))
        if request.method == "POST" and text:
            self.unread[conversation].append(text)
            self.arrived[conversation].set()
        return web.json_response({"id": f"activity-{number}"})

    def read(self, conversation: str) -> str:
        texts, self.unread[conversation] = self.unread[conversation], []
        self.arrived[conversation].clear()
        return "\n".join(texts).lower()


def activity(user: int, text: str, service_url: str, tenant: str = TENANT, aad: str | None = None) -> dict[str, Any]:
    return chat_message("burst", user, text, service_url, tenant=tenant, aad=aad)


def next_message(said: str, decline: bool) -> str | None:
    """What a reporter answers to what the bot just said; None once they follow or opened a ticket."""
    if "you're now following" in said or "the support team has it" in said:
        return None
    if "same problem?" in said:
        return "no, something else" if decline else "yes, same problem"
    for words, answer in ANSWERS:
        if any(word in said for word in words):
            return answer
    return None


class Burst:
    def __init__(self, url: str, service_url: str, connector: Connector) -> None:
        self.url, self.service_url, self.connector = url, service_url, connector
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = defaultdict(list)
        self.answered = 0
        self.failed = 0
        self.yes = 0

    async def reporter(self, session: aiohttp.ClientSession, user: int, delay: float, decline: bool) -> None:
        await asyncio.sleep(delay)
        text: str | None = REPORT
        for _ in range(12):
            if text is None:
                break
            conversation = f"a:burst-{user}"
            began = time.perf_counter()
            async with session.post(self.url, json=activity(user, text, self.service_url)) as response:
                await response.read()
            self.latencies.append(time.perf_counter() - began)
            self.by_kind["report" if text == REPORT else "yes" if text.startswith("yes") else "other"].append(
                self.latencies[-1])
            if response.status >= 300:
                self.failed += 1
                return
            self.yes += text == "yes, same problem"
            said = self.connector.read(conversation)
            if not said:
                self.failed += 1
                return
            text = next_message(said, decline)
        self.answered += 1


async def echo_burst(session: aiohttp.ClientSession, url: str, service_url: str, reporters: int,
                     spread: float) -> list[float]:
    """The baseline: the same turns on the same schedule against botbuilder's echo bot."""
    latencies: list[float] = []
    rng = random.Random(7)

    async def one(user: int, delay: float) -> None:
        await asyncio.sleep(delay)
        for text in (REPORT, "yes, same problem"):
            began = time.perf_counter()
            async with session.post(url, json=activity(user, text, service_url)) as response:
                await response.read()
            latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(one(n, rng.uniform(0, spread)) for n in range(1, reporters)))
    return latencies


async def database_counts(url: str) -> tuple[int, int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tickets = (await conn.execute(text("select count(*) from tickets"))).scalar_one()
        followers = (await conn.execute(text("select count(*) from ticket_subscribers where status = 'active'"))
                     ).scalar_one()
    await engine.dispose()
    return int(tickets), int(followers)


def highest_rates(times: list[float], window: float) -> int:
    """The most sends within any ``window`` seconds."""
    ordered, best, start_at = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start_at] >= window:
            start_at += 1
        best = max(best, end - start_at + 1)
    return best


def fan_out_figures(connector: Connector, began: float, followers: set[str]) -> None:
    sends = [c for c in connector.calls if c[0] >= began and c[2] in followers]
    updates = [c for c in sends if c[1] == "POST" and c[4].startswith("Update on")]
    redraws = [c for c in sends if c[1] == "PUT"]
    per_conversation = Counter(c[2] for c in updates)
    keys = Counter(c[3] for c in updates)
    last = max((c[0] for c in updates), default=began)
    last_put = max((c[0] for c in redraws), default=began)
    print(f"\nOne engineer update to {len(followers)} subscribers:")
    print(f"  time to the last delivery          {last - began:7.1f} s")
    print(f"  updates delivered                  {len(per_conversation)} of {len(followers)} subscribers "
          f"({len(followers) - len(per_conversation)} lost), {sum(n - 1 for n in keys.values())} duplicates")
    print(f"  cards updated in place (PUT)       {len({c[2] for c in redraws})} of {len(followers)}, the last after "
          f"{last_put - began:.1f} s")
    by_conversation: dict[str, list[float]] = defaultdict(list)
    for c in sends:
        by_conversation[c[2]].append(c[0])
    over = 0
    for times in by_conversation.values():
        over += any(highest_rates(times, window) > limit for limit, window in CONVERSATION_LIMITS)
    tenant_peak = highest_rates([c[0] for c in sends], TENANT_LIMIT[1])
    print(f"  conversations over Teams' limits   {over}")
    print(f"  tenant's highest sends in 1 s      {tenant_peak} (limit {TENANT_LIMIT[0]})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (dropped and created afresh)")
    parser.add_argument("--reporters", type=int, default=500)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which the reporters start")
    parser.add_argument("--log", default="", help="write the bot's log (warnings and errors) to this file")
    parser.add_argument("--decline", type=int, default=0, help="how many say “no, something else”")
    args = parser.parse_args()
    fresh_database(args.database)
    connector = Connector()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", connector.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port, bot_port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    service_url = f"http://127.0.0.1:{port}/"
    env = {"FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": args.database, "FAULTLINE_SCHEDULER_INTERVAL": "0.5",
           "FAULTLINE_LOG_LEVEL": "WARNING"}
    bot = subprocess.Popen([sys.executable, "-m", "bot", "--port", str(bot_port)], cwd=ROOT,
                           env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                           stderr=open(args.log, "wb") if args.log else subprocess.DEVNULL)  # noqa: SIM115
    echo_port = free_port()
    echo = subprocess.Popen([sys.executable, "bench/echo_bot.py", str(echo_port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.reporters + 10)) as session:
            await wait_alive(session, f"http://127.0.0.1:{bot_port}/healthz")
            await wait_alive(session, f"http://127.0.0.1:{echo_port}/healthz")
            baseline = await echo_burst(session, f"http://127.0.0.1:{echo_port}/api/messages", service_url,
                                        args.reporters, args.spread)
            burst = Burst(f"http://127.0.0.1:{bot_port}/api/messages", service_url, connector)
            await burst.reporter(session, 0, 0.0, False)  # the first report opens the ticket
            for _ in range(100):  # its channel thread is posted by the outbox
                if any(c[1] == "CREATE" for c in connector.calls):
                    break
                await asyncio.sleep(0.1)
            burst.latencies.clear()
            burst.by_kind.clear()
            rng = random.Random(7)
            declining = set(rng.sample(range(1, args.reporters), args.decline))
            began, cpu = time.perf_counter(), cpu_seconds(bot.pid)
            await asyncio.gather(*(burst.reporter(session, n, rng.uniform(0, args.spread), n in declining)
                                   for n in range(1, args.reporters)))
            elapsed, cpu = time.perf_counter() - began, cpu_seconds(bot.pid) - cpu
            tickets, followers = await database_counts(args.database)
            p50, p99 = percentiles(burst.latencies)
            print(f"{args.reporters} reporters of one outage (the first opens the ticket; the others start within "
                  f"{args.spread:g} s), real `python -m bot` on PostgreSQL, fake connector on loopback")
            print(f"  burst took                         {elapsed:7.1f} s, {len(burst.latencies)} turns, server CPU "
                  f"{1000 * cpu / len(burst.latencies):.1f} ms per turn")
            print(f"  turn latency                       p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
            for kind, samples in sorted(burst.by_kind.items()):
                k50, k99 = percentiles(samples)
                print(f"    {kind + ' turns':<32} p50 {k50:7.1f} ms   p99 {k99:7.1f} ms   ({len(samples)})")
            e50, e99 = percentiles(baseline)
            print(f"  baseline: echo bot, same schedule  p50 {e50:7.1f} ms   p99 {e99:7.1f} ms   (ratio "
                  f"{p50 / e50:.1f}x / {p99 / e99:.1f}x)")
            print(f"  reporters answered                 {burst.answered} of {args.reporters} "
                  f"({burst.failed} without an answer)")
            print(f"  tickets                            {tickets} (expected {1 + args.decline})")
            print(f"  subscribers                        {followers} (said yes: {burst.yes})")
            followers_seen = {f"a:burst-{n}" for n in range(1, args.reporters) if n not in declining}
            update_at = time.monotonic()
            async with session.post(burst.url, json=activity(
                    999_999, f"update MAINTEL-000001 {UPDATE}", service_url, MSP_TENANT, ENGINEER)) as response:
                await response.read()
            for _ in range(600):  # until every subscriber has the update and the card redrawn
                since = [c for c in connector.calls if c[0] >= update_at]
                delivered = {c[2] for c in since if c[4].startswith("Update on")}
                redrawn = {c[2] for c in since if c[1] == "PUT"}
                if followers_seen <= delivered and followers_seen <= redrawn:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)  # anything doubled would arrive by now
            fan_out_figures(connector, update_at, followers_seen)
    finally:
        for process in (bot, echo):
            process.terminate()
            process.wait(timeout=10)
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
