"""View models: what a card shows, computed from a ticket or a report (pure data, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from adaptive_cards.format import time_left
from sla.clock import ClockState

TARGET_LABELS = {
    "first_response": "First response",
    "first_update": "Customer update",
    "restoration": "Restoration",
    "resolution": "Resolution",
    "email_acknowledgement": "Email acknowledgement",
    "onsite": "Engineer on site",
    "hosted_telephony": "Hosted telephony",
    "site_visit_arrangement": "Site visit arranged",
}
STATUS_MARKS = {
    "met": "✓ met",
    "breached": "✗ breached",
    "at_risk": "⚠ at risk",
    "running": "running",
    "paused": "⏸ on hold",
    "not_started": "not started",
}


@dataclass(frozen=True)
class Rationale:
    """Why this priority: the contract's words and where they are."""

    quote: str
    seed: str


@dataclass(frozen=True)
class TargetRow:
    label: str
    due_at: datetime | None
    status: str
    remaining_text: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReportView:
    """A report before or after it becomes a ticket."""

    customer_name: str
    contract_name: str
    category: str
    priority: str | None
    priority_name: str
    rationale: Sequence[Rationale]
    started_at: datetime | None
    services: Sequence[str]
    impact: Sequence[str]
    description: str
    targets: Sequence[TargetRow] = ()
    clock_note: str = ""
    reference: str = ""
    status: str = ""
    reported_at: datetime | None = None
    reporter_name: str = ""
    assignee_name: str = ""
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)


def target_rows(state: ClockState, remaining_of: dict[str, str] | None = None) -> list[TargetRow]:
    """One row per target that has one, in the clock state's order."""
    rows = []
    for name, target in state.targets.items():
        if target.status == "no_target":
            continue
        left = ""
        if target.status in ("running", "at_risk", "breached") and target.completed_at is None:
            left = time_left(target.remaining)
        note = target.reason or "" if target.status == "not_started" else ""
        rows.append(TargetRow(TARGET_LABELS.get(name, name.replace("_", " ").capitalize()), target.due_at,
                              target.status, left, note))
    return rows


def category_title(category: str, priority: str | None) -> str:
    """How the outcome is named to the reporter."""
    titles = {
        "incident": f"Fault, priority {priority}" if priority else "Fault",
        "no_priority_scheme": "Fault",
        "help_request": f"Help request{f', priority {priority}' if priority else ''}",
        "service_request": f"Change request{f', priority {priority}' if priority else ''}",
        "out_of_scope": "Outside the support contract",
        "not_applicable": "Not covered by this service",
    }
    return titles[category]
