"""Fuzzing over HTTP: odd activities of every kind never get a 5xx, never end in the apology, and the service
stays ready. Deterministic (derandomized), 2,000 examples in local mode and 300 with authentication on."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.settings import Secret, Settings
from bot.store.db import Database
from tests.bot.conftest import START, start_faultline
from tests.bot.fakes import APP_ID, FakeConnector, FakeIssuer, SteppableClock, activity
from tests.bot.fuzz_activities import fuzzed

APOLOGY = "went wrong on our side"
REPORT = ["our phones are down", "10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone",
          "confirm"]
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
EXAMPLES = {False: 2000, True: 300}


class Errors(logging.Handler):
    """Counts error records (a failed turn logs one) while keeping their messages for the failure report."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    tmp: Path
    auth: bool
    connector: FakeConnector = field(default_factory=FakeConnector)
    issuer: FakeIssuer = field(default_factory=FakeIssuer)
    errors: Errors = field(default_factory=Errors)
    sent: int = 0

    def run(self, step):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(step)

    async def start(self) -> None:
        self.service_url = await self.connector.start()
        metadata = await self.issuer.start()
        self.db = Database(f"sqlite+aiosqlite:///{self.tmp / 'fuzz.db'}")
        chosen = (Settings(app_id=APP_ID, app_password=Secret("s"), openid_metadata_url=metadata,
                           emulator_openid_metadata_url=metadata, token_endpoint=f"{self.service_url}token",
                           scheduler_interval=0, graph_url="") if self.auth
                  else Settings(local=True, scheduler_interval=0))
        self.server, self.url = await start_faultline(chosen, self.db, self.connector, self.service_url,
                                                      SteppableClock(START))
        self.session = aiohttp.ClientSession()
        self.headers = {"Content-Type": "application/json"}
        if self.auth:
            self.headers["Authorization"] = f"Bearer {self.issuer.token(self.service_url)}"
        # With authentication on, some requests carry no token, a broken one, or one for another service URL.
        self.odd_tokens = [None, "Bearer", "Bearer a.b.c", "Bearer " + "W" * 4000, "Basic dXNlcjpwYXNz",
                           f"Bearer {self.issuer.token('https://smba.example/')}",
                           f"Bearer {self.issuer.token(self.service_url, aud=None)}"]
        for text in REPORT:  # a ticket for card actions and status commands to find
            body = activity(service_url=self.service_url, text=text, user="00000000-0000-0000-0000-000000000000")
            async with self.session.post(f"{self.url}api/messages", json=body, headers=self.headers) as response:
                assert response.status == 200

    async def post(self, raw: bytes, rng: random.Random) -> int:
        headers = dict(self.headers)
        if self.auth and rng.random() < 0.2:
            odd = rng.choice(self.odd_tokens)
            headers.pop("Authorization")
            headers |= {"Authorization": odd} if odd else {}
        async with self.session.post(f"{self.url}api/messages", data=raw, headers=headers) as response:
            await response.read()
            return response.status

    async def ready(self) -> bool:
        async with self.session.get(f"{self.url}readyz") as response:
            return response.status == 200

    def apologies(self) -> int:
        return sum(APOLOGY in str(call.body) for call in self.connector.calls)

    async def stop(self) -> None:
        await self.session.close()
        await self.server.close()
        await self.db.close()
        await self.connector.stop()
        await self.issuer.stop()


@pytest.fixture(params=[False, True], ids=["local", "authenticated"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    loop = asyncio.new_event_loop()
    running = Harness(loop, tmp_path, request.param)
    running.run(running.start())
    logging.getLogger().addHandler(running.errors)
    yield running
    logging.getLogger().removeHandler(running.errors)
    running.run(running.stop())
    loop.close()


def test_odd_activities_never_get_a_5xx_nor_the_apology(harness: Harness) -> None:
    assert harness.apologies() == 0 and harness.errors.seen == []

    @settings(FUZZ, max_examples=EXAMPLES[harness.auth])
    @given(st.randoms(use_true_random=False))
    def one(rng: random.Random) -> None:
        harness.sent += 1
        status = harness.run(harness.post(fuzzed(rng, harness.service_url, harness.sent), rng))
        assert status < 500
        assert harness.apologies() == 0, "a turn ended in the apology"
        assert harness.errors.seen == [], harness.errors.seen
        if harness.sent % 500 == 0:
            assert harness.run(harness.ready())

    one()
    assert harness.run(harness.ready())
    assert harness.sent >= EXAMPLES[harness.auth]
