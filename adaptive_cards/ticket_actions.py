"""The ticket card's three views: engineers' (every verb), the reporter's (their verbs) and read-only.

All of them carry `refresh`, so Teams asks the bot for the right view for each of `refresh.userIds`
(at most 60); everyone else keeps the read-only card they were sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adaptive_cards import verbs as v
from adaptive_cards.cards import Card, text
from adaptive_cards.cards import execute as action

MAX_REFRESH_USERS = 60
HOLD_CHOICES = {"awaiting_customer": "Awaiting the customer", "awaiting_third_party": "Awaiting a third party"}


@dataclass(frozen=True)
class TicketControls:
    """What the actions depend on."""

    ticket_id: int
    version: int
    status: str
    acknowledged: bool
    restored: bool
    priority: str | None
    priorities: Sequence[str]
    engineers: Mapping[str, str]


def execute(title: str, verb: str, controls: TicketControls, style: str | None = None,
            **data: Any) -> dict[str, Any]:
    """An action on this ticket, naming the version of the ticket the card shows."""
    return action(title, verb, {"ticket": controls.ticket_id, "version": controls.version, **data}, style)


def _show(title: str, body: list[dict[str, Any]], submit: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "body": body, "actions": [submit]}}


def _text_box(key: str, label: str, placeholder: str) -> dict[str, Any]:
    return {"type": "Input.Text", "id": key, "label": label, "isMultiline": True, "isRequired": True,
            "errorMessage": f"{label} is required", "maxLength": 4000, "placeholder": placeholder}


def _choices(key: str, label: str, options: Mapping[str, str], value: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"type": "Input.ChoiceSet", "id": key, "label": label, "isRequired": True,
                              "errorMessage": f"Choose {label.lower()}",
                              "choices": [{"title": t, "value": k} for k, t in options.items()]}
    if value:
        choice["value"] = value
    return choice


def engineer_actions(c: TicketControls) -> list[dict[str, Any]]:
    """Every verb the ticket's state allows, most urgent first (Teams shows up to six)."""
    if c.status == "resolved":
        return [execute("Reopen", v.REOPEN, c, style="positive")]
    if c.status == "merged":
        return [execute("Split out", v.SPLIT, c)]
    first = execute("Acknowledge", v.ACKNOWLEDGE, c, style="positive") if not c.acknowledged else None
    hold_or_resume = execute("Resume", v.RESUME, c) if c.status == "on_hold" else _show(
        "Hold", [_choices("hold_kind", "Waiting for", HOLD_CHOICES),
                 _text_box("reason", "Reason", "e.g. waiting for the carrier's fault reference")],
        execute("Put on hold", v.HOLD, c))
    actions = [
        first,
        _show("Post update", [_text_box("text", "Update for the customer", "What we know and what happens next")],
              execute("Send to the customer", v.UPDATE, c)),
        hold_or_resume,
        None if c.restored else _show("Restore", [_text_box("text", "Workaround or fix", "e.g. calls diverted")],
                                      execute("Service restored", v.RESTORE, c)),
        _show("Resolve", [_text_box("summary", "Resolution summary", "Cause and fix")],
              execute("Resolve ticket", v.RESOLVE, c)),
        _show("More", [
            _choices("priority", "New priority", {p: p for p in c.priorities}, c.priority),
            _text_box("reason", "Reason for the change", "e.g. workaround in place (DuoCall 2.4)"),
        ], execute("Reclassify", v.RECLASSIFY, c)),
        _show("Assign", [_choices("assignee", "Engineer", dict(c.engineers))], execute("Assign", v.ASSIGN, c))
        if c.engineers else None,
        _show("Merge", [{"type": "Input.Text", "id": "into", "label": "Main ticket", "isRequired": True,
                         "errorMessage": "Name the main ticket", "maxLength": 40, "placeholder": "e.g. ACME-000123"}],
              execute("Merge into it", v.MERGE, c)),
    ]
    return [a for a in actions if a is not None][:6]


def reporter_actions(c: TicketControls) -> list[dict[str, Any]]:
    if c.status in ("resolved", "merged"):
        return []
    actions = [_show("Add information", [_text_box("text", "Information", "Anything the engineers should know")],
                     execute("Send", v.ADD_INFO, c))]
    if c.restored:
        actions = [execute("It works now", v.CONFIRM_RESTORATION, c, style="positive"),
                   _show("Still broken", [{"type": "Input.Text", "id": "text", "label": "What still fails?",
                                           "isMultiline": True, "maxLength": 4000}],
                         execute("Send", v.STILL_BROKEN, c, style="destructive")),
                   *actions]
    return actions


def with_view(card: Card, c: TicketControls, actions: list[dict[str, Any]], refresh_users: Sequence[str],
              banner: str = "") -> Card:
    """The card with a banner, its actions and the refresh clause that asks for per-user views."""
    result = dict(card)
    if banner:
        result["body"] = [text(banner, weight="Bolder", color="Accent"), *card["body"]]
    if actions:
        result["actions"] = actions
    users = list(dict.fromkeys(refresh_users))[:MAX_REFRESH_USERS]
    if users:
        result["refresh"] = {"action": execute("Refresh", v.REFRESH, c), "userIds": users}
    return result
