"""What the reporter is shown before confirming (and the ticket card later): classification, impact, deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from adaptive_cards.format import local_time
from adaptive_cards.views import Rationale, ReportView, target_rows
from sla import Classification, RequestError
from sla.calendars import WorkingCalendar
from sla.clock import TicketEvent, clock_state
from sla.deadlines import target_set
from sla.services import display_name

if TYPE_CHECKING:
    from dialogs.turns import IntakeContext

OUTSIDE = {
    "out_of_scope": "This looks outside what the support contract covers (see the contract's words above), so no "
                    "SLA clock runs. You can still open the ticket so the support team can confirm, or cancel.",
    "not_applicable": "This looks like a fault in a service this provider does not supply, so no SLA clock runs. "
                      "You can still open the ticket so the support team can point you to the right place, or cancel.",
}


def report_view(ctx: IntakeContext, kind: str, found: Mapping[str, Any], result: Classification,
                **ticket: Any) -> ReportView:
    """What the summary (and later the ticket card) shows for these answers."""
    category = result.category
    opened = TicketEvent("opened", ticket.get("reported_at") or ctx.now, priority=result.priority,
                         channel=ctx.channel, category=category)
    try:
        rows = target_rows(clock_state(ctx.policy, [opened, *ticket.get("events", ())], ctx.now))
    except RequestError:  # outside the contract: no clock runs
        rows = []
    priority_name = ctx.policy.priority(result.priority).name if result.priority else ""
    started = found.get("started_at")
    return ReportView(
        customer_name=ctx.customer_name, contract_name=ctx.policy.name, category=category,
        priority=result.priority, priority_name=priority_name,
        rationale=[Rationale(r.quote, r.seed) for r in result.rules],
        started_at=datetime.fromisoformat(started) if started else None,
        services=[ctx.services.get(s, s) for s in found.get("services", [])],
        impact=impact_lines(found), description=found.get("description", ""),
        targets=rows, clock_note=OUTSIDE.get(category) or clock_note(ctx, result, opened.at),
        reference=ticket.get("reference", ""), status=ticket.get("status", ""),
        reported_at=ticket.get("reported_at"), reporter_name=ticket.get("reporter_name", ""),
        assignee_name=ticket.get("assignee_name", "") or "",
    )


IMPACT_KINDS = {"down": "not working at all", "degraded": "working, but badly",
                "at_risk": "still working, but at risk (a backup or redundancy is lost)"}


def impact_lines(found: Mapping[str, Any]) -> list[str]:
    lines = [IMPACT_KINDS[found["impact"]].capitalize()] if found.get("impact") in IMPACT_KINDS else []
    users, pct = found.get("users_affected"), found.get("pct_users_affected")
    if users is not None or pct is not None:
        share = f"{pct:g}% of users" if pct is not None else ""
        count = f"{users} user{'s' if users != 1 else ''}" if users is not None else ""
        lines.append(" = ".join(p for p in (count, share) if p))
    lines += _sites_line(found)
    flags = {"mission_critical_site": ("a mission-critical site is affected", ""),
             "workaround": ("a workaround is in place", "no workaround"),
             "recurring": ("it has happened before", ""), "security_incident": ("a security incident", "")}
    lines += [flags[k][0] if found.get(k) else flags[k][1] for k in flags if found.get(k) is not None]
    lines += [template.format(found[key]) for key, template in MEASURES.items() if found.get(key) is not None]
    return [line for line in lines if line]


MEASURES = {"voice_mos": "voice quality MoS {:g}", "latency_ms_rtt": "round trip {:g} ms",
            "capacity_loss_pct": "{:g}% of call channels lost", "email_delivery_minutes": "e-mail {:g} min late",
            "risk_event": "{} risk of further impact"}


def _sites_line(found: Mapping[str, Any]) -> list[str]:
    hit, total, name = found.get("sites_affected"), found.get("total_sites"), found.get("site_name")
    if hit is None:
        return []
    line = f"{hit} of {total} sites" if total else f"{hit} site{'s' if hit != 1 else ''}"
    return [f"{line} ({name})" if name else line]


def understood(found: Mapping[str, Any], sources: Mapping[str, str], services: Mapping[str, str],
               tz: ZoneInfo, now: datetime) -> str:
    """What was read from the reporter's own words, each with the words it came from, to correct if wrong."""
    def said(key: str) -> str:
        return f" (“{sources[key]}”)" if sources.get(key) else ""

    lines = []
    if "started_at" in sources:
        lines.append(f"- Started: {local_time(datetime.fromisoformat(found['started_at']), tz, now)}"
                     f"{said('started_at')}")
    if "services" in sources:
        lines.append(f"- Services: {', '.join(services.get(s) or display_name(s) for s in found['services'])}"
                     f"{said('services')}")
    shown = {"started_at", "services"}
    lines += [f"- {line}" for line in impact_lines({k: v for k, v in found.items() if k in sources
                                                   and k not in shown})]
    if not lines:
        return ""
    return ("What I understood so far:\n" + "\n".join(lines) +
            "\n\nIf something is wrong, say for example “change services” or “change sites”, or correct it in "
            "the form.")


def clock_note(ctx: IntakeContext, result: Classification, reported_at: datetime) -> str:
    """Out of hours on a working-hours clock: say when the clock starts."""
    try:
        spec = target_set(ctx.policy, result.priority, result.category).get("first_response")
    except Exception:
        return ""
    if spec is None or not spec.has_target or spec.calendar is None:
        return ""
    calendar = ctx.policy.calendars[spec.calendar]
    if not isinstance(calendar, WorkingCalendar) or calendar.is_open(reported_at):
        return ""
    opens = calendar.next_open(reported_at).astimezone(ctx.tz).strftime("%a %d %b %H:%M %Z")
    return f"It's outside the contract's working hours, so the clock starts at {opens}."
