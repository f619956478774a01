"""Time to produce one month's SLA report over many synthetic tickets (target: 10,000 tickets in < 2 s).

Run: .venv/bin/python bench/report_bench.py [--n 10000] [--seed 7] [--policy vodafone-vone-m]
Prints figures only; nothing here asserts a speed. Tickets are spread over the month with realistic audit logs
(acknowledgement, updates, holds, reclassification, restoration, resolution, reopen); the report also measures
Vodafone availability over the Annual Measurement Period. The baseline is the clock alone: one
``sla.clock.clock_state`` per ticket, which any report must at least evaluate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the project's packages

from bench import stored_tickets
from bot.config import load_config
from bot.rules.report_request import Month
from bot.services.context import Services
from bot.services.gate import ActorContext, TicketGate
from bot.services.reporting import customer_report
from bot.settings import Settings
from bot.store.conversations import ConversationStore
from bot.store.db import Database
from bot.store.tickets import TicketStore
from reports import ReportEvent, ReportTicket, build_report, month_period
from reports.engine import SlaReport
from reports.export import report_csv
from reports.facts import clock_events
from sla import PolicyLibrary
from sla.clock import clock_state
from sla.model import Policy

LONDON = ZoneInfo("Europe/London")
MONTH = (2025, 11)
AS_OF = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)


STEPS = (
    ("reclassified", 0.1, 20, None), ("acknowledged", 0.97, 40, None), ("updated", 0.8, 50, None),
    ("paused", 0.2, 30, None), ("resumed", 1.0, 90, "paused"), ("updated", 0.6, 60, None),
    ("restored", 0.85, 120, None), ("still_broken", 0.05, 30, "restored"), ("restored", 1.0, 60, "still_broken"),
    ("resolved", 0.8, 90, None),
)
"""(audit kind, chance, longest gap in minutes, the kind it must follow)."""


def synthetic_ticket(rng: random.Random, policy: Policy, n: int) -> ReportTicket:
    start = datetime(*MONTH, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(30 * 24 * 60 - 600))
    priority = rng.choice(policy.priority_ids)
    events = [ReportEvent("opened", start, after={"priority": priority})]
    t = start
    for kind, chance, gap, follows in STEPS:
        if (follows is not None and events[-1].kind != follows) or rng.random() > chance:
            continue
        t += timedelta(minutes=rng.randrange(1, gap))
        data = {"priority": rng.choice(policy.priority_ids)} if kind == "reclassified" else None
        events.append(ReportEvent(kind, t, data=data))
    services = tuple(rng.sample(["inbound_calls", "outbound_calls", "voicemail", "presence"], rng.randint(0, 2)))
    return ReportTicket(f"BENCH-{n:06d}", "incident", priority, "chat", start, policy, tuple(events), services)


def timed(label: str, action: Callable[[], object]) -> float:
    """Run ``action``; print wall and CPU seconds (CPU is what counts on a shared, loaded machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<40} wall {wall:7.3f} s   cpu {cpu:7.3f} s")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--policy", default="vodafone-vone-m")
    parser.add_argument("--no-store", action="store_true", help="skip the run from SQLite")
    args = parser.parse_args()
    policy = PolicyLibrary.load().get(args.policy)
    rng = random.Random(args.seed)
    tickets = [synthetic_ticket(rng, policy, n) for n in range(args.n)]
    period = month_period(*MONTH, LONDON)
    print(f"{args.n} tickets, policy {policy.id}, {sum(len(t.events) for t in tickets)} audit events")
    clock_only = timed("baseline: one clock_state per ticket", lambda: [
        clock_state(policy, clock_events(t), AS_OF) for t in tickets])
    results: list[SlaReport] = []
    report_time = timed("month report (build_report)", lambda: results.append(
        build_report("Bench", policy, tickets, period, AS_OF, commencement=date(2025, 4, 1))))
    timed("CSV of the report", lambda: report_csv(results[0]))
    print(f"report / baseline (cpu): {report_time / clock_only:.2f}x; report under 2 s of cpu: "
          f"{'yes' if report_time < 2 else 'NO'}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.no_store:
        asyncio.run(from_storage(tickets, clock_only))


async def from_storage(synthetic: list[ReportTicket], clock_only: float) -> None:
    """The whole path of `report` in chat: the gate, the tickets and events from SQLite, the report, its CSV."""
    config = load_config(None)
    customer = config.customer("vodafone-demo")
    assert customer is not None
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'report.db'}")
        await db.migrate()
        await stored_tickets.store(db, customer, synthetic)
        services = Services(settings=Settings(local=True), config=config, db=db, tickets=TicketStore(db),
                            conversations=ConversationStore(db), state=None,  # type: ignore[arg-type]
                            clock=FixedClock(AS_OF), connector=None, telemetry=None)  # type: ignore[arg-type]
        engineer = ActorContext(aad_id=sorted(customer.engineers)[0], mri=None, name="Bench", tenant=min(
            config.msp.tenants), service_url=None)
        wall, cpu = time.perf_counter(), time.process_time()
        report = await customer_report(services, TicketGate(services), engineer, customer.id, Month(*MONTH))
        assert report is not None
        report_csv(report)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await db.close()
    print(f"{'report from SQLite (gate, load, report, CSV)':<40} wall {wall:7.3f} s   cpu {cpu:7.3f} s")
    print(f"from storage / baseline (cpu): {cpu / clock_only:.2f}x; {report.tickets} tickets in the month; under 2 s "
          f"of cpu: {'yes' if cpu < 2 else 'NO'}")


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


if __name__ == "__main__":
    main()
