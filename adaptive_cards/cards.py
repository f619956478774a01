"""Adaptive Cards 1.5 as plain JSON-ready dicts, built from view models by pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adaptive_cards import verbs
from adaptive_cards.format import local_time
from adaptive_cards.views import STATUS_MARKS, ReportView, TargetRow, category_title

Card = dict[str, Any]
CARD_VERSION = "1.5"
PRIORITY_COLOURS = {"P1": "Attention", "P2": "Warning", "P3": "Accent", "P4": "Good", "P5": "Good"}


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    result: Card = {"type": "AdaptiveCard", "version": CARD_VERSION, "body": body}
    if actions:
        result["actions"] = actions
    return result


def text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def submit(title: str, action: str, style: str | None = None, **data: Any) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": {verbs.ACTION_KEY: action, **data}}
    if style:
        button["style"] = style
    return button


def execute(title: str, verb: str, data: dict[str, Any], style: str | None = None) -> dict[str, Any]:
    """A Universal Action (Action.Execute) carrying ``data`` to the bot."""
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


def facts(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs if v]}


# -- welcome ---------------------------------------------------------------------------------------
def welcome_card(customer_name: str, contract_name: str) -> Card:
    """What a user sees when they install the app or say hello."""
    return card(
        [text("Fault desk", size="Large", weight="Bolder"),
         text(f"Tell me what's broken and I'll open a ticket under {customer_name}'s {contract_name} contract, "
              "with every deadline the contract promises."),
         text("Type what's wrong (for example “our phones are down”), or use the form.", isSubtle=True)],
        [submit("Report a fault", verbs.START_REPORT, style="positive"), submit("Help", verbs.HELP)],
    )


# -- the intake form ---------------------------------------------------------------------------------
def intake_form_card(services: Mapping[str, str], values: Mapping[str, Any], errors: Mapping[str, str],
                     today: str, max_time: str | None = None) -> Card:
    """One form with every field the contract needs; ``errors`` are shown next to their field."""
    body: list[dict[str, Any]] = [text("Report a fault", size="Large", weight="Bolder")]
    if errors:
        body.append(text("Please correct the highlighted answers.", color="Attention", weight="Bolder"))

    def field_error(name: str) -> list[dict[str, Any]]:
        return [text(errors[name], color="Attention", size="Small", spacing="None")] if name in errors else []

    body += [
        {"type": "Input.Date", "id": "started_date", "label": "Date it started", "isRequired": True,
         "errorMessage": "Give the date it started", "max": today, "value": values.get("started_date", today)},
        {"type": "Input.Time", "id": "started_time", "label": "Time it started (your time)", "isRequired": True,
         "errorMessage": "Give the time it started", "value": values.get("started_time", max_time or "")},
        *field_error("started"),
        {"type": "Input.ChoiceSet", "id": "services", "label": "Services affected", "isMultiSelect": True,
         "isRequired": True, "errorMessage": "Choose at least one service", "style": "expanded",
         "choices": [{"title": name, "value": sid} for sid, name in services.items()],
         "value": values.get("services", "")},
        *field_error("services"),
        {"type": "Input.Number", "id": "users_affected", "label": "How many users are affected?", "min": 0,
         "value": values.get("users_affected"), "placeholder": "e.g. 12"},
        {"type": "Input.Number", "id": "pct_users_affected", "label": "…or what share of users (%)?", "min": 0,
         "max": 100, "value": values.get("pct_users_affected"), "placeholder": "e.g. 40",
         "errorMessage": "A share from 0 to 100"},
        *field_error("users"),
        {"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [
                {"type": "Input.Number", "id": "sites_affected", "label": "Sites affected", "min": 0,
                 "value": values.get("sites_affected")}]},
            {"type": "Column", "width": "stretch", "items": [
                {"type": "Input.Number", "id": "total_sites", "label": "of how many sites", "min": 1,
                 "value": values.get("total_sites")}]}]},
        *field_error("sites"),
        {"type": "Input.Toggle", "id": "mission_critical_site", "title": "A mission-critical site is affected",
         "value": values.get("mission_critical_site", "false"), "valueOn": "true", "valueOff": "false"},
        {"type": "Input.Toggle", "id": "workaround", "title": "A workaround is available",
         "value": values.get("workaround", "false"), "valueOn": "true", "valueOff": "false"},
        *_how_badly(values, field_error),
        {"type": "Input.Text", "id": "description", "label": "What happens?", "isMultiline": True,
         "isRequired": True, "errorMessage": "Describe what happens", "maxLength": 4000,
         "value": values.get("description", ""), "placeholder": "e.g. callers hear a busy tone on 0161 555 0100"},
        *field_error("description"),
    ]
    return card([_drop_empty(b) for b in body],
                [submit("Check priority and deadlines", verbs.INTAKE_FORM, style="positive"),
                 submit("Cancel", verbs.CANCEL)])


IMPACT_CHOICES = (("down", "Not working at all"), ("degraded", "Working, but badly (poor audio, slow, some calls "
                  "failing)"), ("at_risk", "Still working, but a backup or redundant link is lost"))


def _how_badly(values: Mapping[str, Any], field_error: Any) -> list[dict[str, Any]]:
    """How badly, and the measures that grade a degradation; every one optional."""
    def number(key: str, label: str, **limits: Any) -> dict[str, Any]:
        return {"type": "Input.Number", "id": key, "label": label, "value": values.get(key), **limits}

    return [
        {"type": "Input.ChoiceSet", "id": "impact", "label": "How badly?", "style": "compact",
         "choices": [{"title": title, "value": value} for value, title in IMPACT_CHOICES],
         "value": values.get("impact"), "placeholder": "Choose one"},
        *field_error("impact"),
        number("voice_mos", "Voice quality: MoS score, if known (1 to 5)", min=1, max=5),
        *field_error("voice_mos"),
        number("latency_ms_rtt", "Lag: measured round-trip time in ms, if known", min=0),
        *field_error("latency"),
        {"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [
                number("channels_failing", "Call channels failing", min=0)]},
            {"type": "Column", "width": "stretch", "items": [
                number("channels_total", "of how many channels", min=1)]}]},
        *field_error("capacity"),
        {"type": "Input.Toggle", "id": "recurring", "title": "This has happened before",
         "value": values.get("recurring", "false"), "valueOn": "true", "valueOff": "false"},
        {"type": "Input.Toggle", "id": "could_get_worse", "title": "It could get worse (a risk of further impact)",
         "value": values.get("could_get_worse", "false"), "valueOn": "true", "valueOff": "false"},
    ]


def _drop_empty(element: Any) -> Any:
    """Leave out unanswered values (null is not a valid Adaptive Card value), at any depth."""
    if isinstance(element, dict):
        return {k: _drop_empty(v) for k, v in element.items() if v is not None and v != ""}
    if isinstance(element, list):
        return [_drop_empty(v) for v in element]
    return element


# -- summary before confirmation, and the ticket ------------------------------------------------------
def _header(view: ReportView) -> list[dict[str, Any]]:
    title = category_title(view.category, view.priority)
    if view.reference:
        title = f"{view.reference} · {title}"
    colour = PRIORITY_COLOURS.get(view.priority or "", "Default")
    blocks = [text(title, size="Large", weight="Bolder", color=colour)]
    if view.priority_name:
        blocks.append(text(view.priority_name, weight="Bolder", spacing="None"))
    blocks += [text(f"“{r.quote}” ({view.contract_name}, {r.seed})", isSubtle=True, size="Small", spacing="Small")
               for r in view.rationale]
    return blocks


def _targets(rows: Sequence[TargetRow], tz: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    if not rows:
        return [text("The contract sets no time targets for this request.", isSubtle=True)]
    table: dict[str, Any] = {
        "type": "Table", "firstRowAsHeader": True, "showGridLines": False,
        "columns": [{"width": 3}, {"width": 4}, {"width": 3}],
        "rows": [_row("Target", "Due", "Status", header=True)],
    }
    for row in rows:
        due = local_time(row.due_at, tz, now) if row.due_at else row.note or "on hold"
        status = STATUS_MARKS.get(row.status, row.status)
        table["rows"].append(_row(row.label, due, f"{status}, {row.remaining_text}" if row.remaining_text else status))
    return [text("Deadlines", weight="Bolder", spacing="Medium"), table]


def _row(*cells: str, header: bool = False) -> dict[str, Any]:
    style = {"weight": "Bolder"} if header else {}
    return {"type": "TableRow", "cells": [{"type": "TableCell", "items": [text(c, **style)]} for c in cells]}


def _details(view: ReportView, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    pairs = [
        ("Status", view.status),
        ("Reported by", view.reporter_name),
        ("Reported", local_time(view.reported_at, tz, now) if view.reported_at else ""),
        ("Started", local_time(view.started_at, tz, now) if view.started_at else ""),
        ("Services", ", ".join(view.services)),
        *(("Impact", line) for line in view.impact),
        ("Assigned to", view.assignee_name or ("nobody yet" if view.reference else "")),
    ]
    return facts(pairs)


def summary_card(view: ReportView, tz: ZoneInfo, now: datetime) -> Card:
    """The classification and deadlines, for the reporter to confirm before the ticket is opened."""
    body = [*_header(view), _details(view, tz, now), text(view.description, isSubtle=True)]
    if view.clock_note:
        body.append(text(view.clock_note, color="Warning"))
    body += _targets(view.targets, tz, now)
    return card(body, [submit("Open the ticket", verbs.CONFIRM, style="positive"),
                       submit("Change an answer", verbs.CHANGE), submit("Cancel", verbs.CANCEL)])


def ticket_card(view: ReportView, tz: ZoneInfo, now: datetime) -> Card:
    """The ticket as the reporter or an engineer sees it, deadlines in the viewer's zone."""
    body = [*_header(view), _details(view, tz, now), text(view.description, isSubtle=True)]
    if view.clock_note:
        body.append(text(view.clock_note, color="Warning"))
    body += _targets(view.targets, tz, now)
    body.append(text(f"Times shown in {tz.key}. As of {local_time(now, tz)}.", isSubtle=True, size="Small"))
    return card(body)
