"""Choosing what to do with an activity: a pure function over a few facts, as (selector, route) pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adaptive_cards import verbs
from bot.rules.commands import CUSTOMER_VERBS, QUERIES, REFERENCE, Command, parse_command
from bot.rules.report_request import is_own_report
from dialogs.extract import kind_of
from dialogs.triggers import intent_of


@dataclass(frozen=True)
class Incoming:
    """The facts about an activity that decide its route."""

    type: str
    name: str | None
    conversation_type: str  # personal, channel, groupChat
    from_msp: bool
    mentioned: bool
    text: str
    action: str | None
    bot_added: bool
    intake_active: bool

    @property
    def addressed(self) -> bool:
        """In chat every message is for us; in channels and group chats only @mentions are."""
        return self.conversation_type == "personal" or self.mentioned or self.action is not None


ENGINEER_ONLY = (verbs.MERGE, verbs.SPLIT)


def _words(incoming: Incoming) -> str:
    return " ".join(incoming.text.lower().split())


def _command(incoming: Incoming) -> Command | None:
    return parse_command(incoming.text) if incoming.action is None else None


def _query_alone(incoming: Incoming) -> bool:
    """"status", "status ACME-000123", "tickets" or "my tickets" and nothing more: a query even in the middle of
    a report (where "status page is down" is still an answer)."""
    words = _words(incoming).split() if incoming.action is None else []
    return (len(words) == 1 and words[0] in QUERIES) or words == ["my", "tickets"] or (
        len(words) == 2 and words[0] == "status" and REFERENCE.match(words[1]) is not None)


ROUTES: tuple[tuple[Callable[[Incoming], bool], str], ...] = (
    (lambda i: i.type == "conversationUpdate" and i.bot_added, "installed"),
    (lambda i: i.type == "invoke" and i.name == "adaptiveCard/action", "card_action"),
    (lambda i: i.type != "message" or not i.addressed, "ignore"),
    (lambda i: i.from_msp and _words(i).startswith("bind"), "bind"),
    (lambda i: i.from_msp and i.action is None and _words(i).split(" ")[0] in ("report", "exclude"),
     "report_or_exclude"),
    (lambda i: i.from_msp and _command(i) is not None, "ticket_command"),
    (lambda i: i.from_msp, "msp_help"),
    (lambda i: not i.intake_active and i.action is None and is_own_report(i.text), "report_or_exclude"),
    (lambda i: not i.intake_active and (c := _command(i)) is not None and c.verb in CUSTOMER_VERBS,
     "ticket_command"),
    (lambda i: not i.intake_active and (c := _command(i)) is not None and c.verb in ENGINEER_ONLY and bool(c.reference),
     "ticket_command"),  # a customer's "merge X into Y": refused with the reason, not read as a report
    (lambda i: i.action == verbs.START_REPORT, "start_fault"),
    (lambda i: i.action == verbs.HELP and not i.intake_active, "help"),
    (lambda i: i.intake_active and _query_alone(i), "query_in_report"),
    (lambda i: i.intake_active, "intake"),
    (lambda i: i.action is not None, "stale_card"),
    (lambda i: not i.text, "welcome"),
    (lambda i: intent_of(i.text) == "help", "help"),
    (lambda i: intent_of(i.text) == "known_issue", "known_issues"),
    (lambda i: kind_of(i.text) == "question", "start_question"),
    (lambda i: kind_of(i.text) == "change", "start_change"),
    (lambda i: True, "start_fault"),
)
"""From a customer's user, anything that is not a command starts a report (a question or change request when
it clearly is one); the welcome card answers only an install or an empty message, never an explanation."""


def route(incoming: Incoming) -> str:
    """The name of the handler for this activity."""
    return next(name for selector, name in ROUTES if selector(incoming))
