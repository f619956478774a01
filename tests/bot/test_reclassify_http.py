"""A reporter's later update re-classifies the ticket, over HTTP: a higher priority is applied (audited, deadlines
and timers follow) and the engineers told with the rule that now matches; a lower one is only suggested, with a
one-click Reclassify for the engineers."""

from __future__ import annotations

import json
from typing import Any

from adaptive_cards import verbs as v
from bot.reminders.store import TimerStore
from bot.store.tickets import Ticket, TicketStore
from tests.bot.conftest import Running
from tests.bot.fakes import MAINTEL_TENANT
from tests.bot.test_intake_extract_http import report
from tests.bot.test_ticket_actions import ENGINEER_A, REPORTER, invoke, shown, ticket_now

P1_QUOTE = "'50% or more of users, trunks, or voicemail boxes not available' (000:L33)"


async def opened(faultline: Running, first: str) -> Ticket:
    await report(faultline, first, user=REPORTER, user_name="Ada Reporter", conversation="a:personal-1")
    return (await TicketStore(faultline.db).open_tickets(reporter_id=REPORTER))[-1]


async def add_info(faultline: Running, ticket: Ticket, text: str) -> dict[str, Any]:
    return await invoke(faultline, ticket, v.ADD_INFO, user=REPORTER, tenant=MAINTEL_TENANT,
                        conversation="a:personal-1", text=text)


def deadlines(card: Any) -> list[str]:
    """The card's deadline rows as 'Target | Due' lines."""
    rows = next((n["rows"] for n in card["body"] if n.get("type") == "Table"), [])
    return [" | ".join(cell["items"][0]["text"] for cell in row["cells"][:2]) for row in rows[1:]]


def thread_texts(faultline: Running, ticket: Ticket) -> list[str]:
    return [m.get("text") or "" for m in faultline.connector.messages(ticket.channel_conversation_id)]


async def test_nobody_can_call_now_makes_a_p3_ticket_p1_and_tells_the_engineers_why(faultline: Running) -> None:
    ticket = await opened(faultline, "my phone is dead, I cant make calls")
    assert (ticket.priority, ticket.classification["rules"][0]["id"]) == ("P3", "maintel.p3.individual")
    before = deadlines((await invoke(faultline, ticket, v.REFRESH, user=REPORTER, tenant=MAINTEL_TENANT,
                                     conversation="a:personal-1"))["value"])

    answer = await add_info(faultline, ticket, "now nobody in the office can make calls")

    assert "Ada Reporter added information. The priority is now P1." in shown(answer)
    ticket = await ticket_now(faultline, ticket)
    assert ticket.priority == "P1" and ticket.classification["rules"][0]["id"] == "maintel.p1.users"
    after = deadlines(answer["value"])
    assert after != before and "First response | Mon 24 Nov 10:30 GMT" in after  # P1: 30 minutes, not 4 hours
    assert any(row.startswith("Restoration | Mon 24 Nov 14:00") for row in after)
    assert "1 user" not in shown(answer) and "Outbound calls" in shown(answer)

    event = [e for e in await TicketStore(faultline.db).events(ticket.id) if e.kind == "reclassified"][-1]
    assert (event.actor_id, event.actor_name) == (REPORTER, "Ada Reporter")
    assert event.data == {"priority": "P1", "reason": f"reporter's update: {P1_QUOTE}"}
    assert (event.before or {})["priority"] == "P3" and (event.after or {})["priority"] == "P1"
    assert "nobody in the office" not in json.dumps([event.data, event.before, event.after])

    told = f"Now P1: {P1_QUOTE} — from the reporter's update ({ticket.reference})."
    assert thread_texts(faultline, ticket)[-1] == told
    timers = await TimerStore(faultline.db, "test").pending(ticket.id)
    assert "restoration" in {t.target for t in timers}  # P3 had no restoration target to remind of


async def test_an_update_with_nothing_new_leaves_the_priority(faultline: Running) -> None:
    ticket = await opened(faultline, "my phone is dead, I cant make calls")
    answer = await add_info(faultline, ticket, "I tried turning it off and on")
    assert "The priority is now" not in shown(answer)
    assert (await ticket_now(faultline, ticket)).priority == "P3"
    assert "reclassified" not in [e.kind for e in await TicketStore(faultline.db).events(ticket.id)]
    assert not any(t.startswith("Now P") or "suggested" in t for t in thread_texts(faultline, ticket))


async def test_a_lower_priority_is_only_suggested_and_one_click_applies_it(faultline: Running) -> None:
    ticket = await opened(faultline, "nobody in the office can make outbound calls")
    assert ticket.priority == "P1"

    answer = await add_info(faultline, ticket, "calls do connect, the audio is just choppy and robotic")

    assert "The priority is now" not in shown(answer)
    assert (await ticket_now(faultline, ticket)).priority == "P1"
    suggestion = faultline.connector.messages(ticket.channel_conversation_id)[-1]
    assert suggestion["text"].startswith(f"P3 suggested for {ticket.reference} (now P1): 'Non-critical, partial")
    card = suggestion["attachments"][0]["content"]
    button = card["actions"][0]
    assert (button["title"], button["verb"]) == ("Reclassify to P3", v.RECLASSIFY)

    current = await ticket_now(faultline, ticket)
    pressed = await invoke(faultline, current, v.RECLASSIFY, user=ENGINEER_A, **{
        k: button["data"][k] for k in ("priority", "reason")})
    assert "Reclassified from P1 to P3 by Eng Alpha: reporter's update:" in shown(pressed)
    assert (await ticket_now(faultline, ticket)).priority == "P3"


async def test_the_reporter_cannot_use_the_suggestion(faultline: Running) -> None:
    ticket = await opened(faultline, "nobody in the office can make outbound calls")
    await add_info(faultline, ticket, "calls do connect, the audio is just choppy and robotic")
    current = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, current, v.RECLASSIFY, user=REPORTER, tenant=MAINTEL_TENANT,
                          conversation="a:personal-1", priority="P3", reason="reporter's update")
    assert "Only the customer's engineers can do that" in shown(answer)
    assert (await ticket_now(faultline, ticket)).priority == "P1"


async def test_the_reporter_can_type_the_update_too(faultline: Running) -> None:
    ticket = await opened(faultline, "my phone is dead, I cant make calls")
    assert await faultline.say("info now nobody in the office can make calls", user=REPORTER,
                               user_name="Ada Reporter", conversation="a:personal-1") == 200
    reply = faultline.connector.messages("a:personal-1")[-1]
    assert "Ada Reporter added information. The priority is now P1." in (reply.get("text") or "")
    assert (await ticket_now(faultline, ticket)).priority == "P1"
    assert thread_texts(faultline, ticket)[-2:] == [
        f"Ada Reporter added information ({ticket.reference}): now nobody in the office can make calls",
        f"Now P1: {P1_QUOTE} — from the reporter's update ({ticket.reference})."]
