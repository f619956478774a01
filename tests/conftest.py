"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL; and a watch for failed turns."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

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


# -- a failed turn fails the test ---------------------------------------------------------------------
EXPECT_TURN_FAILURE = "expect_turn_failure"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{EXPECT_TURN_FAILURE}: the test provokes a turn that ends in the apology "
                                       "or an unhandled error, on purpose")


class UnhandledErrors(logging.Handler):
    """Collects what Faultline logs with a traceback (log.exception): a turn or a tick that raised."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.getMessage().startswith("turn failed"):
            error = record.exc_info[1] if record.exc_info else None
            self.seen.append(f"{record.name}: {record.getMessage()} ({type(error).__name__}: {error})")


def _apologies(connectors: list[Any]) -> list[str]:
    if not connectors:
        return []
    from bot.app import SORRY

    opening = SORRY.partition("{ref}")[0]
    return [str(call.body.get("text")) for connector in connectors for call in connector.calls
            if str(call.body.get("text") or "").startswith(opening)]


@pytest.fixture(autouse=True)
def _no_failed_turn(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test in which a turn ended in the apology or Faultline logged an unhandled error, unless the test
    is marked ``expect_turn_failure``: /api/messages answers 200 either way, so a status proves nothing."""
    from tests.bot.fakes import FakeConnector

    connectors: list[FakeConnector] = []
    start = FakeConnector.start

    async def start_and_watch(self: FakeConnector) -> str:
        connectors.append(self)
        return await start(self)

    monkeypatch.setattr(FakeConnector, "start", start_and_watch)
    errors = UnhandledErrors()
    logger = logging.getLogger("faultline")  # not the root: configure_logging replaces the root's handlers
    logger.addHandler(errors)
    try:
        yield
    finally:
        logger.removeHandler(errors)
    failures = errors.seen + [f"the user was told: {text}" for text in _apologies(connectors)]
    if failures and request.node.get_closest_marker(EXPECT_TURN_FAILURE) is None:
        pytest.fail("a turn failed (mark the test expect_turn_failure if that is what it tests):\n"
                    + "\n".join(failures), pytrace=False)
