"""Whatever happens to tickets, every row adds up and % met stays a percentage."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reports import build_report, month_period
from tests.reports.helpers import LIB, ticket, ts

KINDS = ("acknowledged", "updated", "paused", "resumed", "restored", "resolved", "reopened", "still_broken")
step = st.tuples(st.sampled_from(KINDS), st.integers(1, 3000))
tickets = st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3", "P5"]), st.integers(0, 40000),
                             st.lists(step, max_size=8)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(tickets, st.sampled_from(["maintel-icon", "vodafone-vone-m", "cloudcti"]))
def test_rows_add_up(drawn: list[tuple[str, int, list[tuple[str, int]]]], policy_id: str) -> None:
    policy = LIB.get(policy_id)
    priorities = set(policy.priority_ids)
    made = [ticket(policy, p if p in priorities else policy.priority_ids[-1],
                   (ts("2025-11-01T00:00Z") + timedelta(minutes=offset)).isoformat(),
                   *sorted(steps, key=lambda s: s[1]))
            for p, offset, steps in drawn]
    report = build_report("X", policy, made, month_period(2025, 11, ZoneInfo("Europe/London")),
                          ts("2025-12-10T00:00Z"))
    for row in report.targets:
        assert row.met + row.breached + row.running == row.count
        assert row.percent_met is None or 0 <= row.percent_met <= 100
    for name in {r.target for r in report.targets}:
        total = next(r for r in report.targets if r.target == name and r.priority == "all")
        assert total.count == sum(r.count for r in report.targets if r.target == name and r.priority != "all")
    assert sum(report.by_priority.values()) == report.tickets == len(made)
