"""aiosqlite connections whose statements cost one trip to the connection's thread instead of four.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes the cursor, each a hand-over to
aiosqlite's thread and back (a few tens of microseconds of CPU each, on a turn's every statement). Here the cursor is
made, run, read to the end and closed in one hand-over, and the adapter then reads what was kept. Transactions,
isolation and errors are sqlite3's own, unchanged; only the number of trips differs.
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
        return await self._run(lambda cursor: cursor.execute(sql, () if parameters is None else parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._run(lambda cursor: cursor.executemany(sql, parameters))

    async def _run(self, call: Callable[[sqlite3.Cursor], Any]) -> OneTripCursor:
        (self.description, self.rowcount, self.lastrowid,
         self._rows) = await self._connection.in_thread(lambda: _run_to_end(self._connection.raw, call))
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
    """In the connection's thread: run, read every row, close; (description, rowcount, lastrowid, rows)."""
    cursor = connection.cursor()
    try:
        call(cursor)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are `OneTripCursor`s."""

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection, to be used only in the connection's thread (`in_thread`)."""
        return self._conn

    async def in_thread(self, function: Callable[[], Any]) -> Any:
        return await self._execute(function)  # type: ignore[no-untyped-call]

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """Entered with ``async with`` (as SQLAlchemy does), no trip: the sqlite3 cursor is made at each execute."""
        return OneTripCursor(self)


def one_trip_creator(args: Sequence[Any], options: dict[str, Any]) -> Callable[[], Awaitable[OneTripConnection]]:
    """SQLAlchemy's ``async_creator``: a `OneTripConnection` opened with the dialect's own connect arguments."""
    async def create() -> OneTripConnection:
        connection = OneTripConnection(lambda: sqlite3.connect(*args, **options), iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's aiosqlite dialect does
        await connection
        return connection

    return create
