"""What engineers and reporters may do to a ticket: one table of verbs, each a precondition and an effect.

Pure: a verb is decided from the ticket's current state, the actor and the inputs; storing the change and
telling people about it is the ticket service's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adaptive_cards import verbs as v

ENGINEER, REPORTER, MANAGER = "engineer", "reporter", "manager"
MERGED = "merged"
HOLD_KINDS = {"awaiting_customer": "awaiting the customer", "awaiting_third_party": "awaiting a third party"}
MAX_TEXT = 4000

SLA_KIND = {
    "opened": "opened", "acknowledged": "acknowledged", "updated": "updated", "reclassified": "reclassified",
    "paused": "paused", "resumed": "resumed", "restored": "restored", "resolved": "resolved",
    "reopened": "reopened", "still_broken": "reopened",
}
"""Stored event kind → the SLA clock's event kind (kinds not listed do not move a clock)."""


@dataclass(frozen=True)
class State:
    """What the rules need to know about a ticket."""

    status: str
    priority: str | None
    version: int
    assignee_id: str | None
    assignee_name: str | None
    acknowledged_by: str | None
    restored: bool
    priorities: tuple[str, ...]
    engineers: Mapping[str, str] = field(default_factory=dict)  # aad id → name, for assign


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    role: str | None  # ENGINEER, REPORTER or None


@dataclass(frozen=True)
class Change:
    """One accepted action: the event to append and the ticket columns it changes."""

    kind: str
    columns: Mapping[str, Any]
    data: Mapping[str, Any]
    summary: str


@dataclass(frozen=True)
class Refusal:
    reason: str


Decision = Change | Refusal


@dataclass(frozen=True)
class Verb:
    name: str
    roles: tuple[str, ...]
    stale_matters: bool
    allowed: Callable[[State], str | None]
    effect: Callable[[State, Actor, Mapping[str, Any]], Decision]


# -- preconditions -------------------------------------------------------------------------------------
def _open(state: State) -> str | None:
    if state.status == MERGED:
        return "This ticket was merged into another; work on that one, or split this one out first."
    return "This ticket is resolved; reopen it first." if state.status == "resolved" else None


def _not_acknowledged(state: State) -> str | None:
    if state.acknowledged_by:
        return f"Already acknowledged by {state.acknowledged_by}."
    return _open(state)


def _not_on_hold(state: State) -> str | None:
    return "The ticket is already on hold." if state.status == "on_hold" else _open(state)


def _on_hold(state: State) -> str | None:
    return None if state.status == "on_hold" else "The ticket is not on hold."


def _not_restored(state: State) -> str | None:
    return "Service was already restored; resolve the ticket or post an update." if state.restored else _open(state)


def _resolved(state: State) -> str | None:
    return None if state.status == "resolved" else "Only a resolved ticket can be reopened."


def _merged(state: State) -> str | None:
    return None if state.status == MERGED else "Only a ticket merged into another can be split out."


def _restored(state: State) -> str | None:
    if state.status in ("resolved", MERGED):
        return _open(state)
    return None if state.restored else "Service has not been restored yet; add information instead."


# -- inputs --------------------------------------------------------------------------------------------
def text_input(inputs: Mapping[str, Any], key: str, what: str) -> str | Refusal:
    value = str(inputs.get(key) or "").strip()
    if not value:
        return Refusal(f"Please write {what}; nothing was changed.")
    if len(value) > MAX_TEXT:
        return Refusal(f"Please keep {what} under {MAX_TEXT} characters; nothing was changed.")
    return value


def _after_hold(state: State) -> str:
    return "acknowledged" if state.acknowledged_by else "open"


# -- effects -------------------------------------------------------------------------------------------
def _acknowledge(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    columns: dict[str, Any] = {"assignee_id": actor.id, "assignee_name": actor.name}
    if state.status == "open":
        columns["status"] = "acknowledged"
    return Change("acknowledged", columns, {}, f"Acknowledged by {actor.name}, who now owns the ticket.")


def _assign(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    target = str(inputs.get("assignee") or "")
    if target not in state.engineers:
        return Refusal("Choose one of the customer's engineers; nothing was changed.")
    name = state.engineers[target]
    return Change("assigned", {"assignee_id": target, "assignee_name": name}, {"assignee": target},
                  f"Assigned to {name} by {actor.name}.")


def _with_text(key: str, what: str, kind: str, columns: Mapping[str, Any],
               summary: Callable[[Actor, str], str]) -> Callable[[State, Actor, Mapping[str, Any]], Decision]:
    """An effect that needs one piece of text (an update, a fix, a summary) and records it."""
    def effect(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
        value = text_input(inputs, key, what)
        if isinstance(value, Refusal):
            return value
        return Change(kind, dict(columns), {key: value}, summary(actor, value))

    return effect


_update = _with_text("text", "the update for the customer", "updated", {},
                     lambda actor, text: f"Customer update posted by {actor.name}.")
_restore = _with_text("text", "what restored the service (workaround or fix)", "restored", {"status": "restored"},
                      lambda actor, text: f"Service restored ({actor.name}): {text}")
_resolve = _with_text("summary", "a resolution summary", "resolved", {"status": "resolved"},
                      lambda actor, text: f"Resolved by {actor.name}: {text}")
_add_info = _with_text("text", "the information to add", "info_added", {},
                       lambda actor, text: f"{actor.name} added information.")


def _reclassify(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    priority = str(inputs.get("priority") or "")
    if priority not in state.priorities:
        return Refusal(f"Choose a priority from {', '.join(state.priorities)}; nothing was changed.")
    if priority == state.priority:
        return Refusal(f"The ticket is already {priority}; nothing was changed.")
    reason = text_input(inputs, "reason", "the reason for the new priority")
    if isinstance(reason, Refusal):
        return reason
    return Change("reclassified", {"priority": priority}, {"priority": priority, "reason": reason},
                  f"Reclassified from {state.priority} to {priority} by {actor.name}: {reason}")


def _hold(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    kind = str(inputs.get("hold_kind") or "")
    if kind not in HOLD_KINDS:
        return Refusal("Choose whether the ticket is awaiting the customer or a third party; nothing was changed.")
    reason = text_input(inputs, "reason", "why the ticket is on hold")
    if isinstance(reason, Refusal):
        return reason
    return Change("paused", {"status": "on_hold"}, {"hold_kind": kind, "reason": reason},
                  f"On hold, {HOLD_KINDS[kind]}, by {actor.name}: {reason}")


def _resume(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    status = "restored" if state.restored else _after_hold(state)
    return Change("resumed", {"status": status}, {}, f"Resumed by {actor.name}; the clocks run again.")


def _reopen(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    reason = str(inputs.get("reason") or "").strip()
    return Change("reopened", {"status": _after_hold(state)}, {"reason": reason} if reason else {},
                  f"Reopened by {actor.name}.")


def _merge(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    into = str(inputs.get("into") or "").strip().upper()
    if not into:
        return Refusal("Name the main ticket, for example “merge ACME-000124 into ACME-000123”; nothing was changed.")
    return Change("merged", {"status": MERGED}, {"into": into},
                  f"Merged into {into} by {actor.name}: its reporter now follows {into}, and this ticket's timers are "
                  "retired.")


def _split(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    status = "restored" if state.restored else _after_hold(state)
    return Change("split", {"status": status}, {"from": str(inputs.get("from") or "")},
                  f"Split out by {actor.name}: this ticket is on its own again, with its own clocks and reminders.")


def _take_ownership(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    if state.assignee_id == actor.id:
        return Refusal("You already own this ticket.")
    return Change("assigned", {"assignee_id": actor.id, "assignee_name": actor.name}, {"assignee": actor.id,
                                                                                        "taken": True},
                  f"{actor.name} took ownership.")


def _confirm_restoration(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    return Change("restoration_confirmed", {}, {}, f"{actor.name} confirmed the service works again.")


def _still_broken(state: State, actor: Actor, inputs: Mapping[str, Any]) -> Decision:
    text = str(inputs.get("text") or "").strip()[:MAX_TEXT]
    return Change("still_broken", {"status": _after_hold(state)}, {"text": text} if text else {},
                  f"{actor.name} says it is still broken; the ticket is back with the engineers.")


VERBS: dict[str, Verb] = {verb.name: verb for verb in (
    Verb(v.ACKNOWLEDGE, (ENGINEER,), True, _not_acknowledged, _acknowledge),
    Verb(v.ASSIGN, (ENGINEER, MANAGER), True, _open, _assign),
    Verb(v.UPDATE, (ENGINEER,), False, _open, _update),
    Verb(v.RECLASSIFY, (ENGINEER,), True, _open, _reclassify),
    Verb(v.HOLD, (ENGINEER,), True, _not_on_hold, _hold),
    Verb(v.RESUME, (ENGINEER,), True, _on_hold, _resume),
    Verb(v.RESTORE, (ENGINEER,), True, _not_restored, _restore),
    Verb(v.RESOLVE, (ENGINEER,), True, _open, _resolve),
    Verb(v.REOPEN, (ENGINEER,), True, _resolved, _reopen),
    Verb(v.TAKE_OWNERSHIP, (ENGINEER, MANAGER), False, _open, _take_ownership),
    Verb(v.ADD_INFO, (REPORTER,), False, _open, _add_info),
    Verb(v.CONFIRM_RESTORATION, (REPORTER,), True, _restored, _confirm_restoration),
    Verb(v.STILL_BROKEN, (REPORTER,), True, _restored, _still_broken),
    Verb(v.MERGE, (ENGINEER,), True, _open, _merge),
    Verb(v.SPLIT, (ENGINEER,), False, _merged, _split),
)}
ROLE_NAMES = {(ENGINEER,): "the customer's engineers", (REPORTER,): "the customer's users",
              (ENGINEER, MANAGER): "the customer's engineers and managers"}


def decide(verb_name: str, state: State, actor: Actor, inputs: Mapping[str, Any],
           card_version: int | None) -> Decision:
    """Accept or refuse one action; a refusal says why and changes nothing."""
    verb = VERBS.get(verb_name)
    if verb is None:
        return Refusal("That action is not known; nothing was changed.")
    if actor.role not in verb.roles:
        return Refusal(f"Only {ROLE_NAMES[verb.roles]} can do that; nothing was changed.")
    problem = verb.allowed(state)
    if problem:
        return Refusal(problem)
    if verb.stale_matters and card_version is not None and card_version != state.version:
        return Refusal("This card was out of date, so nothing was changed. Here is the ticket as it is now; "
                       "please check and try again.")
    return verb.effect(state, actor, inputs)
