"""One storage suite, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store.conversations import Binding, ConcurrentWriteError, ConversationStore, DatabaseStorage
from bot.store.db import Database, head_revision
from bot.store.schema import metadata
from bot.store.tickets import OFFERED_AT_MOST, NewTicket, TicketStore

NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def new_ticket(customer: str = "acme", prefix: str = "ACME", **changes: Any) -> NewTicket:
    values: dict[str, Any] = {
        "customer_id": customer, "reference_prefix": prefix, "category": "incident", "priority": "P1",
        "channel": "chat", "policy_id": "maintel-icon", "policy_snapshot": {"id": "maintel-icon"},
        "reported_at": NOW, "started_at": NOW - timedelta(minutes=10),
        "report": {"services_affected": ["inbound_calls"], "description": "phones down"},
        "classification": {"category": "incident", "priority": "P1"},
        "reporter_id": "aad-1", "reporter_name": "Ada Reporter", "reporter_conversation_id": "a:1",
    }
    values.update(changes)
    return NewTicket(**values)


async def test_migrations_create_exactly_the_schema(database: Database) -> None:
    assert await database.current_revision() == head_revision()
    async with database.read() as conn:
        diffs = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    assert diffs == []


async def test_migrating_twice_is_harmless_and_ready(database: Database) -> None:
    await database.migrate()
    ready, reason = await database.is_ready()
    assert ready and head_revision() in reason


async def test_ticket_gets_a_reference_and_an_opened_event(database: Database) -> None:
    store = TicketStore(database)
    ticket = await store.create(new_ticket(), at=NOW)
    assert ticket.reference == "ACME-000001"
    assert ticket.reported_at == NOW and ticket.reported_at.tzinfo is not None
    assert ticket.report["services_affected"] == ["inbound_calls"]
    events = await store.events(ticket.id)
    assert [(e.kind, e.seq, e.actor_name) for e in events] == [("opened", 1, "Ada Reporter")]
    assert (await store.by_reference("ACME-000001")) == ticket


async def test_references_are_per_customer_and_never_reused(database: Database) -> None:
    store = TicketStore(database)
    first = await store.create(new_ticket(), at=NOW)
    other = await store.create(new_ticket("globex", "GLOBEX"), at=NOW)
    second = await store.create(new_ticket(), at=NOW)
    assert (first.reference, other.reference, second.reference) == ("ACME-000001", "GLOBEX-000001", "ACME-000002")


async def test_concurrent_creation_gives_distinct_references(database: Database) -> None:
    store = TicketStore(database)
    created = await asyncio.gather(*(store.create(new_ticket(), at=NOW) for _ in range(20)))
    references = {t.reference for t in created}
    assert len(references) == 20
    assert references == {f"ACME-{n:06d}" for n in range(1, 21)}


async def test_activity_ids_are_claimed_once(database: Database) -> None:
    store = ConversationStore(database)
    results = await asyncio.gather(*(store.claim_activity("act-1", "conv", NOW) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await store.claim_activity("act-2", "conv", NOW)
    assert await store.forget_activities_before(NOW + timedelta(seconds=1)) == 2


async def test_conversation_reference_round_trip_and_update(database: Database) -> None:
    store = ConversationStore(database)
    await store.remember(conversation_id="a:1", tenant_id="t", customer_id="acme", user_id="u",
                         reference={"serviceUrl": "http://x/"}, at=NOW)
    await store.remember(conversation_id="a:1", tenant_id="t", customer_id="acme", user_id="u",
                         reference={"serviceUrl": "http://y/"}, at=NOW)
    assert await store.reference("a:1") == {"serviceUrl": "http://y/"}
    assert await store.reference("missing") is None


async def test_channel_binding_replaces_the_previous_one(database: Database) -> None:
    store = ConversationStore(database)
    for channel in ("19:a@thread", "19:b@thread"):
        await store.bind(Binding("acme", "team", channel, "http://svc/", "t", "admin", NOW))
    binding = await store.binding("acme")
    assert binding is not None and binding.channel_id == "19:b@thread" and binding.bound_at == NOW


async def test_dialog_state_storage_round_trip_and_delete(database: Database) -> None:
    storage = DatabaseStorage(database, FixedClock())
    await storage.write({"msteams/conversations/a:1/": {"intake": {"step": "services", "report": {"x": 1}}}})
    found = await storage.read(["msteams/conversations/a:1/", "other"])
    assert list(found) == ["msteams/conversations/a:1/"]
    assert found["msteams/conversations/a:1/"]["intake"]["step"] == "services"
    await storage.delete(["msteams/conversations/a:1/"])
    assert await storage.read(["msteams/conversations/a:1/"]) == {}


async def test_dialog_state_refuses_a_stale_write(database: Database) -> None:
    storage = DatabaseStorage(database, FixedClock())
    await storage.write({"k": {"n": 1}})
    first = (await storage.read(["k"]))["k"]
    await storage.write({"k": {**first, "n": 2}})
    with pytest.raises(ConcurrentWriteError):
        await storage.write({"k": {**first, "n": 3}})
    assert (await storage.read(["k"]))["k"]["n"] == 2


async def test_concurrent_transitions_are_serialised_and_none_is_lost(database: Database) -> None:
    from bot.rules.verbs import Change, Refusal

    store = TicketStore(database)
    ticket = await store.create(new_ticket(), at=NOW)

    def acknowledge(current: object, events: list) -> object:  # type: ignore[type-arg]
        if any(e.kind == "acknowledged" for e in events):
            return Refusal("already acknowledged")
        return Change("acknowledged", {"status": "acknowledged"}, {}, "ok")

    def update(current: object, events: list) -> object:  # type: ignore[type-arg]
        return Change("updated", {}, {"text": "x"}, "ok")

    results = await asyncio.gather(*(store.transition(ticket.id, at=NOW, actor_id=f"e{n}", actor_name="E",
                                                      decide=acknowledge if n % 2 else update) for n in range(10)))
    accepted = [d for _, d in results if isinstance(d, Change)]
    assert sum(1 for d in accepted if d.kind == "acknowledged") == 1
    assert sum(1 for d in accepted if d.kind == "updated") == 5
    events = await store.events(ticket.id)
    assert [e.seq for e in events] == list(range(1, 8))
    assert (await store.get(ticket.id)).version == 7  # type: ignore[union-attr]


async def test_what_a_change_causes_commits_with_it_or_not_at_all(database: Database) -> None:
    """A customer update and its queued message are one transaction: if queueing fails, the update is not kept
    either (the engineer is told it failed), so an update is never stored with its sending lost."""
    from bot.reminders.store import enqueue_in
    from bot.rules.verbs import Change
    from bot.store.schema import outbox

    store = TicketStore(database)
    ticket = await store.create(new_ticket(), at=NOW)

    def update(current: object, events: list) -> object:  # type: ignore[type-arg]
        return Change("updated", {}, {"text": "engineer on site"}, "ok")

    def row(key: str) -> dict[str, Any]:
        return {"key": key, "ticket_id": ticket.id, "timer_id": None, "purpose": "updated", "recipient": "c:1",
                "tenant_id": None, "payload": {}, "status": "pending", "attempts": 0, "not_before": NOW,
                "created_at": NOW}

    async def queue(conn: Any, changed: Any, change: Any) -> None:
        await enqueue_in(database, conn, [row(f"update:v{changed.version}")])

    async def queue_then_fail(conn: Any, changed: Any, change: Any) -> None:
        await queue(conn, changed, change)
        raise RuntimeError("the database went away mid-transaction")

    await store.transition(ticket.id, at=NOW, actor_id="e", actor_name="E", decide=update, also=queue)
    with pytest.raises(RuntimeError):
        await store.transition(ticket.id, at=NOW, actor_id="e", actor_name="E", decide=update, also=queue_then_fail)
    async with database.read() as conn:
        keys = [k for (k,) in await conn.execute(outbox.select().with_only_columns(outbox.c.key))]
    assert keys == ["update:v2"]
    assert [e.kind for e in await store.events(ticket.id)] == ["opened", "updated"]
    assert (await store.get(ticket.id)).version == 2  # type: ignore[union-attr]


async def test_a_customers_tickets_and_their_events_come_back_in_bulk_as_stored(database: Database) -> None:
    from bot.rules.verbs import Change

    store = TicketStore(database)
    snapshot = {"id": "maintel-icon", "name": "Maintel", "nested": {"list": [1, 2.5, "x"], "none": None}}
    first = await store.create(new_ticket(policy_snapshot=snapshot), at=NOW)
    second = await store.create(new_ticket(policy_snapshot=snapshot), at=NOW)
    await store.create(new_ticket("other", "OTHER"), at=NOW)
    await store.transition(first.id, at=NOW, actor_id="e", actor_name="E",
                           decide=lambda t, e: Change("resolved", {"status": "resolved"}, {"summary": "ok"}, "ok"))
    found = await store.customer_tickets("acme")
    assert [t.reference for t in found] == [first.reference, second.reference]
    assert found[1] == await store.get(second.id)
    assert found[0].policy_snapshot == snapshot
    assert [t.id for t in await store.customer_tickets("acme", open_only=True)] == [second.id]
    bulk = await store.events_of([first.id, second.id])
    assert bulk == {first.id: await store.events(first.id), second.id: await store.events(second.id)}
    assert [e.kind for e in bulk[first.id]] == ["opened", "resolved"]


async def test_a_new_report_is_matched_against_the_customers_newest_open_tickets_only(database: Database) -> None:
    store = TicketStore(database)
    for n in range(OFFERED_AT_MOST + 3):
        await store.create(new_ticket(reported_at=NOW + timedelta(minutes=n)), at=NOW + timedelta(minutes=n))
    await store.create(new_ticket("other", "OTHER", reported_at=NOW), at=NOW)
    found = await store.open_for_customer("acme", NOW - timedelta(hours=1))
    assert [t.reference for t in found] == [f"ACME-{n:06d}" for n in range(4, OFFERED_AT_MOST + 4)]  # oldest first


async def test_turns_in_flight_up_to_the_pool_reuse_its_connections_rather_than_open_new_ones(
        database: Database) -> None:
    """As many turns at once as the pool keeps (20 on SQLite, 10 on PostgreSQL), twice: the second burst opens no
    connection (each opening is a thread and the pragmas on SQLite, a login on PostgreSQL; SQLite's pool of 5 did
    that on nearly every turn)."""
    from sqlalchemy import event, text

    opened: list[object] = []
    event.listen(database.engine.sync_engine, "connect", lambda connection, record: opened.append(connection))
    release = asyncio.Event()

    async def turn() -> None:
        async with database.read() as conn:
            await conn.execute(text("SELECT 1"))
            await release.wait()

    for burst in range(2):
        release.clear()
        turns = [asyncio.create_task(turn()) for _ in range(20 if database.is_sqlite else 10)]
        await asyncio.sleep(0.2)
        release.set()
        await asyncio.gather(*turns)
        if burst == 0:
            first = len(opened)
    assert first >= 1
    assert len(opened) == first
