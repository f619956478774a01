"""The bot's stored tickets feed the report unchanged, and the report's clock agrees with the ticket card's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.views import clock_events as card_clock_events
from bot.services.views import clock_of, policy_of
from bot.store.tickets import Event, Ticket
from reports import build_report, from_store, month_period
from reports.facts import clock_events
from tests.reports.helpers import LIB

START = datetime.fromisoformat("2025-11-10T09:00:00+00:00")
AS_OF = datetime.fromisoformat("2025-12-01T00:00:00+00:00")


def stored(seq: int, kind: str, minutes: int, **fields: Any) -> Event:
    return Event(ticket_id=1, seq=seq, kind=kind, at=START + timedelta(minutes=minutes), actor_id="e1",
                 actor_name="Eng", before=None, after=fields.get("after"), data=fields.get("data"))


TICKET = Ticket(customer_id="acme", category="incident", priority="P2", channel="chat", policy_id="maintel-icon",
                policy_snapshot=dict(LIB.get("maintel-icon").raw), reported_at=START, started_at=None,
                report={"services": ["inbound_calls"]}, classification={}, reporter_id="u1", reporter_name="U",
                reporter_conversation_id="c1", id=1, reference="ACME-000001", status="resolved")
EVENTS = [
    stored(1, "opened", 0, after={"status": "open", "priority": "P2", "category": "incident"}),
    stored(2, "assigned", 1, data={"assignee": "e1"}),
    stored(3, "acknowledged", 40),
    stored(4, "paused", 60, data={"reason": "awaiting customer"}),
    stored(5, "resumed", 180),
    stored(6, "restored", 300),
    stored(7, "still_broken", 320, data={"text": "still no calls"}),
    stored(8, "resolved", 500),
]


def test_a_stored_ticket_moves_the_same_clocks_as_on_its_card() -> None:
    policy = policy_of(TICKET)
    mine = from_store(TICKET, EVENTS, policy)
    assert clock_events(mine) == card_clock_events(TICKET, EVENTS)
    report = build_report("ACME", policy, [mine], month_period(2025, 11, ZoneInfo("Europe/London")), AS_OF)
    card = clock_of(TICKET, EVENTS, AS_OF)
    assert card is not None
    for row in (r for r in report.targets if r.priority == "P2" and r.target != "first_update"):
        assert row.median_used == card.targets[row.target].consumed, row.target
    assert (report.reopened_tickets, report.by_service) == (1, {"inbound_calls": 1})
    # Restored at 300 min but still broken at 320: service came back at 500 min, 2 h of it on hold.
    assert (report.mttr.elapsed, report.mttr.business) == (timedelta(minutes=500), timedelta(minutes=380))
