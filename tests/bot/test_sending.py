"""Sending under connector faults: long Retry-After across replicas, a slow connector, one hung conversation,
rate-limit waits that are not failures, and a turn that hands its replies to the outbox instead of waiting."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import SERVICES
from bot.edge.connector import Connector, ConnectorError, NoToken
from bot.reminders.scheduler import Scheduler
from bot.reminders.store import PENDING, SENT
from bot.settings import Settings
from bot.store.db import Database
from bot.store.schema import outbox
from tests.bot.conftest import START, Running, start_faultline
from tests.bot.fakes import FakeConnector, Recorded, SteppableClock
from tests.bot.test_scheduler_scale import scale_config, seed, services
from tests.conftest import drop_schema, make_database


def key_of(body: dict[str, Any]) -> str | None:
    return (body.get("channelData") or {}).get("faultline", {}).get("outboxKey")


@dataclass
class FaultyConnector(FakeConnector):
    """The fake Bot Connector with the faults seen in production, chosen per test.

    ``throttle_first``: each outbox key's first POST is answered 429 with this Retry-After (seconds).
    ``late``: every activity POST is accepted at once but answered only after this many seconds.
    ``hang``: POSTs to this conversation wait until ``unhang`` is set.
    ``idempotent``: a POST repeating an accepted outbox key is answered with the first id and not delivered again.
    """

    throttle_first: int | None = None
    late: float = 0.0
    hang: str | None = None
    unhang: asyncio.Event = field(default_factory=asyncio.Event)
    idempotent: bool = False
    accepted: dict[str, str] = field(default_factory=dict)
    throttled: set[str] = field(default_factory=set)
    arrived: list[tuple[str, str]] = field(default_factory=list)  # (path, outbox key) as each POST arrives

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method != "POST" or "/activities" not in request.path:
            return await super()._handle(request)
        body = await request.json()
        key = key_of(body) or ""
        self.arrived.append((request.path, key))
        if self.fail_with:  # a plain failure, no Retry-After
            self._record(request, body, self.fail_with.pop(0))
            return web.json_response({"error": {"code": "ServiceError"}}, status=self.calls[-1].status)
        if self.throttle_first is not None and key not in self.throttled:
            self.throttled.add(key)
            self._record(request, body, 429)
            return web.json_response({"error": {"code": "Throttled"}}, status=429,
                                     headers={"Retry-After": str(self.throttle_first)})
        if self.hang and f"/v3/conversations/{self.hang}/" in request.path:
            await self.unhang.wait()
        if self.idempotent and key in self.accepted:
            self._record(request, body, 200, delivered=False)
            return web.json_response({"id": self.accepted[key]}, status=200)
        number = f"activity-{next(self._ids)}"
        self.accepted[key] = number
        self._record(request, body, 201)
        if self.late:
            await asyncio.sleep(self.late)  # accepted and shown to the user; the answer comes late
        return web.json_response({"id": number}, status=201)

    def delivered(self) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.method == "POST" and c.status in (200, 201) and "/activities" in c.path
                and c.status != 208]

    def _record(self, request: web.Request, body: dict[str, Any], status: int, delivered: bool = True) -> None:
        # A repeated key that the connector recognised is recorded as a 208 (already reported): not delivered.
        self.calls.append(Recorded(request.method, request.path, body, dict(request.headers),
                                   status if delivered else 208))


def delivered_keys(connector: FakeConnector) -> Counter[str]:
    return Counter(k for body in connector.delivered() if (k := key_of(body)))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_two_replicas_and_a_retry_after_longer_than_the_lease_deliver_each_message_once(
        dialect: str, tmp_path: Path) -> None:
    first_db, schema = await make_database(dialect, tmp_path)  # skips PostgreSQL when none is configured
    options = {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}
    second_db = Database(str(first_db.url), **options)
    connector = FaultyConnector(throttle_first=12)  # Retry-After 12 s; the lease is 10 s
    service_url = await connector.start()
    clock = SteppableClock(START)
    config = scale_config(tmp_path)
    lease = timedelta(seconds=10)
    try:
        await first_db.migrate()
        async with aiohttp.ClientSession() as session:
            one, two = services(first_db, clock, session, config), services(second_db, clock, session, config)
            await seed(one, 5, service_url)
            clock.current = START + timedelta(minutes=60, seconds=30)  # five update reminders are due
            replicas = [Scheduler(s, instance=name, lease=lease, connector=Connector(
                session, NoToken(), attempts=2, max_wait=2.0)) for s, name in ((one, "a"), (two, "b"))]

            async def run(replica: Scheduler) -> None:
                for _ in range(40):
                    await replica.tick()
                    clock.step(seconds=0.5)  # both replicas move the clock on: the lease runs out during waits
                    await asyncio.sleep(0.01)

            await asyncio.gather(*(run(r) for r in replicas))
        assert len(connector.throttled) == 5  # every message met the long Retry-After once
        assert delivered_keys(connector) == Counter(dict.fromkeys(connector.throttled, 1))
    finally:
        await first_db.close()
        await second_db.close()
        await connector.stop()
        if schema:
            await drop_schema(schema)


@dataclass
class Desk:
    """A scheduler on SQLite with a faulty connector, and direct access to its outbox."""

    scheduler: Scheduler
    connector: FaultyConnector
    clock: SteppableClock
    db: Database
    service_url: str

    async def queue(self, conversation: str, count: int, purpose: str = "notice", prefix: str = "m") -> None:
        now = self.clock.now()
        await self.scheduler.outbox.enqueue({
            "key": f"{prefix}{n}:{conversation}", "ticket_id": None, "timer_id": None, "purpose": purpose,
            "recipient": f"conversation:{conversation}", "tenant_id": None, "status": PENDING, "attempts": 0,
            "not_before": now, "created_at": now,
            "payload": {"activity": {"type": "message", "text": f"message {n}"}, "service_url": self.service_url,
                        "due_at": now.isoformat()}} for n in range(count))

    async def rows(self) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            return [dict(r._mapping) for r in await conn.execute(select(outbox).order_by(outbox.c.id))]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    opened: list[tuple[Database, FaultyConnector, aiohttp.ClientSession]] = []

    async def make(connector: FaultyConnector, **connector_options: Any) -> Desk:
        service_url = await connector.start()
        db = Database(f"sqlite+aiosqlite:///{tmp_path / f'desk{len(opened)}.db'}")
        await db.migrate()
        session = aiohttp.ClientSession()
        opened.append((db, connector, session))
        clock = SteppableClock(START)
        s = services(db, clock, session, scale_config(tmp_path))
        scheduler = Scheduler(s, connector=Connector(session, NoToken(), **connector_options))
        return Desk(scheduler, connector, clock, db, service_url)

    yield make
    for db, connector, session in opened:
        connector.unhang.set()
        await session.close()
        await db.close()
        await connector.stop()


async def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """A safety net against hanging, not a speed assertion: polls until ``condition`` holds."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def test_one_hung_conversation_does_not_hold_the_others_and_each_keeps_its_order(desk: Any) -> None:
    d: Desk = await desk(FaultyConnector(hang="19:slow"), attempts=1)
    await d.queue("19:slow", 2)  # queued first: the old sender tried these before anything else
    for n in range(5):
        await d.queue(f"19:quick{n}", 2)
    tick = asyncio.create_task(d.scheduler.tick())
    quick = [f"m{i}:19:quick{n}" for n in range(5) for i in range(2)]
    assert await wait_until(lambda: all(k in delivered_keys(d.connector) for k in quick))
    assert not tick.done()
    slow_posts = [key for path, key in d.connector.arrived if "19:slow" in path]
    assert slow_posts == ["m0:19:slow"]  # the second waits behind the first, in its conversation only
    d.connector.unhang.set()
    result = await tick
    assert result.sent == 12
    assert [key_of(c.body) for c in d.connector.calls if "19:slow" in c.path] == ["m0:19:slow", "m1:19:slow"]
    for n in range(5):
        assert [key_of(c.body) for c in d.connector.calls if f"19:quick{n}/" in c.path] == \
               [f"m0:19:quick{n}", f"m1:19:quick{n}"]


async def test_a_connector_that_answers_after_the_timeout_is_not_sent_the_message_again_at_once(desk: Any) -> None:
    d: Desk = await desk(FaultyConnector(late=1.0, idempotent=True), attempts=3, timeout=0.3)
    await d.queue("19:thread", 1)
    result = await d.scheduler.tick()
    posts = [c for c in d.connector.calls if c.method == "POST"]
    assert len(posts) == 1  # accepted, answered too late: not repeated within the call
    assert result.sent == 0 and result.deferred == 1
    row = (await d.rows())[0]
    assert row["status"] == PENDING and row["attempts"] == 1  # an unknown outcome, retried after back-off
    d.connector.late = 0.0
    d.clock.step(minutes=1)
    await d.scheduler.tick()
    posts = [c for c in d.connector.calls if c.method == "POST"]
    assert [key_of(p.body) for p in posts] == ["m0:19:thread", "m0:19:thread"]  # the same key marks the retry
    assert delivered_keys(d.connector) == Counter({"m0:19:thread": 1})  # so the connector shows it once
    assert (await d.rows())[0]["status"] == SENT


async def test_a_slow_reply_is_posted_once_by_the_turns_connector() -> None:
    connector = FaultyConnector(late=1.0)
    service_url = await connector.start()
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(ConnectorError) as raised:
                await Connector(session, NoToken(), timeout=0.3).send(service_url, "a:1", {"type": "message"})
        assert raised.value.ambiguous
        assert len([c for c in connector.calls if c.method == "POST"]) == 1
    finally:
        await connector.stop()


async def test_waiting_for_the_rate_limit_is_not_a_failed_attempt(desk: Any) -> None:
    d: Desk = await desk(FaultyConnector(), attempts=1)
    await d.queue("19:busy", 200)  # far more than Teams lets one conversation take (60 per 30 s)
    for _ in range(40):
        await d.scheduler.tick()
        d.clock.step(seconds=1)
    rows = await d.rows()
    waiting = [r for r in rows if r["status"] == PENDING]
    assert waiting and all(r["attempts"] == 0 for r in rows)
    d.connector.fail_with = [503]  # now a real failure
    d.clock.current = max(r["not_before"] for r in waiting) + timedelta(minutes=1)  # Teams' windows have passed
    now = d.clock.now()
    await d.scheduler.tick()
    failed = [r for r in await d.rows() if r["attempts"] == 1]
    assert len(failed) == 1
    assert failed[0]["not_before"] - now <= timedelta(seconds=15)  # the first back-off, not 15 minutes


@dataclass
class ThrottlingConnector(FakeConnector):
    """Answers the first ``throttled`` activity POSTs 429 with a long Retry-After."""

    throttled: int = 0
    retry_after: int = 20

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST" and "/activities" in request.path and self.throttled > 0:
            self.throttled -= 1
            self.calls.append(Recorded("POST", request.path, await request.json(), dict(request.headers), 429))
            return web.json_response({"error": {"code": "Throttled"}}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        return await super()._handle(request)


async def test_a_reply_throttled_for_20_seconds_goes_through_the_outbox_instead_of_holding_the_turn(
        tmp_path: Path) -> None:
    connector = ThrottlingConnector(throttled=1)
    service_url = await connector.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    clock = SteppableClock(START)
    server, url = await start_faultline(Settings(local=True, scheduler_interval=0), db, connector, service_url,
                                        clock)
    try:
        async with aiohttp.ClientSession() as session:
            running = Running(url, connector, service_url, clock, db, session, server)
            assert await running.say("help") == 200
            assert [c.status for c in connector.calls if c.method == "POST"] == [429]  # one try, no 20 s wait
            scheduler = server.app[SERVICES].scheduler
            clock.step(seconds=10)
            await scheduler.tick()
            assert connector.delivered() == []  # not before Teams said it would take it
            clock.step(seconds=11)
            await scheduler.tick()
            delivered = connector.delivered()
            assert delivered and "Sorry" not in str(delivered)  # the turn's replies, late but whole
            assert {d["conversation"]["id"] for d in delivered} == {"a:personal-1"}
    finally:
        await server.close()
        await db.close()
        await connector.stop()



async def test_a_long_retry_after_is_handed_back_at_once_and_a_short_one_is_waited_for() -> None:
    from bot.edge.connector import SendDeferred

    connector = ThrottlingConnector(throttled=2, retry_after=20)
    service_url = await connector.start()
    try:
        async with aiohttp.ClientSession() as session:
            turns = Connector(session, NoToken())
            with pytest.raises(SendDeferred) as raised:
                await turns.send(service_url, "a:1", {"type": "message"})
            assert raised.value.retry_after == 20
            assert [c.status for c in connector.calls] == [429]  # no second try inside the call
            connector.retry_after = 0
            await turns.send(service_url, "a:1", {"type": "message"})
            assert [c.status for c in connector.calls][:2] == [429, 429]  # Retry-After 0: tried again at once
            assert len(connector.delivered()) == 1
    finally:
        await connector.stop()


async def test_without_an_outbox_the_adapter_names_the_replies_it_could_not_send() -> None:
    from botbuilder.core import TurnContext
    from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

    from bot.edge.adapter import FaultlineAdapter, RepliesDeferred

    connector = ThrottlingConnector(throttled=1, retry_after=20)
    service_url = await connector.start()
    try:
        async with aiohttp.ClientSession() as session:
            adapter = FaultlineAdapter(Connector(session, NoToken()))
            incoming = Activity(type="message", id="1", service_url=service_url, channel_id="msteams",
                                conversation=ConversationAccount(id="a:1"), from_property=ChannelAccount(id="u"),
                                recipient=ChannelAccount(id="b"))
            context = TurnContext(adapter, incoming)
            with pytest.raises(RepliesDeferred) as raised:
                await context.send_activities([Activity(type="message", text="one"),
                                               Activity(type="message", text="two")])
        assert [u.activity["text"] for u in raised.value.unsent] == ["one", "two"]
        assert raised.value.retry_after == 20
        assert connector.delivered() == []
    finally:
        await connector.stop()


def test_the_rate_limiter_forgets_conversations_idle_for_longer_than_its_longest_window() -> None:
    from bot.reminders.ratelimit import RateLimiter

    limiter = RateLimiter()
    for n in range(1000):
        limiter.acquire(f"19:c{n}", START)
    limiter.acquire("19:busy", START + timedelta(minutes=59))
    limiter.forget_idle(START + timedelta(hours=1))
    assert len(limiter) == 1  # the busy conversation; a thousand idle ones are gone
    assert limiter.acquire("19:busy", START + timedelta(hours=1)) == timedelta(0)
