"""Sending shared by replicas: one tenant allowance over every replica, counted as calls arrive at Teams, and one
replica at a time sending to a person, who gets one first alert and then digests however many replicas fire. On
SQLite (one process) the same allowance is kept in the process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.clock import SystemClock
from bot.reminders.gate import TENANT_CALLS, SendGate, Throttled
from bot.reminders.scheduler import Scheduler
from bot.reminders.sending import BUSY_TENANT
from bot.reminders.store import PENDING
from bot.rules import timers as p
from bot.store.db import Database
from tests.bot.conftest import START
from tests.bot.fakes import FakeConnector, SteppableClock
from tests.bot.test_scheduler_scale import scale_config, services
from tests.bot.test_sending import delivered_keys
from tests.conftest import drop_schema, make_database

DIALECTS = pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])


@dataclass
class Replicas:
    """Two processes' worth of database engines on one database (the second opens its own connections)."""

    one: Database
    two: Database


@pytest.fixture
async def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Replicas]:
    first, schema = await make_database(request.param, tmp_path)  # skips PostgreSQL when none is configured
    options = {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}
    second = Database(str(first.url), **options)
    await first.migrate()
    yield Replicas(first, second)
    await first.close()
    await second.close()
    if schema:
        await drop_schema(schema)


BOTH = pytest.mark.parametrize("replicas", ["sqlite", "postgresql"], indirect=True)
POSTGRESQL = pytest.mark.parametrize("replicas", ["postgresql"], indirect=True)  # replicas need it


def gates(replicas: Replicas, lease: timedelta) -> tuple[SendGate, SendGate]:
    """Two replicas' gates on PostgreSQL; on SQLite (one process) the one process's gate twice."""
    a = SendGate(replicas.one, "a", lease)
    return a, (SendGate(replicas.two, "b", lease) if a.shared else a)


@BOTH
async def test_fifty_calls_at_once_over_two_replicas_and_a_slot_frees_a_second_after_its_call_ended(
        replicas: Replicas) -> None:
    lease = timedelta(seconds=20)
    a, b = gates(replicas, lease)
    taken = [await (a if n % 2 else b).slot("tenant-1", START) for n in range(TENANT_CALLS)]
    assert sorted(taken) == list(range(TENANT_CALLS))  # 25 each, and no slot twice
    with pytest.raises(Throttled) as throttled:
        await a.slot("tenant-1", START)
    assert START < throttled.value.until <= START + timedelta(seconds=1)
    assert await b.slot("tenant-2", START) is not None  # another tenant has its own allowance
    await a.free("tenant-1", taken[:10], START + timedelta(seconds=0.3))  # ten calls ended 0.3 s in
    with pytest.raises(Throttled) as throttled:
        await b.slot("tenant-1", START + timedelta(seconds=1.2))  # they may have arrived at Teams up to then
    assert throttled.value.until == START + timedelta(seconds=1.3)  # when the first of them comes free
    again = [await b.slot("tenant-1", START + timedelta(seconds=1.31)) for _ in range(10)]
    assert sorted(again) == sorted(taken[:10])
    with pytest.raises(Throttled):  # the other 40 are still under way (or their replica died): held ...
        await b.slot("tenant-1", START + timedelta(seconds=20))
    late = START + lease + timedelta(seconds=1.01)  # ... until their lease and a second are over
    assert len({await b.slot("tenant-1", late) for _ in range(40)}) == 40


@POSTGRESQL
async def test_one_replica_at_a_time_sends_to_a_person_and_both_know_when_they_were_last_alerted(
        replicas: Replicas) -> None:
    lease = timedelta(seconds=90)
    a, b = SendGate(replicas.one, "a", lease), SendGate(replicas.two, "b", lease)
    turn = await a.turn("user:duty", START)
    assert turn is not None and turn.last_alert is None
    assert await b.turn("user:duty", START) is None  # a is sending to them
    assert await b.turn("user:other", START) is not None  # another person is free
    also = await a.turn("user:duty", START)  # a second sender in the same process shares a's turn
    assert also is not None
    a.alerted(turn, START + timedelta(seconds=1))
    await a.end(also, START + timedelta(seconds=2))
    assert await b.turn("user:duty", START + timedelta(seconds=2)) is None  # a's first sender is still at it
    await a.end(turn, START + timedelta(seconds=2))
    theirs = await b.turn("user:duty", START + timedelta(seconds=2))
    assert theirs is not None and theirs.last_alert == START + timedelta(seconds=1)
    # b dies holding the turn: a gets it back when the lease runs out, not before
    assert await a.turn("user:duty", START + timedelta(seconds=60)) is None
    assert await a.turn("user:duty", START + lease + timedelta(seconds=3)) is not None


@dataclass
class TimedConnector(FakeConnector):
    """Answers each activity POST after ``late`` seconds and notes when each arrived (monotonic seconds)."""

    late: float = 0.2
    arrivals: list[float] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST" and "/activities" in request.path:
            self.arrivals.append(time.monotonic())
            response = await super()._handle(request)
            await asyncio.sleep(self.late)
            return response
        return await super()._handle(request)


def busiest_second(arrivals: list[float]) -> int:
    ordered = sorted(arrivals)
    return max(sum(1 for t in ordered[n:] if t - start < 1.0) for n, start in enumerate(ordered))


def notice(key: str, recipient: str, tenant: str, service_url: str, now: Any,
           purpose: str = "notice") -> dict[str, Any]:
    return {"key": key, "ticket_id": None, "timer_id": None, "purpose": purpose, "recipient": recipient,
            "tenant_id": tenant, "status": PENDING, "attempts": 0, "not_before": now, "created_at": now,
            "payload": {"activity": {"type": "message", "text": key}, "service_url": service_url,
                        "due_at": now.isoformat()}}


@pytest.mark.slow
@BOTH
async def test_two_replicas_sending_to_one_tenant_keep_within_its_fifty_a_second_as_teams_counts_them(
        replicas: Replicas, tmp_path: Path) -> None:
    connector = TimedConnector(late=0.1)  # each call takes a tenth of a second: eight at once per replica, 80 a second
    service_url = await connector.start()
    clock, config = SystemClock(), scale_config(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            dbs = (replicas.one, replicas.two) if not replicas.one.is_sqlite else (replicas.one,)  # SQLite: one process
            schedulers = [Scheduler(services(db, clock, session, config), instance=f"r{n}", batch=20)  # type: ignore[arg-type]
                          for n, db in enumerate(dbs)]
            now = clock.now()
            await schedulers[0].outbox.enqueue(notice(f"m{n}", f"conversation:19:c{n}", "tenant-1", service_url, now)
                                               for n in range(160))

            async def run(scheduler: Scheduler) -> int:
                sent = 0
                for _ in range(150):
                    sent += (await scheduler.tick()).sent
                    if len(connector.arrivals) >= 160:
                        break
                    await asyncio.sleep(0.05)
                return sent

            sent = await asyncio.gather(*(run(s) for s in schedulers))
        assert sorted(delivered_keys(connector).values()) == [1] * 160  # every message once
        assert all(n > 0 for n in sent)  # each replica sent
        assert busiest_second(connector.arrivals) <= TENANT_CALLS  # calls still in flight counted too
    finally:
        await connector.stop()


@POSTGRESQL
async def test_a_person_alerted_by_one_replica_has_the_next_alerts_held_by_the_other_then_one_digest(
        replicas: Replicas, tmp_path: Path) -> None:
    connector = FakeConnector()
    service_url = await connector.start()
    clock, config = SteppableClock(START), scale_config(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            one, two = (services(db, clock, session, config) for db in (replicas.one, replicas.two))
            a, b = Scheduler(one, instance="a"), Scheduler(two, instance="b")
            await a.outbox.enqueue([notice("first", "user:duty", "msp", service_url, clock.now(), p.P1_OPENED)])
            assert (await a.tick()).sent == 1
            clock.step(seconds=2)
            await b.outbox.enqueue(notice(f"next{n}", "user:duty", "msp", service_url, clock.now(), p.P1_OPENED)
                                   for n in range(4))
            assert (await b.tick()).sent == 0  # held: a alerted them two seconds ago
            clock.step(seconds=29)
            await b.tick()
        keys = list(delivered_keys(connector))
        assert keys[0] == "first" and len(keys) == 2 and keys[1].startswith("digest:")  # one digest of the four
        assert not await b.outbox.claim(clock.now() + timedelta(minutes=5), 10)  # nothing else waits to go
    finally:
        await connector.stop()


@dataclass
class OneReplica:
    """One replica's scheduler on a stepped clock, sending to a fake connector."""

    scheduler: Scheduler
    connector: FakeConnector
    service_url: str
    clock: SteppableClock


@asynccontextmanager
async def one_replica(replicas: Replicas, tmp_path: Path) -> AsyncIterator[OneReplica]:
    connector = FakeConnector()
    service_url = await connector.start()
    clock = SteppableClock(START)
    try:
        async with aiohttp.ClientSession() as session:
            scheduler = Scheduler(services(replicas.one, clock, session, scale_config(tmp_path)), instance="a")
            yield OneReplica(scheduler, connector, service_url, clock)
    finally:
        await connector.stop()


@BOTH
async def test_when_the_tenants_allowance_runs_short_everyone_gets_a_first_message_before_anyone_a_second(
        replicas: Replicas, tmp_path: Path) -> None:
    async with one_replica(replicas, tmp_path) as r:  # the clock stands still: one second's worth
        await r.scheduler.outbox.enqueue(notice(f"m{i}:{n}", f"conversation:19:c{n}", "tenant-1", r.service_url,
                                                r.clock.now()) for n in range(40) for i in range(2))
        await r.scheduler.tick()
        sent = list(delivered_keys(r.connector))
    assert len(sent) == TENANT_CALLS
    assert sorted(k for k in sent if k.startswith("m0:")) == sorted(f"m0:{n}" for n in range(40))  # all 40
    assert all(sent.index(f"m0:{k.split(':')[1]}") < sent.index(k) for k in sent if k.startswith("m1:"))


@POSTGRESQL
async def test_a_slot_taken_with_a_turn_serves_its_first_call_or_comes_back_free_at_once_when_unused(
        replicas: Replicas) -> None:
    a, b = gates(replicas, timedelta(seconds=20))
    turn = await a.turn("user:duty", START, tenant="tenant-1")
    assert turn is not None and turn.spare is not None
    first = await a.slot("tenant-1", START, turn)
    assert first is not None and turn.spare is None  # the turn's slot, not a second one
    held = await a.turn("user:other", START, tenant="tenant-1")  # held back (say, the storm window): no call
    assert held is not None and held.spare is not None
    await a.end(held, START)
    others = [await b.slot("tenant-1", START) for _ in range(TENANT_CALLS - 1)]
    assert first not in others and len(set(others)) == TENANT_CALLS - 1  # the unused one was free again at once
    with pytest.raises(Throttled):
        await b.slot("tenant-1", START)


async def sent_by_tick(replicas: Replicas, tmp_path: Path, *batches: list[tuple[str, int]],
                       seconds_between: float = 0.5) -> list[str]:
    """Each batch (recipient, alerts ready at once for them) enqueued, then one tick; the keys delivered, in order."""
    async with one_replica(replicas, tmp_path) as r:
        for n, batch in enumerate(batches):
            await r.scheduler.outbox.enqueue(
                notice(f"b{n}:{who}:{i}", f"conversation:19:{who}", "tenant-1", r.service_url, r.clock.now(),
                       p.P1_OPENED) for who, alerts in batch for i in range(alerts))
            await r.scheduler.tick()
            r.clock.step(seconds=seconds_between)
        return list(delivered_keys(r.connector))


@BOTH
async def test_two_alerts_at_once_go_as_two_cards_while_the_tenant_is_quiet_and_one_digest_while_it_is_busy(
        replicas: Replicas, tmp_path: Path) -> None:
    quiet = await sent_by_tick(replicas, tmp_path, [("duty", 2), ("lead", 1)])
    assert sorted(quiet) == ["b0:duty:0", "b0:duty:1", "b0:lead:0"]  # each alert its own card, with its buttons
    # enough of the tenant's people to alert at once: the duty manager's two alerts take one call, not two
    storm = await sent_by_tick(replicas, tmp_path, [("duty2", 2), *((f"p{n}", 1) for n in range(BUSY_TENANT - 1))])
    assert len(storm) == BUSY_TENANT and sum(k.startswith("digest:") for k in storm) == 1
    assert not any(k.startswith("b0:duty2:") for k in storm)


@BOTH
async def test_a_tenant_stays_busy_for_a_second_after_a_burst_of_calls_then_two_alerts_go_as_two_cards_again(
        replicas: Replicas, tmp_path: Path) -> None:
    burst = [(f"p{n}", 1) for n in range(BUSY_TENANT)]
    soon = await sent_by_tick(replicas, tmp_path, burst, [("duty", 2)], seconds_between=0.5)
    assert len(soon) == BUSY_TENANT + 1 and soon[-1].startswith("digest:")  # half a second on: still busy
    later = await sent_by_tick(replicas, tmp_path, [(f"q{n}", 1) for n in range(BUSY_TENANT)], [("lead", 2)],
                               seconds_between=1.5)
    assert sorted(later[-2:]) == ["b1:lead:0", "b1:lead:1"]  # a second and a half on: quiet again


@POSTGRESQL
async def test_a_turn_for_someone_whose_alerts_wait_keeps_no_slot_and_a_tenant_full_for_a_moment_is_asked_again_soon(
        replicas: Replicas) -> None:
    a, b = gates(replicas, timedelta(seconds=20))
    first = await a.turn("user:duty", START, tenant="tenant-1")
    assert first is not None
    call = await a.slot("tenant-1", START, first)
    assert call is not None
    await a.free("tenant-1", [call], START + timedelta(milliseconds=100))  # the first alert went
    a.alerted(first, START)
    await a.end(first, START + timedelta(milliseconds=100))
    window = timedelta(seconds=30)
    later = START + timedelta(seconds=2)
    held = await b.turn("user:duty", later, tenant="tenant-1", held_within=window)  # alerted 2 s ago: theirs wait
    assert held is not None and held.last_alert == START and held.spare is None
    await b.end(held, later)
    others = [await b.slot("tenant-1", later) for _ in range(TENANT_CALLS - 1)]  # 49 calls under way
    assert None not in others
    lead = await a.turn("user:lead", later, tenant="tenant-1", held_within=window)  # never alerted: one for its call
    assert lead is not None and lead.spare is not None
    with pytest.raises(Throttled) as refused:  # all 50 taken, one by a turn that may make no call
        await b.slot("tenant-1", later)
    assert refused.value.until <= later + timedelta(milliseconds=250)
    await a.end(lead, later)  # it made none: its slot is free at once, and b finds it at its next try
    assert await b.slot("tenant-1", refused.value.until) is not None
