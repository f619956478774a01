"""Where a SQLite statement runs: in the event loop's thread when it cannot wait for a lock, else in the
connection's own thread, so the event loop never blocks on a lock another connection holds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.db import Database

HERE = threading.get_ident()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'hops.db'}")
    async with database.engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield database
    await database.close()


async def ran_in(conn: AsyncConnection, sql: str = "SELECT thread() FROM (SELECT 1)") -> str:
    """Which thread ran ``sql`` (with the thread() SQL function in it): "here" or "thread"."""
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.in_thread(lambda: raw.raw.create_function("thread", 0, threading.get_ident))
    row = (await conn.exec_driver_sql(sql)).first()
    return "here" if row is not None and row[0] == HERE else "thread"


@asynccontextmanager
async def loop_ticks() -> AsyncIterator[list[int]]:
    """Counts the event loop's 10 ms ticks while the block runs (in the one-item list it yields)."""
    ticks, done = [0], asyncio.Event()

    async def ticking() -> None:
        while not done.is_set():
            ticks[0] += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(ticking())
    try:
        yield ticks
    finally:
        done.set()
        await ticker


async def test_a_read_outside_a_transaction_runs_here(db: Database) -> None:
    async with db.read() as conn:
        assert await ran_in(conn) == "here"


async def test_inside_a_write_transaction_every_statement_runs_here(db: Database) -> None:
    async with db.write() as conn:
        assert await ran_in(conn) == "here"
        assert await ran_in(conn, "INSERT INTO t (n) VALUES (thread()) RETURNING n") == "here"
        assert await ran_in(conn, "UPDATE t SET n = thread() RETURNING n") == "here"
    async with db.read() as conn:
        assert (await conn.exec_driver_sql("SELECT n FROM t")).scalar_one() == HERE  # committed


async def test_a_write_outside_begin_immediate_goes_to_the_connections_thread(db: Database) -> None:
    async with db.engine.begin() as conn:  # pysqlite opens its own (deferred) transaction: it may wait for the lock
        assert await ran_in(conn, "INSERT INTO t (n) VALUES (thread()) RETURNING n") == "thread"
        assert await ran_in(conn, "UPDATE t SET n = thread() RETURNING n") == "thread"


async def test_without_wal_a_read_goes_to_the_connections_thread(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'journal.db'}")
    try:
        async with database.read() as conn:
            await conn.exec_driver_sql("PRAGMA journal_mode=DELETE")  # readers wait for a committing writer here
            assert await ran_in(conn) == "thread"
    finally:
        await database.close()


async def test_a_writer_waiting_for_the_lock_never_stops_the_event_loop(db: Database) -> None:
    """One connection holds the write lock and waits on the event loop; another, outside our write lock, tries to
    write. The second waits in its own thread while the loop goes on, so the first can finish and both land."""
    holding = asyncio.Event()

    async def first() -> None:
        async with db.write() as conn:
            await conn.exec_driver_sql("INSERT INTO t (n) VALUES (1)")
            holding.set()
            await asyncio.sleep(0.3)  # the loop must keep running for this to end

    async def second() -> None:
        await holding.wait()
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO t (n) VALUES (2)")

    async with loop_ticks() as ticks:
        await asyncio.wait_for(asyncio.gather(first(), second()), timeout=10)
    async with db.read() as conn:
        assert sorted((await conn.exec_driver_sql("SELECT n FROM t")).scalars()) == [1, 2]
    assert ticks[0] >= 20  # the loop ran all along


async def test_a_failed_statement_here_rolls_its_transaction_back_and_the_connection_goes_on(
        db: Database) -> None:
    with pytest.raises(Exception, match="no such table"):
        async with db.write() as conn:
            await conn.exec_driver_sql("INSERT INTO t (n) VALUES (1)")
            await conn.exec_driver_sql("INSERT INTO missing (n) VALUES (1)")
    async with db.write() as conn:
        await conn.exec_driver_sql("INSERT INTO t (n) VALUES (2)")
    async with db.read() as conn:
        rows: list[Any] = list((await conn.exec_driver_sql("SELECT n FROM t")).scalars())
    assert rows == [2]


async def test_begin_immediate_runs_here_when_the_lock_is_free_and_waits_in_the_thread_when_it_is_not(
        db: Database, tmp_path: Path) -> None:
    """Another process (here a plain sqlite3 connection) holds the write lock for a while: a write transaction
    waits for it without stopping the event loop, then lands; with the lock free, BEGIN IMMEDIATE takes no trip."""
    import sqlite3

    async with db.write() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw.raw.in_transaction  # begun here, at once
        assert await ran_in(conn, "INSERT INTO t (n) VALUES (thread()) RETURNING n") == "here"
    other = sqlite3.connect(tmp_path / "hops.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    async with loop_ticks() as ticks, db.write() as conn:
        await conn.exec_driver_sql("INSERT INTO t (n) VALUES (2)")
    other.close()
    assert ticks[0] >= 20  # the loop ran while the write waited for the lock
    async with db.read() as conn:
        assert sorted((await conn.exec_driver_sql("SELECT n FROM t")).scalars()) == [2, HERE]
