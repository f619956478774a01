"""Scheduler lag at scale: many open tickets in PostgreSQL, two scheduler replicas, a fake connector on loopback.

Seeds N open tickets spread over every demo contract (default 100,000): most with their next timer hours away,
a "hot" share whose next timer falls due during the measurement window at a steady rate below Teams' limits.
Two schedulers (two engines, as two replicas would have) tick every --interval seconds. Prints timer lag (due →
arrival at the fake connector, p50/p99), sends per second, and database time per tick.

Run: scripts/setup && .venv/bin/python bench/scheduler_bench.py [--tickets 100000] [--rate 30] [--window 60]
Needs PostgreSQL: FAULTLINE_BENCH_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import ConversationState
from sqlalchemy import text

from bot.clock import SystemClock
from bot.config import config_from_mapping
from bot.connector import Connector, NoToken
from bot.reminders import plan as p
from bot.reminders.scheduler import Scheduler
from bot.services import Services
from bot.settings import Settings
from bot.store.conversations import ConversationStore, DatabaseStorage
from bot.store.db import Database
from bot.store.schema import conversation_refs, ticket_events, tickets, timers
from bot.store.tickets import TicketStore
from bot.telemetry import Telemetry
from sla.clock import TicketEvent

ROOT = Path(__file__).resolve().parents[1]
MSP_TENANT = "msp-tenant"
HOT_PRIORITY = {"maintel-icon": "P1", "vodafone-vone-m": "P2", "cloudcti": "P1", "duocall-standard": "P2",
                "duocall-legacy-protect": "P1", "voip-cat1": None, "voip-cat2": None, "voip-cat4": None}
COLD_PRIORITY = {"maintel-icon": "P3", "vodafone-vone-m": "P4", "cloudcti": "P3", "duocall-standard": "P3",
                 "duocall-legacy-protect": "P3", "voip-cat1": None, "voip-cat2": None, "voip-cat4": None}
"""Hot tickets get urgent priorities whose next timer is placed in the window; cold ones are quieter, just opened."""


def first_due(policy: Any, priority: str | None, reported: datetime) -> datetime:
    events = [TicketEvent("opened", reported, priority=priority, channel="chat", category="incident")]
    return min(t.due_at for t in p.plan(policy, events, reported, "open"))


def reported_for(policy: Any, priority: str | None, target: datetime) -> datetime:
    """The report instant whose earliest timer falls at ``target`` (due times only grow with the report)."""
    low, high = target - timedelta(days=30), target
    for _ in range(40):
        middle = low + (high - low) / 2
        if first_due(policy, priority, middle) < target:
            low = middle
        else:
            high = middle
    return high


def bench_config(customers: int) -> Any:
    """``customers`` customers cycling over every demo contract, each with escalation contacts of its own, so that
    no single conversation is pushed past Teams' limits (that would measure the limits, not the scheduler)."""
    import tomllib

    demo = tomllib.loads((ROOT / "bot" / "demo_customers.toml").read_text(encoding="utf-8"))["customers"]
    rows = []
    for n in range(customers):
        base = demo[n % len(demo)]
        rows.append({"id": f"c{n}", "name": f"Customer {n}", "reference_prefix": f"C{n}", "tenants": [f"t{n}"],
                     "policy": base["policy"], "timezone": base["timezone"], "services": base["services"],
                     "engineers": base["engineers"],
                     "escalation": {"team_lead": f"lead-{n}", "manager": f"manager-{n}", "duty_manager": f"duty-{n}"}})
    return config_from_mapping({"msp": {"name": "MSP", "tenants": [MSP_TENANT], "admins": []}, "customers": rows},
                               "bench", ROOT)


class Receiver:
    """The fake connector: answers at once, remembers when each outbox key arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, tuple[float, str]] = {}
        self.duplicates = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.path.rstrip("/") == "/v3/conversations":
            return web.json_response({"id": f"a:{uuid.uuid4().hex}", "activityId": "1"})
        meta = (body.get("channelData") or {}).get("faultline", {})
        key = meta.get("outboxKey")
        if key:
            if key in self.arrivals:
                self.duplicates += 1
            self.arrivals[key] = (time.time(), meta.get("dueAt"))
        return web.json_response({"id": "x"})


def timed(bucket: list[float], call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - began)

    return wrapper


async def seed(db: Database, config: Any, count: int, hot: int, window: float, service_url: str) -> int:
    """Bulk-insert the quiet tickets, then the hot ones (their timers placed from the moment they are written), with
    opened events, channel threads and planned timers; returns how many timers fall due in the window."""
    rng = random.Random(7)
    due_soon = await _insert(db, config, range(hot, count), None, window, service_url, rng)
    return due_soon + await _insert(db, config, range(hot), datetime.now(UTC), window, service_url, rng)


async def _insert(db: Database, config: Any, numbers: range, hot_from: datetime | None, window: float,
                  service_url: str, rng: random.Random) -> int:
    now = datetime.now(UTC)
    customers = config.customers
    ticket_rows, event_rows, ref_rows, timer_rows = [], [], [], []
    due_soon = 0
    for n in numbers:
        customer = customers[n % len(customers)]
        if hot_from is not None:
            priority = HOT_PRIORITY[customer.policy.id]
            target = hot_from + timedelta(seconds=rng.uniform(5, 5 + window))
            reported = reported_for(customer.policy, priority, target)
        else:
            priority = COLD_PRIORITY[customer.policy.id]
            reported = now - timedelta(seconds=rng.uniform(0, 60))
        thread = f"19:bench-{n}@thread.tacv2;messageid=1"
        reference = f"{customer.reference_prefix}-B{n:07d}"
        ticket_rows.append({"id": n + 1, "customer_id": customer.id, "reference": reference,
                            "status": "open", "category": "incident", "priority": priority, "channel": "chat",
                            "policy_id": customer.policy.id, "policy_snapshot": dict(customer.policy.raw),
                            "reported_at": reported, "started_at": None, "report": {"description": f"bench {n}"},
                            "classification": {"rules": []}, "reporter_id": f"r{n}", "reporter_name": "R",
                            "reporter_conversation_id": f"a:r{n}", "channel_conversation_id": thread,
                            "channel_activity_id": "1", "version": 1, "created_at": reported, "updated_at": reported})
        event_rows.append({"ticket_id": n + 1, "seq": 1, "kind": "opened", "at": reported, "actor_id": f"r{n}",
                           "actor_name": "R", "after": {"status": "open", "priority": priority,
                                                        "category": "incident"}, "data": {"channel": "chat"}})
        ref_rows.append({"conversation_id": thread, "tenant_id": MSP_TENANT, "customer_id": customer.id,
                         "user_id": None, "reference": {"serviceUrl": service_url, "tenant": MSP_TENANT,
                                                        "bot": {"id": "28:bench"}}, "updated_at": reported})
        events = [TicketEvent("opened", reported, priority=priority, channel="chat", category="incident")]
        for planned in p.plan(customer.policy, events, reported, "open"):
            timer_rows.append({"key": planned.key(n + 1), "ticket_id": n + 1, "kind": planned.kind,
                               "target": planned.target, "due_at": planned.due_at, "point_at": planned.point_at,
                               "status": "pending", "created_at": now})
            due_soon += planned.due_at <= now + timedelta(seconds=window + 10)
    for table, rows in ((tickets, ticket_rows), (ticket_events, event_rows), (conversation_refs, ref_rows),
                        (timers, timer_rows)):
        for start in range(0, len(rows), 2000):
            async with db.write() as conn:
                await conn.execute(table.insert(), rows[start:start + 2000])
    async with db.write() as conn:
        await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"),
                           {"n": max(numbers.stop, 1)})
    return due_soon


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0, help="hot tickets per second coming due")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which hot timers fall due")
    parser.add_argument("--interval", type=float, default=0.2, help="scheduler tick interval (s)")
    parser.add_argument("--customers", type=int, default=400, help="customers the tickets belong to")
    args = parser.parse_args()
    url = os.environ.get("FAULTLINE_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    receiver = Receiver()
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    service_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]
    config = bench_config(args.customers)
    dbs = [Database(url, connect_args={"server_settings": {"search_path": schema}}) for _ in range(2)]
    try:
        await dbs[0].migrate()
        hot = int(args.rate * args.window)
        began = time.perf_counter()
        due_soon = await seed(dbs[0], config, args.tickets, hot, args.window, service_url)
        print(f"seeded {args.tickets:,} open tickets of {len(config.customers)} customers on 8 contracts in "
              f"{time.perf_counter() - began:.0f} s; {due_soon:,} timers fall due in the next {args.window:.0f} s")
        clock = SystemClock()
        db_time: list[float] = []
        async with aiohttp.ClientSession() as session:
            schedulers = []
            for n, db in enumerate(dbs):
                services = Services(settings=Settings(local=True), config=config, db=db, tickets=TicketStore(db),
                                    conversations=ConversationStore(db),
                                    state=ConversationState(DatabaseStorage(db, clock)), clock=clock,
                                    connector=Connector(session, NoToken(), attempts=2), telemetry=Telemetry())
                scheduler = Scheduler(services, instance=f"replica-{n}", batch=500)
                for store in (scheduler.timers, scheduler.outbox):
                    for name in ("claim_due", "finish", "claim", "hold", "settle_all", "replan"):
                        if hasattr(store, name):
                            setattr(store, name, timed(db_time, getattr(store, name)))
                schedulers.append(scheduler)
            ticks = 0
            started = time.perf_counter()
            while time.perf_counter() - started < args.window + 15:
                await asyncio.gather(*(s.tick() for s in schedulers))
                ticks += len(schedulers)
                await asyncio.sleep(args.interval)
            elapsed = time.perf_counter() - started
        lags = sorted(arrived - datetime.fromisoformat(due).timestamp()
                      for arrived, due in receiver.arrivals.values() if due)
        print(f"sent {len(receiver.arrivals):,} messages in {elapsed:.0f} s = {len(receiver.arrivals) / elapsed:.1f}/s "
              f"({receiver.duplicates} duplicates)")
        if lags:
            print(f"timer lag, due -> arrival at the connector: p50 {statistics.median(lags):.2f} s, "
                  f"p99 {lags[int(0.99 * (len(lags) - 1))]:.2f} s, max {lags[-1]:.2f} s")
        print(f"database time per scheduler tick: mean {1000 * sum(db_time) / max(1, ticks):.1f} ms "
              f"over {ticks} ticks ({len(db_time)} store calls)")
    finally:
        for db in dbs:
            await db.close()
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.close()
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
