"""Engineers and reporters working a ticket from its card and by typing, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adaptive_cards import verbs as v
from bot.app import create_app
from bot.config import config_from_mapping
from bot.settings import Settings
from bot.store.db import Database
from bot.store.tickets import Ticket, TicketStore
from tests.bot.conftest import START, Running
from tests.bot.fakes import MAINTEL_TENANT, MSP_TENANT, FakeConnector, SteppableClock, activity

ENGINEER_A = "00000000-0000-0000-0000-00000000e001"
ENGINEER_B = "00000000-0000-0000-0000-00000000e002"
OUTSIDER = "00000000-0000-0000-0000-00000000bad1"  # in the MSP's tenant, not one of the customer's engineers
REPORTER = "00000000-0000-0000-0000-0000000000u1"
NAMES = {ENGINEER_A: "Eng Alpha", ENGINEER_B: "Eng Bravo", OUTSIDER: "Olly Outsider", REPORTER: "Ada Reporter"}
P1_REPORT = ["our phones are down", "10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Busy tone", "confirm"]
P3_REPORT = ["our phones are down", "10 minutes ago", "voicemail", "just me", "1 of 3", "no", "yes",
             "Voicemail light stuck", "confirm"]


async def open_ticket(faultline: Running, answers: list[str] = P1_REPORT, conversation: str = "a:personal-1",
                      user: str = REPORTER) -> Ticket:
    for text in answers:
        assert await faultline.say(text, conversation=conversation, user=user, user_name=NAMES.get(user, "R")) == 200
    store = TicketStore(faultline.db)
    return (await store.open_tickets(reporter_id=user))[-1]


async def ticket_now(faultline: Running, ticket: Ticket) -> Ticket:
    found = await TicketStore(faultline.db).get(ticket.id)
    assert found is not None
    return found


async def invoke(faultline: Running, ticket: Ticket, verb: str, *, user: str = ENGINEER_A, tenant: str = MSP_TENANT,
                 version: int | None = None, conversation: str | None = None, **inputs: Any) -> dict[str, Any]:
    """Press a card button: an adaptiveCard/action invoke, answered with the refreshed card."""
    data = {"ticket": ticket.id, "version": ticket.version if version is None else version, **inputs}
    body = activity("invoke", service_url=faultline.service_url, tenant=tenant, user=user,
                    user_name=NAMES.get(user, "Someone"), name="adaptiveCard/action",
                    conversation=conversation or ticket.channel_conversation_id or "19:support@thread.tacv2",
                    conversation_type="channel",
                    value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"})
    response = await faultline.post(body)
    assert response.status == 200
    answer = json.loads(await response.text())
    assert answer["statusCode"] == 200
    return answer


def shown(answer: dict[str, Any]) -> str:
    return json.dumps(answer.get("value"), ensure_ascii=False)


def button_verbs(card: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") != v.REFRESH:
                found.add(node["verb"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("actions", []))
    return found


async def kinds(faultline: Running, ticket: Ticket) -> list[str]:
    return [e.kind for e in await TicketStore(faultline.db).events(ticket.id)]


# -- every verb ---------------------------------------------------------------------------------------
async def test_every_verb_through_a_tickets_life(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    answer = await invoke(faultline, ticket, v.ACKNOWLEDGE)
    assert "Acknowledged by Eng Alpha" in shown(answer) and "Being worked on" in shown(answer)
    assert "First response met." in shown(answer)
    ticket = await ticket_now(faultline, ticket)
    assert ticket.assignee_name == "Eng Alpha"

    await faultline.say("status", tenant=MSP_TENANT, user=ENGINEER_B, user_name="Eng Bravo",
                        conversation="a:eng-b")  # Eng Bravo is now known to the bot by name
    answer = await invoke(faultline, ticket, v.ASSIGN, assignee=ENGINEER_B)
    assert "Assigned to Eng Bravo" in shown(answer)
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.UPDATE, user=ENGINEER_B, text="Carrier engaged, ETA 30 minutes")
    assert "Customer update posted" in shown(answer)
    update = faultline.connector.messages("a:personal-1")[-1]
    assert "Update on MAINTEL-000001 from Eng Bravo" in update["text"] and "Carrier engaged" in update["text"]

    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.HOLD, hold_kind="awaiting_third_party", reason="Carrier fault ref 991")
    assert "On hold" in shown(answer) and "Carrier fault ref 991" in shown(answer)
    assert v.RESUME in button_verbs(answer["value"])
    ticket = await ticket_now(faultline, ticket)
    await invoke(faultline, ticket, v.RESUME)
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.RECLASSIFY, priority="P2", reason="Workaround halves the impact")
    assert "Reclassified to P2 by Eng Alpha: Workaround halves the impact" in shown(answer)
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.RESTORE, text="Calls diverted to the Leeds site")
    assert "Service restored" in shown(answer)

    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.ADD_INFO, user=REPORTER, tenant=MAINTEL_TENANT,
                          conversation="a:personal-1", text="Leeds callers are fine now")
    assert "Ada Reporter added information" in shown(answer)
    thread = faultline.connector.messages(ticket.channel_conversation_id)[-1]
    assert "Ada Reporter added information (MAINTEL-000001): Leeds callers are fine now" in thread["text"]
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.STILL_BROKEN, user=REPORTER, tenant=MAINTEL_TENANT,
                          conversation="a:personal-1", text="Manchester still gets busy tone")
    assert "still broken" in shown(answer)
    ticket = await ticket_now(faultline, ticket)
    await invoke(faultline, ticket, v.RESTORE, text="Manchester trunk reset")
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.CONFIRM_RESTORATION, user=REPORTER, tenant=MAINTEL_TENANT,
                          conversation="a:personal-1")
    assert "confirmed the service works again" in shown(answer)
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.RESOLVE, summary="Carrier trunk fault fixed")
    assert "Resolved by Eng Alpha" in shown(answer) and button_verbs(answer["value"]) == {v.REOPEN}
    ticket = await ticket_now(faultline, ticket)
    answer = await invoke(faultline, ticket, v.REOPEN)
    assert "Reopened by Eng Alpha" in shown(answer)
    assert await kinds(faultline, ticket) == [
        "opened", "acknowledged", "assigned", "updated", "paused", "resumed", "reclassified", "restored",
        "info_added", "still_broken", "restored", "restoration_confirmed", "resolved", "reopened"]


async def test_every_change_is_one_audit_event_with_before_and_after(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    ticket = await ticket_now(faultline, ticket)
    await invoke(faultline, ticket, v.RECLASSIFY, priority="P3", reason="Single site after all")
    events = await TicketStore(faultline.db).events(ticket.id)
    last = events[-1]
    assert (last.kind, last.actor_id, last.actor_name) == ("reclassified", ENGINEER_A, "Eng Alpha")
    assert last.before == {"priority": "P1"} and last.after == {"priority": "P3"}
    assert last.data == {"priority": "P3", "reason": "Single site after all"}


# -- authorisation -----------------------------------------------------------------------------------------
ENGINEER_VERBS: list[tuple[str, dict[str, Any]]] = [
    (v.ACKNOWLEDGE, {}), (v.ASSIGN, {"assignee": ENGINEER_B}), (v.UPDATE, {"text": "x"}),
    (v.RECLASSIFY, {"priority": "P2", "reason": "x"}), (v.HOLD, {"hold_kind": "awaiting_customer", "reason": "x"}),
    (v.RESUME, {}), (v.RESTORE, {"text": "x"}), (v.RESOLVE, {"summary": "x"}), (v.REOPEN, {}),
]
REPORTER_VERBS: list[tuple[str, dict[str, Any]]] = [
    (v.ADD_INFO, {"text": "x"}), (v.CONFIRM_RESTORATION, {}), (v.STILL_BROKEN, {"text": "x"}),
]


WRONG_USERS = [  # people who may see the ticket but not do this (for outsiders it does not exist: test_visibility)
    *((verb, inputs, REPORTER, MAINTEL_TENANT, "engineers") for verb, inputs in ENGINEER_VERBS),
    *((verb, inputs, ENGINEER_A, MSP_TENANT, "users") for verb, inputs in REPORTER_VERBS),
]


@pytest.mark.parametrize(("verb", "inputs", "user", "tenant", "who"), WRONG_USERS,
                         ids=[f"{w[0]}-by-{NAMES[w[2]]}" for w in WRONG_USERS])
async def test_every_verb_is_refused_to_the_wrong_user_and_changes_nothing(
        faultline: Running, verb: str, inputs: dict[str, Any], user: str, tenant: str, who: str) -> None:
    ticket = await open_ticket(faultline)
    before = await kinds(faultline, ticket)
    answer = await invoke(faultline, ticket, verb, user=user, tenant=tenant, **inputs)
    assert f"Only the customer's {who}" in shown(answer) and "can do that; nothing was changed." in shown(answer)
    assert await kinds(faultline, ticket) == before
    assert (await ticket_now(faultline, ticket)).version == ticket.version


async def test_another_customers_user_cannot_touch_the_ticket(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    other_tenant = "00000000-0000-0000-0000-000000000002"  # the Vodafone demo customer
    answer = await invoke(faultline, ticket, v.ADD_INFO, user="00000000-0000-0000-0000-0000000000z9",
                          tenant=other_tenant, text="hello")
    assert "nothing was changed" in shown(answer)
    assert await kinds(faultline, ticket) == ["opened"]


async def test_an_outsider_in_the_msp_tenant_is_told_the_ticket_does_not_exist(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    answer = await invoke(faultline, ticket, v.ACKNOWLEDGE, user=OUTSIDER)
    assert answer["value"] == "That ticket could not be found; nothing was changed."
    assert await kinds(faultline, ticket) == ["opened"]


@pytest.mark.parametrize(("verb", "inputs", "reason"), [
    (v.UPDATE, {"text": "  "}, "Please write the update for the customer"),
    (v.RECLASSIFY, {"priority": "P9", "reason": "x"}, "Choose a priority from P1, P2, P3, P4, P5"),
    (v.RECLASSIFY, {"priority": "P2", "reason": ""}, "Please write the reason for the new priority"),
    (v.RECLASSIFY, {"priority": "P1", "reason": "x"}, "already P1"),
    (v.HOLD, {"hold_kind": "lunch", "reason": "x"}, "awaiting the customer or a third party"),
    (v.RESOLVE, {"summary": ""}, "Please write a resolution summary"),
    (v.RESUME, {}, "not on hold"),
    (v.REOPEN, {}, "Only a resolved ticket can be reopened"),
    (v.ASSIGN, {"assignee": "someone-else"}, "Choose one of the customer's engineers"),
])
async def test_invalid_inputs_change_nothing_and_say_why(faultline: Running, verb: str, inputs: dict[str, Any],
                                                        reason: str) -> None:
    ticket = await open_ticket(faultline)
    answer = await invoke(faultline, ticket, verb, **inputs)
    assert reason in shown(answer)
    assert await kinds(faultline, ticket) == ["opened"]


async def test_verbs_on_a_resolved_ticket_are_refused_except_reopen(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.RESOLVE, summary="Fixed")
    ticket = await ticket_now(faultline, ticket)
    for verb, inputs in ENGINEER_VERBS[:-1]:
        answer = await invoke(faultline, ticket, verb, **inputs)
        assert "resolved" in shown(answer) or "not on hold" in shown(answer), verb
    assert await kinds(faultline, ticket) == ["opened", "resolved"]
    assert "Reopened" in shown(await invoke(faultline, ticket, v.REOPEN))


# -- stale cards and concurrency ------------------------------------------------------------------------------
async def test_a_late_acknowledgement_is_recorded_as_breached(faultline: Running) -> None:
    ticket = await open_ticket(faultline)  # Maintel P1: "< 30 minutes"
    faultline.clock.step(minutes=45)
    answer = await invoke(faultline, ticket, v.ACKNOWLEDGE)
    assert "First response breached." in shown(answer) and "✗ breached" in shown(answer)


async def test_a_stale_card_changes_nothing_and_shows_the_fresh_card(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    drawn = ticket.version
    await invoke(faultline, ticket, v.ACKNOWLEDGE, user=ENGINEER_A)
    second = await invoke(faultline, ticket, v.ACKNOWLEDGE, user=ENGINEER_B, version=drawn)
    assert "Already acknowledged by Eng Alpha." in shown(second) and "Being worked on" in shown(second)
    stale = await invoke(faultline, ticket, v.RESOLVE, version=drawn, summary="done")
    assert "This card was out of date, so nothing was changed" in shown(stale)
    assert await kinds(faultline, ticket) == ["opened", "acknowledged"]


async def test_two_engineers_acknowledge_at_once_and_exactly_one_wins(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    answers = await asyncio.gather(invoke(faultline, ticket, v.ACKNOWLEDGE, user=ENGINEER_A),
                                   invoke(faultline, ticket, v.ACKNOWLEDGE, user=ENGINEER_B))
    texts = [shown(a) for a in answers]
    assert sum("Acknowledged by" in t for t in texts) == 1
    assert sum("Already acknowledged by" in t for t in texts) == 1
    assert (await kinds(faultline, ticket)).count("acknowledged") == 1


async def test_concurrent_updates_are_all_kept(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await asyncio.gather(*(invoke(faultline, ticket, v.UPDATE, text=f"update {n}") for n in range(10)))
    events = await TicketStore(faultline.db).events(ticket.id)
    assert sorted((e.data or {}).get("text") for e in events if e.kind == "updated") == sorted(
        f"update {n}" for n in range(10))
    assert [e.seq for e in events] == list(range(1, 12))


# -- clocks ---------------------------------------------------------------------------------------------------------
async def test_reclassification_moves_the_deadlines(faultline: Running) -> None:
    ticket = await open_ticket(faultline, P3_REPORT)  # Maintel P3 reported Mon 24 Nov 10:00 GMT
    assert ticket.priority == "P3"
    before = await invoke(faultline, ticket, v.REFRESH)
    assert "Mon 24 Nov 14:00 GMT" in shown(before)  # P3 "< 4 hours"
    answer = await invoke(faultline, ticket, v.RECLASSIFY, priority="P1", reason="Whole site affected after all")
    text = shown(answer)
    assert "Mon 24 Nov 10:30 GMT" in text  # P1 "< 30 minutes" from the report (SLA_POLICIES §2)
    assert "Mon 24 Nov 14:00 GMT" in text  # P1 restoration "Within 4 hours"
    assert "Mon 24 Nov 11:00 GMT" in text  # P1 customer update "Every 60 minutes"


async def test_a_hold_is_excluded_from_the_clock(faultline: Running) -> None:
    ticket = await open_ticket(faultline)  # Maintel P1: restoration due 14:00
    faultline.clock.step(minutes=30)
    await invoke(faultline, ticket, v.HOLD, hold_kind="awaiting_customer", reason="Waiting for site access")
    ticket = await ticket_now(faultline, ticket)
    faultline.clock.step(minutes=90)
    held = shown(await invoke(faultline, ticket, v.REFRESH))
    assert "On hold: Waiting for site access" in held and "⏸ on hold" in held
    answer = await invoke(faultline, ticket, v.RESUME)
    assert "Mon 24 Nov 15:30 GMT" in shown(answer)  # restoration 14:00 + 90 minutes on hold


# -- the other conversation --------------------------------------------------------------------------------------------
async def test_the_reporters_card_is_updated_after_an_engineer_action(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    puts = [c for c in faultline.connector.calls if c.method == "PUT"]
    reporter_put = [c for c in puts if c.path.startswith("/v3/conversations/a%3Apersonal-1/activities/")
                    or c.path.startswith("/v3/conversations/a:personal-1/activities/")]
    assert reporter_put, [c.path for c in puts]
    card = reporter_put[-1].body["attachments"][0]["content"]
    assert "Being worked on" in json.dumps(card) and "Eng Alpha" in json.dumps(card)
    assert v.ADD_INFO in button_verbs(card)  # the reporter's own view


async def test_the_channel_card_is_updated_after_a_reporter_action(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ADD_INFO, user=REPORTER, tenant=MAINTEL_TENANT, conversation="a:personal-1",
                 text="Also the fax line")
    channel_puts = [c for c in faultline.connector.calls if c.method == "PUT" and "thread.tacv2" in c.path]
    assert channel_puts and button_verbs(channel_puts[-1].body["attachments"][0]["content"]) == set()


async def test_engineers_get_the_action_view_through_refresh(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.REFRESH, user=ENGINEER_A)  # the bot now knows Eng Alpha's Teams id
    await invoke(faultline, ticket, v.ADD_INFO, user=REPORTER, tenant=MAINTEL_TENANT, conversation="a:personal-1",
                 text="It started after the power cut")
    channel_puts = [c for c in faultline.connector.calls if c.method == "PUT" and "thread.tacv2" in c.path]
    card = channel_puts[-1].body["attachments"][0]["content"]
    assert card["refresh"]["userIds"] == [f"29:{ENGINEER_A}"]
    assert card["refresh"]["action"]["verb"] == v.REFRESH
    engineer_view = await invoke(faultline, ticket, v.REFRESH, user=ENGINEER_A)
    assert {v.ACKNOWLEDGE, v.RESOLVE} <= button_verbs(engineer_view["value"])


# -- typing -----------------------------------------------------------------------------------------------------------
async def say_in_thread(faultline: Running, ticket: Ticket, text: str, user: str = ENGINEER_A) -> str:
    mention = [{"type": "mention", "mentioned": {"id": "28:faultline-bot"}, "text": "<at>Faultline</at>"}]
    count = len(faultline.connector.calls)
    await faultline.say(f"<at>Faultline</at> {text}", tenant=MSP_TENANT, user=user, user_name=NAMES[user],
                        conversation=ticket.channel_conversation_id, conversation_type="channel",
                        channel_data={"channel": {"id": "19:demo-support-maintel-demo@thread.tacv2"}},
                        entities=mention)
    return "\n".join(json.dumps(c.body, ensure_ascii=False) for c in faultline.connector.calls[count:])


async def test_text_commands_in_the_tickets_thread(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    assert "Acknowledged by Eng Alpha" in await say_in_thread(faultline, ticket, "ack")
    assert "Customer update posted" in await say_in_thread(faultline, ticket, "update Engineer on the way")
    assert "Update on MAINTEL-000001 from Eng Alpha" in faultline.connector.messages("a:personal-1")[-1]["text"]
    assert "awaiting a third party" in await say_in_thread(faultline, ticket, "hold waiting for the carrier")
    assert "Resumed" in await say_in_thread(faultline, ticket, "resume")
    assert "Service restored" in await say_in_thread(faultline, ticket, "restore diverted to mobiles")
    assert "MAINTEL-000001" in await say_in_thread(faultline, ticket, "status")
    assert "Resolved by Eng Alpha" in await say_in_thread(faultline, ticket, "resolve trunk replaced")
    assert await kinds(faultline, ticket) == ["opened", "acknowledged", "updated", "paused", "resumed", "restored",
                                              "resolved"]


async def test_a_command_from_chat_names_its_ticket(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    count = len(faultline.connector.calls)
    await faultline.say("update MAINTEL-000001 Engineer dispatched", tenant=MSP_TENANT, user=ENGINEER_A,
                        user_name="Eng Alpha", conversation="a:eng-a")
    replies = "\n".join(json.dumps(c.body) for c in faultline.connector.calls[count:])
    assert "Customer update posted by Eng Alpha" in replies
    assert await kinds(faultline, ticket) == ["opened", "updated"]


async def test_tickets_lists_my_open_tickets_soonest_deadline_first(faultline: Running) -> None:
    p3 = await open_ticket(faultline, P3_REPORT, conversation="a:r1", user="00000000-0000-0000-0000-0000000000r1")
    not_the_same = [P1_REPORT[0], "no, something else", *P1_REPORT[1:]]  # MAINTEL-000001 is offered first
    p1 = await open_ticket(faultline, not_the_same, conversation="a:r2", user="00000000-0000-0000-0000-0000000000r2")
    for ticket in (p3, p1):
        await invoke(faultline, ticket, v.ACKNOWLEDGE)
    count = len(faultline.connector.calls)
    await faultline.say("tickets", tenant=MSP_TENANT, user=ENGINEER_A, user_name="Eng Alpha", conversation="a:eng-a")
    listing = faultline.connector.calls[count].body["text"]
    assert listing.index("MAINTEL-000002") < listing.index("MAINTEL-000001")  # P1's update is due first
    assert "Customer update due Mon 24 Nov 11:00 GMT" in listing


async def test_a_plain_status_that_points_at_no_one_ticket_says_what_to_type(faultline: Running) -> None:
    await faultline.say("status")
    assert faultline.connector.calls[-1].body["text"] == (
        "You have no open tickets. To see another one, name it, for example “status MAINTEL-000123”.")
    await open_ticket(faultline)
    await open_ticket(faultline, [P1_REPORT[0], "no, something else", *P1_REPORT[1:]])  # not the same problem
    await faultline.say("status")
    assert faultline.connector.calls[-1].body["text"] == (
        "Which ticket? You have 2 open: name one, for example “status MAINTEL-000001”, or say “my tickets” to list "
        "them.")
    await faultline.say("status MAINTEL-000002")
    assert "MAINTEL-000002" in json.dumps(faultline.connector.calls[-1].body)


async def test_a_reporter_can_ask_for_status_and_their_tickets(faultline: Running) -> None:
    await open_ticket(faultline)
    count = len(faultline.connector.calls)
    await faultline.say("my tickets")  # as the Teams command list offers it
    assert "MAINTEL-000001 · P1" in faultline.connector.calls[count].body["text"]
    await faultline.say("status")
    assert "MAINTEL-000001" in json.dumps(faultline.connector.calls[-1].body)




async def test_engineers_can_be_the_members_of_the_support_channel(tmp_path: Path) -> None:
    """A customer whose engineers are "support_channel_members": membership is asked of Teams each time."""
    raw = tomllib.loads((resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8"))
    raw["customers"][0]["engineers"] = "support_channel_members"
    config = config_from_mapping(raw, "test config", tmp_path)
    connector = FakeConnector(members={f"29:{ENGINEER_B}"})
    service_url = await connector.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'members.db'}")
    server = TestServer(create_app(Settings(local=True, scheduler_interval=0), db=db, clock=SteppableClock(START),
                                   config=config),
                        host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        running = Running(str(server.make_url("/")), connector, service_url, SteppableClock(START), db, session,
                          server)
        ticket = await open_ticket(running)
        refused = await invoke(running, ticket, v.ACKNOWLEDGE, user=ENGINEER_A)  # not a member: no such ticket
        assert refused["value"] == "That ticket could not be found; nothing was changed."
        accepted = await invoke(running, ticket, v.ACKNOWLEDGE, user=ENGINEER_B)
        assert "Acknowledged by Eng Bravo" in shown(accepted)
        asked = [c.path for c in connector.calls if c.method == "GET" and "/members/" in c.path]
        assert len(asked) == 2 and all("demo-team" in path for path in asked)
    await server.close()
    await db.close()
    await connector.stop()
