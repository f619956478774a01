"""Policy snapshots are stored once by content hash; every ticket still reads back the policy it was opened under."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text

from bot.services import views as ticket_views
from bot.services.views import policy_of
from bot.store import tickets as ticket_store
from bot.store.db import Database, _alembic_config, head_revision
from bot.store.schema import policy_snapshots
from bot.store.tickets import TicketStore, snapshot_hash
from sla import PolicyLibrary
from sla.clock import TicketEvent, clock_state
from sla.deadlines import deadlines
from tests.bot.test_storage import NOW, new_ticket
from tests.conftest import drop_schema, make_database

LIB = PolicyLibrary.load()
MAINTEL = dict(LIB.get("maintel-icon").raw)
EDITED = copy.deepcopy(MAINTEL)
EDITED["targets"]["P1"]["restoration"]["hours"] = 12
VODAFONE_168H = dict(LIB.get("vodafone-vone-m", ["elapsed_168h"]).raw)


def forget_cached_policies() -> None:
    """As a freshly started replica: nothing known yet but what the database holds."""
    ticket_store._SNAPSHOTS.clear()
    ticket_views._POLICIES.clear()


async def snapshot_rows(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(policy_snapshots))).scalar_one())


async def test_tickets_under_one_policy_share_one_stored_snapshot(database: Database) -> None:
    store = TicketStore(database)
    first = await store.create(new_ticket(policy_snapshot=MAINTEL), at=NOW)
    second = await store.create(new_ticket(policy_snapshot=json.loads(json.dumps(MAINTEL))), at=NOW)
    assert await snapshot_rows(database) == 1
    assert first.policy_hash == second.policy_hash == snapshot_hash(MAINTEL)
    await store.create(new_ticket(policy_snapshot=EDITED), at=NOW)
    assert await snapshot_rows(database) == 2


async def test_an_old_ticket_keeps_its_policy_after_the_policy_file_changes(database: Database) -> None:
    store = TicketStore(database)
    old = await store.create(new_ticket(policy_snapshot=MAINTEL), at=NOW)
    new = await store.create(new_ticket(policy_snapshot=EDITED), at=NOW)
    forget_cached_policies()
    old_read, new_read = await store.get(old.id), await store.get(new.id)
    assert old_read is not None and new_read is not None
    assert old_read.policy_snapshot == MAINTEL and new_read.policy_snapshot == EDITED
    restoration = {t.id: deadlines(policy_of(t), "P1", NOW).targets["restoration"] for t in (old_read, new_read)}
    assert restoration == {old.id: NOW + timedelta(hours=4), new.id: NOW + timedelta(hours=12)}


async def test_a_reclassification_recomputes_from_the_stored_snapshot_with_its_readings(database: Database) -> None:
    store = TicketStore(database)
    opened = await store.create(new_ticket(policy_id="vodafone-vone-m", policy_snapshot=VODAFONE_168H), at=NOW)
    forget_cached_policies()
    ticket = await store.get(opened.id)
    assert ticket is not None
    policy = policy_of(ticket)
    assert policy.readings == ("elapsed_168h",)
    events = [TicketEvent("opened", NOW, priority="P4", channel="chat"),
              TicketEvent("reclassified", NOW + timedelta(minutes=10), priority="P2")]
    state = clock_state(policy, events, NOW + timedelta(minutes=20))
    expected = clock_state(LIB.get("vodafone-vone-m", ["elapsed_168h"]), events, NOW + timedelta(minutes=20))
    assert state.priority == "P2" and state.targets == expected.targets


INSERT_0005 = (
    "INSERT INTO tickets (id, customer_id, reference, status, category, channel, policy_id, policy_snapshot,"
    " reported_at, report, classification, reporter_id, reporter_name, reporter_conversation_id, version,"
    " created_at, updated_at) VALUES (:id, 'acme', :reference, 'open', 'incident', 'chat', 'maintel-icon',"
    " :snapshot, :at, '{}', '{}', 'aad-1', 'Ada', 'a:1', 1, :at, :at)")


async def at_0005_with(db: Database, snapshots: list[str]) -> None:
    """The schema before this change, with one ticket per stored snapshot text."""
    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), "0005"))
    async with db.write() as conn:
        for n, snapshot in enumerate(snapshots, start=1):
            await conn.execute(text(INSERT_0005), {"id": n, "reference": f"ACME-{n:06d}", "snapshot": snapshot,
                                                   "at": NOW})


async def stored_snapshots_at_0005(db: Database) -> list[Any]:
    async with db.read() as conn:
        rows = await conn.execute(text("SELECT CAST(policy_snapshot AS TEXT) FROM tickets ORDER BY id"))
        return [json.loads(row[0]) for row in rows]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_migration_moves_each_distinct_snapshot_once_and_back(kind: str, tmp_path: Path) -> None:
    db, schema = await make_database(kind, tmp_path)
    reordered = json.dumps(dict(reversed(list(MAINTEL.items()))), indent=1)  # the same content, written otherwise
    await at_0005_with(db, [json.dumps(MAINTEL), json.dumps(EDITED), reordered])
    await db.migrate()
    assert await db.current_revision() == head_revision()
    assert await snapshot_rows(db) == 2
    forget_cached_policies()
    read = [await TicketStore(db).get(n) for n in (1, 2, 3)]
    assert [t.policy_snapshot if t else None for t in read] == [MAINTEL, EDITED, MAINTEL]
    assert [t.policy_hash if t else None for t in read] == [snapshot_hash(MAINTEL), snapshot_hash(EDITED),
                                                              snapshot_hash(MAINTEL)]
    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.downgrade(_alembic_config(sync), "0005"))
    assert await stored_snapshots_at_0005(db) == [MAINTEL, EDITED, MAINTEL]
    await db.close()
    if schema:
        await drop_schema(schema)
