"""One gate per concern (CONVENTIONS.md rule 13): nothing that serves a person reads a ticket past visibility."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINDERS = {"get", "by_reference", "by_channel_thread", "open_tickets", "customer_tickets", "open_for_customer"}
GATE_AND_MACHINERY = {"bot/services/gate.py", "bot/store", "bot/reminders", "bot/services/outbound.py"}
"""The gate itself, the store, the scheduler (which acts for the clock, never for a person) and the outbox's
operations (which draw a queued card when it is sent, for the recipient chosen when it was queued)."""


def ticket_finds(path: Path) -> list[int]:
    """Lines calling ``….tickets.<finder>(…)``: reading tickets from the store directly."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FINDERS:
            owner = node.func.value
            if isinstance(owner, ast.Attribute) and owner.attr == "tickets":
                found.append(node.lineno)
    return found


def test_only_the_visibility_gate_finds_tickets_for_people() -> None:
    offenders = {}
    for package in ("bot", "dialogs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if any(relative == allowed or relative.startswith(allowed + "/") for allowed in GATE_AND_MACHINERY):
                continue
            if lines := ticket_finds(path):
                offenders[relative] = lines
    assert not offenders, f"find tickets through TicketGate.visible_ticket / visible_open instead: {offenders}"


def test_the_gate_checker_sees_a_direct_read(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("async def f(self, ref):\n    return await self.s.tickets.by_reference(ref)\n")
    assert ticket_finds(sneaky) == [2]
