"""Every ticket verb × role × ticket state × fresh/stale card, and what each accepted verb records.

Pure and table-driven: ``decide`` is called directly, no storage, no HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from adaptive_cards import verbs as v
from bot.rules.verbs import (
    ENGINEER,
    MANAGER,
    MAX_TEXT,
    REPORTER,
    SLA_KIND,
    VERBS,
    Actor,
    Change,
    Refusal,
    State,
    decide,
)
from sla.clock import EVENT_KINDS

ENGINEERS = {"e1": "Eng Alpha", "e2": "Eng Bravo"}
ROLES: tuple[str | None, ...] = (ENGINEER, REPORTER, MANAGER, None)
VERSION = 7


def ticket(status: str, acknowledged_by: str | None, restored: bool) -> State:
    return State(status=status, priority="P3", version=VERSION, assignee_id="e2", assignee_name="Eng Bravo",
                 acknowledged_by=acknowledged_by, restored=restored, priorities=("P1", "P2", "P3", "P4"),
                 engineers=ENGINEERS)


STATES = {
    "open": ticket("open", None, False),
    "acknowledged": ticket("acknowledged", "Eng Bravo", False),
    "on_hold": ticket("on_hold", None, False),
    "on_hold_after_restore": ticket("on_hold", "Eng Bravo", True),
    "restored": ticket("restored", "Eng Bravo", True),
    "resolved_without_restore": ticket("resolved", None, False),
    "resolved": ticket("resolved", "Eng Bravo", True),
    "merged": ticket("merged", None, False),
    "merged_after_restore": ticket("merged", "Eng Bravo", True),
}

RESOLVED = "This ticket is resolved; reopen it first."
MERGED = "This ticket was merged into another; work on that one, or split this one out first."
NOT_MERGED = "Only a ticket merged into another can be split out."
ACKNOWLEDGED = "Already acknowledged by Eng Bravo."
ALREADY_ON_HOLD = "The ticket is already on hold."
NOT_ON_HOLD = "The ticket is not on hold."
ALREADY_RESTORED = "Service was already restored; resolve the ticket or post an update."
NOT_RESOLVED = "Only a resolved ticket can be reopened."
NOT_RESTORED = "Service has not been restored yet; add information instead."
STALE = ("This card was out of date, so nothing was changed. Here is the ticket as it is now; "
         "please check and try again.")


def _resolved_only_blocks(state: str) -> str | None:
    return RESOLVED if state.startswith("resolved") else MERGED if state.startswith("merged") else None


def _acknowledge_rule(state: str) -> str | None:
    return ACKNOWLEDGED if STATES[state].acknowledged_by else _resolved_only_blocks(state)


def _hold_rule(state: str) -> str | None:
    return ALREADY_ON_HOLD if state.startswith("on_hold") else _resolved_only_blocks(state)


def _restore_rule(state: str) -> str | None:
    return ALREADY_RESTORED if STATES[state].restored else _resolved_only_blocks(state)


def _reporter_after_restore(state: str) -> str | None:
    if state.startswith(("resolved", "merged")):
        return _resolved_only_blocks(state)
    return None if STATES[state].restored else NOT_RESTORED


# verb → (roles allowed, why a state refuses it (None: allowed), whether a stale card is refused, inputs, kind)
SPEC: dict[str, tuple[tuple[str, ...], Callable[[str], str | None], bool, Mapping[str, Any], str]] = {
    v.ACKNOWLEDGE: ((ENGINEER,), _acknowledge_rule, True, {}, "acknowledged"),
    v.ASSIGN: ((ENGINEER, MANAGER), _resolved_only_blocks, True, {"assignee": "e1"}, "assigned"),
    v.UPDATE: ((ENGINEER,), _resolved_only_blocks, False, {"text": "Carrier is investigating"}, "updated"),
    v.RECLASSIFY: ((ENGINEER,), _resolved_only_blocks, True, {"priority": "P2", "reason": "More users"},
                   "reclassified"),
    v.HOLD: ((ENGINEER,), _hold_rule, True, {"hold_kind": "awaiting_customer", "reason": "Need a test call"},
             "paused"),
    v.RESUME: ((ENGINEER,), lambda s: None if s.startswith("on_hold") else NOT_ON_HOLD, True, {}, "resumed"),
    v.RESTORE: ((ENGINEER,), _restore_rule, True, {"text": "Rebooted the SBC"}, "restored"),
    v.RESOLVE: ((ENGINEER,), _resolved_only_blocks, True, {"summary": "Faulty SBC replaced"}, "resolved"),
    v.REOPEN: ((ENGINEER,), lambda s: None if s.startswith("resolved") else NOT_RESOLVED, True, {}, "reopened"),
    v.TAKE_OWNERSHIP: ((ENGINEER, MANAGER), _resolved_only_blocks, False, {}, "assigned"),
    v.ADD_INFO: ((REPORTER,), _resolved_only_blocks, False, {"text": "It happens on every call"}, "info_added"),
    v.CONFIRM_RESTORATION: ((REPORTER,), _reporter_after_restore, True, {}, "restoration_confirmed"),
    v.STILL_BROKEN: ((REPORTER,), _reporter_after_restore, True, {"text": "Still a busy tone"}, "still_broken"),
    v.MERGE: ((ENGINEER,), _resolved_only_blocks, True, {"into": "acme-000001"}, "merged"),
    v.SPLIT: ((ENGINEER,), lambda s: None if s.startswith("merged") else NOT_MERGED, False, {}, "split"),
}
ROLE_REFUSAL = {
    (ENGINEER,): "Only the customer's engineers can do that; nothing was changed.",
    (REPORTER,): "Only the customer's users can do that; nothing was changed.",
    (ENGINEER, MANAGER): "Only the customer's engineers and managers can do that; nothing was changed.",
}
CARDS = {"no version": None, "fresh": VERSION, "stale": VERSION - 1, "newer than the ticket": VERSION + 1}


def expected(verb: str, role: str | None, state: str, card: int | None) -> str:
    """The refusal reason, or "change:<kind>" when the verb is accepted."""
    roles, rule, stale_matters, _, kind = SPEC[verb]
    if role not in roles:
        return ROLE_REFUSAL[roles]
    problem = rule(state)
    if problem:
        return problem
    if stale_matters and card is not None and card != VERSION:
        return STALE
    return f"change:{kind}"


def outcome(decision: Change | Refusal) -> str:
    return f"change:{decision.kind}" if isinstance(decision, Change) else decision.reason


def test_the_table_covers_every_verb() -> None:
    assert set(SPEC) == set(VERBS)


@pytest.mark.parametrize("verb", sorted(SPEC))
def test_each_verb_for_every_role_state_and_card(verb: str) -> None:
    wrong = []
    for role in ROLES:
        actor = Actor("e1", "Eng Alpha", role)
        for state_name, state in STATES.items():
            for card_name, card in CARDS.items():
                got = outcome(decide(verb, state, actor, SPEC[verb][3], card))
                want = expected(verb, role, state_name, card)
                if got != want:
                    wrong.append(f"{role} on a {state_name} ticket, {card_name} card: got {got!r}, want {want!r}")
    assert not wrong, "\n".join(wrong)


def test_an_unknown_verb_is_refused() -> None:
    assert outcome(decide("ticket.explode", STATES["open"], Actor("e1", "E", ENGINEER), {}, None)) == \
        "That action is not known; nothing was changed."


# -- what an accepted verb records ----------------------------------------------------------------------
ENGINEER_ALPHA = Actor("e1", "Eng Alpha", ENGINEER)
ADA = Actor("u1", "Ada Reporter", REPORTER)


def change(verb: str, state: str, inputs: Mapping[str, Any], actor: Actor = ENGINEER_ALPHA) -> Change:
    decision = decide(verb, STATES[state], actor, inputs, VERSION)
    assert isinstance(decision, Change), decision
    return decision


def refusal(verb: str, state: str, inputs: Mapping[str, Any], actor: Actor = ENGINEER_ALPHA) -> str:
    decision = decide(verb, STATES[state], actor, inputs, VERSION)
    assert isinstance(decision, Refusal), decision
    return decision.reason


@pytest.mark.parametrize(("state", "columns"), [
    ("open", {"assignee_id": "e1", "assignee_name": "Eng Alpha", "status": "acknowledged"}),
    ("on_hold", {"assignee_id": "e1", "assignee_name": "Eng Alpha"}),  # stays on hold
])
def test_acknowledging_takes_ownership(state: str, columns: dict[str, str]) -> None:
    got = change(v.ACKNOWLEDGE, state, {})
    assert (got.columns, got.data) == (columns, {})
    assert got.summary == "Acknowledged by Eng Alpha, who now owns the ticket."


def test_assigning_names_the_engineer_or_refuses_a_stranger() -> None:
    got = change(v.ASSIGN, "open", {"assignee": "e2"})
    assert (got.columns, got.data) == ({"assignee_id": "e2", "assignee_name": "Eng Bravo"}, {"assignee": "e2"})
    assert got.summary == "Assigned to Eng Bravo by Eng Alpha."
    for stranger in ({"assignee": "x9"}, {}):
        assert refusal(v.ASSIGN, "open", stranger) == "Choose one of the customer's engineers; nothing was changed."


TEXT_VERBS = [  # verb, input key, what is asked for, kind, columns, summary for "  Rebooted  "
    (v.UPDATE, "text", "the update for the customer", "updated", {}, "Customer update posted by Eng Alpha."),
    (v.RESTORE, "text", "what restored the service (workaround or fix)", "restored", {"status": "restored"},
     "Service restored (Eng Alpha): Rebooted"),
    (v.RESOLVE, "summary", "a resolution summary", "resolved", {"status": "resolved"},
     "Resolved by Eng Alpha: Rebooted"),
    (v.ADD_INFO, "text", "the information to add", "info_added", {}, "Ada Reporter added information."),
]


@pytest.mark.parametrize(("verb", "key", "what", "kind", "columns", "summary"), TEXT_VERBS)
def test_a_text_verb_keeps_the_text_and_refuses_empty_or_too_long(
        verb: str, key: str, what: str, kind: str, columns: dict[str, str], summary: str) -> None:
    actor = ADA if verb == v.ADD_INFO else ENGINEER_ALPHA
    got = change(verb, "open", {key: "  Rebooted  "}, actor)
    assert (got.kind, got.columns, got.data, got.summary) == (kind, columns, {key: "Rebooted"}, summary)
    longest = "x" * MAX_TEXT
    assert change(verb, "open", {key: longest}, actor).data == {key: longest}
    assert refusal(verb, "open", {key: longest + "x"}, actor) == \
        f"Please keep {what} under 4000 characters; nothing was changed."
    for empty in ({}, {key: ""}, {key: "   "}, {key: None}):
        assert refusal(verb, "open", empty, actor) == f"Please write {what}; nothing was changed."


def test_reclassifying_needs_another_known_priority_and_a_reason() -> None:
    got = change(v.RECLASSIFY, "open", {"priority": "P1", "reason": " 60 users down "})
    assert (got.columns, got.data) == ({"priority": "P1"}, {"priority": "P1", "reason": "60 users down"})
    assert got.summary == "Reclassified from P3 to P1 by Eng Alpha: 60 users down"
    assert refusal(v.RECLASSIFY, "open", {"priority": "P9", "reason": "r"}) == \
        "Choose a priority from P1, P2, P3, P4; nothing was changed."
    assert refusal(v.RECLASSIFY, "open", {"reason": "r"}) == \
        "Choose a priority from P1, P2, P3, P4; nothing was changed."
    assert refusal(v.RECLASSIFY, "open", {"priority": "P3", "reason": "r"}) == \
        "The ticket is already P3; nothing was changed."
    assert refusal(v.RECLASSIFY, "open", {"priority": "P1"}) == \
        "Please write the reason for the new priority; nothing was changed."


@pytest.mark.parametrize(("kind", "words"), [("awaiting_customer", "awaiting the customer"),
                                             ("awaiting_third_party", "awaiting a third party")])
def test_a_hold_says_what_it_awaits_and_why(kind: str, words: str) -> None:
    got = change(v.HOLD, "acknowledged", {"hold_kind": kind, "reason": " Carrier ticket 42 "})
    assert (got.columns, got.data) == ({"status": "on_hold"}, {"hold_kind": kind, "reason": "Carrier ticket 42"})
    assert got.summary == f"On hold, {words}, by Eng Alpha: Carrier ticket 42"


def test_a_hold_needs_a_known_kind_and_a_reason() -> None:
    kind_missing = "Choose whether the ticket is awaiting the customer or a third party; nothing was changed."
    assert refusal(v.HOLD, "open", {"hold_kind": "awaiting_godot", "reason": "r"}) == kind_missing
    assert refusal(v.HOLD, "open", {"reason": "r"}) == kind_missing
    for no_reason in ({"hold_kind": "awaiting_customer"}, {"hold_kind": "awaiting_customer", "reason": "  "}):
        assert refusal(v.HOLD, "open", no_reason) == "Please write why the ticket is on hold; nothing was changed."
    assert refusal(v.HOLD, "open", {"hold_kind": "awaiting_customer", "reason": "r" * (MAX_TEXT + 1)}) == \
        "Please keep why the ticket is on hold under 4000 characters; nothing was changed."


@pytest.mark.parametrize(("state", "status"), [
    ("on_hold", "open"), ("on_hold_after_restore", "restored"),
])
def test_resuming_returns_to_where_the_ticket_was(state: str, status: str) -> None:
    got = change(v.RESUME, state, {})
    assert (got.columns, got.data) == ({"status": status}, {})
    assert got.summary == "Resumed by Eng Alpha; the clocks run again."


def test_resuming_an_acknowledged_ticket_never_restored() -> None:
    held = State(**{**STATES["on_hold"].__dict__, "acknowledged_by": "Eng Bravo"})
    got = decide(v.RESUME, held, ENGINEER_ALPHA, {}, None)
    assert isinstance(got, Change) and got.columns == {"status": "acknowledged"}


@pytest.mark.parametrize(("state", "inputs", "status", "data"), [
    ("resolved", {"reason": " Came back "}, "acknowledged", {"reason": "Came back"}),
    ("resolved_without_restore", {}, "open", {}),
    ("resolved_without_restore", {"reason": "   "}, "open", {}),
])
def test_reopening(state: str, inputs: dict[str, str], status: str, data: dict[str, str]) -> None:
    got = change(v.REOPEN, state, inputs)
    assert (got.columns, got.data, got.summary) == ({"status": status}, data, "Reopened by Eng Alpha.")


def test_taking_ownership() -> None:
    got = change(v.TAKE_OWNERSHIP, "open", {})
    assert (got.columns, got.data) == ({"assignee_id": "e1", "assignee_name": "Eng Alpha"},
                                       {"assignee": "e1", "taken": True})
    assert got.summary == "Eng Alpha took ownership."
    owner = Actor("e2", "Eng Bravo", MANAGER)
    assert refusal(v.TAKE_OWNERSHIP, "open", {}, owner) == "You already own this ticket."


def test_the_reporter_confirms_restoration() -> None:
    got = change(v.CONFIRM_RESTORATION, "restored", {}, ADA)
    assert (got.columns, got.data) == ({}, {})
    assert got.summary == "Ada Reporter confirmed the service works again."


@pytest.mark.parametrize(("inputs", "data"), [
    ({"text": " Busy tone again "}, {"text": "Busy tone again"}),
    ({"text": "y" * (MAX_TEXT + 50)}, {"text": "y" * MAX_TEXT}),  # kept, cut at the limit: nothing refused
    ({"text": "  "}, {}),
    ({}, {}),
])
def test_still_broken_keeps_what_the_reporter_wrote(inputs: dict[str, str], data: dict[str, str]) -> None:
    got = change(v.STILL_BROKEN, "restored", inputs, ADA)
    assert (got.columns, got.data) == ({"status": "acknowledged"}, data)
    assert got.summary == "Ada Reporter says it is still broken; the ticket is back with the engineers."


def test_still_broken_on_an_unacknowledged_ticket_goes_back_to_open() -> None:
    restored = State(**{**STATES["restored"].__dict__, "acknowledged_by": None})
    got = decide(v.STILL_BROKEN, restored, ADA, {}, VERSION)
    assert isinstance(got, Change) and got.columns == {"status": "open"}


def test_stored_events_map_to_clock_events() -> None:
    assert set(SLA_KIND.values()) <= set(EVENT_KINDS)
    assert SLA_KIND["still_broken"] == "reopened"  # "still broken" restarts restoration and resolution
    assert all(SLA_KIND[kind] == kind for kind in SLA_KIND if kind != "still_broken")
    assert not {"assigned", "info_added", "restoration_confirmed"} & set(SLA_KIND)


def test_a_merge_names_the_main_ticket_and_retires_the_duplicate() -> None:
    got = change(v.MERGE, "acknowledged", {"into": " acme-000001 "})
    assert (got.kind, got.columns, got.data) == ("merged", {"status": "merged"}, {"into": "ACME-000001"})
    assert got.summary == ("Merged into ACME-000001 by Eng Alpha: its reporter now follows ACME-000001, and this "
                           "ticket's timers are retired.")
    for nameless in ({}, {"into": "  "}, {"into": None}):
        assert refusal(v.MERGE, "open", nameless) == \
            "Name the main ticket, for example “merge ACME-000124 into ACME-000123”; nothing was changed."


@pytest.mark.parametrize(("state", "status"), [("merged", "open"), ("merged_after_restore", "restored")])
def test_a_split_puts_the_ticket_back_where_it_was(state: str, status: str) -> None:
    got = change(v.SPLIT, state, {"from": "ACME-000001"})
    assert (got.kind, got.columns, got.data) == ("split", {"status": status}, {"from": "ACME-000001"})
    assert got.summary == ("Split out by Eng Alpha: this ticket is on its own again, with its own clocks and "
                           "reminders.")
    assert change(v.SPLIT, state, {}).data == {"from": ""}


def test_a_split_of_an_acknowledged_merged_ticket_goes_back_to_acknowledged() -> None:
    merged = State(**{**STATES["merged"].__dict__, "acknowledged_by": "Eng Bravo"})
    got = decide(v.SPLIT, merged, ENGINEER_ALPHA, {}, None)
    assert isinstance(got, Change) and got.columns == {"status": "acknowledged"}
