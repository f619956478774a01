"""Retention: the scheduler prunes what is past its age, now and then, and keeps what the service still needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, update

from bot.reminders.prune import Retention, prune
from bot.reminders.scheduler import Scheduler
from bot.reminders.store import FIRED, PENDING, SENT
from bot.store.conversations import DatabaseStorage
from bot.store.db import Database
from bot.store.schema import dialog_state, outbox, processed_activities, tickets, timers
from tests.bot.conftest import START
from tests.bot.fakes import SteppableClock
from tests.bot.test_scheduler_scale import scale_config, seed, services

DAY = timedelta(days=1)


async def count(db: Database, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def activities(db: Database) -> set[str]:
    async with db.read() as conn:
        return {r[0] for r in await conn.execute(select(processed_activities.c.activity_id))}


def row(key: str, status: str, at: datetime, ticket: int | None = None) -> dict[str, object]:
    return {"key": key, "ticket_id": ticket, "timer_id": None, "purpose": "notice", "recipient": "conversation:c",
            "tenant_id": None, "status": status, "attempts": 0, "not_before": START + 365 * DAY, "created_at": at,
            "payload": {"activity": {"type": "message"}}}


async def test_the_scheduler_prunes_by_age_once_an_hour_and_keeps_open_tickets_timers(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'prune.db'}")
    await db.migrate()
    clock = SteppableClock(START)
    try:
        async with aiohttp.ClientSession() as session:
            s = services(db, clock, session, scale_config(tmp_path))
            await seed(s, 2, "http://127.0.0.1:9/")  # ticket 1 will be resolved; ticket 2 stays open
            async with db.write() as conn:
                await conn.execute(update(timers).values(status=FIRED, fired_at=START))
                await conn.execute(update(tickets).where(tickets.c.id == 1).values(status="resolved",
                                                                                  updated_at=START))
            await s.conversations.claim_activity("a-old", "a:1", START)
            await DatabaseStorage(db, clock).write({"abandoned/conversation": {"step": "description"}})
            scheduler = Scheduler(s)
            await scheduler.outbox.enqueue([row("sent", SENT, START, 1), row("failed", "failed", START),
                                            row("waiting", PENDING, START)])
            timers_of = {n: await count(db, timers, timers.c.ticket_id == n) for n in (1, 2)}
            assert timers_of[1] > 0 and timers_of[2] > 0

            clock.current = START + DAY
            await s.conversations.claim_activity("a-recent", "a:1", clock.now())
            await DatabaseStorage(db, clock).write({"recent/conversation": {"step": "confirm"}})
            assert (await scheduler.tick()).pruned == 0
            clock.current = START + 3 * DAY
            await scheduler.tick()
            assert await activities(db) == {"a-recent"}  # Teams' re-deliveries come within minutes; 2 days kept

            await s.conversations.claim_activity("a-late", "a:1", START)  # an old one appears after the run
            clock.step(minutes=30)
            await scheduler.tick()
            assert "a-late" in await activities(db)  # pruning runs once an hour, not every tick
            clock.step(minutes=31)
            await scheduler.tick()
            assert "a-late" not in await activities(db)

            clock.current = START + 31 * DAY
            await DatabaseStorage(db, clock).write({"recent/conversation": {"step": "confirm"}})
            await scheduler.tick()
            async with db.read() as conn:
                states = {r[0] for r in await conn.execute(select(dialog_state.c.key))}
                kept = {r[0] for r in await conn.execute(select(outbox.c.key))}
            assert states == {"recent/conversation"}  # untouched for 14 days: an abandoned report
            assert kept == {"waiting"}  # sent and failed messages go after 30 days; waiting ones never
            assert await count(db, timers, timers.c.ticket_id == 1) == 0  # a resolved ticket's past timers go
            assert await count(db, timers, timers.c.ticket_id == 2) == timers_of[2]  # an open ticket's stay
    finally:
        await db.close()


async def test_retention_ages_come_from_settings(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ages.db'}")
    await db.migrate()
    clock = SteppableClock(START)
    try:
        async with aiohttp.ClientSession() as session:
            s = services(db, clock, session, scale_config(tmp_path))
            await s.conversations.claim_activity("a-1", "a:1", START)
            short = Retention(activities=timedelta(hours=1))
            assert (await prune(db, START + timedelta(minutes=59), short))["activities"] == 0
            assert (await prune(db, START + timedelta(minutes=61), short))["activities"] == 1
        from bot.reminders.scheduler import retention
        from bot.settings import settings_from_env

        configured = retention(settings_from_env({"FAULTLINE_KEEP_ACTIVITIES_DAYS": "0.5",
                                                  "FAULTLINE_KEEP_OUTBOX_DAYS": "7"}, to_serve=False))
        assert configured.activities == timedelta(hours=12) and configured.outbox == timedelta(days=7)
    finally:
        await db.close()
