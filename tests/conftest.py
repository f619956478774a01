"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("FAULTLINE_TEST_DATABASE_URL", "")
PG_SKIP = ("PostgreSQL tests skipped: set FAULTLINE_TEST_DATABASE_URL, e.g. "
           "postgresql+asyncpg://postgres@127.0.0.1:5432/test (.ci/run sets it)")


def pytest_report_header() -> str:
    return f"PostgreSQL: {'used' if PG_URL else PG_SKIP}"


async def make_database(kind: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from bot.store.db import Database

    if kind == "sqlite":
        return Database(f"sqlite+aiosqlite:///{tmp_path / 'faultline.db'}"), None
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.close()
    return Database(PG_URL, connect_args={"server_settings": {"search_path": schema}}), schema


async def drop_schema(schema: str) -> None:
    from sqlalchemy import text

    from bot.store.db import Database

    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    """A migrated database of each kind; PostgreSQL gets a schema of its own, dropped afterwards."""
    db, schema = await make_database(request.param, tmp_path)
    await db.migrate()
    yield db
    await db.close()
    if schema:
        await drop_schema(schema)
