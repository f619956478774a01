"""What the board's pages draw, as JSON-ready data: rows of open tickets with their running targets, one ticket
with its audit timeline and clocks, and an ETag that changes exactly when the rows do."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from adaptive_cards.views import TARGET_LABELS
from bot.services.gate import Seen
from bot.services.views import STATUS_TEXT, clock_events, clock_of, policy_of, ticket_view
from bot.store.tickets import Event, Ticket
from sla import Policy, RequestError
from sla.clock import AT_RISK, ClockState, TargetState, clock_state, ticket_history
from sla.deadlines import calendar_of, target_set

RUNNING = ("running", "at_risk", "breached")
EVENT_TEXT = {"opened": "Reported", "assigned": "Assigned", "acknowledged": "Acknowledged", "updated": "Update sent",
              "reclassified": "Reclassified", "paused": "Put on hold", "resumed": "Resumed", "restored":
              "Service restored", "resolved": "Resolved", "reopened": "Reopened", "still_broken": "Still broken",
              "info_added": "Information added", "confirmed": "Restoration confirmed",
              "excluded_event": "Recorded as an excluded event"}
DETAIL_KEYS = ("text", "reason", "summary", "priority", "assignee_name", "clause", "hold_kind")


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def label(name: str) -> str:
    return TARGET_LABELS.get(name, name.replace("_", " ").capitalize())


def warn_at(ticket: Ticket, policy: Policy, clock: ClockState, name: str, state: TargetState,
            now: datetime) -> datetime | None:
    """When the running target reaches 75 % of its allowance, on its own calendar; once past, its start (a past
    instant that stays the same from one poll to the next, so the board's ETag does too)."""
    if state.allowance is None or state.due_at is None:
        return None
    left = state.allowance * AT_RISK - state.consumed
    if left <= timedelta(0):
        return state.started_at
    try:
        spec = next(s for s in target_set(policy, clock.priority, ticket.category).values() if s.output_name == name)
    except (RequestError, StopIteration):
        return None
    return min(calendar_of(spec, policy).add(now, left), state.due_at)


def running_targets(ticket: Ticket, policy: Policy, events: Sequence[Event], now: datetime) -> list[dict[str, Any]]:
    """The ticket's targets whose clocks run or are on hold, soonest first (``policy``: its snapshot's)."""
    try:
        clock = clock_state(policy, clock_events(ticket, events), now)
    except RequestError:  # a category without targets has no clock
        return []
    rows = []
    for name, state in clock.targets.items():
        if state.completed_at is not None or state.status not in (*RUNNING, "paused"):
            continue
        rows.append({"name": name, "label": label(name), "status": state.status, "due_at": iso(state.due_at),
                     "warn_at": iso(warn_at(ticket, policy, clock, name, state, now))})
    return sorted(rows, key=lambda r: (r["due_at"] is None, r["due_at"] or ""))


def board_row(seen: Seen, policy: Policy, events: Sequence[Event], now: datetime) -> dict[str, Any]:
    ticket = seen.ticket
    targets = running_targets(ticket, policy, events, now)
    due = [t["due_at"] for t in targets if t["due_at"]]
    return {"id": ticket.id, "reference": ticket.reference, "customer": seen.customer.name,
            "customer_id": seen.customer.id, "priority": ticket.priority or "", "status": ticket.status,
            "status_text": STATUS_TEXT.get(ticket.status, ticket.status), "assignee": ticket.assignee_name or "",
            "summary": str(ticket.report.get("description", ""))[:120], "reported_at": iso(ticket.reported_at),
            "targets": targets, "soonest": min(due) if due else None}


def board_rows(seen: Sequence[Seen], events: Mapping[int, Sequence[Event]], now: datetime) -> list[dict[str, Any]]:
    """One row per ticket, the soonest deadline first (tickets with no running deadline last)."""
    rows = [board_row(s, policy_of(s.ticket), events.get(s.ticket.id, ()), now) for s in seen]
    return sorted(rows, key=lambda r: (r["soonest"] is None, r["soonest"] or "", r["reference"]))


def etag(data: Any) -> str:
    """A strong ETag of JSON data (sorted keys, so equal data gives an equal tag)."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _timeline(events: Sequence[Event]) -> list[dict[str, Any]]:
    found = []
    for event in events:
        data = {**(event.after or {}), **(event.data or {})} if event.kind != "opened" else {}
        details = [f"{k.replace('_', ' ')}: {data[k]}" for k in DETAIL_KEYS if data.get(k)]
        found.append({"at": iso(event.at), "kind": event.kind, "what": EVENT_TEXT.get(event.kind, event.kind),
                      "who": event.actor_name or "", "details": "; ".join(details)})
    return found


def _clocks(ticket: Ticket, events: Sequence[Event], now: datetime) -> list[dict[str, Any]]:
    clock = clock_of(ticket, events, now)
    if clock is None:
        return []
    try:
        pauses = ticket_history(clock_events(ticket, events), now).pauses
    except RequestError:
        pauses = ()
    spans = [[iso(start), iso(end)] for start, end in pauses]
    return [{"name": name, "label": label(name), "status": s.status, "started_at": iso(s.started_at),
             "due_at": iso(s.due_at), "completed_at": iso(s.completed_at),
             "allowance_minutes": None if s.allowance is None else round(s.allowance.total_seconds() / 60, 1),
             "consumed_minutes": round(s.consumed.total_seconds() / 60, 1), "paused": spans if s.paused_for else []}
            for name, s in clock.targets.items() if s.status not in ("no_target", "not_started")]


def ticket_page(seen: Seen, events: Sequence[Event], now: datetime) -> dict[str, Any]:
    """The ticket's card facts, its full audit timeline and each clock with its paused spans."""
    ticket = seen.ticket
    view = ticket_view(ticket, events, seen.customer, now)
    facts = {"Reference": ticket.reference, "Customer": view.customer_name, "Contract": view.contract_name,
             "Priority": f"{view.priority} {view.priority_name}".strip() if view.priority else "none",
             "Status": view.status, "Reported": iso(ticket.reported_at), "Reported by": view.reporter_name,
             "Assigned to": view.assignee_name or "nobody yet", "Services": ", ".join(view.services) or "—",
             "Impact": "; ".join(view.impact) or "—", "Description": view.description or "—"}
    return {"id": ticket.id, "reference": ticket.reference, "facts": facts, "timeline": _timeline(events),
            "clocks": _clocks(ticket, events, now), "now": iso(now), "policy": policy_of(ticket).name}
