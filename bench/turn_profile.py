"""Server CPU per kind of turn — first message, an intake answer, the answer that brings the summary, confirm, an
engineer's card action, a refresh — as a ratio to botbuilder's echo bot measured in the same run, and per report.

Starts, each in its own process on loopback: the fake Bot Connector, Faultline (local mode, SQLite in a temporary
folder, or --database) and the echo bot. Each round, N reporters (C at a time) send their first message, then one
answer, then whatever else their report needs up to the summary card (not measured as a kind; this learns after
which answer the summary comes); N more send their first message and every answer but the one that brings the
summary card (not measured), then that one ("summary answer": like for like across intakes, however many questions
come before it); the first N then send "confirm"; an engineer then acknowledges each new ticket from its card and
refreshes it. From the second round on, the new intake first offers the open tickets of earlier rounds ("Same
problem?", answered "no": intake_bench.ANSWERS). Each kind runs right after N messages to the echo bot. The CPU the
server process
used (user + system, every thread; the messages it sent afterwards included) while one kind ran, divided by its
turns, is that kind's cost; each figure is the median of --rounds rounds. "Per report" is all the CPU of the first
N reports' intake turns (first message, every answer, confirm) divided by N.

--tree [NAME=]PATH (repeatable) also runs Faultline from another checkout (for example `git archive 1dd7e2d | tar -x
-C /tmp/old`), kind by kind in turn with this one, and prints new / NAME: a tree without dialogs/extract.py gets the
old intake's fixed answers (intake_bench.OLD_SCRIPT).

--profile FILE runs this checkout's server under pyinstrument and writes its report to FILE (HTML for a .html name,
pyinstrument's session for .pyisession, else text), or, for a .prof name, under cProfile counting the main thread's
CPU time (read it with `python -m pstats FILE`); its CPU figures are then not comparable.

Run: scripts/setup bench && nice .venv/bin/python bench/turn_profile.py [--reporters 40] [--rounds 3] [--concurrency 4]
     nice .venv/bin/python bench/turn_profile.py --tree /tmp/old        (old and new, same run, ratios)
     nice .venv/bin/python bench/turn_profile.py --tree before=/tmp/before --tree old=/tmp/old
     .venv/bin/python bench/turn_profile.py --profile /tmp/turn.html --rounds 1     (or /tmp/turn.prof: cProfile)
     nice .venv/bin/python bench/turn_profile.py --baseline    (after a deliberate change in a turn's cost)
Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake_bench import (
    OLD_SCRIPT,
    REPORT,
    activity,
    answer,
    cpu_seconds,
    free_port,
    fresh_database,
    start,
    wait_alive,
)

ROOT = Path(__file__).resolve().parents[1]
MSP_TENANT = "00000000-0000-0000-0000-0000000000aa"
ENGINEER = "00000000-0000-0000-0000-00000000e001"  # an engineer of every demo customer
SETTLE = 0.25
ECHOES = 5_000
"""The echo bot's conversations are numbered from a round's first plus this (the connector keeps replies by it)."""
KINDS = ("first", "answer", "summary", "confirm", "acknowledge", "refresh")
LABELS = {"echo": "echo bot message (baseline)", "first": "first message", "answer": "intake answer (the first)",
          "summary": "summary answer (brings the card)", "confirm": "confirm (opens the ticket)",
          "acknowledge": "engineer acknowledges (card)", "refresh": "card refresh (invoke)",
          "report": "per report (every intake turn)"}
REPORT_PARTS = ("first", "answer", "rest", "confirm")
"""What one report's intake turns cost together ("rest": the answers after the first, up to the summary)."""
SUMMARY_GROUP = 2_000
"""The summary answer's reporters are numbered from a server's first conversation plus this."""


Pick = Callable[[list[float]], float]
BASELINE = ROOT / "bench" / "turn_cost_baseline.json"
"""Each kind's CPU per turn over the echo bot's, as `guard_ratios` measured it (tests/bot/test_turn_cost.py)."""
GUARD = {"rounds": 4, "reporters": 12, "concurrency": 4}
"""The regression guard's short run: each kind's figure is the least of its rounds (noise only ever adds)."""


async def guard_ratios() -> dict[str, float]:
    """Each kind's server CPU per turn over the echo bot's per message, measured in one short run."""
    figures = await run({"new": ROOT}, pick=min, rounds=GUARD["rounds"], reporters=GUARD["reporters"],
                        concurrency=GUARD["concurrency"])
    return {kind: round(ratio, 3) for kind, ratio in figures["ratios"].items()}


@dataclass
class Server:
    """One running bot: where to post, its process, how it is driven."""

    url: str
    pid: int
    service_url: str
    old: bool = False
    tickets: int = 0  # tickets opened so far (ids are 1, 2, … in a fresh database)
    answers_to_summary: int = 0  # answers after the first message up to the summary card (learnt each round)
    failures: list[str] = field(default_factory=list)


def engineer_invoke(ticket: int, verb: str, service_url: str, turn: int) -> dict[str, Any]:
    """An adaptiveCard/action invoke from an engineer in the support channel."""
    body = activity(ticket, turn, "", service_url)
    body.pop("text")
    body.update(type="invoke", name="adaptiveCard/action",
                id=f"bench-invoke-{verb}-{ticket}-{turn}",
                value={"action": {"type": "Action.Execute", "verb": verb, "data": {"ticket": ticket}},
                       "trigger": "manual"},
                conversation={"id": "19:support@thread.tacv2", "conversationType": "channel", "tenantId": MSP_TENANT},
                channelData={"tenant": {"id": MSP_TENANT}})
    body["from"] = {"id": f"29:{ENGINEER}", "name": "Eng Alpha", "aadObjectId": ENGINEER}
    return body


async def post(session: aiohttp.ClientSession, server: Server, body: dict[str, Any]) -> None:
    async with session.post(server.url, json=body) as response:
        await response.read()
        if response.status >= 300:
            server.failures.append(f"{body.get('type')} {response.status}")


async def replies(session: aiohttp.ClientSession, server: Server, conversation: int) -> list[dict[str, Any]]:
    from urllib.parse import quote

    from intake_bench import conversation_id

    async with session.get(f"{server.service_url}replies/{quote(conversation_id(conversation), safe='')}") as got:
        return list(await got.json())


class Reporter:
    """One report's conversation: what it sent, and what it says next."""

    def __init__(self, server: Server, conversation: int) -> None:
        self.server, self.conversation, self.sent = server, conversation, 0
        self.summarised = self.seen_summary = False
        self.next: str | None = OLD_SCRIPT[0] if server.old else REPORT

    async def say(self, session: aiohttp.ClientSession) -> None:
        assert self.next is not None
        text = self.next
        await post(session, self.server, activity(self.conversation, self.sent, text, self.server.service_url))
        self.sent += 1
        said = await replies(session, self.server, self.conversation)
        shown = text != "confirm" and answer(said) == "confirm"  # the summary, or the reminder to confirm it
        self.summarised = shown and not self.seen_summary  # this message brought the summary card
        self.seen_summary = self.seen_summary or shown
        if self.summarised:
            self.server.answers_to_summary = self.sent - 1
        if self.server.old:  # the fixed answers, up to the summary (the old intake takes the first as description)
            self.next = "confirm" if shown else OLD_SCRIPT[self.sent] if self.sent < len(OLD_SCRIPT) else None
        else:
            self.next = None if text == "confirm" else answer(said)
        if self.next is None and text != "confirm":
            self.server.failures.append(f"no answer after {text!r}")

    async def until_last_answer(self, session: aiohttp.ClientSession) -> None:
        """The first message and every answer but the one that brings the summary."""
        while self.sent < self.server.answers_to_summary:
            await self.say(session)

    async def summary_answer(self, session: aiohttp.ClientSession) -> None:
        """The answer that brings the summary card (it must)."""
        await self.say(session)
        if not self.summarised:
            self.server.failures.append(f"no summary after answer {self.sent - 1}")

    async def until_summary(self, session: aiohttp.ClientSession) -> None:
        while self.next not in (None, "confirm") and self.sent < 20:
            await self.say(session)


async def bounded(jobs: Sequence[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


def thread_cpu(pid: int) -> dict[str, int]:
    """CPU nanoseconds of each live thread of the process (its schedstat); empty where Linux does not say."""
    found: dict[str, int] = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            found[tid] = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
    except (OSError, ValueError):
        return {}
    return found


@asynccontextmanager
async def cpu_of(pid: int, turns: int, into: list[float]) -> AsyncIterator[None]:
    """Append the process's CPU milliseconds per turn spent inside the block (and in what it set off): to the
    nanosecond from each thread's schedstat, or in clock ticks if a thread ended meanwhile (taking its time along)."""
    before, ticks = thread_cpu(pid), cpu_seconds(pid)
    yield
    await asyncio.sleep(SETTLE)  # messages sent after the turn (the outbox's kick) belong to it too
    after = thread_cpu(pid)
    if before and after and before.keys() <= after.keys():
        used = sum(after[tid] - before.get(tid, 0) for tid in after) / 1e9  # a new thread's time is all this block's
    else:
        used = cpu_seconds(pid) - ticks
    into.append(1000 * used / turns)


async def one_round(session: aiohttp.ClientSession, servers: dict[str, Server], echo: Server, first: int,
                    reporters: int, concurrency: int, costs: dict[str, dict[str, list[float]]]) -> None:
    """Every kind once for ``reporters`` conversations on each server, kind by kind, the servers one after the
    other; each kind right after as many messages to the echo bot (``echo@kind``), so they see the machine alike."""
    people = {name: [Reporter(server, first + n * 10_000 + i) for i in range(reporters)]
              for n, (name, server) in enumerate(servers.items())}  # conversations never repeat: one connector
    echoes = costs.setdefault("echo", {})

    async def measure(kind: str, jobs: Mapping[str, Sequence[Callable[[], Awaitable[None]]]]) -> None:
        async with cpu_of(echo.pid, reporters, echoes.setdefault(f"echo@{kind}", [])):
            await bounded([lambda i=i: post(session, echo, activity(  # type: ignore[misc]
                first + ECHOES + i, 0, "our phones are down", echo.service_url)) for i in range(reporters)],
                concurrency)
        for name, server in servers.items():
            async with cpu_of(server.pid, len(jobs[name]), costs.setdefault(name, {}).setdefault(kind, [])):
                await bounded(jobs[name], concurrency)

    def each(step: Callable[[Reporter], Awaitable[None]], group: dict[str, list[Reporter]] | None = None,
             ) -> dict[str, list[Callable[[], Awaitable[None]]]]:
        return {name: [lambda p=p: step(p) for p in reporting]  # type: ignore[misc]
                for name, reporting in (group or people).items()}

    await measure("first", each(lambda p: p.say(session)))
    await measure("answer", each(lambda p: p.say(session)))
    for name, jobs in each(lambda p: p.until_summary(session)).items():  # learns after which answer the summary comes
        async with cpu_of(servers[name].pid, reporters, costs.setdefault(name, {}).setdefault("rest", [])):
            await bounded(jobs, concurrency)
    summing = {name: [Reporter(server, first + n * 10_000 + SUMMARY_GROUP + i) for i in range(reporters)]
               for n, (name, server) in enumerate(servers.items())}
    for jobs in each(lambda p: p.until_last_answer(session), summing).values():
        await bounded(jobs, concurrency)
    await measure("summary", each(lambda p: p.summary_answer(session), summing))
    await measure("confirm", each(lambda p: p.say(session)))
    opened = {name: range(server.tickets + 1, server.tickets + reporters + 1) for name, server in servers.items()}
    for server in servers.values():
        server.tickets += reporters
    for verb, kind in (("ticket.acknowledge", "acknowledge"), ("refresh", "refresh")):
        await measure(kind, {name: [lambda s=server, t=t, v=verb: post(session, s, engineer_invoke(  # type: ignore[misc]
            t, v, s.service_url, first)) for t in opened[name]] for name, server in servers.items()})
    for name, server in servers.items():
        if server.failures:
            raise SystemExit(f"{name}: turns failed: {server.failures[:5]}")


async def measure_servers(servers: dict[str, Server], echo: Server, rounds: int, reporters: int,
                          concurrency: int, pick: Pick = statistics.median) -> dict[str, dict[str, float]]:
    """CPU ms per turn of each kind (``pick`` of the rounds' figures), per server; the echo bot's under "echo", and
    under "ratios" the first server's over the echo bot's, round by round, then picked. A round's echo figure is the
    median of its six (one before each kind): one of them now and then catches the echo bot's own garbage collection
    (a third dearer), and a ratio to that one alone made a kind look a fifth cheaper than it is."""
    costs: dict[str, dict[str, list[float]]] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2 * concurrency + 10)) as session:
        for round_ in range(rounds + 1):  # round 0 warms up (imports, caches, the pool) and is not counted
            await one_round(session, servers, echo, round_ * 100_000, reporters, concurrency, costs if round_ else {})
    echoes = {kind: costs["echo"].pop(f"echo@{kind}") for kind in KINDS}
    costs["echo"] = {"echo": [cost for samples in echoes.values() for cost in samples]}
    for name in servers:
        costs[name]["report"] = [sum(parts) for parts in zip(*(costs[name][p] for p in REPORT_PARTS), strict=True)]
    figures = {name: {kind: pick(values) for kind, values in by_kind.items()} for name, by_kind in costs.items()}
    for name, server in servers.items():
        figures[name]["answers_to_summary"] = server.answers_to_summary
    measured = costs[next(iter(servers))]
    per_round = [statistics.median(round_) for round_ in zip(*echoes.values(), strict=True)]
    figures["ratios"] = {kind: pick([cost / echo for cost, echo in zip(measured[kind], per_round, strict=True)])
                         for kind in KINDS}
    return figures


def faultline_env(port: int, database: str, tree: Path) -> dict[str, str]:
    return {"FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": database, "FAULTLINE_SCHEDULER_INTERVAL": "0",
            "FAULTLINE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(tree), "FAULTLINE_PORT": str(port)}


async def run(trees: dict[str, Path], *, rounds: int, reporters: int, concurrency: int, database: str = "",
              profile: Path | None = None, pick: Pick = statistics.median) -> dict[str, dict[str, float]]:
    """Start everything, measure, stop everything: {server name: {kind: CPU ms per turn}} (echo under "echo")."""
    ports = {name: free_port() for name in ("connector", "echo", *trees)}
    service_url = f"http://127.0.0.1:{ports['connector']}/"
    with tempfile.TemporaryDirectory() as folder:
        processes = [start(["bench/fake_connector.py", str(ports["connector"])]),
                     start(["bench/echo_bot.py", str(ports["echo"])])]
        servers: dict[str, Server] = {}
        try:
            for n, (name, tree) in enumerate(trees.items()):
                url = f"{database}_{n}" if database else f"sqlite+aiosqlite:///{folder}/{name}.db"
                if database:
                    fresh_database(url)
                command = ["-m", "bot", "--port", str(ports[name])]
                if profile is not None and n == 0:
                    if profile.suffix == ".prof":  # cProfile's statistics (pstats), CPU time of the main thread
                        command = ["-c", CPROFILE, str(profile), "--port", str(ports[name])]
                    else:
                        renderer = {".html": "html", ".pyisession": "pyisession"}.get(profile.suffix, "text")
                        command = ["-m", "pyinstrument", "-i", "0.0005", "-r", renderer, "-o", str(profile),
                                   *command]
                processes.append(start(command, faultline_env(ports[name], url, tree), cwd=tree))
                old = not (tree / "dialogs" / "extract.py").exists()
                servers[name] = Server(f"http://127.0.0.1:{ports[name]}/api/messages", processes[-1].pid,
                                       service_url, old=old)
            async with aiohttp.ClientSession() as session:
                for name, port in ports.items():
                    probe = "stats" if name == "connector" else "healthz"
                    await wait_alive(session, f"http://127.0.0.1:{port}/{probe}")
            echo = Server(f"http://127.0.0.1:{ports['echo']}/api/messages", processes[1].pid, service_url)
            return await measure_servers(servers, echo, rounds, reporters, concurrency, pick)
        finally:
            for process in reversed(processes):
                process.send_signal(2) if profile is not None else process.terminate()  # pyinstrument writes on ^C
                process.wait(timeout=60)


CPROFILE = """import cProfile, runpy, sys, time
profiler = cProfile.Profile(time.thread_time)
out, sys.argv = sys.argv[1], ["bot", *sys.argv[2:]]
profiler.enable()
try:
    runpy.run_module("bot", run_name="__main__")
finally:
    profiler.disable()
    profiler.dump_stats(out)
"""


def show(figures: dict[str, dict[str, float]], names: list[str]) -> None:
    echo = figures["echo"]["echo"]
    print(f"  {LABELS['echo']:<33} {echo:6.2f} ms")
    header = "".join(f"{name + ' ms':>11}{name + '/echo':>11}" for name in names)
    versus = "".join(f"{'new/' + name:>11}" for name in names[1:])
    print(f"  {'kind of turn':<33}{header}{versus}")
    for kind in (*KINDS, "report"):
        cells = "".join(f"{figures[n][kind]:11.2f}{figures[n][kind] / echo:10.2f}x" for n in names)
        ratios = "".join(f"{figures['new'][kind] / figures[n][kind]:10.2f}x" for n in names[1:])
        print(f"  {LABELS[kind]:<33}{cells}{ratios}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reporters", type=int, default=40, help="conversations per round (each kind's turns)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="turns in flight at once (above 4 the SQLite pool opens and closes connections, and a "
                             "closed connection's thread takes its CPU time along: the figures fall back to ticks)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (after one warm-up round)")
    parser.add_argument("--tree", action="append", default=[], metavar="[NAME=]PATH",
                        help="also run this checkout (NAME: old by default), and print new / NAME; repeatable")
    parser.add_argument("--database", default="", help="a PostgreSQL URL prefix (databases NAME_0, NAME_1 are "
                                                       "dropped and created afresh); default SQLite")
    parser.add_argument("--baseline", action="store_true",
                        help=f"measure as the regression guard does and write {BASELINE.name}")
    parser.add_argument("--profile", type=Path, help="run this checkout's server under pyinstrument; its report "
                                                     "here (HTML for a .html name, else text)")
    args = parser.parse_args()
    if args.baseline:  # the median of three guard measurements, so the baseline is not a lucky one
        runs = [await guard_ratios() for _ in range(3)]
        ratios = {kind: statistics.median(run[kind] for run in runs) for kind in KINDS}
        BASELINE.write_text(json.dumps({"measured": GUARD, "ratios": ratios}, indent=2) + "\n")
        print(f"wrote {BASELINE}: {ratios}")
        return
    trees = {"new": ROOT}
    for given in args.tree:
        name, _, path = given.rpartition("=")
        trees[name or "old"] = Path(path).resolve()
    figures = await run(trees, rounds=args.rounds, reporters=args.reporters, concurrency=args.concurrency,
                        database=args.database, profile=args.profile)
    print(f"Server CPU per turn (median of {args.rounds} rounds of {args.reporters} turns per kind, "
          f"{args.concurrency} at a time; {args.database or 'SQLite'})")
    for name, tree in trees.items():
        print(f"  {name}: {tree} (the summary after answer {figures[name]['answers_to_summary']:g})")
    show(figures, list(trees))
    if args.profile:
        print(f"pyinstrument report of the new server: {args.profile}")


if __name__ == "__main__":
    asyncio.run(main())
