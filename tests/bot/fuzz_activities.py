"""Odd activities for fuzzing the Teams edge: Teams-shaped bodies with wrong types, odd strings and deep nesting
planted at any level. Deterministic for a given `random.Random`; shared by tests/bot/test_fuzz.py and
bench/fuzz_soak.py."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

KINDS = ("message", "invoke", "conversationUpdate", "installationUpdate")
TENANTS = ("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000004",
           "00000000-0000-0000-0000-0000000000aa", "99999999-9999-9999-9999-999999999999")
TEXTS = ("our phones are down", "report a fault", "help", "tickets", "status MAINTEL-000001", "confirm", "cancel",
         "10 minutes ago", "1, 2", "60%", "no", "update MAINTEL-000001 engineer on site", "how do I add a user?",
         "<at>Faultline</at> status", "")
VERBS = ("refresh", "ticket.acknowledge", "ticket.assign", "ticket.update", "ticket.reclassify", "ticket.hold",
         "ticket.resume", "ticket.restore", "ticket.resolve", "ticket.reopen", "ticket.add_info",
         "ticket.confirm_restoration", "ticket.still_broken", "reminder.snooze", "ticket.take_ownership", "nope")
SUBMITS = ("report.start", "intake.form", "intake.confirm", "intake.change", "intake.cancel", "help", "tickets.mine")
DEEP = "\u2063deep\u2063"  # replaced by 5,000 nested arrays once serialised
BOT = {"id": "28:faultline-bot", "name": "Faultline"}

ODD: tuple[Callable[[random.Random], Any], ...] = (
    lambda r: None, lambda r: r.choice([True, False]), lambda r: r.randint(-2**63, 2**63),
    lambda r: r.choice([0.5, -1e308, 1e-300]), lambda r: r.choice(["", " ", "\x00", "a\x00b", "\ud800", "x\udfffy"]),
    lambda r: r.choice(["javascript:alert(1)", "http://evil.example/", "file:///etc/passwd", "https://", "\x00",
                        "https://a..b/", "https://1.2.3.4.5/", "https://[::1/", "https://" + "a" * 70 + ".com/"]),
    lambda r: "z" * r.choice([257, 513, 5000]), lambda r: [TENANTS[0]], lambda r: [r.random(), "x", None],
    lambda r: {"id": r.randint(0, 9)}, lambda r: {}, lambda r: [], lambda r: DEEP,
    lambda r: r.choice(["1", "-1", "9" * 30, "MAINTEL-000001", "2025-11-24", "99:99", "true"]),
)


def _account(rng: random.Random, pool: int, long: bool = False) -> dict[str, Any]:
    n = rng.randrange(pool)
    mri, name = f"29:user-{n}", f"User {n}"
    if long:  # as long as the platform allows: 512-character ids, 256-character display names
        mri, name = mri.ljust(512, "m"), name.ljust(256, "n")
    return {"id": mri, "name": name, "aadObjectId": f"00000000-0000-0000-0000-{n:012d}"}


def _card_data(rng: random.Random) -> dict[str, Any]:
    return {"ticket": rng.choice([1, 2, "1", None]), "version": rng.choice([1, 2, None]), "minutes": 30,
            "text": rng.choice(TEXTS), "priority": rng.choice(["P1", "P3", "P9"]), "reason": "because",
            "kind": rng.choice(["customer", "supplier", "x"]), "timer": "t-1", "assignee": "someone"}


def _value(kind: str, rng: random.Random) -> dict[str, Any] | None:
    if kind == "invoke":
        return {"action": {"type": "Action.Execute", "verb": rng.choice(VERBS), "data": _card_data(rng)},
                "trigger": "manual"}
    if rng.random() < 0.3:
        return {"faultline": rng.choice(SUBMITS), "services": "inbound_calls", "users_affected": "3",
                "started_date": "2025-11-24", "started_time": "09:50", "description": rng.choice(TEXTS)}
    return None


def base(kind: str, rng: random.Random, service_url: str, n: int, conversations: int = 20,
         users: int = 5, long: bool = False) -> dict[str, Any]:
    """A well-formed Teams activity of ``kind`` (by default a few users and conversations, so dialogs build up);
    ``long``: ids and names as long as the platform allows."""
    tenant = rng.choice(TENANTS[:3] * 5 + TENANTS[3:])
    conversation = f"a:conversation-{rng.randrange(conversations)}"
    body: dict[str, Any] = {
        "type": kind, "id": f"fuzz-{n}", "channelId": "msteams", "serviceUrl": service_url,
        "timestamp": "2025-11-24T10:00:00Z", "localTimezone": rng.choice(["Europe/London", "Mars/Base", "UTC"]),
        "from": _account(rng, users, long), "recipient": dict(BOT),
        "conversation": {"id": conversation.ljust(512, "c") if long else conversation, "tenantId": tenant,
                         "conversationType": rng.choice(["personal", "personal", "channel", "groupChat"])},
        "channelData": {"tenant": {"id": tenant}},
    }
    if kind == "message":
        body["text"] = rng.choice(TEXTS)
        if body["text"].startswith("<at>"):
            body["entities"] = [{"type": "mention", "mentioned": dict(BOT), "text": "<at>Faultline</at>"}]
    if kind == "invoke":
        body["name"] = "adaptiveCard/action"
    if kind == "conversationUpdate":
        body["membersAdded"] = [dict(BOT), _account(rng, users)]
    if kind == "installationUpdate":
        body["action"] = rng.choice(["add", "remove"])
    value = _value(kind, rng)
    if value is not None:
        body["value"] = value
    return body


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


def _plant(body: Any, path: tuple[Any, ...], rng: random.Random) -> Any:
    """``body`` with the node at ``path`` replaced by an odd value, removed, or given an odd sibling."""
    odd = rng.choice(ODD)(rng)
    if not path:
        return odd
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = rng.random()
    if action < 0.7:
        parent[last] = odd
    elif action < 0.85 and isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, dict):
        parent[rng.choice(["id", "type", "name", "value", "data", "verb", "tenant", "extra"])] = odd
    return body


def mutated(body: dict[str, Any], rng: random.Random, mutations: int) -> Any:
    result: Any = copy.deepcopy(body)
    for _ in range(mutations):
        paths = _paths(result)
        result = _plant(result, rng.choice(paths[1:] or paths) if rng.random() > 0.02 else (), rng)
    return result


def serialise(body: Any) -> bytes:
    raw = json.dumps(body, ensure_ascii=True).encode()
    deep = json.dumps(DEEP, ensure_ascii=True).encode()
    return raw.replace(deep, b"[" * 5000 + b"]" * 5000)


GARBAGE = (b"", b"{", b"null", b"[]", b'"message"', b"\xff\xfe\xfa", b'{"type": "message", "id": NaN}',
           b'{"type": "message"} trailing', b'{"a": 1e999}')


def fuzzed(rng: random.Random, service_url: str, n: int, conversations: int = 20, users: int = 5,
           long: bool = False) -> bytes:
    """One odd (or occasionally well-formed) activity body."""
    if rng.random() < 0.02:
        return rng.choice(GARBAGE)
    body = base(rng.choice(KINDS), rng, service_url, n, conversations, users, long)
    return serialise(mutated(body, rng, rng.choice([0, 1, 1, 1, 2, 2, 3])))
