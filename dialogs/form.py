"""Reading the intake card form: every field checked, every problem named next to its field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adaptive_cards.cards import Card, intake_form_card
from dialogs.timeparse import FUTURE_TOLERANCE, MAX_AGE
from sla.services import SERVICES

MAX_DESCRIPTION = 4000


def _number(raw: Any, name: str, errors: dict[str, str], key: str, maximum: float | None = None) -> float | None:
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors[key] = f"{name} must be a number."
        return None
    if value < 0 or (maximum is not None and value > maximum):
        errors[key] = f"{name} must be between 0 and {maximum:g}." if maximum else f"{name} can't be negative."
        return None
    return value


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def read_form(value: Mapping[str, Any], services: Mapping[str, str], tz: ZoneInfo,
              now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers, errors by field) from a submitted form."""
    errors: dict[str, str] = {}
    found: dict[str, Any] = {}
    started = _started(value, tz, now, errors)
    if started:
        found["started_at"] = started
    chosen = [s for s in str(value.get("services") or "").split(",") if s]
    if not chosen:
        errors["services"] = "Choose at least one affected service."
    elif any(s not in services and s not in SERVICES for s in chosen):
        errors["services"] = "Choose services from the list."
    else:
        found["services"] = chosen
    users = _number(value.get("users_affected"), "Users affected", errors, "users")
    pct = _number(value.get("pct_users_affected"), "The share of users", errors, "users", 100)
    if users is None and pct is None and "users" not in errors:
        errors["users"] = "Say how many users are affected, or what share of them."
    found |= {"users_affected": _whole(users), "pct_users_affected": pct}
    hit = _whole(_number(value.get("sites_affected"), "Sites affected", errors, "sites"))
    total = _whole(_number(value.get("total_sites"), "The number of sites", errors, "sites"))
    if hit is not None and total is not None and hit > total:
        errors["sites"] = f"{hit} sites affected is more than the {total} you have."
    found |= {"sites_affected": hit, "total_sites": total}
    found |= {k: str(value.get(k, "false")).lower() == "true" for k in ("mission_critical_site", "workaround")}
    found |= _how_badly(value, errors)
    description = str(value.get("description") or "").strip()
    if not description:
        errors["description"] = "Describe what happens."
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Please keep the description under {MAX_DESCRIPTION} characters."
    else:
        found["description"] = description
    return found, errors


def _started(value: Mapping[str, Any], tz: ZoneInfo, now: datetime, errors: dict[str, str]) -> str | None:
    try:
        local = datetime.fromisoformat(f"{value.get('started_date')}T{value.get('started_time')}")
    except ValueError:
        errors["started"] = "Give the date and time it started."
        return None
    started = local.replace(tzinfo=tz) if local.tzinfo is None else local
    if started > now + FUTURE_TOLERANCE:
        errors["started"] = "That's in the future; give the date and time it started."
        return None
    if now - started > MAX_AGE:
        errors["started"] = "That's more than a year ago; please check the date."
        return None
    return started.isoformat()


IMPACTS = {"down", "degraded", "at_risk"}


def _how_badly(value: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Impact, voice quality, lag, capacity and recurrence: each optional, each checked next to its field."""
    found: dict[str, Any] = {}
    impact = str(value.get("impact") or "")
    if impact and impact not in IMPACTS:
        errors["impact"] = "Choose how badly it fails from the list."
    found["impact"] = impact if impact in IMPACTS else None
    mos = _number(value.get("voice_mos"), "The MoS score", errors, "voice_mos", 5)
    if (mos is not None and mos < 1) or "between" in errors.get("voice_mos", ""):
        errors["voice_mos"] = "The MoS score must be between 1 and 5."
        mos = None
    found["voice_mos"] = mos
    found["latency_ms_rtt"] = _number(value.get("latency_ms_rtt"), "The round-trip time", errors, "latency",
                                      10000)
    failing = _whole(_number(value.get("channels_failing"), "Failing channels", errors, "capacity"))
    total = _whole(_number(value.get("channels_total"), "The number of channels", errors, "capacity"))
    found["capacity_loss_pct"] = _capacity(failing, total, errors)
    found["recurring"] = True if str(value.get("recurring", "false")).lower() == "true" else None
    found["risk_event"] = "high" if str(value.get("could_get_worse", "false")).lower() == "true" else None
    return found


def _capacity(failing: int | None, total: int | None, errors: dict[str, str]) -> float | None:
    if failing is None and total is None:
        return None
    if failing is None or not total or failing > total:
        errors["capacity"] = "Give the failing channels and the total, for example 10 of 30."
        return None
    return round(100 * failing / total, 1)


def form_values(found: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The form's fields, filled from the answers so far."""
    values: dict[str, Any] = {k: found.get(k) for k in ("users_affected", "pct_users_affected", "sites_affected",
                                                       "total_sites", "description", "impact", "voice_mos",
                                                       "latency_ms_rtt")}
    if found.get("services"):
        values["services"] = ",".join(found["services"])
    for key in ("mission_critical_site", "workaround", "recurring"):
        if found.get(key) is not None:
            values[key] = "true" if found[key] else "false"
    if found.get("risk_event") == "high":
        values["could_get_worse"] = "true"
    if found.get("started_at"):
        local = datetime.fromisoformat(found["started_at"]).astimezone(tz)
        values |= {"started_date": local.strftime("%Y-%m-%d"), "started_time": local.strftime("%H:%M")}
    return values


def form_card(services: Mapping[str, str], found: Mapping[str, Any], errors: Mapping[str, str], tz: ZoneInfo,
              now: datetime) -> Card:
    """The intake form, pre-filled; a service read from the text but not in the catalogue is offered too."""
    offered = {**services, **{s: SERVICES.get(s, s) for s in found.get("services", []) if s not in services}}
    today = now.astimezone(tz)
    return intake_form_card(offered, form_values(found, tz), errors, today.strftime("%Y-%m-%d"),
                            today.strftime("%H:%M"))
