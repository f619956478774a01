"""A running Faultline over real HTTP on loopback, with the fake Bot Connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.services import outbound
from bot.settings import Settings
from bot.store.db import Database
from tests.bot.fakes import FakeConnector, SteppableClock, activity

START = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)  # Monday 10:00 GMT


@dataclass
class Running:
    """One Faultline instance and the fakes around it."""

    url: str
    connector: FakeConnector
    service_url: str
    clock: SteppableClock
    db: Database
    session: aiohttp.ClientSession
    server: TestServer

    async def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        response = await self.session.post(f"{self.url}api/messages", json=body, headers=headers or {})
        await response.read()
        await outbound.drain()  # what the turn handed to the outbox is sent right after it
        return response

    async def say(self, text: str | None = None, value: dict[str, Any] | None = None, **kw: Any) -> int:
        response = await self.post(activity(service_url=self.service_url, text=text, value=value, **kw))
        return response.status


async def start_faultline(settings: Settings, db: Database, connector: FakeConnector, service_url: str,
                          clock: SteppableClock) -> tuple[TestServer, str]:
    app = create_app(settings, db=db, clock=clock)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server, str(server.make_url("/"))


@asynccontextmanager
async def desk_on(kind: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Running]:
    """Faultline in local mode over ``connector``, on SQLite or PostgreSQL (which skips without
    FAULTLINE_TEST_DATABASE_URL), with a steppable clock; everything is stopped and dropped afterwards."""
    from tests.conftest import drop_schema, make_database

    db, schema = await make_database(kind, tmp_path)
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


@pytest.fixture
async def faultline(tmp_path: Path) -> AsyncIterator[Running]:
    async with desk_on("sqlite", tmp_path, FakeConnector()) as running:
        yield running
