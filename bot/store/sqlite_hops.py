"""aiosqlite connections whose statements cost one trip to the connection's thread instead of four, or none.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes the cursor, each a hand-over to
aiosqlite's thread and back (about 60 µs of CPU each, where a turn's small statement itself takes 3 or 4). Here the
cursor is made, run, read to the end and closed in one hand-over, and the adapter then reads what was kept; and a
statement that cannot wait for a lock runs in the caller's thread with no hand-over at all (`OneTripConnection`).
Transactions, isolation and errors are sqlite3's own, unchanged; only where and in how many trips differs.

A long statement that runs here holds the event loop while it runs: a big read outside a transaction, or a big
write inside one (the hourly retention's deletes) — while other turns, which all write, would wait for the write
lock anyway.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiosqlite


class OneTripCursor:
    """What SQLAlchemy's adapter needs of an aiosqlite cursor; each execute is one trip, its rows kept."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: list[Any] = []

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return await self._run(sql, lambda cursor: cursor.execute(sql, () if parameters is None else parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._run(sql, lambda cursor: cursor.executemany(sql, parameters))

    async def _run(self, sql: str, call: Callable[[sqlite3.Cursor], Any]) -> OneTripCursor:
        connection = self._connection
        outcome: tuple[Any, int, int | None, list[Any]]
        if connection.began_here(sql):
            outcome = (None, -1, None, [])
        elif connection.runs_here(sql):
            outcome = _run_to_end(connection.raw, call)
        else:
            outcome = await connection.in_thread(lambda: _run_to_end(connection.raw, call))
            connection.after_trip(sql, outcome[3])
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None


def _run_to_end(connection: sqlite3.Connection,
                call: Callable[[sqlite3.Cursor], Any]) -> tuple[Any, int, int | None, list[Any]]:
    """Run, read every row, close (in the connection's thread, or here); (description, rowcount, lastrowid, rows)."""
    cursor = connection.cursor()
    try:
        call(cursor)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are `OneTripCursor`s, and whose statements that cannot wait for a lock
    run right here instead of in the connection's thread.

    A trip to the thread and back costs about 60 µs of CPU; a turn's small statement itself 3 or 4. What can wait
    goes on going there, so the event loop never blocks on a lock: BEGIN IMMEDIATE when another connection or
    process holds the write lock (tried here first without waiting), COMMIT (it waits for the disk), and anything
    outside a transaction but a SELECT (a write would open one and take the lock). What cannot wait runs here: a
    SELECT outside a transaction (in WAL mode a reader never waits for a writer), and every statement inside a
    transaction this connection began with BEGIN IMMEDIATE (it holds the write lock until COMMIT or ROLLBACK)."""

    _immediate = False
    """The open transaction was begun with BEGIN IMMEDIATE: it holds the write lock."""
    _wal = False
    """The database is in WAL mode (the connect pragmas said so), where a reader never waits for a writer."""
    _busy_timeout: int | None = None
    """The connection's own lock wait (ms), read once: it is set when connecting, and only `began_here` changes it,
    for a moment."""

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection: in the connection's thread (`in_thread`), or here when no trip is under way
        (one statement at a time: the pool lends a connection to one turn, which awaits each statement)."""
        return self._conn

    def runs_here(self, sql: str) -> bool:
        """Whether ``sql`` cannot wait for a lock, so it may run in the caller's thread."""
        if self.raw.in_transaction:
            return self._immediate
        self._immediate = False
        return self._wal and sql.lstrip()[:6].upper() == "SELECT"

    def began_here(self, sql: str) -> bool:
        """BEGIN IMMEDIATE run here if the write lock is free this instant (else it is for the connection's thread,
        which waits for it): whether it ran."""
        raw = self.raw
        if raw.in_transaction or not _begins_immediate(sql):
            return False
        if self._busy_timeout is None:
            self._busy_timeout = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # another connection (or process) holds the write lock
            return False
        finally:
            raw.execute(f"PRAGMA busy_timeout = {self._busy_timeout}")
        self._immediate = True
        return True

    def after_trip(self, sql: str, rows: list[Any]) -> None:
        """Note what a statement run in the connection's thread changed: BEGIN IMMEDIATE took the write lock, the
        journal mode pragma said whether readers may run here."""
        if _begins_immediate(sql):
            self._immediate = self.raw.in_transaction
        elif " ".join(sql.split()).upper().startswith("PRAGMA JOURNAL_MODE"):
            self._wal = bool(rows) and str(rows[0][0]).lower() == "wal"

    async def in_thread(self, function: Callable[[], Any]) -> Any:
        return await self._execute(function)  # type: ignore[no-untyped-call]

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """Entered with ``async with`` (as SQLAlchemy does), no trip: the sqlite3 cursor is made at each execute."""
        return OneTripCursor(self)


def _begins_immediate(sql: str) -> bool:
    """Whether ``sql`` is BEGIN IMMEDIATE (any case or spacing); other statements are told apart by their first
    word, without rebuilding the whole text."""
    return sql.lstrip()[:5].upper() == "BEGIN" and " ".join(sql.split()).upper() == "BEGIN IMMEDIATE"


def one_trip_creator(args: Sequence[Any], options: dict[str, Any]) -> Callable[[], Awaitable[OneTripConnection]]:
    """SQLAlchemy's ``async_creator``: a `OneTripConnection` opened with the dialect's own connect arguments."""
    async def create() -> OneTripConnection:
        connection = OneTripConnection(lambda: sqlite3.connect(*args, **{**options, "check_same_thread": False}),
                                       iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's aiosqlite dialect does
        await connection
        return connection

    return create
