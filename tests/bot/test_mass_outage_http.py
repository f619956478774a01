"""One outage, many reporters, over HTTP with the fake connector: "same problem?" at intake, joining, growing
impact, merge and split."""

from __future__ import annotations

from typing import Any

from adaptive_cards import verbs as v
from bot.store.tickets import Subscriber, Ticket, TicketStore
from tests.bot.conftest import Running
from tests.bot.fakes import DUOCALL_TENANT, MAINTEL_TENANT
from tests.bot.test_intake_extract_http import report

LEEDS = "since 9:40 nobody at the Leeds office can receive inbound calls"
ADA, BEN, CAT = (f"00000000-0000-0000-0000-0000000000{n}" for n in ("u1", "u2", "u3"))


async def first_report(faultline: Running, text: str = LEEDS, tenant: str = MAINTEL_TENANT) -> Ticket:
    await report(faultline, text, user=ADA, user_name="Ada Reporter", conversation="a:ada", tenant=tenant)
    tickets = await TicketStore(faultline.db).open_tickets(reporter_id=ADA)
    assert len(tickets) == 1
    return tickets[0]


async def say(faultline: Running, text: str | None, user: str = BEN, value: dict[str, Any] | None = None,
              tenant: str = MAINTEL_TENANT) -> list[str]:
    """What the bot answered in the user's chat to this one message."""
    conversation = f"a:{user[-2:]}"
    before = len(faultline.connector.messages(conversation))
    assert await faultline.say(text, value=value, user=user, user_name=f"User {user[-2:]}",
                               conversation=conversation, tenant=tenant) == 200
    return [str(m.get("text") or "") + str(m.get("attachments") or "")
            for m in faultline.connector.messages(conversation)[before:]]


async def followers(faultline: Running, ticket: Ticket) -> list[Subscriber]:
    return await TicketStore(faultline.db).subscribers(ticket.id)


async def test_two_reporters_of_one_outage_make_one_ticket_and_two_subscribers(faultline: Running) -> None:
    ticket = await first_report(faultline)
    answer = " ".join(await say(faultline, "we can't get any inbound calls in Leeds"))
    assert f"This looks like {ticket.reference} — {ticket.priority}, inbound calls at Leeds" in answer
    assert "Same problem?" in answer and "Yes, same problem" in answer and "No, something else" in answer
    joined = " ".join(await say(faultline, "yes, same problem"))
    assert f"You're now following {ticket.reference}" in joined
    assert await TicketStore(faultline.db).count(ticket.customer_id) == 1
    assert [s.subscriber_id for s in await followers(faultline, ticket)] == [BEN]
