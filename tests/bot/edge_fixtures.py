"""A running Faultline on SQLite and, when configured, on PostgreSQL (for the edge tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.conftest import Running, desk_on
from tests.bot.fakes import FakeConnector


@pytest.fixture(name="running", params=["sqlite", "postgresql"])
async def running_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    """Faultline in local mode on each kind of database; PostgreSQL skips without FAULTLINE_TEST_DATABASE_URL."""
    async with desk_on(request.param, tmp_path, FakeConnector()) as running:
        yield running
