"""Statements and CPU per operation of the ticket store, the outbox and the timers — what a confirm turn and an
engineer's card action ask of the database — straight through `TicketStore`, `Outbox` and `TimerStore`.

Each round opens N tickets (each queueing two messages, as a confirm does), claims, holds and settles their
messages, plans their timers, then acknowledges each (a transition queueing one message), replans it and reads it
back. Per operation it prints the statements one call sends (BEGIN included) and the CPU of this process per call
(time.process_time: the driver's thread included; PostgreSQL's server is not), the least of --rounds rounds.

--tree [NAME=]PATH (repeatable) runs the same bench, round by round in turn with this checkout, importing `bot` from
another checkout (for example `git archive main | tar -x -C /tmp/before`), and prints this / NAME per operation.

Run: nice .venv/bin/python bench/ticket_store_bench.py [--tickets 200] [--rounds 3] [--tree before=/tmp/before]
     nice .venv/bin/python bench/ticket_store_bench.py --database postgresql+asyncpg://postgres@127.0.0.1:5432/db
PostgreSQL: the bench works in a schema of its own there and drops it afterwards. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPERATIONS = ("open", "claim", "hold", "settle", "plan timers", "transition", "replan", "note", "get", "events",
              "with_events")
CONFIRM = ("open", "claim", "hold", "settle")
ACKNOWLEDGE = ("transition", "replan", "claim", "hold", "settle", "get")
"""The store's share of a confirm turn and of an acknowledge (the rest of each turn is not the store's)."""


@dataclass
class Tally:
    """Statements and CPU seconds per operation, and how many calls."""

    statements: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def per_call(self) -> dict[str, tuple[float, float]]:
        return {op: (self.statements[op] / self.calls[op], self.cpu[op] / self.calls[op] * 1e6) for op in self.calls}


@dataclass(frozen=True)
class Change:
    kind: str
    columns: dict[str, Any]
    data: dict[str, Any]


class Bench:
    """One database, the stores over it, and a running count of the statements sent."""

    def __init__(self, db: Any) -> None:
        from sqlalchemy import event

        from bot.reminders.store import Outbox, TimerStore
        from bot.store.tickets import TicketStore

        self.db, self.store = db, TicketStore(db)
        self.outbox, self.timers = Outbox(db, "bench"), TimerStore(db, "bench")
        self.sent = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._count)
        self.tally = Tally()

    def _count(self, *_: Any) -> None:
        self.sent += 1

    async def timed(self, op: str, call: Callable[[], Awaitable[Any]]) -> Any:
        sent, started = self.sent, time.process_time()
        result = await call()
        spent = time.process_time() - started
        t = self.tally
        t.statements[op] = t.statements.get(op, 0) + self.sent - sent
        t.cpu[op] = t.cpu.get(op, 0.0) + spent
        t.calls[op] = t.calls.get(op, 0) + 1
        return result


def new_ticket(n: int, snapshot: dict[str, Any]) -> Any:
    from bot.store.tickets import NewTicket

    return NewTicket(customer_id="bench", reference_prefix="BENCH", category="service_down", priority="P2",
                     channel="chat", policy_id=str(snapshot.get("id", "bench")), policy_snapshot=snapshot,
                     reported_at=AT, started_at=AT - timedelta(minutes=10),
                     report={"kind": "fault", "description": f"report {n}", "sites": "1 of 3"},
                     classification={"category": "service_down", "priority": "P2", "rules": []},
                     reporter_id=f"user-{n}", reporter_name=f"Reporter {n}", reporter_conversation_id=f"a:chat-{n}")


def message(key: str, ticket_id: int) -> dict[str, Any]:
    return {"key": key, "ticket_id": ticket_id, "timer_id": None, "purpose": "ticket_card",
            "recipient": f"conversation:a:chat-{ticket_id}", "tenant_id": None, "status": "pending", "attempts": 0,
            "not_before": AT, "claimed_by": None, "lease_until": None, "created_at": AT,
            "payload": {"op": "send", "service_url": "http://127.0.0.1/", "due_at": AT.isoformat()}}


def planned(shift: int) -> list[Any]:
    from bot.rules.timers import PlannedTimer

    return [PlannedTimer(kind, "first_response", AT + timedelta(minutes=m + shift), AT + timedelta(minutes=m + shift))
            for kind, m in (("reminder", 15), ("reminder", 25), ("escalation", 30))]


async def send(b: Bench, keys: list[str]) -> None:
    claimed = await b.timed("claim", lambda: b.outbox.claim(AT, len(keys), keys=keys))
    assert len(claimed) == len(keys), claimed
    assert await b.timed("hold", lambda: b.outbox.hold(claimed, AT)) == {m.id for m in claimed}
    assert await b.timed("settle", lambda: b.outbox.settle_all(claimed, "sent", AT))


async def one_ticket(b: Bench, n: int, snapshot: dict[str, Any], run: str) -> None:
    from bot.reminders.store import enqueue_in

    key = f"{run}:{n}"
    keys = [f"{key}:reporter", f"{key}:channel"]

    async def queue(conn: Any, ticket: Any) -> None:
        await enqueue_in(b.db, conn, [message(k, ticket.id) for k in keys])

    ticket, opened = await b.timed("open", lambda: b.store.open(new_ticket(n, snapshot), at=AT, key=key, also=queue))
    assert opened
    await send(b, keys)
    await b.timed("plan timers", lambda: b.timers.replan(ticket.id, planned(0), AT))
    await acknowledge(b, ticket, key)


async def acknowledge(b: Bench, ticket: Any, key: str) -> None:
    from bot.reminders.store import enqueue_in

    said = f"{key}:acknowledged"

    def decide(found: Any, events: list[Any]) -> Any:
        return Change("acknowledged", {"status": "acknowledged", "assignee_id": "eng", "assignee_name": "Eng"},
                      {"seen_events": len(events)})

    async def queue(conn: Any, changed: Any, _: Any) -> None:
        await enqueue_in(b.db, conn, [message(said, changed.id)])

    changed, _ = await b.timed("transition", lambda: b.store.transition(
        ticket.id, at=AT, actor_id="eng", actor_name="Eng", decide=decide, also=queue))
    assert changed.version == 2 and changed.status == "acknowledged"
    await b.timed("replan", lambda: b.timers.replan(ticket.id, planned(5), AT))
    await send(b, [said])
    await b.timed("get", lambda: b.store.get(ticket.id))
    await b.timed("note", lambda: b.store.note(ticket.id, kind="bench_note", at=AT, data={"n": 1}))
    assert [e.seq for e in await b.timed("events", lambda: b.store.events(ticket.id))] == [1, 2, 3]
    await b.timed("with_events", lambda: b.store.with_events([ticket.id]))


async def database(url: str | None, folder: str) -> tuple[Any, str | None]:
    from sqlalchemy import text

    from bot.store.db import Database

    if url is None:
        return Database(f"sqlite+aiosqlite:///{folder}/bench.db"), None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.close()
    return Database(url, connect_args={"server_settings": {"search_path": schema}}), schema


async def drop(url: str, schema: str) -> None:
    from sqlalchemy import text

    from bot.store.db import Database

    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.close()


async def one_round(url: str | None, tickets: int, warm: int) -> dict[str, tuple[float, float]]:
    from sla import PolicyLibrary

    library = PolicyLibrary.load()
    snapshot = dict(library.get(library.ids()[0]).raw)
    with tempfile.TemporaryDirectory() as folder:
        db, schema = await database(url, folder)
        try:
            await db.migrate()
            bench = Bench(db)
            for n in range(warm):
                await one_ticket(bench, n, snapshot, "warm")
            bench.tally = Tally()
            for n in range(tickets):
                await one_ticket(bench, n, snapshot, "run")
            return bench.tally.per_call()
        finally:
            await db.close()
            if schema and url:
                await drop(url, schema)


def child(tree: Path, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """One round in a process importing `bot` from ``tree``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--tickets", str(args.tickets),
               "--warm", str(args.warm)] + (["--database", args.database] if args.database else [])
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True, check=True)
    return {op: (s, c) for op, (s, c) in json.loads(done.stdout.splitlines()[-1]).items()}


def least(rounds: list[dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    return {op: (rounds[0][op][0], min(r[op][1] for r in rounds)) for op in rounds[0]}


def show(figures: dict[str, dict[str, tuple[float, float]]]) -> None:
    names = list(figures)
    print(f"{'operation':<14}" + "".join(f"{name + ' stmts':>16}{name + ' µs':>14}" for name in names)
          + "".join(f"{'this/' + n:>14}" for n in names[1:]))
    rows = [*OPERATIONS, "confirm share", "ack share"]
    totals = {"confirm share": CONFIRM, "ack share": ACKNOWLEDGE}
    for op in rows:
        cells = {n: totals_of(figures[n], totals[op]) if op in totals else figures[n][op] for n in names}
        line = f"{op:<14}" + "".join(f"{cells[n][0]:>16.1f}{cells[n][1]:>14.0f}" for n in names)
        line += "".join(f"{cells[names[0]][1] / cells[n][1]:>14.2f}" for n in names[1:])
        print(line)


def totals_of(per_op: dict[str, tuple[float, float]], ops: tuple[str, ...]) -> tuple[float, float]:
    return sum(per_op[op][0] for op in ops), sum(per_op[op][1] for op in ops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--tree", action="append", default=[], help="[NAME=]PATH of another checkout")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(one_round(args.database, args.tickets, args.warm))))
        return
    trees = {"this": ROOT, **{(t.split("=", 1)[0] if "=" in t else Path(t).name):
                              Path(t.split("=", 1)[-1]).resolve() for t in args.tree}}
    rounds: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            rounds[name].append(child(tree, args))
    print(f"{args.tickets} tickets per round, least of {args.rounds} rounds, "
          f"{'PostgreSQL' if args.database else 'SQLite'}; µs = CPU of this process per call")
    show({name: least(found) for name, found in rounds.items()})


if __name__ == "__main__":
    main()
