"""Firing a tick's timers together: tickets read at once, timers replanned and finished together, each as if alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.reminders.store import CANCELLED, DROPPED, FIRED, PENDING, Outbox, Timer, TimerStore
from bot.rules.timers import BREACHED, REMINDER_DUE, REMINDER_SNOOZED, PlannedTimer
from bot.store.db import Database
from bot.store.schema import outbox, timers
from bot.store.tickets import TicketStore
from tests.bot.test_storage import NOW, new_ticket

LATER = NOW + timedelta(hours=1)


def planned(kind: str, hours: float) -> PlannedTimer:
    at = NOW + timedelta(hours=hours)
    return PlannedTimer(kind, "restoration", at, at)


async def statuses(db: Database) -> dict[str, str]:
    async with db.read() as conn:
        return {row.key: row.status for row in await conn.execute(select(timers.c.key, timers.c.status))}


async def test_tickets_are_read_with_their_own_events_in_order(database: Database) -> None:
    store = TicketStore(database)
    first, second = [await store.create(new_ticket(), at=NOW) for _ in range(2)]
    await store.note(second.id, kind="post_failed", at=LATER, data={"where": "channel"})
    read = await store.with_events([second.id, first.id, 999])
    assert set(read) == {first.id, second.id}
    assert read[first.id][0] == await store.get(first.id)
    assert [e.kind for e in read[second.id][1]] == ["opened", "post_failed"]
    assert [e.kind for e in read[first.id][1]] == ["opened"]


async def test_replanning_tickets_together_retires_only_each_tickets_stale_timers(database: Database) -> None:
    store, timer_store = TicketStore(database), TimerStore(database, "replica-a")
    one, two = [await store.create(new_ticket(), at=NOW) for _ in range(2)]
    await timer_store.replan_all({one.id: [planned(BREACHED, 4), planned(REMINDER_DUE, 1)],
                                  two.id: [planned(BREACHED, 4)]}, NOW)
    snooze = PlannedTimer(REMINDER_SNOOZED, "first_update", LATER, LATER)
    await timer_store.add(two.id, snooze, NOW, key=f"{two.id}:snoozed")
    await timer_store.replan_all({one.id: [planned(BREACHED, 4)], two.id: []}, NOW)
    assert await statuses(database) == {
        planned(BREACHED, 4).key(one.id): PENDING, planned(REMINDER_DUE, 1).key(one.id): CANCELLED,
        planned(BREACHED, 4).key(two.id): CANCELLED, f"{two.id}:snoozed": PENDING}


async def test_timers_finished_together_queue_each_ones_messages_under_the_claim(database: Database) -> None:
    store = TicketStore(database)
    tickets = [await store.create(new_ticket(), at=NOW) for _ in range(3)]
    ours, theirs = TimerStore(database, "replica-a"), TimerStore(database, "replica-b")
    await ours.replan_all({t.id: [planned(BREACHED, 0)] for t in tickets}, NOW)
    claimed = await ours.claim_due(NOW, 10)
    assert len(claimed) == 3
    message = {"ticket_id": tickets[0].id, "timer_id": claimed[0].id, "purpose": BREACHED,
               "recipient": "user:lead", "tenant_id": None, "status": PENDING, "attempts": 0, "not_before": NOW,
               "created_at": NOW, "payload": {"activity": {"type": "message"}}}
    outcomes: list[tuple[Timer, str, list[dict[str, object]]]] = [
        (claimed[0], FIRED, [message | {"key": "k0"}]), (claimed[1], DROPPED, []),
        (claimed[2], FIRED, [message | {"key": "k2"}, message | {"key": "k0"}])]
    await theirs.finish_all(outcomes, NOW)  # not their claim: nothing changes but the idempotent messages
    assert set((await statuses(database)).values()) == {"claimed"}
    await ours.finish_all(outcomes, NOW)
    assert sorted((await statuses(database)).values()) == [DROPPED, FIRED, FIRED]
    async with database.read() as conn:
        assert sorted(k for (k,) in await conn.execute(select(outbox.c.key))) == ["k0", "k2"]
    assert (await Outbox(database, "x").counts()) == {PENDING: 2}


async def test_a_claim_taken_over_is_fenced_at_its_send_and_only_a_moments_old_claim_skips_the_hold(
        database: Database) -> None:
    """Replica A claims a message and stalls past its lease; B takes it over. A's claim is then no longer a moment
    old, so A holds before sending and finds the message is not its own (B sends it); B's fresh claim needs no
    hold. A claim half a second old or more is always held first."""
    from bot.reminders.store import JUST_CLAIMED

    a, b = Outbox(database, "replica-a"), Outbox(database, "replica-b")
    await a.enqueue([{"key": "k", "ticket_id": None, "timer_id": None, "purpose": "reply", "recipient": "user:x",
                      "tenant_id": None, "status": PENDING, "attempts": 0, "not_before": NOW, "created_at": NOW,
                      "payload": {"activity": {"type": "message"}}}])
    (mine,) = await a.claim(NOW, 10)
    assert a.just_claimed([mine], NOW + JUST_CLAIMED / 2)
    assert not a.just_claimed([mine], NOW + JUST_CLAIMED)
    stalled = NOW + a.lease + timedelta(seconds=1)
    (theirs,) = await b.claim(stalled, 10)
    assert b.just_claimed([theirs], stalled) and not a.just_claimed([mine], stalled)
    assert await a.hold([mine], stalled) == set()
    assert await b.hold([theirs], stalled) == {theirs.id}
