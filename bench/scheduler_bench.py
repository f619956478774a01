"""Scheduler lag at scale: many open tickets in PostgreSQL, two scheduler replicas, a fake connector on loopback.

Seeds N open tickets spread over every demo contract (default 100,000): most with their next timer hours away,
a "hot" share whose next timer falls due during the measurement window at a steady rate below Teams' limits.
Two schedulers (two engines, as two replicas would have) tick every --interval seconds. Prints timer lag (due →
arrival at the fake connector, p50/p99), sends per second, and database time per tick.

With --storm: the same open tickets (every customer's support channel bound), then --storm-timers (2,000)
timers falling due within one second over --storm-customers (50) customers — "P1 opened" escalations to each
customer's duty manager — fired and sent by two replicas in processes of their own (this script with --replica).
Prints the lag from a recipient's first alert falling due to the first message reaching them (p50/p99/max over
recipients), the sends and digests, duplicates (the same outbox key twice, or the same ticket twice to one
person), which must be 0, and the tenant's busiest second at the connector (at most Teams' 50).
By default the storm comes once the replicas have opened a 1:1 chat with every escalation contact (as in a bot
that has been running a while); --chats at-first-alert: the scheduler opens no chat ahead, so each duty manager's
chat is created for their first alert during the storm (two calls each instead of one).
FAULTLINE_BENCH_TIMELINE=1 also prints when each first message and each call of the first 3 s arrived.

Run: scripts/setup && .venv/bin/python bench/scheduler_bench.py [--tickets 100000] [--rate 30] [--window 60]
     nice .venv/bin/python bench/scheduler_bench.py --storm [--tickets 100000]
Needs PostgreSQL: FAULTLINE_BENCH_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import cProfile
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
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
from bot.edge.connector import Connector, NoToken
from bot.reminders.gate import TENANT_CALLS
from bot.reminders.scheduler import Scheduler, escalation_contacts
from bot.reminders.store import Outbox
from bot.rules import timers as p
from bot.services.context import Services
from bot.settings import Settings
from bot.store.conversations import ConversationStore, DatabaseStorage
from bot.store.db import Database
from bot.store.schema import channel_bindings, conversation_refs, policy_snapshots, ticket_events, tickets, timers
from bot.store.tickets import TicketStore, snapshot_hash
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
    """The fake connector: answers at once, remembers when each outbox key arrived and, in order, every send: its
    arrival time, recipient (the user of a personal chat it created, else the conversation) and body."""

    def __init__(self) -> None:
        self.arrivals: dict[str, tuple[float, str]] = {}
        self.duplicates = 0
        self.members: dict[str, str] = {}
        self.sends: list[tuple[float, str, str, str]] = []
        self.calls: list[float] = []
        """When each call arrived (chats created and activities sent), for the busiest second."""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(time.monotonic())
        if request.path.rstrip("/") == "/v3/conversations":
            created = f"a:{uuid.uuid4().hex}"
            self.members[created] = str((body.get("members") or [{}])[0].get("id"))
            return web.json_response({"id": created, "activityId": "1"})
        meta = (body.get("channelData") or {}).get("faultline", {})
        key = meta.get("outboxKey")
        if key:
            if key in self.arrivals:
                self.duplicates += 1
            self.arrivals[key] = (time.time(), meta.get("dueAt"))
            parts = request.path.split("/")
            conversation = parts[parts.index("conversations") + 1] if "conversations" in parts else ""
            self.sends.append((time.time(), self.members.get(conversation, conversation), key, json.dumps(body)))
        return web.json_response({"id": "x"})


async def start_receiver(receiver: Receiver) -> tuple[web.AppRunner, str]:
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]


def services_for(db: Database, config: Any, session: aiohttp.ClientSession, clock: SystemClock,
                 chats_ahead: bool = True) -> Services:
    return Services(settings=Settings(local=True, open_chats_ahead=chats_ahead), config=config, db=db,
                    tickets=TicketStore(db),
                    conversations=ConversationStore(db), state=ConversationState(DatabaseStorage(db, clock)),
                    clock=clock, connector=Connector(session, NoToken(), attempts=2), telemetry=Telemetry())


def timed(bucket: list[float], call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - began)

    return wrapper


Opening = tuple[int, Any, "str | None", datetime]
"""A seeded ticket: its number, customer, priority and report instant."""


async def seed(db: Database, config: Any, count: int, hot: int, window: float, service_url: str) -> int:
    """Bulk-insert the quiet tickets, then the hot ones (their timers placed from the moment they are written), with
    opened events, channel threads and planned timers; returns how many timers fall due in the window."""
    rng = random.Random(7)
    due_soon = await insert_tickets(db, quiet(config, range(hot, count), rng), service_url, window)
    hot_from = datetime.now(UTC)
    openings = []
    for n in range(hot):
        customer = config.customers[n % len(config.customers)]
        priority = HOT_PRIORITY[customer.policy.id]
        target = hot_from + timedelta(seconds=rng.uniform(5, 5 + window))
        openings.append((n, customer, priority, reported_for(customer.policy, priority, target)))
    return due_soon + await insert_tickets(db, openings, service_url, window)


def quiet(config: Any, numbers: range, rng: random.Random) -> list[Opening]:
    """Tickets just opened at a quiet priority: their first timers are hours away."""
    now, customers = datetime.now(UTC), config.customers
    return [(n, customers[n % len(customers)], COLD_PRIORITY[customers[n % len(customers)].policy.id],
             now - timedelta(seconds=rng.uniform(0, 60))) for n in numbers]


async def insert_tickets(db: Database, openings: list[Opening], service_url: str, window: float) -> int:
    """Tickets with their opened events, channel threads and planned timers; how many timers fall due within
    ``window`` seconds (and ten more)."""
    now = datetime.now(UTC)
    hashes = {}
    ticket_rows, event_rows, ref_rows, timer_rows = [], [], [], []
    due_soon = 0
    for n, customer, priority, reported in openings:
        if customer.id not in hashes:
            hashes[customer.id] = snapshot_hash(customer.policy.raw)
        thread = f"19:bench-{n}@thread.tacv2;messageid=1"
        reference = f"{customer.reference_prefix}-B{n:07d}"
        ticket_rows.append({"id": n + 1, "customer_id": customer.id, "reference": reference,
                            "status": "open", "category": "incident", "priority": priority, "channel": "chat",
                            "policy_id": customer.policy.id, "policy_hash": hashes[customer.id],
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
    snapshots = {hashes[c.id]: dict(c.policy.raw) for _, c, _, _ in openings}
    async with db.write() as conn:
        await conn.execute(db.insert(policy_snapshots).values([{"hash": h, "body": b} for h, b in snapshots.items()])
                           .on_conflict_do_nothing(index_elements=["hash"]))
    for table, rows in ((tickets, ticket_rows), (ticket_events, event_rows), (conversation_refs, ref_rows),
                        (timers, timer_rows)):
        for start in range(0, len(rows), 2000):
            async with db.write() as conn:
                await conn.execute(table.insert(), rows[start:start + 2000])
    async with db.write() as conn:
        await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                                "(SELECT max(id) FROM tickets))"))
    return due_soon


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0, help="hot tickets per second coming due")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which hot timers fall due")
    parser.add_argument("--interval", type=float, default=0.2, help="scheduler tick interval (s)")
    parser.add_argument("--customers", type=int, default=400, help="customers the tickets belong to")
    parser.add_argument("--storm", action="store_true", help="the storm instead of a steady rate")
    parser.add_argument("--storm-timers", type=int, default=2000)
    parser.add_argument("--storm-customers", type=int, default=50)
    parser.add_argument("--lead", type=float, default=5.0, help="seconds from seeding the storm to the storm")
    parser.add_argument("--chats", choices=("ahead", "at-first-alert"), default="ahead",
                        help="storm: duty managers' 1:1 chats opened ahead by the scheduler (the default "
                             "FAULTLINE_OPEN_CHATS_AHEAD=1), or created for their first alert during the storm")
    parser.add_argument("--replica", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--service-url", help=argparse.SUPPRESS)
    parser.add_argument("--stop-file", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=180.0, help="storm: seconds to wait for it to settle")
    return parser.parse_args()


async def main() -> None:
    args = arguments()
    url = os.environ.get("FAULTLINE_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    if args.replica is not None:
        await replica(args, url)
    elif args.storm:
        await storm(args, url)
    else:
        await steady(args, url)


async def steady(args: argparse.Namespace, url: str) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    receiver = Receiver()
    runner, service_url = await start_receiver(receiver)
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
                scheduler = Scheduler(services_for(db, config, session, clock), instance=f"replica-{n}", batch=500)
                for store in (scheduler.timers, scheduler.outbox):
                    for name in ("claim_due", "finish", "finish_all", "claim", "hold", "settle_all", "replan",
                                 "replan_all"):
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


# -- the storm -------------------------------------------------------------------------------------------------
REFERENCE = re.compile(r"C\d+-B\d{7}")


def storm_openings(config: Any, first: int, count: int, customers: int, at: datetime, spread: float,
                   rng: random.Random) -> list[Opening]:
    """``count`` tickets at their contract's top priority reported within ``spread`` seconds of ``at`` (so their
    "P1 opened" escalations fall due then), over the first ``customers`` customers whose contract has priorities."""
    chosen = [c for c in config.customers if c.policy.priority_ids][:customers]
    return [(first + k, chosen[k % len(chosen)], chosen[k % len(chosen)].policy.priority_ids[0],
             at + timedelta(seconds=rng.uniform(0, spread))) for k in range(count)]


async def storm(args: argparse.Namespace, url: str) -> None:
    schema = f"storm_{uuid.uuid4().hex[:8]}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    receiver = Receiver()
    runner, service_url = await start_receiver(receiver)
    config = bench_config(args.customers)
    db = Database(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        await db.migrate()
        rng, began = random.Random(7), time.perf_counter()
        quiet_count = args.tickets - args.storm_timers
        await bind_channels(db, config, service_url)
        await insert_tickets(db, quiet(config, range(quiet_count), rng), service_url, 0)
        stop = Path(tempfile.mkdtemp()) / "stop"
        replicas = [await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--replica", str(n), "--schema", schema, "--service-url", service_url,
            "--customers", str(args.customers), "--interval", str(args.interval), "--stop-file", str(stop),
            "--chats", args.chats,
            stdout=asyncio.subprocess.PIPE) for n in range(2)]
        while not all((stop.parent / f"ready-{n}").exists() for n in range(2)):  # both replicas ticking
            await asyncio.sleep(0.2)
        if args.chats == "ahead":  # a bot that has been running a while: every contact's chat is open
            contacts = len(escalation_contacts(config.customers))
            opened = await until_chats_open(db, contacts, args.timeout)
            print(f"the replicas opened {opened:,} of {contacts:,} escalation contacts' chats ahead in "
                  f"{time.perf_counter() - began:.0f} s from the start")
        at = datetime.now(UTC) + timedelta(seconds=args.lead)
        openings = storm_openings(config, quiet_count, args.storm_timers, args.storm_customers, at, 1.0, rng)
        await insert_tickets(db, openings, service_url, 0)
        print(f"seeded {args.tickets:,} open tickets of {len(config.customers)} customers in "
              f"{time.perf_counter() - began:.0f} s; {args.storm_timers:,} of them fall due within 1 s over "
              f"{args.storm_customers} customers, {args.lead:.0f} s from now")
        settled = await until_settled(db, at.timestamp() + 1, args.timeout)
        stop.touch()
        for n, (out, _) in enumerate(await asyncio.gather(*(r.communicate() for r in replicas))):
            print(f"replica {n}: {out.decode().strip()}")
        print(f"every storm timer fired and its messages settled {settled:.1f} s after the last fell due"
              if settled is not None else f"not settled within {args.timeout:.0f} s")
        await storm_figures(db, receiver, openings)
    finally:
        await db.close()
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.close()
        await runner.cleanup()


async def bind_channels(db: Database, config: Any, service_url: str) -> None:
    """Every customer's support channel bound, as after `bind` in each (where the scheduler opens chats from)."""
    now = datetime.now(UTC)
    async with db.write() as conn:
        await conn.execute(channel_bindings.insert(), [
            {"customer_id": c.id, "team_id": f"19:team-{c.id}", "channel_id": f"19:support-{c.id}@thread.tacv2",
             "service_url": service_url, "tenant_id": MSP_TENANT, "bound_by": "bench", "bound_at": now}
            for c in config.customers])


async def until_chats_open(db: Database, contacts: int, timeout: float) -> int:
    """Wait until the replicas have a 1:1 chat with every escalation contact; how many they have."""
    count = text("SELECT count(*) FROM conversation_refs WHERE conversation_id LIKE 'personal:%'")
    deadline = time.time() + timeout
    while True:
        async with db.read() as conn:
            opened = int((await conn.execute(count)).scalar_one())
        if opened >= contacts or time.time() > deadline:
            return opened
        await asyncio.sleep(0.5)


async def until_settled(db: Database, last_due: float, timeout: float) -> float | None:
    """Seconds from ``last_due`` until no timer is due and no message waits or is being sent (None: timed out)."""
    busy = text("SELECT (SELECT count(*) FROM timers WHERE status IN ('pending', 'claimed') AND due_at <= now())"
                " + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending'))")
    while time.time() < last_due + timeout:
        await asyncio.sleep(0.5)
        async with db.read() as conn:
            if time.time() > last_due and (await conn.execute(busy)).scalar_one() == 0:
                return time.time() - last_due
    return None


async def storm_figures(db: Database, receiver: Receiver, openings: list[Opening]) -> None:
    """Lag to each recipient's first message, sends and digests, duplicates, and what the outbox holds."""
    earliest: dict[str, float] = {}
    for _, customer, _, reported in openings:
        who = str(customer.escalation.duty_manager)
        earliest[who] = min(earliest.get(who, reported.timestamp()), reported.timestamp())
    first: dict[str, float] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for arrived, who, _, body in receiver.sends:
        first.setdefault(who, arrived)
        seen.update((who, reference) for reference in set(REFERENCE.findall(body)))
    lags = sorted(first[who] - due for who, due in earliest.items() if who in first)
    if os.environ.get("FAULTLINE_BENCH_TIMELINE"):
        start = min(earliest.values())
        print("first arrivals (s after the first due):", " ".join(f"{first[w] - start:.2f}" for w in sorted(
            first, key=first.get)[:60] if w in earliest))
        print("every call in the first 3 s:", " ".join(f"{t - start:.2f}" for t, *_ in receiver.sends
                                                       if t - start < 3))
    digests = sum(key.startswith("digest:") for _, _, key, _ in receiver.sends)
    twice = sum(n - 1 for n in seen.values() if n > 1)
    outbox = await Outbox(db, "bench").counts()
    if lags:
        print(f"lag to the first message per recipient ({len(lags)} of {len(earliest)} recipients reached): "
              f"p50 {statistics.median(lags):.2f} s, p99 {lags[int(0.99 * (len(lags) - 1))]:.2f} s, "
              f"max {lags[-1]:.2f} s")
    print(f"sends {len(receiver.sends):,}: {digests} digests, {len(receiver.sends) - digests} single alerts; "
          f"tickets alerted {len(seen):,} of {len(openings):,}; outbox {dict(sorted(outbox.items()))}")
    print(f"duplicates: {receiver.duplicates} outbox keys sent twice, {twice} tickets sent twice to one person")
    calls = sorted(receiver.calls)
    busiest = max((bisect.bisect_left(calls, start + 1.0) - n for n, start in enumerate(calls)), default=0)
    print(f"the tenant's busiest second at the connector: {busiest} calls (Teams allows {TENANT_CALLS}); "
          f"{len(receiver.members)} chats created, {len(calls):,} calls in all")


async def replica(args: argparse.Namespace, url: str) -> None:
    """One replica's scheduler, ticking as the bot's own loop does (tick, then wait the interval) until told to
    stop; FAULTLINE_BENCH_PROFILE=file profiles the first replica into that file (pstats)."""
    profile = os.environ.get("FAULTLINE_BENCH_PROFILE") if args.replica == 0 else None
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    await run_replica(args, url)
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)


async def run_replica(args: argparse.Namespace, url: str) -> None:
    db = Database(url, connect_args={"server_settings": {"search_path": args.schema}})
    config, clock, total = bench_config(args.customers), SystemClock(), Counter[str]()
    async with aiohttp.ClientSession() as session:
        scheduler = Scheduler(services_for(db, config, session, clock, args.chats == "ahead"),
                              instance=f"replica-{args.replica}",
                              batch=500)
        phases: dict[str, list[float]] = {}
        for owner, names in ((scheduler.timers, ("claim_due", "finish_all", "replan_all")),
                             (scheduler.outbox, ("claim", "hold", "settle_all")), (scheduler.sender, ("send",)),
                             (scheduler.s.tickets, ("with_events", "get", "events")),
                             (scheduler.s.conversations, ("reference", "binding"))):
            for name in (n for n in names if hasattr(owner, n)):  # (an older checkout may lack some)
                setattr(owner, name, timed(phases.setdefault(name, []), getattr(owner, name)))
        longest = 0.0
        while not Path(args.stop_file).exists():
            began = time.perf_counter()
            result = await scheduler.tick()
            (Path(args.stop_file).parent / f"ready-{args.replica}").touch()
            longest = max(longest, time.perf_counter() - began)
            total.update(ticks=1, fired=result.fired, dropped=result.dropped, sent=result.sent,
                         deferred=result.deferred, failed=result.failed)
            await asyncio.sleep(0 if getattr(result, "backlog", False) else args.interval)  # as the bot's loop
    await db.close()
    print(json.dumps({**total, "longest_tick_s": round(longest, 2)}))
    print("  seconds in (calls): " + ", ".join(f"{name} {sum(took):.2f} ({len(took)})"
                                                for name, took in phases.items() if took))


if __name__ == "__main__":
    asyncio.run(main())
