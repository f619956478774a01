"""Column sizes follow the platform: the longest names and ids Teams may send go all the way to a ticket."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from bot.edge.limits import MAX_ID, MAX_NAME, MAX_TOKEN
from bot.store.db import _alembic_config, head_revision
from bot.store.schema import STATE_KEY, ticket_events, tickets, users
from bot.store.tickets import TicketStore
from tests.bot.conftest import START, Running
from tests.bot.edge_fixtures import running_fixture  # noqa: F401 - provides `running`
from tests.conftest import drop_schema, make_database

LONG_NAME = "Ádá " + "L" * (MAX_NAME - 4)
FULL = ["10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone"]


def test_dialog_state_keys_fit_the_longest_channel_and_conversation_ids() -> None:
    assert len(f"{'c' * MAX_TOKEN}/conversations/{'x' * MAX_ID}") <= STATE_KEY


async def test_a_256_character_name_and_512_character_ids_open_a_ticket(running: Running) -> None:
    user = "00000000-0000-0000-0000-0000000000u7"
    conversation = "a:" + "c" * (MAX_ID - 2)
    mri = "29:" + "m" * (MAX_ID - 3)
    for n, said in enumerate(["our phones are down", *FULL, "confirm"]):
        body = {"type": "message", "id": f"{n}" + "i" * (MAX_ID - 2), "channelId": "msteams",
                "serviceUrl": running.service_url, "text": said,
                "from": {"id": mri, "name": LONG_NAME, "aadObjectId": user},
                "recipient": {"id": "28:faultline-bot", "name": "Faultline"},
                "conversation": {"id": conversation, "conversationType": "personal"},
                "channelData": {"tenant": {"id": "00000000-0000-0000-0000-000000000001"}}}
        assert (await running.post(body)).status == 200
    sent = running.connector.texts()
    assert "went wrong" not in sent and "Ticket MAINTEL-000001 is open" in sent
    ticket = await TicketStore(running.db).by_reference("MAINTEL-000001")
    assert ticket is not None and ticket.reporter_name == LONG_NAME
    async with running.db.read() as conn:
        assert (await conn.execute(select(users.c.name, users.c.mri))).one() == (LONG_NAME, mri)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_migration_0004_keeps_every_row_and_the_foreign_keys(kind: str, tmp_path: Path) -> None:
    db, schema = await make_database(kind, tmp_path)
    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), "0003"))
    async with db.write() as conn:
        await conn.execute(text(
            "INSERT INTO tickets (id, customer_id, reference, status, category, channel, policy_id, policy_snapshot,"
            " reported_at, report, classification, reporter_id, reporter_name, reporter_conversation_id, version,"
            " created_at, updated_at) VALUES (1, 'maintel', 'MAINTEL-000001', 'open', 'incident', 'chat', 'p',"
            " '{}', :at, '{}', '{}', 'aad-1', 'Ada', 'a:1', 1, :at, :at)"), {"at": START})
        await conn.execute(insert(ticket_events).values(ticket_id=1, seq=1, kind="opened", at=START))
    await db.migrate()
    assert await db.current_revision() == head_revision()
    async with db.read() as conn:
        assert (await conn.execute(select(tickets.c.reference))).scalar_one() == "MAINTEL-000001"
        assert (await conn.execute(select(ticket_events.c.kind))).scalar_one() == "opened"
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await conn.execute(insert(ticket_events).values(ticket_id=99, seq=1, kind="orphan", at=START))
    await db.close()
    if schema:
        await drop_schema(schema)
