"""Storms coalesce: twenty P1s for one duty manager arrive as one digest card, not twenty pings."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event, select

from adaptive_cards.reminders import Alert, digest_card
from bot.app import SERVICES
from bot.reminders.digest import units
from bot.reminders.scheduler import Scheduler
from bot.reminders.store import SENT, Message
from bot.store.schema import outbox
from tests.bot.conftest import START, Running
from tests.bot.test_reminders import DUTY_MANAGER
from tests.bot.test_scheduler_scale import seed
from tests.test_cards import SCHEMA


def scheduler(faultline: Running) -> Scheduler:
    return faultline.server.app[SERVICES].scheduler  # type: ignore[no-any-return]


def to_duty_manager(faultline: Running) -> list[dict[str, Any]]:
    """Cards delivered to the duty manager's 1:1 chat, in order."""
    return [body for body in faultline.connector.delivered()
            if DUTY_MANAGER in ((body.get("channelData") or {}).get("faultline", {}).get("outboxKey") or "")
            or ((body.get("channelData") or {}).get("faultline", {}).get("outboxKey") or "").startswith("digest:")]


def references(body: dict[str, Any]) -> list[str]:
    text = json.dumps(body["attachments"][0]["content"])
    return [f"MAINTEL-{n:06d}" for n in range(1, 100) if f"MAINTEL-{n:06d}" in text]


async def open_p1s(faultline: Running, count: int) -> None:
    await seed(faultline.server.app[SERVICES], count, faultline.service_url, faultline.clock.now())


async def test_twenty_p1s_at_once_reach_the_duty_manager_as_one_digest_listing_them_all(faultline: Running) -> None:
    await open_p1s(faultline, 20)
    await scheduler(faultline).tick()
    cards = to_duty_manager(faultline)
    assert len(cards) == 1
    content = cards[0]["attachments"][0]["content"]
    assert content["body"][0]["text"] == "20 alerts about 20 tickets"
    assert references(cards[0]) == [f"MAINTEL-{n:06d}" for n in range(1, 21)]
    assert json.dumps(content).count("P1 opened") == 20  # what fired, for each ticket
    async with faultline.db.read() as conn:
        pings = list(await conn.execute(select(outbox.c.status).where(outbox.c.recipient == f"user:{DUTY_MANAGER}")))
    assert Counter(status for (status,) in pings) == Counter({SENT: 20})  # each underlying ping recorded once
    faultline.clock.step(minutes=5)
    await open_p1s(faultline, 1)  # a later, single P1 is an ordinary ping
    await scheduler(faultline).tick()
    later = to_duty_manager(faultline)[1:]
    assert [c["attachments"][0]["content"]["body"][0]["text"] for c in later] == ["P1 opened: MAINTEL-000021"]


async def test_a_storm_spread_over_a_minute_arrives_as_a_few_messages_with_each_ticket_once(
        faultline: Running) -> None:
    for _ in range(20):  # one P1 every three seconds, the scheduler ticking as each opens
        await open_p1s(faultline, 1)
        await scheduler(faultline).tick()
        faultline.clock.step(seconds=3)
    for _ in range(30):
        await scheduler(faultline).tick()
        faultline.clock.step(seconds=3)
    cards = to_duty_manager(faultline)
    assert 2 <= len(cards) <= 4
    assert cards[0]["attachments"][0]["content"]["body"][0]["text"] == "P1 opened: MAINTEL-000001"
    listed = Counter(ref for card in cards for ref in references(card))
    assert listed == Counter({f"MAINTEL-{n:06d}": 1 for n in range(1, 21)})


def message(n: int, purpose: str = "p1_opened") -> Message:
    return Message(id=n, key=f"k{n}", ticket_id=n, purpose=purpose, recipient="user:m", tenant_id=None,
                   payload={"due_at": START.isoformat(),
                            "alert": {"reference": f"X-{n}", "priority": "P1", "what": "P1 opened"}}, attempts=0)


def test_two_alerts_go_as_they_are_three_make_a_digest_and_replies_are_never_folded_in() -> None:
    alerts = ("p1_opened",)
    assert units([message(1), message(2)], alerts, 3) == [[message(1)], [message(2)]]
    mixed = [message(1), message(2, "reply"), message(3), message(4)]
    assert units(mixed, alerts, 3) == [[message(1), message(3), message(4)], [message(2, "reply")]]
    many = [message(n) for n in range(60)]
    assert [len(u) for u in units(many, alerts, 3)] == [25, 25, 10]


@pytest.mark.skipif(not SCHEMA.is_file(), reason="Adaptive Card schema not found")
def test_the_digest_card_is_valid_adaptive_card_1_5() -> None:
    import jsonschema

    built = digest_card(headline="3 alerts about 2 tickets", alerts=[
        Alert(1, "ACME-000001", "P1", "P1 opened: ACME-000001"), Alert(2, "ACME-000002", "P2", "Restoration breached"),
        Alert(None, "", "", "delivery failed")])
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft6Validator(schema).iter_errors(built)) == []
    assert "ACME-000002" in json.dumps(built) and "Restoration breached" in json.dumps(built)


async def test_a_tick_reads_the_bindings_and_1to1_chats_of_every_customer_and_person_it_alerts_in_one_query_each(
        faultline: Running) -> None:
    customers = faultline.server.app[SERVICES].config.customers
    for n in range(len(customers)):
        await seed(faultline.server.app[SERVICES], 2, faultline.service_url, faultline.clock.now(), customer=n)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = faultline.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await scheduler(faultline).tick()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(customers) >= 3 and to_duty_manager(faultline)  # P1s of every customer fired and went out
    assert sum("FROM channel_bindings" in s for s in statements) == 1
    chats = [s for s in statements if "FROM conversation_refs" in s and "user_id" not in s]
    assert len(chats) == 2  # the channel threads, then the people's 1:1 chats (none known: found by user, created)
