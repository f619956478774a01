"""One outage, many reporters: what everyone who said "same problem" adds to the ticket's impact. Pure.

Each subscriber's answers are a contribution (services, users, sites; never their free text). The joined impact
adds the users of every report, counts the distinct named sites (or the largest count given), takes the widest
share and the worst impact, and unites the services. Classified with the ticket's policy snapshot, a higher
priority is only *suggested* to the engineers, with the rule that now matches; joining never lowers anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adaptive_cards import verbs
from adaptive_cards.cards import CARD_VERSION, Card, execute, text
from bot.rules.reclassify import KEPT, Reading, decide
from sla import Policy

if TYPE_CHECKING:
    from bot.store.tickets import Ticket

CONTRIBUTED = ("services", "users_affected", "pct_users_affected", "sites_affected", "total_sites", "site_name",
               "impact")
"""What a subscriber's answers add to the ticket (facts only)."""
WORST_FIRST = ("down", "degraded", "at_risk")


def contribution(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of a subscriber's answers that widen the ticket's impact."""
    return {k: answers[k] for k in CONTRIBUTED if answers.get(k) not in (None, [], "")}


def _sites(reports: Sequence[Mapping[str, Any]]) -> int | None:
    named = {str(r["site_name"]).strip().lower() for r in reports if r.get("site_name")}
    counted = [int(r["sites_affected"]) for r in reports if r.get("sites_affected")]
    best = max([len(named), *counted])
    return best or None


def _worst(reports: Sequence[Mapping[str, Any]]) -> str | None:
    said = {r.get("impact") for r in reports}
    return next((level for level in WORST_FIRST if level in said), None)


def joined_impact(report: Mapping[str, Any], contributions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ticket's facts widened by every subscriber's contribution."""
    reports = [report, *contributions]
    facts = {k: report[k] for k in KEPT if report.get(k) is not None}
    users = [int(r["users_affected"]) for r in reports if r.get("users_affected")]
    shares = [r["pct_users_affected"] for r in reports if r.get("pct_users_affected") is not None]
    totals = [int(r["total_sites"]) for r in reports if r.get("total_sites")]
    widened = {"users_affected": sum(users) if users else None, "pct_users_affected": max(shares, default=None),
               "sites_affected": _sites(reports), "total_sites": max(totals, default=None), "impact": _worst(reports),
               "services": list(dict.fromkeys(s for r in reports for s in r.get("services") or ()))}
    facts.update({k: v for k, v in widened.items() if v not in (None, [])})
    if (facts.get("total_sites") or 0) < (facts.get("sites_affected") or 0):
        facts.pop("total_sites", None)
    return facts


def suggestion(policy: Policy, ticket: tuple[str, str | None], report: Mapping[str, Any],
               contributions: Sequence[Mapping[str, Any]]) -> Reading | None:
    """A higher priority the joined impact now classifies as, or None."""
    reading = decide(policy, ticket, joined_impact(report, contributions))
    return reading if reading.kind == "upgrade" else None


# -- what the engineers are told -------------------------------------------------------------------------------
def scope(facts: Mapping[str, Any]) -> str:
    """'12 users at 3 sites', '60% of users at 2 sites', '3 sites'."""
    users, share, sites = facts.get("users_affected"), facts.get("pct_users_affected"), facts.get("sites_affected")
    who = f"{users} user{'s' if users != 1 else ''}" if users else f"{share}% of users" if share else ""
    where = f"{sites} site{'s' if sites != 1 else ''}" if sites else ""
    return " at ".join(p for p in (who, where) if p) or "the joined reports"


def suggestion_text(ticket: Ticket, reading: Reading, reporters: int) -> str:
    """"12 users at 3 sites: P2 → P1 suggested by '…' (000:L40)" and what happens next."""
    return (f"{scope(reading.facts or {})}: {ticket.priority} → {reading.priority} suggested by {reading.because} — "
            f"{reporters} people have reported {ticket.reference}. Nothing changes unless you reclassify.")


def suggestion_card(ticket: Ticket, reading: Reading, reporters: int) -> Card:
    """One click applies it through the engineers' own reclassify verb."""
    data = {"ticket": ticket.id, "version": ticket.version, "priority": reading.priority,
            "reason": f"joined impact ({scope(reading.facts or {})}): {reading.because}"}
    return {"type": "AdaptiveCard", "version": CARD_VERSION,
            "body": [text(suggestion_text(ticket, reading, reporters))],
            "actions": [execute(f"Reclassify to {reading.priority}", verbs.RECLASSIFY, data)]}
