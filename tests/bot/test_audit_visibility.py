"""Leaks found by trying every path to another customer's ticket, over HTTP with the fake connector.

An engineer dropped from a customer's file must stop hearing about, and seeing, that customer's tickets — and so
must the managers who only counted through them.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from adaptive_cards import verbs as v
from bot.app import SERVICES
from bot.config import Config, config_from_mapping
from bot.settings import Settings
from bot.store.tickets import TicketStore
from tests.bot.conftest import START, Running
from tests.bot.fakes import MSP_TENANT
from tests.bot.test_reminders import headlines, tick_at
from tests.bot.test_ticket_actions import ENGINEER_A, ENGINEER_B, OUTSIDER, invoke, open_ticket, ticket_now
from tests.bot.test_visibility_http import (
    B_REPORT,
    ENGINEER_V,
    GRAPH_BOSS,
    MISSING_ID,
    MISSING_REF,
    USER_V,
    VODAFONE_TENANT,
    Person,
    assert_nothing_of,
    desk,
    fake_graph,
    press,
    say,
    split_config,
    state_of,
)

BRAVO_BOSS = "00000000-0000-0000-0000-00000000b057"


@pytest.fixture
async def split(tmp_path: Path) -> AsyncIterator[Running]:
    """Customer A (Vodafone) with engineers and managers of its own; B (Maintel) as in the demo."""
    async with desk(tmp_path, split_config(tmp_path)) as running:
        yield running


def maintel_config(tmp_path: Path, engineers: list[str]) -> Config:
    """The demo customers; Maintel names no escalation contacts (Graph says who manages its engineers)."""
    raw = tomllib.loads((resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8"))
    raw["customers"][0]["engineers"] = engineers
    raw["customers"][0]["escalation"] = {}
    return config_from_mapping(raw, "test config", tmp_path)


async def test_the_graph_manager_of_a_dropped_assignee_no_longer_sees_the_ticket(tmp_path: Path) -> None:
    """Eng Alpha held B's ticket and was then dropped from B's file: Alpha's manager is nobody of B's any more."""
    async with fake_graph({ENGINEER_A: GRAPH_BOSS, ENGINEER_B: BRAVO_BOSS}) as graph:
        settings = Settings(local=True, scheduler_interval=0, graph_url=graph, graph_token_endpoint=f"{graph}token")
        alpha_boss = Person(GRAPH_BOSS, "Bo Boss", MSP_TENANT)
        async with desk(tmp_path, maintel_config(tmp_path, [ENGINEER_A, ENGINEER_B]), settings) as running:
            ticket = await open_ticket(running, B_REPORT)
            await press(running, Person(ENGINEER_A, "Eng Alpha", MSP_TENANT), ticket.id, v.ACKNOWLEDGE, version=1)
            assert ticket.reference in json.dumps((await press(running, alpha_boss, ticket.id, v.REFRESH)).answer)
        async with desk(tmp_path, maintel_config(tmp_path, [ENGINEER_B]), settings) as running:
            assert (await ticket_now(running, ticket)).assignee_id == ENGINEER_A
            theirs = await press(running, alpha_boss, ticket.id, v.REFRESH)
            assert theirs.answer == (await press(running, alpha_boss, MISSING_ID, v.REFRESH)).answer
            assert_nothing_of(ticket, theirs)
            bravo_boss = Person(BRAVO_BOSS, "Bea Boss", MSP_TENANT)  # the remaining engineer's manager still sees it
            assert ticket.reference in json.dumps((await press(running, bravo_boss, ticket.id, v.REFRESH)).answer)


async def test_an_assignee_dropped_from_the_customer_gets_no_more_reminders(faultline: Running) -> None:
    """Eng Alpha acknowledged B's P1, then left B's file: the update reminders must not carry B's ticket to them."""
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    assert (await ticket_now(faultline, ticket)).assignee_id == ENGINEER_A
    services = faultline.server.app[SERVICES]
    maintel = services.config.customers[0]
    services.config = Config(services.config.msp, (replace(maintel, engineers=frozenset({ENGINEER_B})),
                                                   *services.config.customers[1:]), services.config.source)
    before = len(faultline.connector.calls)
    await tick_at(faultline, START + timedelta(minutes=50))  # the customer update is due in 10 minutes
    told = headlines(faultline, before)
    assert [h for who, h in told if "Customer update" in h], "the reminder went nowhere"
    assert not [h for who, h in told if who == ENGINEER_A], "a person who may not see the ticket was sent it"


# -- references and ids in odd forms ---------------------------------------------------------------------------------
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ODD_FORMS = {
    "lowercase": lambda ref: f"status {ref.lower()}",
    "padded": lambda ref: f"   status    {ref}   ",
    "tab": lambda ref: f"status\t{ref}",
    "fullwidth digits": lambda ref: f"status {ref.translate(FULLWIDTH)}",
    "arabic-indic digits": lambda ref: f"status {ref.translate(ARABIC_INDIC)}",
    "zero-width space": lambda ref: f"status {ref}\u200b",
    "trailing full stop": lambda ref: f"status {ref}.",
    "no hyphen": lambda ref: f"status {ref.replace('-', ' ')}",
}
STRANGERS = [Person(USER_V, "Vic Vodafone", VODAFONE_TENANT), Person(ENGINEER_V, "Val Engineer", MSP_TENANT)]


@pytest.mark.parametrize("who", STRANGERS, ids=[p.name for p in STRANGERS])
async def test_another_customers_reference_in_odd_forms_reads_like_an_unknown_one(split: Running, who: Person) -> None:
    ticket = await open_ticket(split, B_REPORT)
    for n, (form, typed) in enumerate(ODD_FORMS.items()):
        theirs = await say(split, who, typed(ticket.reference), "chat", f"a:odd-{n}")
        missing = await say(split, who, typed(MISSING_REF), "chat", f"a:odd-missing-{n}")
        normalise = [typed(ticket.reference).strip().split()[-1], typed(MISSING_REF).strip().split()[-1]]
        assert theirs.shown().replace(normalise[0], "<ref>") == missing.shown().replace(normalise[1], "<ref>"), form
        assert_nothing_of(ticket, theirs)


ODD_IDS: list[Any] = [None, 1.0, "1.0", " 1", "+1", "0x1", -1, 0, "¹", [1], {"id": 1}, "1 ", "01"]


@pytest.mark.parametrize("raw_id", ODD_IDS, ids=[repr(i) for i in ODD_IDS])
async def test_another_customers_ticket_id_of_any_json_type_reads_like_an_unknown_one(split: Running,
                                                                                       raw_id: Any) -> None:
    ticket = await open_ticket(split, B_REPORT)
    assert ticket.id == 1
    for who in STRANGERS:
        for verb in (v.REFRESH, v.TAKE_OWNERSHIP, v.SNOOZE):
            theirs = await press(split, who, raw_id, verb, timer="x", minutes=15)
            assert theirs.answer == (await press(split, who, MISSING_ID, verb, timer="x", minutes=15)).answer, verb
            assert_nothing_of(ticket, theirs)


# -- a command typed in another customer's ticket thread ---------------------------------------------------------------
VODAFONE_P4 = ["our phones are down", "10 minutes ago", "voicemail", "just me", "1 of 1", "no", "no",
               "My voicemail light is stuck", "confirm"]


async def test_an_update_typed_in_another_customers_thread_is_not_sent_to_your_own_customer(split: Running) -> None:
    """Val (customer A's engineer) holds one A ticket; typed in B's ticket thread, 'update …' must not reach A."""
    for text in VODAFONE_P4:
        await split.say(text, tenant=VODAFONE_TENANT, user=USER_V, user_name="Vic Vodafone", conversation="a:voda-1")
    mine = (await TicketStore(split.db).open_tickets())[-1]
    val = Person(ENGINEER_V, "Val Engineer", MSP_TENANT)
    await press(split, val, mine.id, v.ACKNOWLEDGE, version=mine.version)
    theirs = await open_ticket(split, B_REPORT)
    before = await state_of(split, await ticket_now(split, mine))
    assert theirs.channel_conversation_id
    await say(split, val, "update on site in 20 minutes", "channel", theirs.channel_conversation_id)
    assert await state_of(split, mine) == before


# -- asking Teams about membership must not tell a stranger that a ticket exists ---------------------------------------
async def test_a_failing_membership_lookup_reads_like_an_unknown_id(tmp_path: Path) -> None:
    """B's engineers are its support channel's members; while Teams cannot answer who they are, a stranger pressing
    on B's ticket gets the unknown-id answer (not an apology that only an existing ticket would cause)."""
    raw = tomllib.loads((resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8"))
    raw["customers"][0]["engineers"] = "support_channel_members"
    async with desk(tmp_path, config_from_mapping(raw, "members", tmp_path)) as running:
        ticket = await open_ticket(running, B_REPORT)
        stranger = Person(OUTSIDER, "Olly Outsider", MSP_TENANT)
        missing = await press(running, stranger, MISSING_ID, v.REFRESH)
        running.connector.fail_with = [500] * 8
        theirs = await press(running, stranger, ticket.id, v.REFRESH)
        running.connector.fail_with = []
        assert theirs.answer == missing.answer
        assert [t for t in theirs.traffic if t["method"] == "POST"] == []  # and no apology sent
        assert_nothing_of(ticket, theirs)
