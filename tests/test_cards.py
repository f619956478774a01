"""Cards: valid Adaptive Card 1.5 JSON, and they say what the reader needs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adaptive_cards import verbs
from adaptive_cards.cards import intake_form_card, summary_card, ticket_card, welcome_card
from adaptive_cards.reminders import escalation_card, reminder_card
from adaptive_cards.views import Rationale, ReportView, target_rows
from sla import PolicyLibrary
from sla.clock import TicketEvent, clock_state

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(os.environ.get("FAULTLINE_CARD_SCHEMA", ROOT / ".venv" / "share" / "adaptive-card-schema-1.5.json"))
NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def all_text(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(all_text(v) for v in node.values())
    if isinstance(node, list):
        return " ".join(all_text(v) for v in node)
    return str(node)


def view(**changes: Any) -> ReportView:
    policy = PolicyLibrary.load().get("maintel-icon")
    state = clock_state(policy, [TicketEvent("opened", NOW - timedelta(minutes=50), priority="P1")], NOW)
    values: dict[str, Any] = {
        "customer_name": "ACME", "contract_name": "Maintel ICON Teams Connector", "category": "incident",
        "priority": "P1", "priority_name": "Critical Impact",
        "rationale": [Rationale("50% or more of users, trunks, or voicemail boxes not available", "000:L33")],
        "started_at": NOW - timedelta(hours=1), "services": ["Inbound calls"],
        "impact": ["60% of users", "1 of 3 sites"], "description": "Callers hear a busy tone",
        "targets": target_rows(state), "reference": "ACME-000042", "status": "Open",
        "reported_at": NOW - timedelta(minutes=50), "reporter_name": "Ada Reporter",
    }
    values.update(changes)
    return ReportView(**values)


def controls(**changes: Any) -> Any:
    from adaptive_cards.ticket_actions import TicketControls

    values: dict[str, Any] = {"ticket_id": 7, "version": 3, "status": "acknowledged", "acknowledged": True,
                              "restored": False, "priority": "P2", "priorities": ["P1", "P2", "P3"],
                              "engineers": {"e1": "Eng One", "e2": "Eng Two"}}
    values.update(changes)
    return TicketControls(**values)


def _view(actions: str, **changes: Any) -> dict[str, Any]:
    from adaptive_cards.ticket_actions import engineer_actions, reporter_actions, with_view

    c = controls(**changes)
    chosen = {"engineer": engineer_actions, "reporter": reporter_actions}[actions](c)
    return with_view(ticket_card(view(), LONDON, NOW), c, chosen, ["29:e1", "29:e2"], "Acknowledged by Eng One.")


CARDS = {
    "welcome": lambda: welcome_card("ACME", "Maintel ICON Teams Connector"),
    "form": lambda: intake_form_card({"inbound_calls": "Inbound calls", "voicemail": "Voicemail"}, {}, {},
                                     "2025-11-24"),
    "form with errors": lambda: intake_form_card({"inbound_calls": "Inbound calls"},
                                                 {"description": "x", "users_affected": 3},
                                                 {"started": "That time is in the future", "services": "Choose one"},
                                                 "2025-11-24", "10:00"),
    "summary": lambda: summary_card(view(reference="", status=""), LONDON, NOW),
    "ticket": lambda: ticket_card(view(), LONDON, NOW),
    "engineer view": lambda: _view("engineer", acknowledged=False),
    "engineer view on hold": lambda: _view("engineer", status="on_hold"),
    "engineer view resolved": lambda: _view("engineer", status="resolved"),
    "reporter view": lambda: _view("reporter"),
    "reporter view restored": lambda: _view("reporter", status="restored", restored=True),
    "reminder": lambda: reminder_card(ticket_id=7, reference="ACME-000042", headline="Customer update due in 10 min",
                                      summary="P1 · ACME · Busy tone", due="Mon 24 Nov 11:00 GMT", timer_key="7:x"),
    "escalation": lambda: escalation_card(ticket_id=7, reference="ACME-000042", headline="Restoration breached",
                                          clock="Restoration", lateness="late by 5 min", summary="P1 · ACME",
                                          assignee=""),
    "ticket without targets": lambda: ticket_card(view(targets=[], category="help_request", priority=None), LONDON,
                                                  NOW),
}


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"Adaptive Card schema not found at {SCHEMA}: run scripts/setup dev "
                    "or set FAULTLINE_CARD_SCHEMA")
@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_is_valid_adaptive_card_1_5(name: str) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    built = CARDS[name]()
    assert built["version"] == "1.5"
    errors = list(jsonschema.Draft6Validator(schema).iter_errors(built))
    assert errors == [], errors[0].message[:500] if errors else ""


@pytest.mark.skipif(not SCHEMA.is_file(), reason="Adaptive Card schema not found")
def test_the_schema_check_catches_a_mistake() -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = welcome_card("ACME", "X")
    broken["body"][0]["size"] = "Enormous"
    assert list(jsonschema.Draft6Validator(schema).iter_errors(broken))


def test_ticket_card_shows_reference_priority_rationale_and_deadlines_in_the_viewers_zone() -> None:
    shown = all_text(ticket_card(view(), ZoneInfo("America/New_York"), NOW))
    assert "ACME-000042 · Fault, priority P1" in shown
    assert "“50% or more of users, trunks, or voicemail boxes not available” (Maintel ICON Teams Connector, 000:L33)" \
        in shown
    # P1 opened 09:10 UTC: first response due 09:40 UTC = 04:40 in New York, already late
    assert "Mon 24 Nov 04:40 EST" in shown and "✗ breached, 20 min late" in shown
    assert "Restoration" in shown and "Mon 24 Nov 08:10 EST" in shown and "3 h 10 min left" in shown
    assert "Ada Reporter" in shown and "nobody yet" in shown


def test_summary_offers_confirm_change_and_cancel() -> None:
    built = summary_card(view(reference="", clock_note="The clock starts Mon 24 Nov 09:00 GMT."), LONDON, NOW)
    actions = [a["data"][verbs.ACTION_KEY] for a in built["actions"]]
    assert actions == [verbs.CONFIRM, verbs.CHANGE, verbs.CANCEL]
    assert "The clock starts Mon 24 Nov 09:00 GMT." in all_text(built)


def test_form_keeps_answers_and_shows_errors_next_to_fields() -> None:
    built = intake_form_card({"inbound_calls": "Inbound calls"}, {"description": "Busy tone"},
                             {"services": "Choose at least one service"}, "2025-11-24")
    shown = all_text(built)
    assert "Please correct the highlighted answers." in shown and "Choose at least one service" in shown
    description = next(e for e in built["body"] if e.get("id") == "description")
    assert description["value"] == "Busy tone"


def test_refresh_names_at_most_sixty_users() -> None:
    from adaptive_cards.ticket_actions import with_view

    built = with_view(ticket_card(view(), LONDON, NOW), controls(), [], [f"29:u{n}" for n in range(80)])
    assert len(built["refresh"]["userIds"]) == 60 and built["refresh"]["action"]["data"]["version"] == 3
