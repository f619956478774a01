"""`report [customer] [month]` and `exclude <reference> <reason>` in chat.

`report` answers with the report card (charts with fallback tables) and a signed CSV link. Engineers and
managers name a customer they see (or none, when they see one only); a customer's user gets their own customer's
report. `exclude` records an audited Excluded Event on a ticket, which availability then leaves out.
"""

from __future__ import annotations

from datetime import date

from botbuilder.schema import Activity

from adaptive_cards.report import report_card
from bot.config import Customer
from bot.edge.report_links import ReportLinks
from bot.rules.report_request import MonthError, default_month, parse_report
from bot.rules.verbs import ENGINEER
from bot.services.context import Services, card_message
from bot.services.gate import ActorContext, TicketGate
from bot.services.reporting import customer_report as build_customer_report
from bot.services.reporting import find_visible, visible_customers
from reports import EXCLUDED_EVENT
from reports.export import report_summary

USAGE = "Type “report <customer> <month>”, for example “report {example} 2025-11” (the month is optional: " \
        "last month by default)."
NOT_FOUND = ("Which ticket? Name it, for example “exclude ACME-000123 customer's own network”. Nothing was "
             "changed.")
MAX_REASON = 500


def _today(services: Services, own: Customer | None) -> date:
    return services.clock.now().astimezone(own.timezone if own else None).date()


async def _customer_for(gate: TicketGate, who: ActorContext, words: str,
                        own: Customer | None) -> Customer | str:
    """The customer the report is for, or what to tell the sender (unknown reads like not theirs)."""
    if own is not None:
        return own
    customers = await visible_customers(gate, who)
    if not customers:
        return "You are not an engineer or manager of any customer, so there is no report for you to see."
    example = customers[0].id
    listed = ", ".join(c.id for c in customers)
    if not words:
        if len(customers) == 1:
            return customers[0]
        return f"Which customer? {USAGE.format(example=example)} You can report on: {listed}."
    usage = USAGE.format(example=example)
    found = find_visible(customers, words)
    return found or f"I don't know a customer called “{words}” that you can report on. {usage} You can report " \
                    f"on: {listed}."


async def answer_report(services: Services, gate: TicketGate, who: ActorContext, text: str,
                        own: Customer | None) -> Activity | str:
    """The report card for `report [customer] [month]`, or a sentence saying what to type."""
    today = _today(services, own)
    try:
        request = parse_report(text, today)
    except MonthError as exc:
        return f"{exc}."
    assert request is not None
    customer = await _customer_for(gate, who, request.customer, own)
    if isinstance(customer, str):
        return customer
    month = request.month or default_month(today)
    report = await build_customer_report(services, gate, who, customer.id, month)
    if report is None:  # the sender's own customer no longer shows them its tickets
        return "There is no report you can see for that customer."
    link = ReportLinks.from_settings(services.settings).url(customer.id, month.key, services.clock.now(),
                                                            who.aad_id, who.tenant or "")
    return card_message(report_card(report_summary(report), link))


async def exclude(services: Services, gate: TicketGate, who: ActorContext, text: str) -> str:
    """`exclude <reference> <reason>`: record the ticket as an Excluded Event, audited with who and why."""
    words = text.split(maxsplit=2)
    if len(words) < 3:
        return ("Name the ticket and why it is excluded, for example “exclude ACME-000123 outage caused by the "
                "customer's own network”. Nothing was changed.")
    seen = await gate.visible_ticket(who, words[1])
    if seen is None:
        return NOT_FOUND
    if seen.actor.role != ENGINEER:
        return "Only the customer's engineers can record an excluded event; nothing was changed."
    events = await services.tickets.events(seen.ticket.id)
    if any(e.kind == EXCLUDED_EVENT for e in events):
        return f"{seen.ticket.reference} is already recorded as an excluded event; nothing was changed."
    reason = words[2].strip()[:MAX_REASON]
    await services.tickets.note(seen.ticket.id, kind=EXCLUDED_EVENT, at=services.clock.now(),
                                data={"clause": reason}, actor_id=who.actor_id, actor_name=who.name)
    return (f"Recorded {seen.ticket.reference} as an excluded event ({reason}): availability figures leave its "
            "outage out from now on.")


async def answer(services: Services, gate: TicketGate, who: ActorContext, text: str,
                 own: Customer | None) -> Activity | str:
    """The reply to a `report …` or `exclude …` message."""
    if text.split()[0].lower() == "exclude":
        return await exclude(services, gate, who, text)
    return await answer_report(services, gate, who, text, own)
