"""One outage, many reporters, over HTTP with the fake connector: "same problem?" at intake, joining, growing
impact, merge and split."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adaptive_cards import verbs as v
from bot.reminders.store import TimerStore
from bot.services import subscribing
from bot.store.tickets import Event, Subscriber, Ticket, TicketStore
from tests.bot.conftest import Running, desk_on
from tests.bot.fakes import DUOCALL_TENANT, MAINTEL_TENANT, MSP_TENANT, FakeConnector, activity
from tests.bot.test_intake_extract_http import ANSWERS, _asked, report
from tests.bot.test_ticket_actions import ENGINEER_A, invoke, shown, ticket_now


@pytest.fixture(params=["sqlite", "postgres"])
async def faultline(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    """Each test on SQLite and on PostgreSQL (which skips without FAULTLINE_TEST_DATABASE_URL)."""
    async with desk_on(request.param, tmp_path, FakeConnector()) as running:
        yield running


LEEDS = "since 9:40 nobody at the Leeds office can receive inbound calls"
ADA, BEN, CAT = (f"00000000-0000-0000-0000-0000000000{n}" for n in ("u1", "u2", "u3"))


async def first_report(faultline: Running, text: str = LEEDS, tenant: str = MAINTEL_TENANT,
                       users: str = "all") -> Ticket:
    await report(faultline, text, {"users": users}, user=ADA, user_name="Ada Reporter", conversation="a:ada",
                 tenant=tenant)
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


async def finish(faultline: Running, user: str) -> None:
    """Answer the remaining questions plainly and confirm."""
    for _ in range(10):
        last = [str(m.get("text") or "") for m in faultline.connector.messages(f"a:{user[-2:]}") if m.get("text")]
        question = _asked(last[-1].split("\n\n")[-1]) if last else None
        if question is None:
            break
        await say(faultline, ANSWERS[question], user=user)
    await say(faultline, "confirm", user=user)


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


async def test_a_different_service_or_another_customers_tenant_gets_no_offer(faultline: Running) -> None:
    ticket = await first_report(faultline)
    other_service = " ".join(await say(faultline, "voicemail has stopped working for everyone"))
    assert "This looks like" not in other_service and "Same problem?" not in other_service
    other_customer = " ".join(await say(faultline, "we can't get any inbound calls in Leeds", user=CAT,
                                        tenant=DUOCALL_TENANT))
    assert "This looks like" not in other_customer and ticket.reference not in other_customer
    assert "MAINTEL" not in other_customer


async def test_no_something_else_opens_a_new_ticket(faultline: Running) -> None:
    ticket = await first_report(faultline)
    await say(faultline, "we can't get any inbound calls in Leeds")
    declined = " ".join(await say(faultline, "no, something else"))
    assert f"not {ticket.reference}" in declined
    await finish(faultline, BEN)
    store = TicketStore(faultline.db)
    assert await store.count(ticket.customer_id) == 2 and await followers(faultline, ticket) == []


async def test_a_double_click_on_yes_subscribes_once_and_answers_once(faultline: Running) -> None:
    ticket = await first_report(faultline)
    await say(faultline, "we can't get any inbound calls in Leeds")
    yes = {"faultline": v.SAME_PROBLEM, "ticket": ticket.id}
    first = " ".join(await say(faultline, None, value=yes))
    second = " ".join(await say(faultline, None, value=yes))
    assert f"You're now following {ticket.reference}" in first and "You're now following" not in second
    assert len(await followers(faultline, ticket)) == 1
    joined = [e for e in await TicketStore(faultline.db).events(ticket.id) if e.kind == "subscriber_joined"]
    assert len(joined) == 1 and {k: v for k, v in (joined[0].data or {}).items() if k != "answers"} == {
        "subscriber": BEN, "via": "same problem", "impact": {
            "services": ["inbound_calls"], "impact": "down", "sites_affected": 1, "site_name": "Leeds"}}
    assert (joined[0].data or {})["answers"]["description"] == "we can't get any inbound calls in Leeds"


async def test_an_engineers_update_reaches_every_subscriber_once(faultline: Running) -> None:
    ticket = await first_report(faultline)
    for user in (BEN, CAT):
        await say(faultline, "we can't get any inbound calls in Leeds", user=user)
        await say(faultline, "yes", user=user)
    answer = await invoke(faultline, await ticket_now(faultline, ticket), v.UPDATE, text="Carrier fault, fix at 11")
    assert "Customer update posted" in shown(answer)
    for user in (BEN, CAT):
        texts = [m.get("text") for m in faultline.connector.messages(f"a:{user[-2:]}")]
        assert texts.count(f"Update on {ticket.reference} from Eng Alpha:\n\nCarrier fault, fix at 11") == 1
        puts = [c for c in faultline.connector.calls if c.method == "PUT" and f"a:{user[-2:]}" in c.path]
        assert puts, "the subscriber's card is updated in place"


async def test_an_impact_that_crosses_a_threshold_is_suggested_exactly_once(faultline: Running) -> None:
    ticket = await first_report(faultline, users="10")
    assert ticket.priority == "P2"
    for user in (BEN, CAT):
        await say(faultline, "no inbound calls at 2 of our 3 sites", user=user)
        await say(faultline, "yes, same problem", user=user)
    thread = [str(m.get("text")) for m in faultline.connector.messages(ticket.channel_conversation_id
                                                                         or (await ticket_now(faultline, ticket))
                                                                         .channel_conversation_id)]
    suggested = [t for t in thread if "P1 suggested by" in t]
    assert len(suggested) == 1, thread
    assert suggested[0].startswith(f"10 users at 2 sites: {ticket.priority} → P1 suggested by 'Call delivery to more "
                                   "than one site or to a mission critical site is impacted'")
    assert (await ticket_now(faultline, ticket)).priority == ticket.priority  # never an automatic upgrade


async def test_a_merge_retires_the_duplicates_timers_and_a_split_restores_them(faultline: Running) -> None:
    main = await first_report(faultline)
    await say(faultline, "we can't get any inbound calls in Leeds")
    await say(faultline, "no, something else")
    await finish(faultline, BEN)
    duplicate = (await TicketStore(faultline.db).open_tickets(reporter_id=BEN))[-1]
    timers = TimerStore(faultline.db, "test")
    before = {t.key for t in await timers.pending(duplicate.id)}
    assert before

    refused = await engineer(faultline, f"merge {duplicate.reference} into {duplicate.reference}")
    assert "cannot be merged into itself" in refused
    by_reporter = " ".join(await say(faultline, f"merge {duplicate.reference} into {main.reference}", user=CAT))
    assert "Only the customer's engineers can do that; nothing was changed." in by_reporter
    merged = await engineer(faultline, f"merge {duplicate.reference} into {main.reference}")
    assert f"Merged into {main.reference}" in merged
    assert (await ticket_now(faultline, duplicate)).status == "merged"
    assert await timers.pending(duplicate.id) == []
    assert [f.subscriber_id for f in await followers(faultline, main)] == [BEN]
    assert "merged_in" in [e.kind for e in await TicketStore(faultline.db).events(main.id)]
    told = [m.get("text") for m in faultline.connector.messages("a:u2")]
    assert any(f"You now follow {main.reference}" in str(t) for t in told)

    split = await engineer(faultline, f"split {duplicate.reference}")
    assert "Split out" in split
    assert (await ticket_now(faultline, duplicate)).status == "open"
    assert {t.key for t in await timers.pending(duplicate.id)} == before
    assert await followers(faultline, main) == []
    assert "split_out" in [e.kind for e in await TicketStore(faultline.db).events(main.id)]


async def engineer(faultline: Running, text: str) -> str:
    conversation = "a:engineer"
    before = len(faultline.connector.messages(conversation))
    assert await faultline.say(text, user=ENGINEER_A, user_name="Eng Alpha", tenant=MSP_TENANT,
                               conversation=conversation) == 200
    return " ".join(json.dumps(m) for m in faultline.connector.messages(conversation)[before:])


async def test_me_too_lists_the_customers_open_incidents_and_nobody_elses(faultline: Running) -> None:
    ticket = await first_report(faultline)
    for words in ("me too", "same here", "is there a known issue?"):
        listed = " ".join(await say(faultline, words))
        assert f"- {ticket.reference} · {ticket.priority} · inbound calls at Leeds" in listed, listed
    elsewhere = " ".join(await say(faultline, "is there a known issue?", user=CAT, tenant=DUOCALL_TENANT))
    assert ticket.reference not in elsewhere and "There's no open incident" in elsewhere


async def test_a_merge_that_widens_the_impact_is_suggested_once(faultline: Running) -> None:
    main = await first_report(faultline, users="10")
    await say(faultline, "no inbound calls at 2 of our 3 sites")
    await say(faultline, "no, something else")
    await finish(faultline, BEN)
    duplicate = (await TicketStore(faultline.db).open_tickets(reporter_id=BEN))[-1]
    assert duplicate.id != main.id
    assert f"Merged into {main.reference}" in await engineer(faultline, f"merge {duplicate.reference} into "
                                                                       f"{main.reference}")
    main = await ticket_now(faultline, main)
    thread = [str(m.get("text")) for m in faultline.connector.messages(main.channel_conversation_id)]
    assert len([t for t in thread if f"{main.priority} → P1 suggested by" in t]) == 1, thread
    assert main.priority == "P2"


async def test_a_redelivered_yes_joins_once_and_answers_without_a_second_card(faultline: Running) -> None:
    ticket = await first_report(faultline)
    await say(faultline, "we can't get any inbound calls in Leeds")
    body = activity(service_url=faultline.service_url, text="yes", user=BEN, user_name="Ben", conversation="a:u2",
                    activity_id="redelivered-yes-1")
    assert (await faultline.post(body)).status == 200
    cards = len([m for m in faultline.connector.messages("a:u2") if m.get("attachments")])
    assert (await faultline.post(body)).status == 200
    again = faultline.connector.messages("a:u2")[-1]
    assert again.get("text") == f"You're following {ticket.reference}; every update will appear here."
    assert len([m for m in faultline.connector.messages("a:u2") if m.get("attachments")]) == cards
    assert len(await followers(faultline, ticket)) == 1


async def test_the_monthly_report_counts_a_merged_duplicate_as_one_incident(faultline: Running) -> None:
    main = await first_report(faultline)
    await say(faultline, "we can't get any inbound calls in Leeds")
    await say(faultline, "no, something else")
    await finish(faultline, BEN)
    duplicate = (await TicketStore(faultline.db).open_tickets(reporter_id=BEN))[-1]
    assert "2 tickets" in await engineer(faultline, "report maintel-demo this month")

    await engineer(faultline, f"merge {duplicate.reference} into {main.reference}")
    merged = await engineer(faultline, "report maintel-demo this month")
    assert "1 ticket " in merged and "2 tickets" not in merged

    await engineer(faultline, f"split {duplicate.reference}")
    assert "2 tickets" in await engineer(faultline, "report maintel-demo this month")


async def test_an_engineer_splits_a_wrongly_joined_reporter_into_a_ticket_of_their_own(faultline: Running) -> None:
    main = await first_report(faultline)
    await say(faultline, "we can't get any inbound calls in Leeds")
    await say(faultline, "yes, same problem")
    store = TicketStore(faultline.db)
    joined = await followers(faultline, main)
    assert [f.subscriber_id for f in joined] == [BEN]

    listed = await engineer(faultline, f"split {main.reference}")
    assert f"Those who joined {main.reference}" in listed and "1. User u2" in listed
    by_reporter = " ".join(await say(faultline, f"split {main.reference} 1"))
    assert "Only the customer's engineers can split a reporter out; nothing was changed." in by_reporter
    unknown = await engineer(faultline, f"split {main.reference} 7")
    assert "is not among those who joined" in unknown and "1. User u2" in unknown
    assert await followers(faultline, main) == joined

    split = await engineer(faultline, f"split {main.reference} 1")
    assert f"Split User u2 out of {main.reference}" in split
    mine = await store.open_tickets(reporter_id=BEN)
    assert len(mine) == 1 and mine[0].id != main.id and mine[0].reporter_id == BEN
    new = await ticket_now(faultline, mine[0])
    assert new.reported_at == joined[0].joined_at
    assert await TimerStore(faultline.db, "test").pending(new.id), "the new ticket has its own timers"
    assert new.channel_conversation_id, "the engineers got the new ticket's channel post"
    assert await followers(faultline, main) == []
    split_out = [e for e in await store.events(main.id) if e.kind == "split_out"]
    assert len(split_out) == 1 and split_out[0].actor_id == ENGINEER_A
    assert (split_out[0].data or {}) == {"subscriber": BEN, "ticket": new.reference, "via": "joined"}
    told = [m for m in faultline.connector.messages("a:u2") if f"its own ticket, {new.reference}" in
            str(m.get("text"))]
    assert len(told) == 1 and told[0].get("attachments"), "the reporter is told once, with their new card"

    again = await engineer(faultline, f"split {main.reference} 1")
    assert "Nobody joined" in again and "nothing was changed" in again
    assert await store.count(main.customer_id) == 2
    assert len([m for m in faultline.connector.messages("a:u2") if f"its own ticket, {new.reference}" in
                str(m.get("text"))]) == 1
    assert len([e for e in await store.events(main.id) if e.kind == "split_out"]) == 1


def test_a_reporter_split_out_no_longer_counts_in_the_joined_impact() -> None:
    def event(seq: int, kind: str, who: str, facts: dict[str, Any] | None = None) -> Event:
        return Event(1, seq, kind, datetime(2026, 12, 1, tzinfo=UTC), None, None, None, None,
                     {"subscriber": who, **({"impact": facts} if facts is not None else {})})

    events = [event(1, "subscriber_joined", BEN, {"users_affected": 10}),
              event(2, "subscriber_joined", CAT, {"users_affected": 3}), event(3, "split_out", BEN)]
    assert subscribing.contributions(events) == [{"users_affected": 3}]


def test_an_engineer_names_a_follower_by_number_or_by_their_whole_name() -> None:
    def follower(who: str, name: str) -> Subscriber:
        return Subscriber(1, who, name, f"a:{who}", None, None, None, "joined", None, who, "active",
                          datetime(2026, 12, 1, tzinfo=UTC))

    found = [follower(BEN, "Ben Jones"), follower(CAT, "Cat Smith"), follower(ADA, "cat smith")]
    assert subscribing.chosen_follower(found, "2") == found[1]
    assert subscribing.chosen_follower(found, " ben jones ") == found[0]
    assert subscribing.chosen_follower(found, "Cat Smith") is None  # two have that name: the number decides
    assert subscribing.chosen_follower(found, "4") is None and subscribing.chosen_follower(found, "0") is None
