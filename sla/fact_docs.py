"""Every fact a report can carry, in plain words: for `python -m sla classify --help` and the README."""

from __future__ import annotations

import textwrap
from typing import NamedTuple

from sla.facts import EQUIPMENT_OWNERS, IMPACTS, RISK_LEVELS, SCOPES


class FactDoc(NamedTuple):
    name: str
    kind: str
    meaning: str


_OR = " | ".join
FACT_DOCS: tuple[FactDoc, ...] = (
    FactDoc("services_affected", "list of service ids", "WHAT is affected (`python -m sla services`); `all` = "
            "everything, which says what, never how widely"),
    FactDoc("impact", _OR(IMPACTS), "HOW BADLY: down = cannot be used at all; degraded = works but badly (poor "
            "audio, lag, slow, some calls failing, intermittent); at_risk = nothing fails for users yet (redundancy "
            "lost, risk found). If null: voice_quality / latency / capacity say degraded, resilience says at_risk, "
            "a failures_per_day says degraded, a risk_event (not of a recurring fault) says at_risk; otherwise read "
            "as down and listed in `undecided` when it matters"),
    FactDoc("users_affected", "whole number", "how many users; exactly 1 = a single user's issue"),
    FactDoc("pct_users_affected", "number 0-100", "share of the customer's users affected (not: without service)"),
    FactDoc("sites_affected", "whole number", "sites where the fault hits the site as a whole (its calls, its "
            "users); a few users at one site are users_affected"),
    FactDoc("total_sites", "whole number", "the customer's sites (sites_affected of total_sites)"),
    FactDoc("mission_critical_site", "boolean", "a site the customer names mission-critical is affected"),
    FactDoc("workaround", "boolean", "a workaround is available (never by itself proof of failure; CloudCTI P1 "
            "needs 'without a timely solution'; DuoCall ignores it for the initial priority)"),
    FactDoc("is_question", "boolean", "a question: a help request, not a fault"),
    FactDoc("is_change_request", "boolean", "a change request, not a fault"),
    FactDoc("security_incident", "boolean", "unauthorised access, malware or denial of service"),
    FactDoc("voice_mos", "number", "measured voice quality, Mean Opinion Score (Vodafone P2 g: 2.8 or less)"),
    FactDoc("latency_ms_rtt", "number", "measured round-trip latency in ms (Vodafone P2 g: more than 120)"),
    FactDoc("capacity_loss_pct", "number 0-100", "share of call channels / trunk capacity lost (Maintel trunks "
            "50/25 %; Vodafone 25 % / 5-25 % / under 5 %)"),
    FactDoc("email_delivery_minutes", "number", "minutes from receipt of a mail to the mailbox (Vodafone: over 2)"),
    FactDoc("risk_event", _OR(RISK_LEVELS), "a risk identified, graded by its potential (Vodafone P3 c / P4 b; "
            "Maintel P2 with recurring)"),
    FactDoc("recurring", "boolean", "the fault has happened before (Maintel P2 risk of reoccurrence, with "
            "risk_event high)"),
    FactDoc("redundancy_left", "boolean", "after a loss of resilience some redundancy still remains (Vodafone P3 a "
            "partial loss); null or false = total loss (P2 c)"),
    FactDoc("failures_per_day", "number", "how many times a day an intermittent fault happens (CloudCTI: under 10 "
            "is the P3 example); giving it says the impact is degraded"),
    FactDoc("equipment_owner", _OR(EQUIPMENT_OWNERS), "who owns the failing equipment; Vodafone: equipment sold "
            "to the customer is the customer's (an Excluded Event)"),
)
"""The report's facts; every one may be null (not known)."""

DERIVED_DOCS: tuple[FactDoc, ...] = (
    FactDoc("scope", _OR(SCOPES), "HOW WIDELY, derived, first that holds: pct >= 100 -> whole_customer; users = 1 "
            "-> single_user; users = 0 or pct = 0 -> no_users; every site of several -> whole_customer; "
            "1 site -> one_site; more -> some_sites; some users -> some_users; else null"),
    FactDoc("single_user", "boolean", "derived: users_affected = 1"),
)
"""Facts the rules read that are computed from the others."""


def facts_help() -> str:
    """The facts as an argparse epilog."""
    lines = ["report facts (JSON on stdin; every fact may be null = not known):"]
    lines += [_entry(d) for d in FACT_DOCS]
    lines += ["derived (rules read them; do not send):"]
    lines += [_entry(d) for d in DERIVED_DOCS]
    lines += ["result: category, priority, rules (exactly the deciding ones, each with its quote and seed line) and",
              "  undecided: the facts not given whose value would change the answer (ask for these)."]
    return "\n".join(lines)


def _entry(doc: FactDoc) -> str:
    return textwrap.fill(f"{doc.name} ({doc.kind}): {doc.meaning}", 100, initial_indent="  ",
                         subsequent_indent="      ")
