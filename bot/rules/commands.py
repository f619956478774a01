"""Text commands for people who type: `ack`, `update <text>`, `hold <reason>`, `resume`, `restore <text>`,
`resolve <summary>`, `reopen`, `merge <duplicate> into <main>`, `split <duplicate>`,
`split <ticket> <number or name of a reporter who joined it>`, `status`, `tickets`, and for
reporters `info <text>` —
optionally naming a ticket (`update ACME-000123 …`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adaptive_cards import verbs as v

THIRD_PARTY = re.compile(r"\b(third[- ]party|carrier|vendor|supplier|microsoft|bt|openreach|provider)\b", re.I)
REFERENCE = re.compile(r"^[A-Za-z0-9]+-\d{6,}$")


def _hold(rest: str) -> dict[str, Any]:
    kind = "awaiting_third_party" if THIRD_PARTY.search(rest) else "awaiting_customer"
    return {"hold_kind": kind, "reason": rest}


INPUTS: Mapping[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "ack": (v.ACKNOWLEDGE, lambda rest: {}),
    "acknowledge": (v.ACKNOWLEDGE, lambda rest: {}),
    "update": (v.UPDATE, lambda rest: {"text": rest}),
    "hold": (v.HOLD, _hold),
    "resume": (v.RESUME, lambda rest: {}),
    "restore": (v.RESTORE, lambda rest: {"text": rest}),
    "resolve": (v.RESOLVE, lambda rest: {"summary": rest}),
    "reopen": (v.REOPEN, lambda rest: {"reason": rest}),
    "info": (v.ADD_INFO, lambda rest: {"text": rest}),
    "merge": (v.MERGE, lambda rest: {"into": re.sub(r"^into\s+", "", rest, flags=re.I).strip().upper()}),
    "split": (v.SPLIT, lambda rest: {"subscriber": rest}),
}
QUERIES = ("status", "tickets")
CUSTOMER_VERBS = (None, v.ADD_INFO)
"""What a customer's user may type: the queries, and adding information to their ticket."""


@dataclass(frozen=True)
class Command:
    word: str
    verb: str | None
    reference: str | None
    inputs: Mapping[str, Any] = field(default_factory=dict)


def parse_command(text: str) -> Command | None:
    """The command in a message, or None if the message is not one."""
    text = re.sub(r"^\s*my\s+tickets\b", "tickets", text, flags=re.I)  # the Teams command list says "my tickets"
    words = text.strip().split(maxsplit=1)
    if not words or words[0].lower() not in (*INPUTS, *QUERIES):
        return None
    word, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    reference = None
    head = rest.split(maxsplit=1)
    if head and REFERENCE.match(head[0]):
        reference, rest = head[0].upper(), (head[1] if len(head) > 1 else "")
    if word in QUERIES:
        return Command(word, None, reference)
    verb, read = INPUTS[word]
    return Command(word, verb, reference, read(rest.strip()))
