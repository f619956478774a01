"""A ticket the sender may not see does not exist for them — over real HTTP, for every command and card verb.

Customer B (Maintel) has a ticket; people of customer A (Vodafone) and MSP staff who are not B's engineers or
managers name it by reference or id, in chat, by @mention in a group chat or channel, and by card actions. Each gets
exactly the answer that a ticket which does not exist gets, nothing of B's reaches them, and B's ticket is unchanged.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adaptive_cards import verbs as v
from bot.app import create_app
from bot.config import Config, config_from_mapping
from bot.settings import Settings
from bot.store.db import Database
from bot.store.tickets import Ticket, TicketStore
from tests.bot.conftest import START, Running
from tests.bot.fakes import ADMIN, MAINTEL_TENANT, MSP_TENANT, FakeConnector, SteppableClock, activity
from tests.bot.test_ticket_actions import ENGINEER_A, OUTSIDER, P1_REPORT, REPORTER, open_ticket, ticket_now

VODAFONE_TENANT = "00000000-0000-0000-0000-000000000002"
ENGINEER_V = "00000000-0000-0000-0000-00000000e0a1"  # customer A's engineer only
MANAGER_V = "00000000-0000-0000-0000-00000000a0a1"  # customer A's escalation contact only
USER_V = "00000000-0000-0000-0000-0000000000a1"  # a user of customer A
COLLEAGUE = "00000000-0000-0000-0000-0000000000u2"  # the reporter's colleague at customer B
MAINTEL_LEAD = "00000000-0000-0000-0000-00000000a001"
GRAPH_BOSS = "00000000-0000-0000-0000-00000000b055"  # Eng Alpha's manager, as Microsoft Graph tells it
MISSING_REF, MISSING_ID = "MAINTEL-999999", 999999
B_REPORT = ["our phones are down at the Quokka depot", *P1_REPORT[1:]]
MENTION = [{"type": "mention", "mentioned": {"id": "28:faultline-bot"}, "text": "<at>Faultline</at>"}]
TICKET_VERBS = [getattr(v, name) for name in dir(v) if name.isupper() and name != "ACTION_KEY"
                and isinstance(getattr(v, name), str)]
"""Every verb adaptive_cards/verbs.py names (ticket, reminder and intake ones), each sent as a card action."""


@dataclass(frozen=True)
class Person:
    user: str
    name: str
    tenant: str


OUTSIDERS = [
    Person(USER_V, "Vic Vodafone", VODAFONE_TENANT),  # a user of customer A
    Person(ENGINEER_V, "Val Engineer", MSP_TENANT),  # customer A's engineer, not B's
    Person(MANAGER_V, "Max Manager", MSP_TENANT),  # customer A's escalation contact, not B's
    Person(ADMIN, "Ann Admin", MSP_TENANT),  # an MSP admin
    Person(OUTSIDER, "Olly Outsider", MSP_TENANT),  # anyone else in the MSP's tenant
    Person(REPORTER, "Reuben Elsewhere", VODAFONE_TENANT),  # B's reporter's id, arriving from A's tenant
]


def split_config(tmp_path: Path, *, maintel_escalation: dict[str, str] | None = None) -> Config:
    """The demo customers, with customer A (Vodafone) given engineers and managers of its own."""
    raw = tomllib.loads((resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8"))
    raw["customers"][1]["engineers"] = [ENGINEER_V]
    raw["customers"][1]["escalation"] = {"team_lead": MANAGER_V, "manager": MANAGER_V, "duty_manager": MANAGER_V}
    if maintel_escalation is not None:
        raw["customers"][0]["escalation"] = maintel_escalation
    return config_from_mapping(raw, "test config", tmp_path)


@asynccontextmanager
async def desk(tmp_path: Path, config: Config, settings: Settings | None = None) -> AsyncIterator[Running]:
    connector = FakeConnector()
    service_url = await connector.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    clock = SteppableClock(START)
    app = create_app(settings or Settings(local=True, scheduler_interval=0), db=db, clock=clock, config=config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Running(str(server.make_url("/")), connector, service_url, clock, db, session, server)
    await server.close()
    await db.close()
    await connector.stop()


@pytest.fixture
async def split(tmp_path: Path) -> AsyncIterator[Running]:
    async with desk(tmp_path, split_config(tmp_path)) as running:
        yield running


# -- what a person receives ----------------------------------------------------------------------------------------
@dataclass
class Received:
    """Everything one activity brought back: the HTTP answer and every call the bot made to the connector."""

    answer: Any
    traffic: list[dict[str, Any]]

    def shown(self) -> str:
        """What the person sees (texts and cards), without per-activity ids."""
        parts = [{"text": t.get("text"), "attachments": t.get("attachments")} for t in self.traffic]
        return json.dumps({"answer": self.answer, "replies": parts}, ensure_ascii=False, sort_keys=True)

    def raw(self) -> str:
        return json.dumps({"answer": self.answer, "traffic": self.traffic}, ensure_ascii=False)


async def send(running: Running, body: dict[str, Any]) -> Received:
    count = len(running.connector.calls)
    response = await running.post(body)
    assert response.status == 200
    text = await response.text()
    traffic = [{"method": c.method, "path": c.path, **c.body} for c in running.connector.calls[count:]]
    return Received(json.loads(text) if text else None, traffic)


PLACES = ["chat", "group chat", "channel"]


async def say(running: Running, who: Person, text: str, place: str, conversation: str) -> Received:
    """``text`` typed in 1:1 chat, or @mentioning the bot in a group chat or channel."""
    extra: dict[str, Any] = {}
    if place != "chat":
        text = f"<at>Faultline</at> {text}"
        extra = {"entities": MENTION, "conversation_type": "groupChat" if place == "group chat" else "channel"}
        if place == "channel":
            extra["channel_data"] = {"channel": {"id": conversation.split(";")[0]}}
    return await send(running, activity(service_url=running.service_url, text=text, tenant=who.tenant,
                                        user=who.user, user_name=who.name, conversation=conversation, **extra))


async def press(running: Running, who: Person, ticket_id: Any, verb: str, *, trigger: str = "manual",
                conversation: str = "a:cards", **data: Any) -> Received:
    """An adaptiveCard/action invoke whose data names ``ticket_id``."""
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": {"ticket": ticket_id, **data}},
             "trigger": trigger}
    return await send(running, activity("invoke", service_url=running.service_url, tenant=who.tenant, user=who.user,
                                        user_name=who.name, name="adaptiveCard/action", conversation=conversation,
                                        value=value))


async def state_of(running: Running, ticket: Ticket) -> tuple[Ticket, list[tuple[int, str]]]:
    return await ticket_now(running, ticket), [(e.seq, e.kind) for e in await TicketStore(running.db).events(
        ticket.id)]


def b_data(ticket: Ticket) -> list[str]:
    """What of B's must never reach an outsider."""
    return [ticket.reference, ticket.reporter_name, str(ticket.report["description"]), "Maintel ICON demo"]


def assert_nothing_of(ticket: Ticket, received: Received, allowed_reference_echoes: int = 0) -> None:
    raw = received.raw()
    for secret in b_data(ticket)[1:]:
        assert secret not in raw, f"{secret!r} reached an outsider"
    assert raw.count(ticket.reference) <= allowed_reference_echoes, "the reference reached an outsider"


# -- text commands -------------------------------------------------------------------------------------------------
TEXT_COMMANDS = ["status {ref}", "ack {ref}", "acknowledge {ref}", "update {ref} engineer on the way",
                 "hold {ref} waiting for the carrier", "resume {ref}", "restore {ref} diverted to mobiles",
                 "resolve {ref} trunk replaced", "reopen {ref} it broke again"]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("who", OUTSIDERS, ids=[p.name for p in OUTSIDERS])
async def test_naming_another_customers_ticket_reads_exactly_like_naming_none(split: Running, who: Person,
                                                                               place: str) -> None:
    ticket = await open_ticket(split, B_REPORT)
    before = await state_of(split, ticket)
    for n, command in enumerate(TEXT_COMMANDS):
        conversation = f"19:{place.replace(' ', '-')}-{n}@thread.tacv2;messageid=1" if place == "channel" else \
            f"a:{place.replace(' ', '-')}-{n}"
        theirs = await say(split, who, command.format(ref=ticket.reference), place, conversation + "-b")
        missing = await say(split, who, command.format(ref=MISSING_REF), place, conversation + "-missing")
        assert theirs.shown().replace(ticket.reference, "<ref>") == missing.shown().replace(MISSING_REF, "<ref>"), \
            command
        assert_nothing_of(ticket, theirs, allowed_reference_echoes=missing.raw().count(MISSING_REF))
        assert await state_of(split, ticket) == before, command


@pytest.mark.parametrize("who", OUTSIDERS, ids=[p.name for p in OUTSIDERS])
async def test_unnamed_status_and_lists_show_nothing_of_another_customer(split: Running, who: Person) -> None:
    """`status`, `tickets` and `my tickets` with no reference: in B's ticket thread too, as a stranger would."""
    ticket = await open_ticket(split, B_REPORT)
    await press(split, Person(ENGINEER_A, "Eng Alpha", MSP_TENANT), ticket.id, v.ACKNOWLEDGE, version=1)
    ticket = await ticket_now(split, ticket)
    before = await state_of(split, ticket)
    thread = ticket.channel_conversation_id
    assert thread
    for text in ("status", "tickets", "my tickets"):
        in_thread = await say(split, who, text, "channel", thread)
        elsewhere = await say(split, who, text, "channel", "19:no-ticket-here@thread.tacv2;messageid=5")
        in_chat = await say(split, who, text, "chat", f"a:{who.user}-{text}")
        nobody = await say(split, Person("00000000-0000-0000-0000-0000000000n0", who.name, who.tenant), text, "chat",
                           f"a:nobody-{text}")
        assert in_thread.shown() == elsewhere.shown() == nobody.shown(), text
        assert in_chat.shown() == nobody.shown(), text
        for received in (in_thread, in_chat):
            assert_nothing_of(ticket, received)
    assert await state_of(split, ticket) == before


async def test_an_engineer_removed_from_a_customer_no_longer_sees_the_tickets_they_held(tmp_path: Path) -> None:
    """Eng Alpha owned B's ticket; the customer file then drops them: `tickets` and `status` forget it."""
    raw = tomllib.loads((resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8"))
    alpha = Person(ENGINEER_A, "Eng Alpha", MSP_TENANT)
    async with desk(tmp_path, config_from_mapping(raw, "before", tmp_path)) as running:
        ticket = await open_ticket(running, B_REPORT)
        await press(running, alpha, ticket.id, v.ACKNOWLEDGE, version=1)
        listed = await say(running, alpha, "tickets", "chat", "a:alpha")
        assert ticket.reference in listed.shown()  # while they are the customer's engineer
    raw["customers"][0]["engineers"] = ["00000000-0000-0000-0000-00000000e002"]
    async with desk(tmp_path, config_from_mapping(raw, "after", tmp_path)) as running:
        for text in ("tickets", "status"):
            dropped = await say(running, alpha, text, "chat", f"a:alpha-{text}")
            never = await say(running, Person(OUTSIDER, "Eng Alpha", MSP_TENANT), text, "chat", f"a:never-{text}")
            assert dropped.shown() == never.shown(), text
            assert_nothing_of(ticket, dropped)


# -- card actions ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", OUTSIDERS, ids=[p.name for p in OUTSIDERS])
async def test_every_card_verb_on_another_customers_ticket_reads_like_an_unknown_id(split: Running,
                                                                                    who: Person) -> None:
    ticket = await open_ticket(split, B_REPORT)
    before = await state_of(split, ticket)
    inputs = {"version": ticket.version, "text": "x", "summary": "x", "reason": "x", "priority": "P2",
              "hold_kind": "awaiting_customer", "assignee": ENGINEER_A, "timer": "t", "minutes": 15}
    for verb in [*TICKET_VERBS, "no.such.verb"]:
        for trigger in ("manual", "automatic") if verb == v.REFRESH else ("manual",):
            theirs = await press(split, who, ticket.id, verb, trigger=trigger, **inputs)
            missing = await press(split, who, MISSING_ID, verb, trigger=trigger, **inputs)
            assert theirs.answer == missing.answer, verb
            assert theirs.answer["type"] == "application/vnd.microsoft.activity.message", verb
            assert theirs.shown() == missing.shown(), verb
            assert_nothing_of(ticket, theirs)
            assert await state_of(split, ticket) == before, verb
    as_text = await press(split, who, str(ticket.id), v.REFRESH)  # the id as a string names it too
    assert as_text.answer == (await press(split, who, str(MISSING_ID), v.REFRESH)).answer


async def test_reminder_and_escalation_buttons_of_another_customer_read_like_an_unknown_id(split: Running) -> None:
    """Snooze (reminder cards) and take ownership (escalation cards), pressed by customer A's engineer and manager."""
    ticket = await open_ticket(split, B_REPORT)
    before = await state_of(split, ticket)
    for who in OUTSIDERS[1:3]:
        for verb, data in ((v.SNOOZE, {"timer": "x:reminder", "minutes": 15}), (v.TAKE_OWNERSHIP, {}),
                           (v.REFRESH, {})):
            theirs = await press(split, who, ticket.id, verb, conversation=f"a:{who.user}", **data)
            missing = await press(split, who, MISSING_ID, verb, conversation=f"a:{who.user}", **data)
            assert theirs.answer == missing.answer
            assert_nothing_of(ticket, theirs)
    assert await state_of(split, ticket) == before


@pytest.mark.parametrize("raw_id", [True, 2**63, "١", "9" * 40])
async def test_odd_ticket_ids_name_no_ticket(split: Running, raw_id: Any) -> None:
    await open_ticket(split, B_REPORT)
    received = await press(split, Person(ENGINEER_A, "Eng Alpha", MSP_TENANT), raw_id, v.REFRESH)
    assert received.answer == (await press(split, Person(ENGINEER_A, "Eng Alpha", MSP_TENANT), MISSING_ID,
                                           v.REFRESH)).answer


# -- the people who may see it still do ------------------------------------------------------------------------------
async def test_the_tickets_own_people_still_see_and_work_it(split: Running) -> None:
    ticket = await open_ticket(split, B_REPORT)
    engineer = Person(ENGINEER_A, "Eng Alpha", MSP_TENANT)
    reporter = Person(REPORTER, "Ada Reporter", MAINTEL_TENANT)
    colleague = Person(COLLEAGUE, "Cole League", MAINTEL_TENANT)
    lead = Person(MAINTEL_LEAD, "Lee Lead", MSP_TENANT)
    for who in (engineer, reporter, colleague, lead):
        status = await say(split, who, f"status {ticket.reference}", "chat", f"a:{who.user}")
        assert ticket.reference in status.shown() and str(ticket.report["description"]) in status.shown(), who
        refreshed = await press(split, who, ticket.id, v.REFRESH)
        assert refreshed.answer["type"] == "application/vnd.microsoft.card.adaptive", who
        assert ticket.reference in json.dumps(refreshed.answer), who
    added = await press(split, colleague, ticket.id, v.ADD_INFO, text="Reception phones too")
    assert "Cole League added information" in json.dumps(added.answer)
    acked = await press(split, engineer, ticket.id, v.ACKNOWLEDGE)
    assert "Acknowledged by Eng Alpha" in json.dumps(acked.answer)
    mention = await say(split, engineer, f"update {ticket.reference} on site in 20 minutes", "group chat",
                        "19:eng-group@thread.v2")
    assert "Customer update posted by Eng Alpha" in mention.shown()
    listed = await say(split, reporter, "my tickets", "chat", "a:personal-1")
    assert ticket.reference in listed.shown()
    taken = await press(split, lead, ticket.id, v.TAKE_OWNERSHIP)
    assert "Lee Lead took ownership" in json.dumps(taken.answer)


# -- managers from Microsoft Graph -----------------------------------------------------------------------------------
@asynccontextmanager
async def fake_graph(managers: dict[str, str]) -> AsyncIterator[str]:
    """Microsoft Graph's token endpoint and `/users/{id}/manager`, on loopback."""
    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "graph-token", "expires_in": 3600})

    async def manager(request: web.Request) -> web.Response:
        found = managers.get(request.match_info["user"])
        return web.json_response({"id": found}) if found else web.json_response({}, status=404)

    app = web.Application()
    app.router.add_post("/token", token)
    app.router.add_get("/v1.0/users/{user}/manager", manager)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


async def test_a_manager_from_graph_sees_the_customers_tickets_and_no_others(tmp_path: Path) -> None:
    """B's file names no managers: Graph says who manages B's engineers; A's managers' manager sees nothing of B."""
    other_boss = "00000000-0000-0000-0000-00000000b056"
    async with fake_graph({ENGINEER_A: GRAPH_BOSS, ENGINEER_V: other_boss}) as graph:
        settings = Settings(local=True, scheduler_interval=0, graph_url=graph, graph_token_endpoint=f"{graph}token")
        async with desk(tmp_path, split_config(tmp_path, maintel_escalation={}), settings) as running:
            ticket = await open_ticket(running, B_REPORT)
            boss = Person(GRAPH_BOSS, "Bo Boss", MSP_TENANT)
            seen = await press(running, boss, ticket.id, v.REFRESH)
            assert ticket.reference in json.dumps(seen.answer)
            taken = await press(running, boss, ticket.id, v.TAKE_OWNERSHIP)
            assert "Bo Boss took ownership" in json.dumps(taken.answer)
            still = await say(running, boss, f"status {ticket.reference}", "chat", "a:boss")
            assert ticket.reference in still.shown()  # they own it now, and still see it
            for stranger in (Person(other_boss, "Otto Boss", MSP_TENANT), Person(OUTSIDER, "Olly", MSP_TENANT)):
                theirs = await press(running, stranger, ticket.id, v.TAKE_OWNERSHIP)
                assert theirs.answer == (await press(running, stranger, MISSING_ID, v.TAKE_OWNERSHIP)).answer
                assert_nothing_of(ticket, theirs)
            assert (await ticket_now(running, ticket)).assignee_id == GRAPH_BOSS
