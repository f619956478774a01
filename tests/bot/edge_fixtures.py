"""A running Faultline on SQLite and, when configured, on PostgreSQL (for the edge tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.settings import Settings
from tests.bot.conftest import START, Running, start_faultline
from tests.bot.fakes import FakeConnector, SteppableClock
from tests.conftest import drop_schema, make_database


@pytest.fixture(name="running", params=["sqlite", "postgresql"])
async def running_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    """Faultline in local mode on each kind of database; PostgreSQL skips without FAULTLINE_TEST_DATABASE_URL."""
    db, schema = await make_database(request.param, tmp_path)
    connector = FakeConnector()
    service_url = await connector.start()
    clock = SteppableClock(START)
    server, url = await start_faultline(Settings(local=True, scheduler_interval=0), db, connector, service_url,
                                        clock)
    async with aiohttp.ClientSession() as session:
        yield Running(url, connector, service_url, clock, db, session, server)
    await server.close()
    await db.close()
    await connector.stop()
    if schema:
        await drop_schema(schema)
