"""Storage per ticket before and after policy snapshots were stored once by content hash (migration 0008).

Builds N tickets (default 100,000) of customers cycling over every demo contract, twice on PostgreSQL — at schema
0005 (each ticket carries its policy snapshot) and at the newest schema (tickets point at `policy_snapshots`) — and
prints each table's size with its TOAST and indexes (pg_total_relation_size) and the bytes per ticket. It then
migrates the 0005 copy to the newest schema, timing it, and prints its size after VACUUM FULL (PostgreSQL keeps a
dropped column's values until the table is rewritten). Last, the same tickets in two SQLite files, and their sizes.

Run: scripts/setup dev && createdb -h 127.0.0.1 -U postgres storage_bench &&
     nice .venv/bin/python bench/storage_bench.py [--tickets 100000]
PostgreSQL: FAULTLINE_BENCH_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/storage_bench); the
bench works in schemas of its own there and drops them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text

from bot.store.db import Database, _alembic_config, head_revision
from bot.store.tickets import snapshot_hash
from sla import PolicyLibrary

BEFORE = "0005"
COLUMNS = ("id", "customer_id", "reference", "status", "category", "priority", "channel", "policy_id", "POLICY",
           "reported_at", "started_at", "report", "classification", "reporter_id", "reporter_name",
           "reporter_conversation_id", "reporter_activity_id", "channel_conversation_id", "channel_activity_id",
           "assignee_id", "assignee_name", "version", "created_at", "updated_at", "intake_key")
"""A ticket's columns in order; POLICY is the snapshot (before) or its hash (after)."""
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PRIORITY = {"maintel-icon": "P2", "vodafone-vone-m": "P3", "cloudcti": "P2", "duocall-standard": "P3",
            "duocall-legacy-protect": "P2", "voip-cat1": None, "voip-cat2": None, "voip-cat4": None}


def policies() -> list[tuple[str, str, str]]:
    """(policy id, snapshot JSON, hash) for every demo contract."""
    library = PolicyLibrary.load()
    return [(pid, json.dumps(dict(library.get(pid).raw)), snapshot_hash(dict(library.get(pid).raw)))
            for pid in library.ids()]


def ticket_rows(count: int, customers: int, hashed: bool) -> Iterator[tuple[Any, ...]]:
    """Tickets as intake stores them: a report, its classification, reporter and channel thread ids."""
    contracts = policies()
    for n in range(count):
        customer = n % customers
        pid, snapshot, digest = contracts[customer % len(contracts)]
        at = AT + timedelta(minutes=n)
        report = {"kind": "fault", "description": f"Calls to the main number ring out at site {n % 37}; staff "
                                                  "cannot transfer calls either", "services": ["inbound_calls"],
                  "users_affected": "1 of 3", "started_at": (at - timedelta(minutes=20)).isoformat(),
                  "workaround": "no", "all_sites": "no", "impact": "Callers hear a busy tone"}
        classification = {"category": "incident", "priority": PRIORITY[pid],
                          "rules": [{"id": "inbound_down", "quote": "Total loss of inbound calls to a site",
                                     "seed": "calls ring out"}]}
        yield (n + 1, f"c{customer}", f"C{customer}-{n:06d}", "open", "incident", PRIORITY[pid], "chat", pid,
               digest if hashed else snapshot, at, at - timedelta(minutes=20), json.dumps(report),
               json.dumps(classification), str(uuid.UUID(int=n)), f"Reporter {n}",
               f"a:1{uuid.UUID(int=n).hex * 3}", f"1{n:012d}", f"19:{uuid.UUID(int=customer).hex}@thread.tacv2;"
               f"messageid=1{n:012d}", f"1{n:012d}", str(uuid.UUID(int=customer)), f"Engineer {customer % 9}", 1, at,
               at, uuid.UUID(int=n).hex)


def columns(hashed: bool) -> list[str]:
    return [("policy_hash" if hashed else "policy_snapshot") if c == "POLICY" else c for c in COLUMNS]


async def upgrade(db: Database, revision: str) -> float:
    began = time.perf_counter()
    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), revision))
    return time.perf_counter() - began


async def fill_postgresql(db: Database, schema: str, count: int, customers: int, hashed: bool) -> None:
    async with db.write() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        if hashed:
            await driver.copy_records_to_table("policy_snapshots", schema_name=schema, columns=["hash", "body"],
                                               records=[(h, body) for _, body, h in policies()])
        rows = list(ticket_rows(count, customers, hashed))
        for start in range(0, count, 10_000):
            await driver.copy_records_to_table("tickets", schema_name=schema, columns=columns(hashed),
                                               records=rows[start:start + 10_000])
        await conn.execute(text("ANALYZE"))


SIZES = """SELECT c.relname, pg_relation_size(c.oid), pg_table_size(c.oid) - pg_relation_size(c.oid),
       pg_indexes_size(c.oid), pg_total_relation_size(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :schema AND c.relname IN ('tickets', 'policy_snapshots') ORDER BY c.relname DESC"""


async def sizes(db: Database, schema: str) -> list[tuple[str, int, int, int, int]]:
    async with db.read() as conn:
        return [tuple(row) for row in await conn.execute(text(SIZES), {"schema": schema})]


def print_sizes(label: str, found: list[tuple[str, int, int, int, int]], count: int) -> int:
    total = sum(row[4] for row in found)
    for name, heap, toast, indexes, whole in found:
        print(f"  {label:<26} {name:<17} {mb(heap):>9} {mb(toast):>9} {mb(indexes):>9} {mb(whole):>9}")
    print(f"  {label:<26} {'all':<17} {'':>9} {'':>9} {'':>9} {mb(total):>9}   {total / count:,.0f} bytes/ticket")
    return total


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


async def postgresql(url: str, count: int, customers: int) -> None:
    admin = Database(url)
    names = {kind: f"storage_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("before", "after")}
    async with admin.engine.begin() as conn:
        for name in names.values():
            await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    dbs = {kind: Database(url, connect_args={"server_settings": {"search_path": name}})
           for kind, name in names.items()}
    try:
        print(f"PostgreSQL, {count:,} tickets of {customers} customers on 8 contracts")
        print(f"  {'schema':<26} {'table':<17} {'heap':>9} {'toast':>9} {'indexes':>9} {'total':>9}")
        totals = {}
        for kind, revision in (("before", BEFORE), ("after", head_revision())):
            await upgrade(dbs[kind], revision)
            await fill_postgresql(dbs[kind], names[kind], count, customers, hashed=kind == "after")
            totals[kind] = print_sizes(f"{kind} ({revision})", await sizes(dbs[kind], names[kind]), count)
        took = await upgrade(dbs["before"], head_revision())
        print(f"  migrated the {BEFORE} copy to {head_revision()} in {took:.1f} s")
        async with dbs["before"].engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM FULL tickets"))
        migrated = print_sizes("migrated, VACUUM FULL", await sizes(dbs["before"], names["before"]), count)
        print(f"  after / before: {totals['after'] / totals['before']:.3f} "
              f"(migrated: {migrated / totals['before']:.3f})")
    finally:
        for db in dbs.values():
            await db.close()
        async with admin.engine.begin() as conn:
            for name in names.values():
                await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.close()


def sqlite_value(value: Any) -> Any:
    """As SQLAlchemy writes a UTC datetime to SQLite."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


async def sqlite_file(path: Path, count: int, customers: int, hashed: bool) -> int:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db, head_revision() if hashed else BEFORE)
    await db.close()
    with sqlite3.connect(path) as conn:
        if hashed:
            conn.executemany("INSERT INTO policy_snapshots (hash, body) VALUES (?, ?)",
                             [(h, body) for _, body, h in policies()])
        placeholders = ", ".join("?" * len(COLUMNS))
        conn.executemany(f"INSERT INTO tickets ({', '.join(columns(hashed))}) VALUES ({placeholders})",
                         (tuple(map(sqlite_value, row)) for row in ticket_rows(count, customers, hashed)))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def sqlite(count: int, customers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        found = {kind: asyncio.run(sqlite_file(Path(folder) / f"{kind}.db", count, customers, kind == "after"))
                 for kind in ("before", "after")}
    print(f"SQLite, the same {count:,} tickets: file before ({BEFORE}) {mb(found['before'])} = "
          f"{found['before'] / count:,.0f} bytes/ticket; after ({head_revision()}) {mb(found['after'])} = "
          f"{found['after'] / count:,.0f} bytes/ticket; after / before {found['after'] / found['before']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=400)
    args = parser.parse_args()
    url = os.environ.get("FAULTLINE_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/storage_bench")
    sizes_of = {pid: len(body) for pid, body, _ in policies()}
    print(f"policy snapshots: {len(sizes_of)} contracts, {min(sizes_of.values()):,}–{max(sizes_of.values()):,} bytes "
          f"of JSON each")
    asyncio.run(postgresql(url, args.tickets, args.customers))
    sqlite(args.tickets, args.customers)


if __name__ == "__main__":
    main()
