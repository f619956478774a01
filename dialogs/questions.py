"""Which question to ask next, how to ask it and how to read the answer: only what is still missing, what the
contract's rules look at, or what the classification says is undecided."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from dialogs import answers

FAULT_STEPS = ("description", "started_at", "services", "impact", "users", "sites", "mission_critical_site",
               "workaround", "voice_quality", "latency", "capacity", "email_delay", "failures", "redundancy",
               "equipment_owner", "recurrence")
REQUEST_STEPS = ("services", "description")
KEYS: dict[str, tuple[str, ...]] = {
    "users": ("users_affected", "pct_users_affected"), "sites": ("sites_affected", "total_sites"),
    "voice_quality": ("voice_mos",), "latency": ("latency_ms_rtt",), "capacity": ("capacity_loss_pct",),
    "recurrence": ("recurring", "risk_event"), "email_delay": ("email_delivery_minutes",),
    "failures": ("failures_per_day",), "redundancy": ("redundancy_left",),
}
"""The answers each step fills (a step not listed fills the answer of its own name)."""
STEP_OF_FACT = {"impact": "impact", "users_affected": "users", "pct_users_affected": "users",
                "sites_affected": "sites", "total_sites": "sites", "mission_critical_site": "mission_critical_site",
                "workaround": "workaround", "voice_mos": "voice_quality", "latency_ms_rtt": "latency",
                "capacity_loss_pct": "capacity", "recurring": "recurrence", "risk_event": "recurrence",
                "services_affected": "services", "email_delivery_minutes": "email_delay",
                "failures_per_day": "failures", "redundancy_left": "redundancy", "equipment_owner": "equipment_owner"}
INFERRED_IMPACT = {"voice_quality": "degraded", "latency": "degraded", "capacity": "degraded",
                   "resilience": "at_risk"}
"""Services that say how badly by their nature (SLA_POLICIES §9.1)."""
OUTSIDE = ("out_of_scope", "not_applicable")


@dataclass(frozen=True)
class Situation:
    """What decides the questions: the kind, the answers so far, what was asked, and the contract."""

    kind: str
    found: Mapping[str, Any]
    asked: Sequence[str]
    undecided: Sequence[str] = ()
    category: str = "incident"


def answered(found: Mapping[str, Any], step: str) -> bool:
    if step == "recurrence" and found.get("recurring"):
        return "risk_event" in found  # "again" says it recurs, not whether it could get worse
    return any(key in found for key in KEYS.get(step, (step,)))


def next_step(s: Situation) -> str | None:
    """The next question, or None when the report can be confirmed."""
    steps = FAULT_STEPS if s.kind == "fault" else REQUEST_STEPS
    needed = (step for step in steps if step not in s.asked and _needed(step, s))
    undecided = (STEP_OF_FACT[f] for f in s.undecided if f in STEP_OF_FACT and s.found.get(f) is None)
    return next(chain(needed, (u for u in undecided if u not in s.asked)), None)


def _needed(step: str, s: Situation) -> bool:
    if answered(s.found, step):
        return False
    if s.kind != "fault" or step in ("description", "started_at", "services"):
        return True
    rule = _RULES.get(step)
    return s.category not in OUTSIDE and rule is not None and rule(s)


def _impact_needed(s: Situation) -> bool:
    return not any(sid in INFERRED_IMPACT for sid in s.found.get("services", []))


def _users_needed(s: Situation) -> bool:
    return not answered(s.found, "sites") and s.found.get("pct_users_affected") is None


_RULES: dict[str, Callable[[Situation], bool]] = {"impact": _impact_needed, "users": _users_needed}
"""Asked of every fault when not said; anything else only when the classification says it would decide."""


# -- prompts -------------------------------------------------------------------------------------------------
PROMPTS: dict[str, str] = {
    "same_problem": "Is it the same problem? Answer “yes, same problem” or “no, something else”.",
    "description": "What's wrong? Tell me in your own words — for example “since 9:40 nobody in Leeds can make "
                   "outbound calls”.",
    "started_at": "When did the problem start? For example “10 minutes ago”, “09:40” or “yesterday 17:10”.",
    "impact": "Is it down (it can't be used at all), or working badly (poor audio, slow, some calls failing)? "
              "Or is nothing failing yet, but a backup or redundant link is lost? Reply “down”, “badly” or "
              "“at risk”.",
    "users": answers.USERS_HINT,
    "sites": answers.SITES_HINT,
    "mission_critical_site": "Is a mission-critical site affected (for example a contact centre or an emergency "
                             "line)? Yes or no.",
    "workaround": "Is there a workaround for now (for example calls diverted to mobiles)? Yes or no.",
    "voice_quality": "How bad is the sound? If you know the MoS score (1 to 5, from a call-quality report), "
                     "type it; otherwise: is speech hard to understand? Yes or no.",
    "latency": "Do you have a measured round-trip time (for example “150 ms”)? If not, say “not sure”.",
    "capacity": "How many call channels are failing, of how many? For example “10 of 30”, or “not sure”.",
    "recurrence": "Has this happened before, and could it get worse? For example “yes, and it could spread to "
                  "the other sites”, or “no”.",
    "email_delay": "How late are e-mails arriving? For example “15 minutes”, or “not sure”.",
    "failures": "Roughly how many times a day does it happen? For example “5”, or “not sure”.",
    "redundancy": "Is any backup path still working (a second line, link or gateway)? Yes or no.",
    "equipment_owner": "Who supplied the equipment that fails: the provider, or your own company? Reply "
                       "“provider” or “ours” — the answer decides whether the support contract covers it.",
}


def prompt(step: str, service_hint: str) -> str:
    """The question for a step (any step name is safe)."""
    if step == "services":
        return "Which services are affected? " + service_hint
    return PROMPTS.get(step, "Reply “confirm” to open the ticket, “change” to correct an answer, or “cancel”.")


# -- reading the new answers ----------------------------------------------------------------------------------
IMPACT_WORDS = (
    ("at_risk", re.compile(r"\bat risk\b|\brisk\b|backup|redundan|nothing (?:is )?failing|still work")),
    ("degraded", re.compile(r"badly|\bbad\b|degraded|poor|slow|some|partly|partial|intermittent|choppy|works? but")),
    ("down", re.compile(r"\bdown\b|not at all|dead|nothing works|can'?t be used|completely|totally|no one|nobody")),
)


def read_impact(text: str) -> dict[str, Any]:
    cleaned = text.strip().lower()
    if cleaned in answers.UNSURE:
        return {"impact": None}
    found = next((kind for kind, pattern in IMPACT_WORDS if pattern.search(cleaned)), None)
    if found is None:
        raise answers.AnswerError("Please reply “down” (it can't be used at all), “badly” (it works, but "
                                  "poorly) or “at risk” (nothing is failing yet, but a backup is lost).")
    return {"impact": found}


HARD_TO_UNDERSTAND_MOS, UNDERSTANDABLE_MOS = 2.5, 3.5
"""Speech hard to understand is "poor" on the MoS scale (≤ 2.8); understandable but impaired is "fair"."""


def read_voice(text: str) -> dict[str, Any]:
    cleaned = text.strip().lower().rstrip(".")
    number = re.search(r"\d(?:\.\d+)?", cleaned)
    if number:
        mos = float(number[0])
        if not 1 <= mos <= 5:
            raise answers.AnswerError("A MoS score runs from 1 to 5. " + PROMPTS["voice_quality"])
        return {"voice_mos": mos, "voice_mos_estimated": False}
    if cleaned in answers.UNSURE:
        return {"voice_mos": None}
    hard = answers.yes_no(cleaned.split(",")[0]) if cleaned not in ("hard", "very") else True
    return {"voice_mos": HARD_TO_UNDERSTAND_MOS if hard else UNDERSTANDABLE_MOS, "voice_mos_estimated": True}


def read_latency(text: str) -> dict[str, Any]:
    cleaned = text.strip().lower()
    if cleaned in answers.UNSURE or cleaned in answers.NO:
        return {"latency_ms_rtt": None}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|milliseconds?)?", cleaned)
    if not match:
        raise answers.AnswerError("Please give the round-trip time in milliseconds, for example “150 ms”, or "
                                  "say “not sure”.")
    return {"latency_ms_rtt": float(match[1])}


def read_capacity(text: str) -> dict[str, Any]:
    cleaned = text.strip().lower()
    if cleaned in answers.UNSURE:
        return {"capacity_loss_pct": None}
    pct = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", cleaned)
    if pct and float(pct[1]) <= 100:
        return {"capacity_loss_pct": float(pct[1])}
    match = re.fullmatch(r"(\d+)\s*(?:channels?)?\s*(?:of|out of|/)\s*(\d+)(?:\s*channels?)?", cleaned)
    if not match or int(match[2]) == 0 or int(match[1]) > int(match[2]):
        raise answers.AnswerError("Please say how many channels are failing of how many, for example “10 of 30”, "
                                  "or “not sure”.")
    return {"capacity_loss_pct": round(100 * int(match[1]) / int(match[2]), 1)}


WORSE = re.compile(r"worse|spread|escalat|could|might|may|likely|risk|yes\W+(?:and\W+)?yes")
NOT_WORSE = re.compile(r"won'?t|not get worse|unlikely|shouldn'?t|no\W+(?:and\W+)?no|stable")
BEFORE = re.compile(r"^(?:yes|yeah|yep|it has|again|before|several|many|twice|often|every)|happened before|again")


def read_recurrence(text: str) -> dict[str, Any]:
    cleaned = text.strip().lower()
    if cleaned in answers.UNSURE:
        return {"recurring": None}
    recurring = bool(BEFORE.search(cleaned)) and not cleaned.startswith(("no", "never", "first"))
    found: dict[str, Any] = {"recurring": recurring}
    if WORSE.search(cleaned) and not NOT_WORSE.search(cleaned):
        found["risk_event"] = "high"
    return found


def _number_or_unsure(key: str, unit: str, example: str) -> Callable[[str], dict[str, Any]]:
    def read(text: str) -> dict[str, Any]:
        cleaned = text.strip().lower()
        if cleaned in answers.UNSURE:
            return {key: None}
        match = re.fullmatch(r"(?:about |around |roughly |~)?(\d+(?:\.\d+)?)\s*(?:times|x)?\s*(\w+)?.*", cleaned)
        if not match:
            raise answers.AnswerError(f"Please give a number of {unit}, for example “{example}”, or “not sure”.")
        hours = bool(match[2]) and match[2].startswith(("hour", "hr"))
        return {key: float(match[1]) * (60 if hours else 1)}
    return read


read_email_delay = _number_or_unsure("email_delivery_minutes", "minutes", "15 minutes")
read_failures = _number_or_unsure("failures_per_day", "times a day", "5")
OWNERS = {"provider": "provider", "the provider": "provider", "you": "provider", "supplier": "provider",
          "ours": "customer", "our own": "customer", "us": "customer", "we did": "customer", "customer": "customer",
          "own": "customer", "our company": "customer"}


def read_owner(text: str) -> dict[str, Any]:
    cleaned = text.strip().lower().rstrip(".")
    if cleaned in answers.UNSURE:
        return {"equipment_owner": None}
    if cleaned not in OWNERS:
        raise answers.AnswerError("Please reply “provider” (they supplied it) or “ours” (your own equipment), or "
                                  "“not sure”.")
    return {"equipment_owner": OWNERS[cleaned]}
