"""Small policies built in the test, so the engine is tested apart from the contracts' rule files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sla.calendars import ElapsedCalendar, Window, WorkingCalendar
from sla.model import Policy, Priority, Rule, TargetSpec

T0 = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
PRIORITIES = ("P1", "P2", "P3")


OFFICE = WorkingCalendar("office", ZoneInfo("UTC"), (Window(frozenset(range(5)), 9 * 60, 17 * 60),))
"""Monday to Friday, 09:00–17:00 UTC, no holidays."""


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def target(key: str, minutes: float, calendar: str = "24x7", **options: Any) -> TargetSpec:
    return TargetSpec(key=key, rule="duration", quote=f"{key} in {minutes} minutes", seed=f"{key}-seed",
                      calendar=calendar, duration=timedelta(minutes=minutes), **options)


def policy(target_sets: Mapping[str, Mapping[str, TargetSpec]] | None = None, rules: tuple[Rule, ...] = (),
           priorities: tuple[str, ...] = PRIORITIES) -> Policy:
    return Policy(id="synthetic", name="Synthetic", version="1", source="built in the test",
                  calendars={"24x7": ElapsedCalendar(), "office": OFFICE},
                  priorities=tuple(Priority(p, f"Priority {p}", f"{p} definition", f"{p}-seed") for p in priorities),
                  target_sets=target_sets or {}, rules=rules, readings_available={})


def targets(*specs: TargetSpec) -> dict[str, TargetSpec]:
    return {spec.key: spec for spec in specs}


# P1: respond < 30 min (strict), update every 60 min, restore in 4 h, resolve in 8 h; P2 doubles each.
CLOCKS = policy({
    "P1": targets(target("first_response", 30, strict=True), target("update", 60), target("restoration", 240),
                  target("resolution", 480)),
    "P2": targets(target("first_response", 60, strict=True), target("update", 120), target("restoration", 480),
                  target("resolution", 960)),
    "P3": targets(target("first_response", 120), target("update", 240, pausable=False),
                  target("restoration", 960, breach_grace=timedelta(minutes=5)),
                  target("resolution", 1920, channels=frozenset({"phone", "email"}))),
})

# Response and updates round the clock; restoration and resolution in office hours.
OFFICE_HOURS = policy({
    "P1": targets(target("first_response", 30, strict=True), target("update", 60),
                  target("restoration", 240, "office"), target("resolution", 480, "office")),
})
# No priorities: a help request has its own targets, anything else the plan's.
UNPRIORITISED = policy({"help_request": targets(target("resolution", 120, "office")),
                        "unprioritised": targets(target("resolution", 60))}, priorities=())

# Clocks that start later: on an on-site decision, or at the next opening for e-mail reports.
STARTS_LATER = policy({
    "P1": targets(target("update", 60, start="onsite_determined_at"),
                  target("restoration", 240, start="onsite_determined_at")),
    "P2": targets(target("update", 60, defer_channels=frozenset({"email"}), defer_calendar="office",
                         channels=frozenset({"chat", "email"})),
                  target("restoration", 240, channels=frozenset({"chat"})), target("courtesy_call", 30)),
})
# P2 has no restoration target (the contract says none); P1 has four hours.
NO_P2_RESTORATION = policy({
    "P1": targets(target("restoration", 240)),
    "P2": {"restoration": TargetSpec(key="restoration", rule="none", quote="none", seed="s",
                                     reason="P2 has no restoration target")},
})
