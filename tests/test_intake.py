"""The intake conversation as a pure state machine: what the reporter sees at each step."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptive_cards import verbs
from dialogs.extract import kind_of
from dialogs.intake import IntakeContext, Outcome, Turn, start, step
from dialogs.triggers import description_in, intent_of
from sla import PolicyLibrary

NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)  # Monday 10:00 GMT
LIB = PolicyLibrary.load()
SERVICES = {"inbound_calls": "Inbound calls", "outbound_calls": "Outbound calls", "voicemail": "Voicemail",
            "teams_client": "Microsoft Teams client", "all": "Everything"}


def undecided_about(*names: str) -> Any:
    """A classifier that says the given facts, while unknown, would change the answer (as sla/ will)."""
    from sla.classify import Classification, Facts, classify

    def classifier(policy: Any, facts: Facts) -> Classification:
        result = classify(policy, facts)
        unknown = tuple(n for n in names if getattr(facts, n, None) is None)
        return Classification(result.policy, result.category, result.priority, result.rules, unknown)
    return classifier


STANDARD = ("pct_users_affected", "sites_affected", "mission_critical_site", "workaround")
"""What these tests' classifier calls undecided while unknown, so each conversation is the same whatever the
contract's rules say (tests of sla/ decide those); real_ctx uses the real classifier."""


def ctx(policy: str = "maintel-icon", now: datetime = NOW, asks: tuple[str, ...] = STANDARD) -> IntakeContext:
    return IntakeContext("ACME", LIB.get(policy), SERVICES, ZoneInfo("Europe/London"), now,
                         classifier=undecided_about(*asks))


def real_ctx(policy: str = "maintel-icon", now: datetime = NOW) -> IntakeContext:
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


FULL = ["Callers hear a busy tone and can't call out", "10 minutes ago", "60%", "1 of 3", "no", "no"]


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
    prompts = [said(run(FULL[:n])).splitlines()[-1] for n in range(0, 6)]
    assert "What's wrong?" in prompts[0]
    assert "When did the problem start" in prompts[1]
    assert "How many users" in prompts[2]
    assert "How many sites" in prompts[3]
    assert "mission-critical" in prompts[4]
    assert "workaround" in prompts[5]


def test_what_the_description_said_is_shown_and_not_asked_again() -> None:
    outcome = run(FULL[:1])
    assert "What I understood so far" in said(outcome)
    assert "Inbound calls, Outbound calls" in said(outcome) and "Not working at all" in said(outcome)
    assert outcome.state is not None and outcome.state["answers"]["impact"] == "down"
    assert "Which services" not in said(run(FULL))


@pytest.mark.parametrize(("answers", "bad", "expected"), [
    (FULL[:1], "next tuesday-ish", "couldn't read"),
    (FULL[:1], "23:00", "later than now"),
    (["It won't work", "10 minutes ago"], "fax machine", "I don't know the service “fax machine”"),
    (FULL[:2], "150%", "can't be more than 100%"),
    (FULL[:2], "lots", "How many users are affected?"),
    (FULL[:3], "4 of 2", "doesn't add up"),
    (FULL[:4], "maybe", "Please answer yes or no"),
    (["Something is up with the phones", "10 minutes ago"], "hard to say", "Please reply “down”"),
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
        assert step(outcome.state, Turn("start over"), ctx()).state["step"] == "description"  # type: ignore[index]
        helped = step(outcome.state, Turn("help"), ctx())
        assert "“cancel”" in said(helped) and helped.state == outcome.state


def test_change_an_answer_then_return_to_confirmation() -> None:
    at_confirm = run(FULL)
    asked = step(at_confirm.state or {}, Turn("change users"), ctx())
    assert "How many users" in said(asked)
    changed = step(asked.state or {}, Turn("just me"), ctx())
    assert changed.state is not None and changed.state["step"] == "confirm"
    assert "Fault, priority P3" in said(changed) and "Individual phone or feature fault" in said(changed)


def test_first_message_becomes_the_description() -> None:
    outcome = start("fault", ctx(), "our phones are down at the Leeds office")
    assert outcome.state is not None and outcome.state["answers"]["description"].startswith("our phones")
    assert outcome.state["answers"]["site_name"] == "Leeds" and outcome.state["step"] == "started_at"


@pytest.mark.parametrize("opening", ["report a fault", "Report a fault", "I'd like to report a problem please",
                                     "hi", "Hello there!", "new ticket", "raise a ticket", "urgent"])
def test_a_command_like_opening_is_not_a_description(opening: str) -> None:
    outcome = start("fault", ctx(), opening)
    assert outcome.state is not None and "description" not in outcome.state["answers"]
    assert outcome.state["step"] == "description" and "What's wrong?" in said(outcome)


def test_a_greeting_in_reply_to_whats_wrong_is_not_the_description() -> None:
    asked = start("fault", ctx(), "hello")
    again = step(asked.state or {}, Turn("hello?"), ctx())
    assert again.state is not None and "description" not in again.state["answers"]
    assert "What's wrong?" in said(again)


def test_the_description_after_a_command_like_opening_is_kept() -> None:
    assert description_in("report a fault: the phones are dead in Leeds") == "the phones are dead in Leeds"
    outcome = start("fault", ctx(), "Hi, I want to report a fault - voicemail is down for everyone")
    assert outcome.state is not None and outcome.state["answers"]["services"] == ["voicemail"]
    assert outcome.state["answers"]["description"] == "voicemail is down for everyone"


def test_open_the_ticket_while_choosing_a_change_opens_what_was_shown() -> None:
    at_confirm = run(FULL)
    choosing = step(at_confirm.state or {}, Turn(value={verbs.ACTION_KEY: verbs.CHANGE}), ctx())
    assert choosing.state is not None and choosing.state["step"] == "choose_change"
    confirmed = step(choosing.state, Turn(value={verbs.ACTION_KEY: verbs.CONFIRM}), ctx())
    assert confirmed.submission is not None and confirmed.submission.classification.priority == "P1"
    typed = step(choosing.state, Turn("confirm"), ctx())
    assert typed.submission is not None and typed.submission.answers == confirmed.submission.answers


def test_a_half_finished_report_is_plain_json() -> None:
    outcome = run(FULL[:3])
    assert outcome.state is not None
    restored = json.loads(json.dumps(outcome.state))
    assert said(step(restored, Turn("1 of 3"), ctx())) == said(step(outcome.state, Turn("1 of 3"), ctx()))


def test_a_question_is_a_help_request_with_its_own_targets() -> None:
    outcome = run(["none", "How do I set up a hunt group?"], real_ctx(), kind="question")
    text = said(outcome)
    assert "Help request, priority P5" in text and "Mon 24 Nov 18:00 GMT" in text  # P5 "< 8 hours"


def test_a_change_request_under_duocall_standard_has_no_targets() -> None:
    outcome = run(["voicemail", "Please add a new voicemail box for reception"], real_ctx("duocall-standard"),
                  "change")
    text = said(outcome)
    assert "Change request, priority P4" in text and "no time targets" in text


def test_out_of_hours_on_a_working_hours_clock_says_when_the_clock_starts() -> None:
    saturday = datetime(2025, 11, 22, 20, 0, tzinfo=UTC)
    outcome = run(["No inbound calls at all", "10 minutes ago", "2", "1 of 1", "no", "yes"],
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
    ({"impact": "sideways"}, "Choose how badly it fails from the list"),
    ({"voice_mos": "7"}, "The MoS score must be between 1 and 5"),
    ({"voice_mos": "0.5"}, "The MoS score must be between 1 and 5"),
    ({"latency_ms_rtt": "fast"}, "The round-trip time must be a number"),
    ({"channels_failing": "50", "channels_total": "40"}, "Give the failing channels and the total"),
    ({"channels_failing": "5"}, "Give the failing channels and the total"),
])
def test_every_invalid_form_answer_comes_back_with_its_message(changes: dict[str, Any], message: str) -> None:
    outcome = step(start("fault", ctx()).state or {}, Turn(value=form(**changes)), ctx())
    assert outcome.state is not None and outcome.state.get("step") != "confirm"
    assert message in said(outcome) and "Please correct the highlighted answers." in said(outcome)


def test_the_form_carries_how_badly_and_the_measures() -> None:
    outcome = step(start("fault", ctx("vodafone-vone-m")).state or {}, Turn(value=form(
        impact="degraded", voice_mos="2.7", latency_ms_rtt="130", channels_failing="10", channels_total="40",
        recurring="true", could_get_worse="true")), ctx("vodafone-vone-m"))
    assert outcome.state is not None and outcome.state["step"] == "confirm"
    found = outcome.state["answers"]
    assert (found["impact"], found["voice_mos"], found["latency_ms_rtt"]) == ("degraded", 2.7, 130)
    assert (found["capacity_loss_pct"], found["recurring"], found["risk_event"]) == (25, True, "high")
    assert "voice quality MoS 2.7" in said(outcome) and "Working, but badly" in said(outcome)


def test_the_form_is_prefilled_with_what_the_message_said() -> None:
    card = said(start("fault", ctx(), "calls keep dropping again for everyone since 9:15"))
    assert '"id": "impact"' in card and '"value": "degraded"' in card
    assert '"id": "recurring", "title": "This has happened before", "value": "true"' in card
    assert '"value": "09:15"' in card and '"value": 100.0' in card


def test_confirm_before_the_end_is_refused_politely() -> None:
    outcome = run(["10 minutes ago"])
    refused = step(outcome.state or {}, Turn(value={verbs.ACTION_KEY: verbs.CONFIRM}), ctx())
    assert refused.submission is None and "nothing to confirm yet" in said(refused)


@pytest.mark.parametrize(("text", "kind"), [
    ("our phones are down", "fault"), ("Report a fault", "fault"), ("we can't make outbound calls", "fault"),
    ("how do I change my voicemail greeting?", "question"), ("please add a user to the hunt group", "change"),
    ("Leeds isn't getting any incoming calls", "fault"), ("the CRM popup stopped working for me", "fault"),
    ("can you help? our phones are dead", "fault"), ("is it possible to record calls?", "question"),
    ("hello", "fault"), ("voicemail", "fault"),
])
def test_every_message_is_a_fault_unless_clearly_a_question_or_change(text: str, kind: str) -> None:
    assert kind_of(text) == kind


@pytest.mark.parametrize(("text", "intent"), [("help", "help"), ("thanks!", "thanks"), ("Cheers", "thanks"),
                                              ("cancel", "cancel"), ("thanks, but the phones are down", None)])
def test_help_thanks_and_cancel_are_not_reports(text: str, intent: str | None) -> None:
    assert intent_of(text) == intent


@pytest.mark.parametrize(("policy", "service", "title"), [
    ("maintel-icon", "teams client", "Outside the support contract"),
    ("cloudcti", "inbound calls", "Not covered by this service"),
])
def test_outside_the_contract_says_so_and_runs_no_clock(policy: str, service: str, title: str) -> None:
    outcome = run(["It won't work", "10 minutes ago", service], real_ctx(policy))
    text = said(outcome)
    assert title in text and "no SLA clock runs" in text and "no time targets" in text
    confirmed = step(outcome.state or {}, Turn("confirm"), ctx(policy))
    assert confirmed.submission is not None and confirmed.submission.classification.priority is None


SCRIPTED = {"description": "It won't work", "started_at": "10 minutes ago", "services": "1", "impact": "down",
            "users": "60%", "sites": "1 of 3", "mission_critical_site": "no", "workaround": "no",
            "voice_quality": "not sure", "latency": "not sure", "capacity": "not sure", "recurrence": "no"}


def drive(first: str, context: IntakeContext, kind: str = "fault") -> tuple[Outcome, list[str]]:
    """Answer whatever is asked with a plain scripted answer until the summary; the steps asked, in order."""
    outcome, asked = start(kind, context, first), []
    while outcome.state is not None and outcome.state["step"] != "confirm" and len(asked) < 12:
        asked.append(outcome.state["step"])
        outcome = step(outcome.state, Turn(SCRIPTED[outcome.state["step"]]), context)
    return outcome, asked


@pytest.mark.parametrize("policy", LIB.ids())
@pytest.mark.parametrize(("kind", "first"), [
    ("fault", "Callers hear a busy tone and can't call out"), ("fault", "My voicemail plays no greeting"),
    ("fault", "report a fault"), ("question", "How do I divert my line?"), ("change", "Please add a mailbox"),
])
def test_every_contract_reaches_a_confirmation_for_every_kind(policy: str, kind: str, first: str) -> None:
    outcome, asked = drive(first, real_ctx(policy), kind)
    assert outcome.state is not None and outcome.state["step"] == "confirm", said(outcome)
    assert len(asked) == len(set(asked))  # nothing asked twice
    confirmed = step(outcome.state, Turn("confirm"), real_ctx(policy))
    assert confirmed.submission is not None


LEEDS = "since 9:40 nobody at the Leeds office can make outbound calls, the other two sites are fine"


def test_what_the_classification_calls_undecided_is_asked_once() -> None:

    plain, _ = drive(LEEDS, real_ctx("duocall-standard"))
    context = ctx("duocall-standard", asks=("pct_users_affected", "voice_mos"))
    outcome, asked = drive(LEEDS, context)
    assert asked == ["users", "voice_quality"]
    assert outcome.state is not None and outcome.state["step"] == "confirm"  # "not sure" is not asked again
    assert plain.state is not None and "voice_mos" not in plain.state["answers"]


def test_impact_is_asked_in_plain_words_and_read() -> None:
    outcome = start("fault", ctx(), "something is wrong with the voicemail")
    outcome = step(outcome.state or {}, Turn("10 minutes ago"), ctx())
    assert "Is it down (it can't be used at all), or working badly" in said(outcome)
    badly = step(outcome.state or {}, Turn("working, but badly"), ctx())
    assert badly.state is not None and badly.state["answers"]["impact"] == "degraded"


@pytest.mark.parametrize(("fact", "first", "question", "answer", "found"), [
    ("voice_mos", "calls are choppy for everyone", "is speech hard to understand", "yes",
     {"voice_mos": 2.5, "voice_mos_estimated": True}),
    ("voice_mos", "calls are choppy for everyone", "is speech hard to understand", "2.9", {"voice_mos": 2.9}),
    ("latency_ms_rtt", "terrible lag on calls for everyone", "round-trip time", "150 ms", {"latency_ms_rtt": 150}),
    ("capacity_loss_pct", "we're out of call channels, everyone gets busy", "call channels are failing",
     "10 of 40", {"capacity_loss_pct": 25}),
    ("email_delivery_minutes", "emails are slow to arrive for everyone", "How late are e-mails", "about 2 hours",
     {"email_delivery_minutes": 120}),
    ("failures_per_day", "some calls drop for everyone", "how many times a day", "5", {"failures_per_day": 5}),
    ("redundancy_left", "our backup link is down", "Is any backup path still working", "no",
     {"redundancy_left": False}),
    ("equipment_owner", "my handset is dead", "Who supplied the equipment", "ours",
     {"equipment_owner": "customer"}),
])
def test_each_deciding_question_is_asked_in_plain_words_and_read(
        fact: str, first: str, question: str, answer: str, found: dict[str, Any]) -> None:
    services = {"voice_quality": "Voice quality", "latency": "Latency", "capacity": "Capacity",
                "messaging": "Messaging", "resilience": "Resilience", "handset": "Handset", **SERVICES}
    context = IntakeContext("ACME", LIB.get("vodafone-vone-m"), services, ZoneInfo("Europe/London"), NOW,
                            classifier=undecided_about(fact))
    outcome = start("fault", context, first + " since 9:00")
    while outcome.state is not None and question not in said(outcome).splitlines()[-1]:
        assert outcome.state["step"] in SCRIPTED and outcome.state["step"] != "confirm", said(outcome)
        outcome = step(outcome.state, Turn(SCRIPTED[outcome.state["step"]]), context)
    answered = step(outcome.state or {}, Turn(answer), context)
    assert answered.state is not None
    assert {k: answered.state["answers"].get(k) for k in found} == found


@pytest.mark.parametrize(("answer", "found"), [
    ("yes, and it could spread to the other sites", {"recurring": True, "risk_event": "high"}),
    ("yes twice this week", {"recurring": True, "risk_event": None}), ("no", {"recurring": False}),
    ("not sure", {"recurring": None}),
])
def test_recurrence_is_asked_when_the_report_says_again(answer: str, found: dict[str, Any]) -> None:

    context = ctx(asks=("risk_event",))
    outcome = start("fault", context, "just me, my handset has died again since 9:00")
    while outcome.state is not None and outcome.state["step"] != "recurrence":
        outcome = step(outcome.state, Turn(SCRIPTED[outcome.state["step"]]), context)
    assert "Has this happened before, and could it get worse?" in said(outcome)
    answered = step(outcome.state or {}, Turn(answer), context)
    assert answered.state is not None
    assert {k: answered.state["answers"].get(k) for k in found} == found


def test_something_read_wrongly_can_be_corrected_before_the_summary() -> None:
    outcome = start("fault", ctx(), "since 9:40 nobody can make outbound calls")
    assert outcome.state is not None and outcome.state["answers"]["services"] == ["outbound_calls"]
    asked = step(outcome.state, Turn("change services"), ctx())
    assert "Which services are affected?" in said(asked)
    corrected = step(asked.state or {}, Turn("inbound calls"), ctx())
    assert corrected.state is not None and corrected.state["answers"]["services"] == ["inbound_calls"]
    assert corrected.state["step"] != "confirm"  # the remaining questions carry on


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.lists(st.sampled_from(
    ["nobody", "at", "the", "Leeds", "office", "12", "of", "3", "sites", "since", "9:40", "25:99", "100%", "150%",
     "half", "again", "calls", "choppy", "down", "backup", "MOS", "0.2", "0", "of 0", "channels", "999ms", "report",
     "a", "fault", "?", "please add", "cordless", "handsets", "emails", "delayed", "by", "90", "hours"]),
    max_size=14).map(" ".join))
def test_any_first_message_starts_a_report_that_survives_a_restart(text: str) -> None:
    outcome = start("fault", ctx(), text)
    if outcome.state is not None:
        restored = json.loads(json.dumps(outcome.state))
        assert restored == outcome.state and restored["step"] in {*SCRIPTED, "confirm"}
        step(restored, Turn("confirm"), ctx())


def _flat(element: Any) -> list[dict[str, Any]]:
    """Every element of a card body in reading order, columns included."""
    if isinstance(element, list):
        return [x for item in element for x in _flat(item)]
    if not isinstance(element, dict):
        return []
    inner = element.get("columns") or element.get("items") or []
    return [element, *_flat(inner)]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"impact": "sideways"}, "impact", "Choose how badly"),
    ({"voice_mos": "9"}, "voice_mos", "The MoS score"),
    ({"latency_ms_rtt": "fast"}, "latency_ms_rtt", "The round-trip time"),
    ({"channels_failing": "50", "channels_total": "40"}, "channels_total", "Give the failing channels"),
])
def test_each_form_error_is_shown_right_after_its_field(changes: dict[str, Any], field: str, message: str) -> None:
    outcome = step(start("fault", ctx()).state or {}, Turn(value=form(**changes)), ctx())
    card = next(r.card for r in outcome.replies if r.card)
    body = card["body"]
    at = next(i for i, element in enumerate(body) if field in json.dumps(element))
    assert message in body[at + 1]["text"] and body[at + 1]["color"] == "Attention"
    assert sum(message in json.dumps(e) for e in _flat(body)) == 1


def test_a_report_half_finished_before_this_version_carries_on() -> None:
    old = {"kind": "fault", "answers": {"started_at": "2025-11-24T09:50:00+00:00"}, "editing": False,
           "step": "services"}
    outcome = step(old, Turn("1, 2"), ctx())
    assert outcome.state is not None and outcome.state["answers"]["services"] == ["inbound_calls", "outbound_calls"]
    assert outcome.state["step"] == "description"  # then what happens, and only what is still missing


def test_open_tickets_are_looked_up_until_the_services_are_known_and_then_no_more() -> None:
    from dialogs.intake import looks_for_match

    outcome = start("fault", ctx())
    assert looks_for_match(outcome.state)  # nothing said yet: the next turn still looks
    outcome = step(dict(outcome.state or {}), Turn("it's broken"), ctx())
    assert outcome.state is not None and not outcome.state["answers"].get("services")
    assert looks_for_match(outcome.state)
    outcome = step(dict(outcome.state), Turn("10 minutes ago"), ctx())
    assert outcome.state is not None and looks_for_match(outcome.state)
    outcome = step(dict(outcome.state), Turn("outbound calls"), ctx())
    assert outcome.state is not None and outcome.state["answers"].get("services") == ["outbound_calls"]
    assert not looks_for_match(outcome.state)  # none matched when the services became known: no lookup per turn
