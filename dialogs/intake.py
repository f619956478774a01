"""Guided fault intake as a pure state machine: (state, what the user sent) → (new state, replies, submission).

The state is a JSON-safe dict kept in the conversation's dialog state, so a half-finished report survives
a restart. Text answers go one question at a time; the card form answers everything at once; both end at
the same confirmation with the classification and every deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adaptive_cards import verbs
from adaptive_cards.cards import Card, intake_form_card, summary_card
from dialogs import answers
from dialogs.form import read_form
from dialogs.summary import report_view
from dialogs.timeparse import TimeInFuture, TimeNotUnderstood, parse_started_at
from sla import Classification, Policy, classify
from sla.classify import facts_from_mapping

FAULT_STEPS = ("started_at", "services", "users", "sites", "mission_critical_site", "workaround", "description")
REQUEST_STEPS = ("services", "description")
FIELD_WORDS = {
    "started_at": ("start", "start time", "time", "when", "started"),
    "services": ("services", "service"),
    "users": ("users", "user", "people"),
    "sites": ("sites", "site"),
    "mission_critical_site": ("mission-critical", "mission critical", "critical"),
    "workaround": ("workaround",),
    "description": ("description", "details", "what happens"),
}
CANCEL_WORDS = {"cancel", "stop", "quit", "abort", "never mind", "nevermind"}
RESTART_WORDS = {"start over", "restart", "start again", "reset"}
HELP_WORDS = {"help", "?", "what do i do", "what now"}
CONFIRM_WORDS = {"confirm", "yes", "y", "ok", "okay", "open", "open it", "open the ticket", "submit", "go"}
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class IntakeContext:
    """What intake needs to know about the world for one turn."""

    customer_name: str
    policy: Policy
    services: Mapping[str, str]
    tz: ZoneInfo
    now: datetime
    channel: str = "chat"


@dataclass(frozen=True)
class Reply:
    text: str = ""
    card: Card | None = None


@dataclass(frozen=True)
class Submission:
    """A confirmed report, ready to become a ticket."""

    kind: str
    answers: Mapping[str, Any]
    classification: Classification


@dataclass(frozen=True)
class Outcome:
    state: dict[str, Any] | None
    replies: tuple[Reply, ...] = ()
    submission: Submission | None = None


@dataclass(frozen=True)
class Turn:
    """What the user sent: typed text and/or a card submission."""

    text: str = ""
    value: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str | None:
        action = self.value.get(verbs.ACTION_KEY)
        return action if isinstance(action, str) else None

    @property
    def words(self) -> str:
        return " ".join(self.text.lower().split()).rstrip(".!")


# -- starting ------------------------------------------------------------------------------------------
def start(kind: str, ctx: IntakeContext, first_text: str = "") -> Outcome:
    """Begin a report of ``kind`` (fault, question, change); the first message may already describe it."""
    state: dict[str, Any] = {"kind": kind, "answers": {}, "editing": False}
    if first_text and len(first_text.split()) >= 3:
        state["answers"]["description"] = first_text.strip()[:MAX_DESCRIPTION]
    intro = {
        "fault": "Sorry to hear that. I'll take the details the contract needs, then show you the priority and "
                 "deadlines before anything is opened. Answer here, or fill in the form.",
        "question": "Happy to help. A question is logged as a help request, with its own (usually longer) targets.",
        "change": "I'll log that as a change request; changes have their own targets, separate from faults.",
    }[kind]
    replies = [Reply(intro)]
    if kind == "fault":
        replies.append(Reply(card=_form(ctx, state["answers"], {})))
    return _ask_next(state, ctx, replies)


def _steps(state: Mapping[str, Any]) -> tuple[str, ...]:
    return FAULT_STEPS if state["kind"] == "fault" else REQUEST_STEPS


def _ask_next(state: dict[str, Any], ctx: IntakeContext, replies: list[Reply]) -> Outcome:
    missing = [s for s in _steps(state) if not _answered(state["answers"], s)]
    if not missing or state.get("editing"):
        return _confirm(state, ctx, replies)
    state["step"] = missing[0]
    return Outcome(state, (*replies, Reply(_prompt(missing[0], ctx))))


def _answered(found: Mapping[str, Any], step: str) -> bool:
    keys = {"users": "users_affected", "sites": "sites_affected"}
    return keys.get(step, step) in found


def _prompt(step: str, ctx: IntakeContext) -> str:
    prompts: dict[str, Callable[[], str]] = {
        "started_at": lambda: "When did the problem start? For example “10 minutes ago”, “09:40” or "
                              "“yesterday 17:10”.",
        "services": lambda: "Which services are affected? " + answers.service_hint(ctx.services),
        "users": lambda: answers.USERS_HINT,
        "sites": lambda: answers.SITES_HINT,
        "mission_critical_site": lambda: "Is a mission-critical site affected (for example a contact centre or an "
                                         "emergency line)? Yes or no.",
        "workaround": lambda: "Is there a workaround for now (for example calls diverted to mobiles)? Yes or no.",
        "description": lambda: "Please describe what happens, in your own words (for example “callers hear a "
                               "busy tone on 0161 555 0100”).",
    }
    return prompts[step]()


# -- each turn ------------------------------------------------------------------------------------------
def step(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    """Advance the report by one message or card submission."""
    state = {**state, "answers": dict(state.get("answers", {}))}
    command = _command(turn)
    if command is not None:
        return command(state, turn, ctx)
    if state.get("step") == "confirm":
        return _at_confirm(state, turn, ctx)
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


def _cancel(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    return Outcome(None, (Reply("Cancelled: nothing was opened. Say “report a fault” whenever you need me."),))


def _restart(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    return start(state.get("kind", "fault"), ctx)


def _help(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    current = state.get("step", "")
    now = _prompt(current, ctx) if current in FIELD_WORDS else "Reply “confirm” to open the ticket."
    return Outcome(state, (Reply(
        f"{now}\n\nAt any point you can say “cancel” (nothing is opened), “start over”, or “help”. "
        "Prefer a form? Use the form card above and press “Check priority and deadlines”."),))


def _answer(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    current = state.get("step") or "description"
    if not turn.text.strip():
        return Outcome(state, (Reply(_prompt(current, ctx)),))
    try:
        state["answers"].update(_read(current, turn.text, state, ctx))
    except (answers.AnswerError, TimeNotUnderstood, TimeInFuture) as exc:
        return Outcome(state, (Reply(str(exc)),))
    return _ask_next(state, ctx, [])


def _read(step_name: str, text: str, state: Mapping[str, Any], ctx: IntakeContext) -> dict[str, Any]:
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
    if step_name in ("mission_critical_site", "workaround"):
        return {step_name: answers.yes_no(text)}
    if len(text) > MAX_DESCRIPTION:
        raise answers.AnswerError(f"That's longer than {MAX_DESCRIPTION} characters; please shorten it.")
    return {"description": text.strip()}


# -- changing an answer ---------------------------------------------------------------------------------
def _offer_changes(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    state["step"] = "choose_change"
    names = ", ".join(f"“{FIELD_WORDS[s][0]}”" for s in _steps(state))
    return Outcome(state, (Reply(f"Which answer would you like to change? Reply with one of {names} — or "
                                 "correct anything in the form."), Reply(card=_form(ctx, state["answers"], {}))))


def _field_named(text: str, state: Mapping[str, Any]) -> str | None:
    wanted = text.lower().removeprefix("change").strip()
    return next((s for s in _steps(state) if wanted in FIELD_WORDS[s]), None)


def _choose_change(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    chosen = _field_named(turn.words, state)
    if chosen is None:
        return _offer_changes(state, turn, ctx)
    state.update(step=chosen, editing=True)
    return Outcome(state, (Reply(_prompt(chosen, ctx)),))


# -- confirmation -----------------------------------------------------------------------------------------
def facts_of(kind: str, found: Mapping[str, Any]) -> dict[str, Any]:
    """The classifier's facts from the answers."""
    keys = ("pct_users_affected", "users_affected", "sites_affected", "total_sites", "mission_critical_site",
            "workaround")
    return {"services_affected": list(found.get("services", [])), **{k: found.get(k) for k in keys},
            "is_question": kind == "question", "is_change_request": kind == "change"}


def _confirm(state: dict[str, Any], ctx: IntakeContext, replies: list[Reply]) -> Outcome:
    state.update(step="confirm", editing=False)
    result = classify(ctx.policy, facts_from_mapping(facts_of(state["kind"], state["answers"])))
    view = report_view(ctx, state["kind"], state["answers"], result)
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
    return Outcome(state, (Reply("Reply “confirm” to open the ticket, “change” to correct an answer, or "
                                 "“cancel”."),))


def _confirmed(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    if state.get("step") != "confirm":
        return Outcome(state, (Reply("There's nothing to confirm yet. " + _prompt(state.get("step") or
                                                                                 "description", ctx)),))
    result = classify(ctx.policy, facts_from_mapping(facts_of(state["kind"], state["answers"])))
    return Outcome(None, (), Submission(state["kind"], dict(state["answers"]), result))


# -- the form ---------------------------------------------------------------------------------------------
def _form(ctx: IntakeContext, found: Mapping[str, Any], errors: Mapping[str, str]) -> Card:
    values: dict[str, Any] = {k: found.get(k) for k in ("users_affected", "pct_users_affected", "sites_affected",
                                                       "total_sites", "description")}
    if found.get("services"):
        values["services"] = ",".join(found["services"])
    for key in ("mission_critical_site", "workaround"):
        if found.get(key) is not None:
            values[key] = "true" if found[key] else "false"
    if found.get("started_at"):
        local = datetime.fromisoformat(found["started_at"]).astimezone(ctx.tz)
        values |= {"started_date": local.strftime("%Y-%m-%d"), "started_time": local.strftime("%H:%M")}
    today = ctx.now.astimezone(ctx.tz)
    return intake_form_card(ctx.services, values, errors, today.strftime("%Y-%m-%d"), today.strftime("%H:%M"))


def _form_submitted(state: dict[str, Any], turn: Turn, ctx: IntakeContext) -> Outcome:
    found, errors = read_form(turn.value, ctx.services, ctx.tz, ctx.now)
    state["answers"].update(found)
    if errors:
        return Outcome(state, (Reply("A few answers need another look."),
                               Reply(card=_form(ctx, state["answers"], errors))))
    state["kind"] = "fault"
    return _confirm(state, ctx, [])
