"""The database: engine, migrations at start-up, readiness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.store.sqlite_hops import one_trip_creator

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_312_016_001
"""PostgreSQL advisory lock taken while migrating, so replicas starting together migrate once."""


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


Built = TypeVar("Built")
_BUILT: dict[tuple[Callable[..., Any], bool], Any] = {}
"""`Database.built_once`'s results, by builder and kind of database."""


class Database:
    """One engine per process; SQLite writes are serialised in-process, PostgreSQL uses row locks."""

    def __init__(self, url: str, *, pool: int = 0, **engine_options: Any) -> None:
        """``pool`` connections (0: 20 on SQLite, 10 on PostgreSQL) stay open between turns, as many again open for a
        burst and close after it. On SQLite a pool smaller than the turns in flight opened and closed a connection
        (a thread and the pragmas) on nearly every turn; on PostgreSQL 20 rather than 10 sessions at once halved the
        median turn at saturation but doubled the slowest (bench/intake_bench.py, 50 reporters)."""
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        pool = pool or (20 if self.is_sqlite else 10)
        engine_options.setdefault("pool_size", pool)
        engine_options.setdefault("max_overflow", pool)
        if self.is_sqlite:
            self._prepare_sqlite_file()
            engine_options.setdefault("connect_args", {"timeout": 30})
            # Writes always end in COMMIT or ROLLBACK (engine.begin) and pysqlite opens no transaction for a
            # SELECT, so the pool's rollback-on-return is a wasted round trip to the driver thread.
            engine_options.setdefault("pool_reset_on_return", None)
            # Each statement in one trip to the connection's thread, not four (bot.store.sqlite_hops).
            args, options = SQLiteDialect_aiosqlite().create_connect_args(self.url)
            engine_options.setdefault("async_creator", one_trip_creator(args, {
                **options, **engine_options.pop("connect_args")}))
        else:
            engine_options.setdefault("pool_pre_ping", True)
        # Parameters are users' text and names: never in an error message, and so never in a log line.
        engine_options.setdefault("hide_parameters", True)
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._write_lock = asyncio.Lock()

    def _prepare_sqlite_file(self) -> None:
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (serialised on SQLite, where only one writer can proceed anyway)."""
        if self.is_sqlite:
            async with self._write_lock, self.engine.begin() as conn:
                # pysqlite opens its transaction only at the first INSERT/UPDATE, so a read before it (the next
                # event's sequence number) would see another connection's uncommitted past: take the write lock now.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        else:
            async with self.engine.begin() as conn:
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    def insert(self, table: Table) -> Any:
        """INSERT with this database's ON CONFLICT clauses (SQLite's or PostgreSQL's)."""
        return (sqlite if self.is_sqlite else postgresql).insert(table)

    def built_once(self, build: Callable[[Database], Built]) -> Built:
        """What ``build`` makes for this kind of database (SQLite or PostgreSQL), built once per process: the
        statements a store runs often, whose building and cache key cost more CPU than running them."""
        key = (build, self.is_sqlite)
        if key not in _BUILT:
            _BUILT[key] = build(self)
        found: Built = _BUILT[key]
        return found

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (safe when several replicas start at once)."""
        if self.is_sqlite:
            await self._migrate_sqlite()
            return
        async with self.write() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_upgrade)

    async def _migrate_sqlite(self) -> None:
        """SQLite changes a column by copying its table, which foreign keys forbid for a referenced table: they
        are switched off for the migration (possible only outside a transaction) and checked before it commits."""
        async with self._write_lock, self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
            try:
                async with conn.begin():
                    await conn.run_sync(_upgrade)
                    if (await conn.exec_driver_sql("PRAGMA foreign_key_check")).first() is not None:
                        raise RuntimeError("a migration left rows pointing at nothing; nothing was changed")
            finally:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()

    async def current_revision(self) -> str | None:
        async with self.read() as conn:
            return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())

    async def is_ready(self) -> tuple[bool, str]:
        """Reachable and migrated: (ok, a sentence for /readyz)."""
        try:
            current = await self.current_revision()
        except Exception as exc:  # any driver error means not ready; the reason is reported, not raised
            return False, f"database unreachable: {type(exc).__name__}"
        head = head_revision()
        if current != head:
            return False, f"database schema at {current or 'nothing'}, expected {head}"
        return True, f"database ready at schema {head}"

    async def close(self) -> None:
        await self.engine.dispose()


def _upgrade(sync: Connection) -> None:
    command.upgrade(_alembic_config(sync), "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
