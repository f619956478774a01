"""Reading the intake card form: every field checked, every problem named next to its field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.timeparse import FUTURE_TOLERANCE, MAX_AGE

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
    elif any(s not in services for s in chosen):
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
