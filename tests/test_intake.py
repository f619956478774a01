"""The intake conversation as a pure state machine: what the reporter sees at each step."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adaptive_cards import verbs
from dialogs.intake import IntakeContext, Outcome, Turn, start, step
from dialogs.triggers import intent_of
from sla import PolicyLibrary

NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)  # Monday 10:00 GMT
LIB = PolicyLibrary.load()
SERVICES = {"inbound_calls": "Inbound calls", "outbound_calls": "Outbound calls", "voicemail": "Voicemail",
            "teams_client": "Microsoft Teams client", "all": "Everything"}


def ctx(policy: str = "maintel-icon", now: datetime = NOW) -> IntakeContext:
    return IntakeContext("ACME", LIB.get(policy), SERVICES, ZoneInfo("Europe/London"), now)


def said(outcome: Outcome) -> str:
    return "\n".join(r.text or json.dumps(r.card, ensure_ascii=False) for r in outcome.replies)


def run(texts: list[str], context: IntakeContext | None = None, kind: str = "fault") -> Outcome:
    context = context or ctx()
    outcome = start(kind, context)
    for text in texts:
        assert outcome.state is not None, said(outcome)
        outcome = step(outcome.state, Turn(text), context)
    return outcome


FULL = ["10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone on the main number"]


def test_a_full_report_by_text_ends_at_a_confirmation_with_rationale_and_deadlines() -> None:
    outcome = run(FULL)
    assert outcome.state is not None and outcome.state["step"] == "confirm"
    text = said(outcome)
    assert "Fault, priority P1" in text
    assert "50% or more of users, trunks, or voicemail boxes not available" in text
    assert "Mon 24 Nov 10:30 GMT" in text  # P1 first response, < 30 minutes
    confirmed = step(outcome.state, Turn("confirm"), ctx())
    assert confirmed.state is None and confirmed.submission is not None
    assert confirmed.submission.classification.priority == "P1"
    assert confirmed.submission.answers["services"] == ["inbound_calls", "outbound_calls"]
    assert confirmed.submission.answers["started_at"] == "2025-11-24T09:50:00+00:00"


def test_each_question_is_asked_in_turn() -> None:
    prompts = [said(run(FULL[:n])).splitlines()[-1] for n in range(0, 7)]
    assert "When did the problem start" in prompts[0]
    assert "Which services are affected" in prompts[1] and "1 Inbound calls" in prompts[1]
    assert "How many users" in prompts[2]
    assert "How many sites" in prompts[3]
    assert "mission-critical" in prompts[4]
    assert "workaround" in prompts[5]
    assert "describe what happens" in prompts[6]


@pytest.mark.parametrize(("answers", "bad", "expected"), [
    ([], "next tuesday-ish", "couldn't read"),
    ([], "23:00", "later than now"),
    (["10 minutes ago"], "fax machine", "I don't know the service “fax machine”"),
    (["10 minutes ago", "1"], "150%", "can't be more than 100%"),
    (["10 minutes ago", "1"], "lots", "How many users are affected?"),
    (["10 minutes ago", "1", "5"], "4 of 2", "doesn't add up"),
    (["10 minutes ago", "1", "5", "1 of 2"], "maybe", "Please answer yes or no"),
])
def test_every_invalid_answer_is_asked_again_and_loses_nothing(answers: list[str], bad: str, expected: str) -> None:
    before = run(answers)
    after = step(before.state or {}, Turn(bad), ctx())
    assert expected in said(after)
    assert after.state == before.state


def test_cancel_start_over_and_help_work_at_every_step() -> None:
    for n in range(len(FULL)):
        outcome = run(FULL[:n])
        assert outcome.state is not None
        assert "Cancelled: nothing was opened" in said(step(outcome.state, Turn("cancel"), ctx()))
        assert step(outcome.state, Turn("cancel"), ctx()).state is None
        assert step(outcome.state, Turn("start over"), ctx()).state["answers"] == {}  # type: ignore[index]
        helped = step(outcome.state, Turn("help"), ctx())
        assert "“cancel”" in said(helped) and helped.state == outcome.state


def test_change_an_answer_then_return_to_confirmation() -> None:
    at_confirm = run(FULL)
    asked = step(at_confirm.state or {}, Turn("change users"), ctx())
    assert "How many users" in said(asked)
    changed = step(asked.state or {}, Turn("just me"), ctx())
    assert changed.state is not None and changed.state["step"] == "confirm"
    assert "Fault, priority P2" in said(changed) and "Call delivery to one customer site impacted" in said(changed)


def test_first_message_becomes_the_description() -> None:
    outcome = start("fault", ctx(), "our phones are down at the Leeds office")
    assert outcome.state is not None and outcome.state["answers"]["description"].startswith("our phones")
    for text in FULL[:-1]:  # every question but the description
        assert outcome.state is not None, said(outcome)
        outcome = step(outcome.state, Turn(text), ctx())
    assert outcome.state is not None and outcome.state["step"] == "confirm", said(outcome)  # not asked again
    assert "our phones are down at the Leeds office" in said(outcome)


def test_a_question_is_a_help_request_with_its_own_targets() -> None:
    outcome = run(["none", "How do I set up a hunt group?"], kind="question")
    text = said(outcome)
    assert "Help request, priority P5" in text and "Mon 24 Nov 18:00 GMT" in text  # P5 "< 8 hours"


def test_a_change_request_under_duocall_standard_has_no_targets() -> None:
    outcome = run(["voicemail", "Please add a new voicemail box for reception"], ctx("duocall-standard"), "change")
    text = said(outcome)
    assert "Change request, priority P4" in text and "no time targets" in text


def test_out_of_hours_on_a_working_hours_clock_says_when_the_clock_starts() -> None:
    saturday = datetime(2025, 11, 22, 20, 0, tzinfo=UTC)
    outcome = run(["10 minutes ago", "1", "2", "1 of 1", "no", "yes", "No inbound calls at all"],
                  ctx("duocall-standard", saturday))
    assert "the clock starts at Mon 24 Nov 08:30 GMT" in said(outcome)


def form(**changes: Any) -> dict[str, Any]:
    value = {verbs.ACTION_KEY: verbs.INTAKE_FORM, "started_date": "2025-11-24", "started_time": "09:40",
             "services": "inbound_calls", "users_affected": "30", "pct_users_affected": "",
             "sites_affected": "2", "total_sites": "4", "mission_critical_site": "false", "workaround": "false",
             "description": "No inbound calls"}
    value.update(changes)
    return value


def test_a_full_report_by_the_card_form() -> None:
    outcome = step(start("fault", ctx()).state or {}, Turn(value=form()), ctx())
    assert outcome.state is not None and outcome.state["step"] == "confirm"
    assert "Fault, priority P1" in said(outcome)  # call delivery to more than one site
    assert "Call delivery to more than one site" in said(outcome)


@pytest.mark.parametrize(("changes", "message"), [
    ({"started_time": "23:00"}, "That's in the future"),
    ({"started_date": ""}, "Give the date and time it started"),
    ({"services": ""}, "Choose at least one affected service"),
    ({"services": "fax"}, "Choose services from the list"),
    ({"users_affected": "", "pct_users_affected": ""}, "how many users are affected"),
    ({"pct_users_affected": "140"}, "between 0 and 100"),
    ({"users_affected": "many"}, "must be a number"),
    ({"sites_affected": "5"}, "more than the 4 you have"),
    ({"description": "  "}, "Describe what happens"),
])
def test_every_invalid_form_answer_comes_back_with_its_message(changes: dict[str, Any], message: str) -> None:
    outcome = step(start("fault", ctx()).state or {}, Turn(value=form(**changes)), ctx())
    assert outcome.state is not None and outcome.state.get("step") != "confirm"
    assert message in said(outcome) and "Please correct the highlighted answers." in said(outcome)


def test_confirm_before_the_end_is_refused_politely() -> None:
    outcome = run(["10 minutes ago"])
    refused = step(outcome.state or {}, Turn(value={verbs.ACTION_KEY: verbs.CONFIRM}), ctx())
    assert refused.submission is None and "nothing to confirm yet" in said(refused)


@pytest.mark.parametrize(("text", "intent"), [
    ("our phones are down", "fault"), ("Report a fault", "fault"), ("we can't make outbound calls", "fault"),
    ("how do I change my voicemail greeting?", "question"), ("please add a user to the hunt group", "change"),
    ("help", "help"), ("thanks!", None),
])
def test_free_text_intents(text: str, intent: str | None) -> None:
    assert intent_of(text) == intent


@pytest.mark.parametrize(("policy", "service", "title"), [
    ("maintel-icon", "teams client", "Outside the support contract"),
    ("cloudcti", "inbound calls", "Not covered by this service"),
])
def test_outside_the_contract_says_so_and_runs_no_clock(policy: str, service: str, title: str) -> None:
    outcome = run(["10 minutes ago", service, "all", "1 of 1", "no", "no", "It won't work"], ctx(policy))
    text = said(outcome)
    assert title in text and "no SLA clock runs" in text and "no time targets" in text
    confirmed = step(outcome.state or {}, Turn("confirm"), ctx(policy))
    assert confirmed.submission is not None and confirmed.submission.classification.priority is None


@pytest.mark.parametrize("policy", LIB.ids())
@pytest.mark.parametrize(("kind", "answers"), [
    ("fault", FULL), ("fault", ["2 hours ago", "voicemail", "just me", "1 of 1", "no", "yes", "No greeting"]),
    ("question", ["none", "How do I divert my line?"]), ("change", ["voicemail", "Please add a mailbox"]),
])
def test_every_contract_reaches_a_confirmation_for_every_kind(policy: str, kind: str, answers: list[str]) -> None:
    outcome = run(answers, ctx(policy), kind)
    assert outcome.state is not None and outcome.state["step"] == "confirm", said(outcome)
    confirmed = step(outcome.state, Turn("confirm"), ctx(policy))
    assert confirmed.submission is not None
