"""Guided fault intake as a pure state machine: (state, what the user sent) → (new state, replies, submission).

The first message is read for every fact it states (dialogs/extract.py); then only what is still missing, what
the contract's rules look at, or what the classification calls undecided is asked, one question at a time.
The state is a JSON-safe dict kept in the conversation's dialog state, so a half-finished report survives a
restart. The card form answers everything at once; both end at the same confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adaptive_cards import verbs
from adaptive_cards.cards import Card, summary_card
from dialogs import answers, matching, questions
from dialogs.extract import extract
from dialogs.form import form_card, read_form
from dialogs.summary import report_view, understood
from dialogs.timeparse import TimeInFuture, TimeNotUnderstood, parse_started_at
from dialogs.triggers import description_in, intent_of
from dialogs.turns import IntakeContext, Join, Outcome, Reply, Submission, Turn
from sla import Classification
from sla.classify import FACT_NAMES, facts_from_mapping

__all__ = ["IntakeContext", "Join", "Outcome", "Reply", "Submission", "Turn", "facts_of", "looks_for_match", "start",
           "step"]

FIELD_WORDS = {
    "description": ("description", "details", "what happens", "what's wrong"),
    "started_at": ("start", "start time", "time", "when", "started"),
    "services": ("services", "service"),
    "impact": ("impact", "how bad", "down", "badly"),
    "users": ("users", "user", "people"),
    "sites": ("sites", "site"),
    "mission_critical_site": ("mission-critical", "mission critical", "critical"),
    "workaround": ("workaround",),
    "voice_quality": ("voice quality", "mos", "quality", "sound"),
    "latency": ("latency", "lag", "round trip"),
    "capacity": ("capacity", "channels"),
    "recurrence": ("recurrence", "happened before", "again", "worse"),
}
CANCEL_WORDS = {"cancel", "stop", "quit", "abort", "never mind", "nevermind"}
RESTART_WORDS = {"start over", "restart", "start again", "reset"}
HELP_WORDS = {"help", "?", "what do i do", "what now"}
CONFIRM_WORDS = {"confirm", "yes", "y", "ok", "okay", "open", "open it", "open the ticket", "submit", "go"}
MAX_DESCRIPTION = 4000
FACT_KEYS = ("pct_users_affected", "users_affected", "sites_affected", "total_sites", "mission_critical_site",
             "workaround", "impact", "recurring", "risk_event", "voice_mos", "latency_ms_rtt", "capacity_loss_pct",
             "email_delivery_minutes", "security_incident", "failures_per_day", "redundancy_left",
             "equipment_owner")


INTROS = {
    "fault": "Sorry to hear that. I'll take what the contract needs, then show you the priority and deadlines "
             "before anything is opened. Answer here, or fill in the form.",
    "question": "Happy to help. A question is logged as a help request, with its own (usually longer) targets.",
    "change": "I'll log that as a change request; changes have their own targets, separate from faults.",
}
NOT_A_REPORT = {"thanks": "You're welcome. Tell me whenever something's wrong.",
                "cancel": "Nothing is under way, so nothing was opened. Tell me whenever something's wrong."}


# -- starting ------------------------------------------------------------------------------------------
def start(kind: str, ctx: IntakeContext, first_text: str = "") -> Outcome:
    """Begin a report of ``kind`` (fault, question, change); the first message may already describe it."""
    if intent_of(first_text) in NOT_A_REPORT:
        return Outcome(None, (Reply(NOT_A_REPORT[str(intent_of(first_text))]),))
    state: dict[str, Any] = {"kind": kind, "answers": {}, "asked": [], "sources": {}, "editing": False}
    described = description_in(first_text)[:MAX_DESCRIPTION]
    replies = [Reply(INTROS[kind])]
    if described:
        replies += _read_description(state, described, ctx)
    if kind == "fault":
        replies.insert(1, Reply(card=_form(ctx, state["answers"], {})))
    return _ask_next(state, ctx, replies)


def _read_description(state: dict[str, Any], text: str, ctx: IntakeContext) -> list[Reply]:
    """Keep the words as the description and take every fact they state that is not answered yet."""
    state["answers"]["description"] = text.strip()
    found = extract(text, ctx.services, now=ctx.now, tz=ctx.tz, vocabulary=ctx.vocabulary)
    taken = {k: v for k, v in found.found.items() if k not in state["answers"]
             and (state["kind"] == "fault" or k == "services")}
    state["answers"].update(taken)
    state["sources"].update({k: found.sources[k] for k in taken})
    said = understood(state["answers"], {k: found.sources[k] for k in taken}, ctx.services, ctx.tz, ctx.now)
    return [Reply(said)] if said else []


def _situation(state: Mapping[str, Any], ctx: IntakeContext) -> questions.Situation:
    result = _classify(state, ctx)
    return questions.Situation(state["kind"], state["answers"], state.get("asked", []), result.undecided,
                               result.category)


def _ask_next(state: dict[str, Any], ctx: IntakeContext, replies: list[Reply]) -> Outcome:
    offered = _offer(state, ctx, replies)
    if offered is not None:
        return offered
    upcoming = None if state.get("editing") else questions.next_step(_situation(state, ctx))
    if upcoming is None:
        return _confirm(state, ctx, replies)
    state["step"] = upcoming
    return Outcome(state, _joined(replies, _prompt(upcoming, ctx)))


def _joined(replies: list[Reply], text: str) -> tuple[Reply, ...]:
    """The question in the same message as the text before it (fewer messages, same words)."""
    if replies and replies[-1].text and replies[-1].card is None:
        return (*replies[:-1], Reply(f"{replies[-1].text}\n\n{text}"))
    return (*replies, Reply(text))


def _prompt(step_name: str, ctx: IntakeContext) -> str:
    return questions.prompt(step_name, answers.service_hint(ctx.services))


# -- "same problem?" ---------------------------------------------------------------------------------------
def looks_for_match(state: Mapping[str, Any] | None, kind: str = "fault") -> bool:
    """Whether this turn may offer an open ticket (so the caller finds the candidates): a fault report that has
    not yet been offered one, nor found none to offer once its services were known."""
    return (state.get("kind") if state else kind) == "fault" and not (state or {}).get("offer")


def _offer(state: dict[str, Any], ctx: IntakeContext, replies: list[Reply]) -> Outcome | None:
    """Once the services are known, and before any further question, the best open match as a question."""
    services = state["answers"].get("services")
    if not looks_for_match(state) or not services or state.get("editing"):
        return None
    found = matching.best_match(ctx.candidates, services, state["answers"].get("site_name"), ctx.now,
                                ctx.match_window)
    if found is None:  # looked once, when the services became known: later turns need not look again
        state["offer"] = {"none": True}
        return None
    state.update(step="same_problem", offer={"ticket": found.ticket_id, "reference": found.reference})
    asked = _joined(replies, matching.offer_text(found, ctx.services, ctx.tz))
    return Outcome(state, (*asked, Reply(card=matching.offer_card(found))))


def _same_problem(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    offer = state["offer"]
    said = {verbs.SAME_PROBLEM: True, verbs.NOT_SAME_PROBLEM: False}.get(turn.action or "")
    said = matching.answer_of(turn.words) if said is None else said
    if said is None:
        return Outcome(state, (Reply(f"Is it the same problem as {offer['reference']}? Please answer “yes, same "
                                     "problem” or “no, something else”."),))
    if said:
        return Outcome(None, (), join=Join(int(offer["ticket"]), str(offer["reference"]), dict(state["answers"])))
    state["offer"] = {**offer, "declined": True}
    state["asked"] = [*state["asked"], "same_problem"]
    state["step"] = None
    return _ask_next(state, ctx, [Reply(f"Understood: not {offer['reference']}. I'll take it as a new report.")])


# -- each turn ------------------------------------------------------------------------------------------
def step(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    """Advance the report by one message or card submission."""
    state = {**state, "answers": dict(state.get("answers", {})), "asked": list(state.get("asked", [])),
             "sources": dict(state.get("sources", {}))}
    command = _command(turn)
    if command is not None:
        return command(state, turn, ctx)
    if state.get("step") == "confirm":
        return _at_confirm(state, turn, ctx)
    if state.get("step") == "same_problem":
        return _same_problem(state, turn, ctx)
    if turn.words.startswith("change ") and _field_named(turn.words, state):
        return _change_now(state, str(_field_named(turn.words, state)), ctx)
    if state.get("step") == "choose_change":
        return _choose_change(state, turn, ctx)
    return _answer(state, turn, ctx)


def _command(turn: Turn) -> Callable[[dict[str, Any], Turn, IntakeContext], Outcome] | None:
    by_action = {verbs.CANCEL: _cancel, verbs.START_REPORT: _restart, verbs.INTAKE_FORM: _form_submitted,
                 verbs.CHANGE: _offer_changes, verbs.CONFIRM: _confirmed, verbs.HELP: _help}
    if turn.action in by_action:
        return by_action[turn.action]
    by_words = [(CANCEL_WORDS, _cancel), (RESTART_WORDS, _restart), (HELP_WORDS, _help)]
    return next((handler for words, handler in by_words if turn.words in words), None)


def waiting(state: Mapping[str, Any], ctx: IntakeContext) -> str:
    """The question the report in progress waits for, asked again after something else was answered meanwhile."""
    return f"Your report is kept, nothing lost.\n\n{_prompt(str(state.get('step') or 'description'), ctx)}"


def _cancel(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    return Outcome(None, (Reply("Cancelled: nothing was opened. Tell me whenever something's wrong."),))


def _restart(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    return start(state.get("kind", "fault"), ctx)


def _help(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    return Outcome(state, (Reply(
        f"{_prompt(state.get('step', ''), ctx)}\n\nAt any point you can say “cancel” (nothing is opened), "
        "“start over”, or “help”. Prefer a form? Use the form card above and press “Check priority and "
        "deadlines”."),))


READERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "impact": questions.read_impact, "voice_quality": questions.read_voice, "latency": questions.read_latency,
    "capacity": questions.read_capacity, "recurrence": questions.read_recurrence,
    "email_delay": questions.read_email_delay, "failures": questions.read_failures,
    "equipment_owner": questions.read_owner,
    "redundancy": lambda text: {"redundancy_left": answers.yes_no(text)},
    "mission_critical_site": lambda text: {"mission_critical_site": answers.yes_no(text)},
    "workaround": lambda text: {"workaround": answers.yes_no(text)},
}


def _answer(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    current = state.get("step") or "description"
    if not turn.text.strip():
        return Outcome(state, (Reply(_prompt(current, ctx)),))
    if current == "description" and not state.get("editing") and "description" not in state["answers"]:
        return _described(state, turn.text, ctx)
    try:
        state["answers"].update(_read(current, turn.text, state, ctx))
    except (answers.AnswerError, TimeNotUnderstood, TimeInFuture) as exc:
        return Outcome(state, (Reply(str(exc)),))
    state["asked"] = [*state["asked"], current]
    return _ask_next(state, ctx, [])


def _described(state: dict[str, Any], text: str, ctx: IntakeContext) -> Outcome:
    if len(text) > MAX_DESCRIPTION:
        return Outcome(state, (Reply(f"That's longer than {MAX_DESCRIPTION} characters; please shorten it."),))
    described = description_in(text)
    if not described:  # "hello?", "report a fault" again: still nothing about what is wrong
        return Outcome(state, (Reply(_prompt("description", ctx)),))
    return _ask_next(state, ctx, _read_description(state, described, ctx))


def _read(step_name: str, text: str, state: Mapping[str, Any], ctx: IntakeContext) -> dict[str, Any]:
    if step_name in READERS:
        return READERS[step_name](text)
    if step_name == "started_at":
        return {"started_at": parse_started_at(text, now=ctx.now, tz=ctx.tz).isoformat()}
    if step_name == "services":
        if state["kind"] != "fault" and text.strip().lower() in answers.UNSURE | {"none", "n/a"}:
            return {"services": []}
        return {"services": answers.services(text, ctx.services)}
    if step_name == "users":
        users = answers.users(text)
        return {"users_affected": users.users_affected, "pct_users_affected": users.pct_users_affected}
    if step_name == "sites":
        sites = answers.sites(text)
        return {"sites_affected": sites.sites_affected, "total_sites": sites.total_sites}
    if len(text) > MAX_DESCRIPTION:
        raise answers.AnswerError(f"That's longer than {MAX_DESCRIPTION} characters; please shorten it.")
    return {"description": text.strip()}


# -- changing an answer ---------------------------------------------------------------------------------
def _changeable(state: Mapping[str, Any]) -> list[str]:
    steps = questions.FAULT_STEPS if state["kind"] == "fault" else questions.REQUEST_STEPS
    return [s for s in steps if s in questions.FAULT_STEPS[:8] or questions.answered(state["answers"], s)]


def _offer_changes(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    state["step"] = "choose_change"
    names = ", ".join(f"“{FIELD_WORDS[s][0]}”" for s in _changeable(state))
    return Outcome(state, (Reply(f"Which answer would you like to change? Reply with one of {names} — or "
                                 "correct anything in the form."), Reply(card=_form(ctx, state["answers"], {}))))


def _field_named(text: str, state: Mapping[str, Any]) -> str | None:
    wanted = text.lower().removeprefix("change").strip()
    return next((s for s in _changeable(state) if wanted in FIELD_WORDS[s]), None)


def _choose_change(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    if turn.words in CONFIRM_WORDS:  # changed their mind: open what the summary showed, as the button does
        return _confirmed(state, turn, ctx)
    chosen = _field_named(turn.words, state)
    if chosen is None:
        return _offer_changes(state, turn, ctx)
    state.update(step=chosen, editing=True)
    return Outcome(state, (Reply(_prompt(chosen, ctx)),))


def _change_now(state: dict[str, Any], chosen: str, ctx: IntakeContext) -> Outcome:
    """Correct something read from the first message before the summary; the questions then carry on."""
    state["asked"] = [s for s in state["asked"] if s != chosen]
    for key in questions.KEYS.get(chosen, (chosen,)):
        state["answers"].pop(key, None)
    state["step"] = chosen
    return Outcome(state, (Reply(_prompt(chosen, ctx)),))


# -- confirmation -----------------------------------------------------------------------------------------
def facts_of(kind: str, found: Mapping[str, Any]) -> dict[str, Any]:
    """The classifier's facts from the answers."""
    facts: dict[str, Any] = {k: found.get(k) for k in FACT_KEYS if k in FACT_NAMES}
    if (facts["total_sites"] or 0) < (facts["sites_affected"] or 0):
        facts["total_sites"] = None  # an inconsistent total is not a fact
    return {"services_affected": list(found.get("services", [])), **facts,
            "is_question": kind == "question", "is_change_request": kind == "change"}


def _classify(state: Mapping[str, Any], ctx: IntakeContext) -> Classification:
    return ctx.classifier(ctx.policy, facts_from_mapping(facts_of(state["kind"], state["answers"])))


def _confirm(state: dict[str, Any], ctx: IntakeContext, replies: list[Reply]) -> Outcome:
    state.update(step="confirm", editing=False, summary_shown=True)
    view = report_view(ctx, state["kind"], state["answers"], _classify(state, ctx))
    hint = "Reply “confirm” to open the ticket, “change” to correct an answer, or “cancel”."
    return Outcome(state, (*replies, Reply(card=summary_card(view, ctx.tz, ctx.now)), Reply(hint)))


def _at_confirm(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    if turn.words in CONFIRM_WORDS:
        return _confirmed(state, turn, ctx)
    if turn.words.startswith("change") or turn.words in ("no", "edit"):
        chosen = _field_named(turn.words, state)
        if chosen:
            state.update(step=chosen, editing=True)
            return Outcome(state, (Reply(_prompt(chosen, ctx)),))
        return _offer_changes(state, turn, ctx)
    return Outcome(state, (Reply(_prompt("confirm", ctx)),))


def _confirmed(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    """Open the ticket from the summary the reporter pressed (also while choosing an answer to change)."""
    shown = state.get("step") == "confirm" or state.get("summary_shown")
    if not shown or not questions.answered(state["answers"], "description"):
        current = state.get("step") or "description"
        return Outcome(state, (Reply("There's nothing to confirm yet. " + _prompt(current, ctx)),))
    state = {k: v for k, v in state.items() if k != "sources"}
    return Outcome(None, (), Submission(state["kind"], dict(state["answers"]), _classify(state, ctx)))


# -- the form ---------------------------------------------------------------------------------------------
def _form(ctx: IntakeContext, found: Mapping[str, Any], errors: Mapping[str, str]) -> Card:
    return form_card(ctx.services, found, errors, ctx.tz, ctx.now)


def _form_submitted(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    found, errors = read_form(turn.value, ctx.services, ctx.tz, ctx.now)
    state["answers"].update(found)
    if errors:
        return Outcome(state, (Reply("A few answers need another look."),
                               Reply(card=_form(ctx, state["answers"], errors))))
    state["kind"] = "fault"
    return _confirm(state, ctx, [])
