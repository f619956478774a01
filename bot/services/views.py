"""A stored ticket as a card view: its clock state from its own events and its policy snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from adaptive_cards.ticket_actions import TicketControls
from adaptive_cards.views import TARGET_LABELS, Rationale, ReportView, target_rows
from bot.config import Customer
from bot.rules.verbs import SLA_KIND, State
from bot.store.tickets import Event, Ticket, snapshot_hash
from dialogs.summary import impact_lines
from sla import Policy, RequestError, policy_from_mapping
from sla.clock import ClockState, TicketEvent, clock_state

STATUS_TEXT = {"open": "Open, not yet acknowledged", "acknowledged": "Being worked on", "on_hold": "On hold",
               "restored": "Service restored", "resolved": "Resolved", "merged": "Merged into another ticket"}


_POLICIES: dict[str, Policy] = {}
"""Parsed policy snapshots by content hash (a hash's snapshot never changes)."""
KEEP_POLICIES = 256


def policy_of(ticket: Ticket) -> Policy:
    """The policy the ticket was opened under (its snapshot), never the file as edited since."""
    digest = ticket.policy_hash or snapshot_hash(ticket.policy_snapshot)
    policy = _POLICIES.get(digest)
    if policy is None:
        if len(_POLICIES) >= KEEP_POLICIES:
            _POLICIES.clear()
        policy = _POLICIES[digest] = policy_from_mapping(ticket.policy_snapshot, "ticket policy snapshot")
    return policy


def clock_events(ticket: Ticket, events: Sequence[Event]) -> list[TicketEvent]:
    """The ticket's events that move its SLA clocks, in the SLA engine's terms."""
    found = []
    for event in events:
        kind = SLA_KIND.get(event.kind)
        if kind is None:
            continue
        if kind == "opened":
            found.append(TicketEvent("opened", ticket.reported_at, priority=(event.after or {}).get("priority"),
                                     channel=ticket.channel, category=ticket.category))
        else:
            found.append(TicketEvent(kind, event.at, priority=(event.data or {}).get("priority")))
    return found


def clock_of(ticket: Ticket, events: Sequence[Event], now: datetime) -> ClockState | None:
    try:
        return clock_state(policy_of(ticket), clock_events(ticket, events), now)
    except RequestError:  # a category without targets (out of scope) has no clock
        return None


def restored(events: Sequence[Event]) -> bool:
    """Restored since the last reopen or 'still broken'."""
    state = False
    for event in events:
        if event.kind == "restored":
            state = True
        elif event.kind in ("reopened", "still_broken"):
            state = False
    return state


def acknowledged_by(events: Sequence[Event]) -> str | None:
    return next((e.actor_name or "an engineer" for e in events if e.kind == "acknowledged"), None)


def state_of(ticket: Ticket, events: Sequence[Event], engineers: Mapping[str, str]) -> State:
    return State(status=ticket.status, priority=ticket.priority, version=ticket.version,
                 assignee_id=ticket.assignee_id, assignee_name=ticket.assignee_name,
                 acknowledged_by=acknowledged_by(events), restored=restored(events),
                 priorities=policy_of(ticket).priority_ids, engineers=engineers)


def controls_of(ticket: Ticket, events: Sequence[Event], engineers: Mapping[str, str]) -> TicketControls:
    return TicketControls(ticket.id, ticket.version, ticket.status, acknowledged_by(events) is not None,
                          restored(events), ticket.priority, policy_of(ticket).priority_ids, engineers)


def _rationale(ticket: Ticket, events: Sequence[Event]) -> list[Rationale]:
    lines = [Rationale(r["quote"], r["seed"]) for r in ticket.classification.get("rules", [])]
    changes = [e for e in events if e.kind == "reclassified"]
    if changes:
        last = changes[-1]
        data: Mapping[str, Any] = last.data or {}
        lines.append(Rationale(f"Reclassified to {data.get('priority')} by {last.actor_name}: {data.get('reason')}",
                               last.at.strftime("%d %b %H:%M UTC")))
    return lines


def ticket_view(ticket: Ticket, events: Sequence[Event], customer: Customer, now: datetime) -> ReportView:
    policy = policy_of(ticket)
    clock = clock_of(ticket, events, now)
    report = {**ticket.report, **(ticket.classification.get("facts") or {})}  # as the reporter's updates widened it
    started = ticket.started_at
    status = STATUS_TEXT.get(ticket.status, ticket.status)
    hold = next((e for e in reversed(events) if e.kind == "paused"), None)
    if ticket.status == "on_hold" and hold is not None:
        status += f": {(hold.data or {}).get('reason', '')}"
    return ReportView(
        customer_name=customer.name, contract_name=policy.name, category=ticket.category, priority=ticket.priority,
        priority_name=policy.priority(ticket.priority).name if ticket.priority in policy.priority_ids else "",
        rationale=_rationale(ticket, events), started_at=started,
        services=[customer.services.get(s, s) for s in report.get("services", [])],
        impact=impact_lines(report), description=str(ticket.report.get("description", "")),
        targets=target_rows(clock) if clock else [], reference=ticket.reference, status=status,
        reported_at=ticket.reported_at, reporter_name=ticket.reporter_name,
        assignee_name=ticket.assignee_name or "",
    )


def soonest_deadline(ticket: Ticket, events: Sequence[Event], now: datetime) -> tuple[datetime | None, str]:
    """The next running target's due time and its name (None when no clock runs)."""
    clock = clock_of(ticket, events, now)
    if clock is None:
        return None, ""
    running = [(t.due_at, name) for name, t in clock.targets.items()
               if t.due_at is not None and t.completed_at is None and t.status in ("running", "at_risk", "breached")]
    if not running:
        return None, ""
    due, name = min(running)
    return due, TARGET_LABELS.get(name, name)
