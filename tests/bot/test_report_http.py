"""`report [customer] [month]` and `exclude` in chat, over real HTTP, with the CSV link the card carries.

Customer B (Maintel) has a P1 ticket; its engineer and its users get B's report; people of customer A and MSP staff
who are not B's engineers get exactly the answer an unknown customer gets.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from bot.store.tickets import TicketStore
from reports import EXCLUDED_EVENT
from tests.bot.conftest import Running
from tests.bot.fakes import MAINTEL_TENANT, MSP_TENANT
from tests.bot.test_ticket_actions import ENGINEER_A, OUTSIDER, REPORTER, open_ticket
from tests.bot.test_visibility_http import ENGINEER_V, VODAFONE_TENANT, Person, Received, say, split  # noqa: F401

ENGINEER = Person(ENGINEER_A, "Eng Alpha", MSP_TENANT)
USER_B = Person(REPORTER, "Ada Reporter", MAINTEL_TENANT)
NOT_B = [Person(ENGINEER_V, "Val Engineer", MSP_TENANT), Person(OUTSIDER, "Olly Outsider", MSP_TENANT)]


def card_of(received: Received) -> dict[str, Any] | None:
    for reply in received.traffic:
        for attachment in reply.get("attachments") or []:
            return dict(attachment["content"])
    return None


def texts(received: Received) -> list[str]:
    return [str(t.get("text")) for t in received.traffic if t.get("text")]


def csv_link(card: dict[str, Any]) -> str:
    return str(next(a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"))


async def download(running: Running, link: str, **changes: str) -> tuple[int, str]:
    parts = urlsplit(link)
    query = dict(parse_qsl(parts.query)) | changes
    response = await running.session.get(f"{running.url.rstrip('/')}{parts.path}?{urlencode(query)}")
    return response.status, await response.text()


def csv_value(text: str, section: str, item_start: str) -> str:
    rows = csv.DictReader(io.StringIO(text))
    return next(r["value"] or r["count"] for r in rows if r["section"] == section and r["item"].startswith(item_start))


async def test_an_engineer_gets_the_report_card_and_its_csv(split: Running) -> None:  # noqa: F811
    ticket = await open_ticket(split)
    await say(split, ENGINEER, f"ack {ticket.reference}", "chat", "a:eng-chat")  # a first response decided
    received = await say(split, ENGINEER, "report maintel-demo 2025-11", "chat", "a:eng-chat")
    card = card_of(received)
    assert card is not None, texts(received)
    shown = json.dumps(card)
    assert "SLA report: Maintel ICON demo, November 2025" in shown and "1 ticket " in shown and "1 tickets" not in shown
    assert {"Chart.VerticalBar", "Chart.Donut", "Chart.Line"} <= {b.get("type") for b in card["body"]}
    status, text = await download(split, csv_link(card))
    assert status == 200
    assert csv_value(text, "report", "tickets") == "1"
    assert csv_value(text, "by_priority", "P1") == "1"
    assert ticket.reference not in text  # figures, not ticket data


@pytest.mark.parametrize("tamper", [{"signature": "0" * 64}, {"month": "2025-10"}, {"customer": "vodafone-demo"},
                                    {"user": ENGINEER_V}, {"expires": "99999999999"}])
async def test_an_altered_link_is_refused_with_a_plain_message(split: Running, tamper: dict[str, str]) -> None:  # noqa: F811
    card = card_of(await say(split, ENGINEER, "report maintel-demo 2025-11", "chat", "a:eng-chat"))
    assert card is not None
    status, text = await download(split, csv_link(card), **tamper)
    assert status == 403
    assert text.startswith("This download link is not valid or has expired.")


async def test_a_link_expires_after_its_lifetime(split: Running) -> None:  # noqa: F811
    card = card_of(await say(split, ENGINEER, "report maintel-demo 2025-11", "chat", "a:eng-chat"))
    assert card is not None
    split.clock.step(hours=23, minutes=59)
    assert (await download(split, csv_link(card)))[0] == 200
    split.clock.step(minutes=2)
    assert (await download(split, csv_link(card)))[0] == 403


@pytest.mark.parametrize("who", NOT_B, ids=lambda p: p.name)
async def test_another_customers_name_reads_like_an_unknown_one(split: Running, who: Person) -> None:  # noqa: F811
    await open_ticket(split)
    named = await say(split, who, "report maintel-demo 2025-11", "chat", "a:other")
    unknown = await say(split, who, "report nosuch-demo 2025-11", "chat", "a:other")
    assert card_of(named) is None
    assert texts(named) == [t.replace("nosuch-demo", "maintel-demo") for t in texts(unknown)]
    assert "Maintel" not in json.dumps(named.traffic)


async def test_a_customers_user_gets_their_own_report_only(split: Running) -> None:  # noqa: F811
    await open_ticket(split)
    card = card_of(await say(split, USER_B, "report november 2025", "chat", "a:personal-1"))
    assert card is not None and "SLA report: Maintel ICON demo, November 2025" in json.dumps(card)
    user_a = Person("00000000-0000-0000-0000-0000000000a1", "Vic Vodafone", VODAFONE_TENANT)
    other = await say(split, user_a, "report 2025-11", "chat", "a:vic")
    assert "Maintel" not in json.dumps(other.traffic)
    assert "Vodafone VONE-M demo" in json.dumps(card_of(other))


async def test_a_bad_month_says_how_to_write_one(split: Running) -> None:  # noqa: F811
    received = await say(split, ENGINEER, "report maintel-demo 2025-13", "chat", "a:eng-chat")
    assert texts(received) == ["“2025-13” is not a month; write it as 2025-11, “November 2025” or “last month”."]


async def test_an_excluded_event_is_audited_and_leaves_availability(split: Running) -> None:  # noqa: F811
    ticket = await open_ticket(split)
    split.clock.step(hours=2)
    before = card_of(await say(split, ENGINEER, "report maintel-demo 2025-11", "chat", "a:eng-chat"))
    assert before is not None
    _, text = await download(split, csv_link(before))
    assert csv_value(text, "availability", "Month (contract §3.4): unavailable minutes") == "120"
    reply = await say(split, ENGINEER, f"exclude {ticket.reference} power cut at the customer's site", "chat",
                      "a:eng-chat")
    assert texts(reply) == [f"Recorded {ticket.reference} as an excluded event (power cut at the customer's site): "
                            "availability figures leave its outage out from now on."]
    events = await TicketStore(split.db).events(ticket.id)
    assert (events[-1].kind, events[-1].actor_id, events[-1].data) == (
        EXCLUDED_EVENT, ENGINEER_A, {"clause": "power cut at the customer's site"})
    after = card_of(await say(split, ENGINEER, "report maintel-demo 2025-11", "chat", "a:eng-chat"))
    assert after is not None
    _, text = await download(split, csv_link(after))
    assert csv_value(text, "availability", "Month (contract §3.4): unavailable minutes") == "0"


@pytest.mark.parametrize("who", [*NOT_B, USER_B], ids=lambda p: p.name)
async def test_only_the_customers_engineers_record_exclusions(split: Running, who: Person) -> None:  # noqa: F811
    ticket = await open_ticket(split)
    reply = await say(split, who, f"exclude {ticket.reference} no reason", "chat", "a:x")
    assert not any(e.kind == EXCLUDED_EVENT for e in await TicketStore(split.db).events(ticket.id))
    assert "Recorded" not in json.dumps(reply.traffic)


def test_the_route_is_one_small_entry(tmp_path: Path) -> None:
    from bot.rules.routing import Incoming, route

    def incoming(text: str, msp: bool) -> Incoming:
        return Incoming("message", None, "personal", msp, False, text, None, False, False)

    assert route(incoming("report maintel-demo", True)) == "report_or_exclude"
    assert route(incoming("report 2025-11", False)) == "report_or_exclude"
    assert route(incoming("report a fault", False)) == "start_fault"
