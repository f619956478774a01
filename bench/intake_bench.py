"""Intake turns per second and turn latency at N concurrent reporters, against botbuilder's echo bot.

Starts, each in its own process on loopback: the fake Bot Connector, Faultline (local mode, SQLite in a
temporary folder) and the echo bot (CloudAdapter). N reporters then run a full text intake each: a report
typed in one sentence, then an answer to whatever the bot asks (the question is read back from the fake
connector and recognised by its words, see ANSWERS), then "confirm" once the summary comes. The same N then send
as many turns against the echo bot (the texts one such report took).

--tree PATH runs Faultline from another checkout (for example an older commit exported with git archive) with
this folder's bench tools. A tree without dialogs/extract.py has the old intake, which asks every question in a
fixed order; --script auto (the default) then sends the old fixed answers (OLD_SCRIPT) instead.

Run: scripts/setup bench && .venv/bin/python bench/intake_bench.py [--reporters 50] [--rounds 3]
     .venv/bin/python bench/intake_bench.py --confirm [--reporters 60]   (the confirm turn alone: p50 / p99)
     .venv/bin/python bench/intake_bench.py --tree /tmp/oldmain           (the old code, old answers)
     .venv/bin/python bench/intake_bench.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/intake_bench
                                                      (SQLite and PostgreSQL side by side, same run)
Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
TENANT = "00000000-0000-0000-0000-000000000001"  # the demo Maintel customer
REPORT = "since 9:40 nobody at the Leeds office can make outbound calls, the other two sites are fine"
# The question's words (lower case, first match wins) → the answer; what the summary says → "confirm".
SUMMARY_WORDS = "reply “confirm” to open the ticket"
ANSWERS: list[tuple[tuple[str, ...], str]] = [
    (("same problem?",), "no, something else"),  # every reporter's report is its own here, though they read alike
    (("what's wrong", "in your own words"), REPORT),
    (("when did the problem start",), "10 minutes ago"),
    (("which services",), "1"),
    (("down (it can't be used", "“at risk”"), "down"),
    (("how many users",), "all"),
    (("how many sites",), "1 of 3"),
    (("mission-critical",), "no"),
    (("workaround",), "no"),
    (("how bad is the sound",), "no"),
    (("round-trip",), "not sure"),
    (("call channels",), "not sure"),
    (("happened before",), "no"),
    (("e-mails",), "not sure"),
    (("times a day",), "not sure"),
    (("backup path",), "no"),
    (("who supplied the equipment",), "provider"),
]
MAX_TURNS = 20  # a report that has not reached its summary by then counts as failed
# The old intake (before dialogs/extract.py) asked every question in this order.
OLD_SCRIPT = ["our phones are down", "10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no",
              "Callers hear a busy tone on the main number", "confirm"]


def answer(replies: list[dict[str, Any]]) -> str | None:
    """The next message for what the bot just said: "confirm" at the summary, else the question's answer."""
    said = " ".join(str(reply.get("text", "")) for reply in replies).lower()
    if SUMMARY_WORDS in said:
        return "confirm"
    # The last question asked is the one to answer (a turn may first acknowledge, then ask).
    for reply in reversed(replies):
        text = str(reply.get("text", "")).lower()
        for words, reply_text in ANSWERS:
            if any(word in text for word in words):
                return reply_text
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_alive(session: aiohttp.ClientSession, url: str, seconds: float = 60.0) -> None:
    """Wait for ``url`` to answer 200: start-up on a busy machine (imports, migrations) can take a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {seconds:g} s")


def conversation_id(n: int) -> str:
    return f"a:bench-{n}"


def activity(n: int, turn: int, text: str, service_url: str) -> dict[str, Any]:
    return chat_message("bench", n, text, service_url, turn=turn)


def chat_message(kind: str, n: int, text: str, service_url: str, *, turn: int | None = None, tenant: str = TENANT,
                 aad: str | None = None) -> dict[str, Any]:
    """Reporter ``n``'s message in their 1:1 chat "a:{kind}-{n}", as Teams sends it (a fresh activity id each time)."""
    user = aad or f"00000000-0000-0000-0000-{n:012d}"
    sent = f"{kind}-{n}-" + ("" if turn is None else f"{turn}-") + str(time.monotonic_ns())
    return {"type": "message", "id": sent, "channelId": "msteams",
            "serviceUrl": service_url, "text": text, "localTimezone": "Europe/London",
            "from": {"id": f"29:{user}", "name": f"Reporter {n}", "aadObjectId": user},
            "recipient": {"id": "28:bot", "name": "Bot"},
            "conversation": {"id": f"a:{kind}-{n}", "conversationType": "personal", "tenantId": tenant},
            "channelData": {"tenant": {"id": tenant}}}


class Run:
    """One load run's shared settings and samples."""

    def __init__(self, url: str, service_url: str, script: list[str] | None, think: float = 0.0,
                 confirms: list[float] | None = None, faultline: bool = True) -> None:
        self.url, self.service_url, self.think, self.confirms = url, service_url, think, confirms
        self.faultline = faultline  # the bot shows a summary before "confirm" (the echo bot does not)
        self.script = script  # fixed texts; None: answer what the bot asks
        self.latencies: list[float] = []
        self.failures: list[int] = []
        self.reports = 0
        self.transcript: list[str] = []  # the texts of the last report (the echo bot's script)


async def replies_to(session: aiohttp.ClientSession, run: Run, conversation: int) -> list[dict[str, Any]]:
    """What the bot sent to the conversation since the last look (the fake connector keeps it)."""
    from urllib.parse import quote

    async with session.get(f"{run.service_url}replies/{quote(conversation_id(conversation), safe='')}") as response:
        return list(await response.json())


async def reporter(session: aiohttp.ClientSession, run: Run, n: int, rounds: int) -> None:
    rng = random.Random(n)
    for round_ in range(rounds):
        conversation = n * 1000 + round_
        sent: list[str] = []
        text: str | None = run.script[0] if run.script else REPORT
        while text is not None:
            if run.think:  # a pause of 0 to 2 × think seconds (mean: think)
                await asyncio.sleep(rng.uniform(0.0, 2 * run.think))
            began = time.perf_counter()
            async with session.post(run.url, json=activity(conversation, len(sent), text, run.service_url)) as response:
                await response.read()
                if response.status >= 300:
                    run.failures.append(response.status)
            run.latencies.append(time.perf_counter() - began)
            sent.append(text)
            replies = await replies_to(session, run, conversation)  # read by the echo bot's reporters too
            if text == "confirm":
                if run.confirms is not None:
                    run.confirms.append(run.latencies[-1])
                run.reports += 1
                run.transcript = sent
                break
            if run.script is not None:
                text = run.script[len(sent)] if len(sent) < len(run.script) else None
                if text == "confirm" and run.faultline and answer(replies) != "confirm":
                    run.failures.append(0)  # the fixed answers did not reach the summary: they do not fit
                    text = None
            else:
                text = answer(replies)
                if text is None or len(sent) >= MAX_TURNS:  # a question the table does not know: the report fails
                    run.failures.append(0)
                    text = None


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


async def load(run: Run, reporters: int, rounds: int, first: int = 0) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=2 * reporters + 10)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(reporter(session, run, first + n, rounds) for n in range(reporters)))
        elapsed = time.perf_counter() - began
    p50, p99 = percentiles(run.latencies)
    turns = len(run.latencies)
    return {"turns": turns, "seconds": elapsed, "tps": turns / elapsed, "p50": p50, "p99": p99,
            "failures": len(run.failures), "reports": run.reports}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL server process on this machine (the server and its sessions)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split("(", 1)[1].split(")", 1)[0] == "postgres":
                found[int(stat.parent.name)] = cpu_seconds(int(stat.parent.name))
        except (OSError, IndexError):  # gone meanwhile
            continue
    return found


async def measured(run: Run, pid: int, reporters: int, rounds: int, database: bool = False) -> dict[str, float]:
    """The load's figures, with the server's CPU per turn (and, ``database``: PostgreSQL's own, which SQLite's
    figure includes, as it runs in the server's process)."""
    before, before_database = cpu_seconds(pid), database_cpu() if database else {}
    figures = await load(run, reporters, rounds)
    figures["cpu_ms_per_turn"] = 1000 * (cpu_seconds(pid) - before) / figures["turns"]
    if database:
        after = database_cpu()
        spent = sum(cpu - before_database.get(p, 0.0) for p, cpu in after.items())
        figures["database_ms_per_turn"] = 1000 * spent / figures["turns"]
    return figures


def show(label: str, figures: dict[str, float]) -> None:
    print(f"  {label:<34} {figures['tps']:8.1f} turns/s   p50 {figures['p50']:7.1f} ms   "
          f"p99 {figures['p99']:7.1f} ms   server CPU {figures['cpu_ms_per_turn']:5.1f} ms/turn   "
          f"({int(figures['turns'])} turns, {int(figures['failures'])} failed)")


def show_reports(figures: dict[str, float]) -> None:
    if figures["reports"]:
        per_report = figures["turns"] / figures["reports"]
        print(f"  {'':<34} {int(figures['reports'])} reports, {per_report:.2f} turns per report, "
              f"server CPU {per_report * figures['cpu_ms_per_turn']:.1f} ms per report")


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in ``url`` (psql on the same server)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U",
                        parsed.username or "postgres", "-d", "postgres", "-qc", statement], check=True)


async def confirm_latency(url: str, reporters: int, rounds: int, service_url: str, script: list[str] | None) -> None:
    """The confirm turn's latency while every reporter runs full reports back to back."""
    confirms: list[float] = []
    figures = await load(Run(url, service_url, script, confirms=confirms), reporters, rounds)
    p50, p99 = percentiles(confirms)
    print(f"{reporters} concurrent reporters, {rounds} full text report(s) each, no pause between messages")
    print(f"  confirm turn   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({len(confirms)} confirms)")
    print(f"  every turn     p50 {figures['p50']:7.1f} ms   p99 {figures['p99']:7.1f} ms   "
          f"({int(figures['turns'])} turns, {int(figures['failures'])} failed)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="full reports per reporter")
    parser.add_argument("--think", type=float, default=0.05,
                        help="mean seconds a reporter pauses before each message (uniformly 0 to twice that)")
    parser.add_argument("--database", default="",
                        help="a PostgreSQL URL for Faultline (dropped and created afresh); default SQLite")
    parser.add_argument("--postgres", default="", metavar="URL",
                        help="also run Faultline on this PostgreSQL database (dropped and created), in the same run, "
                             "and compare it with the first")
    parser.add_argument("--confirm", action="store_true",
                        help="measure the confirm turn alone (Faultline only, saturation, --rounds reports each)")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="run Faultline from this checkout (default: this one); the bench tools stay these")
    parser.add_argument("--script", choices=("auto", "new", "old"), default="auto",
                        help="new: answer what the bot asks; old: the old intake's fixed answers; auto: old if "
                             "the tree has no dialogs/extract.py")
    args = parser.parse_args()
    tree = args.tree.resolve()
    old = args.script == "old" or (args.script == "auto" and not (tree / "dialogs" / "extract.py").exists())
    script = OLD_SCRIPT if old else None
    names = ["connector", "faultline", "echo"] + (["postgresql"] if args.postgres else [])
    ports = {name: free_port() for name in names}
    service_url = f"http://127.0.0.1:{ports['connector']}/"
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite+aiosqlite:///{folder}/bench.db"
        for url in (args.database, args.postgres):
            if url:
                fresh_database(url)
        processes = {
            "connector": start(["bench/fake_connector.py", str(ports["connector"])]),
            # Turns alone: the scheduler's own work (pings for the tickets opened here) is scheduler_bench's, and
            # neither bot logs each turn at INFO (the echo bot logs nothing at all).
            "faultline": start_faultline(ports["faultline"], database, tree),
            "echo": start(["bench/echo_bot.py", str(ports["echo"])]),
        }
        if args.postgres:
            processes["postgresql"] = start_faultline(ports["postgresql"], args.postgres, tree)
        try:
            async with aiohttp.ClientSession() as session:
                for name, port in ports.items():
                    probe = "stats" if name == "connector" else "healthz"
                    await wait_alive(session, f"http://127.0.0.1:{port}/{probe}")
            if args.confirm:
                await confirm_latency(f"http://127.0.0.1:{ports['faultline']}/api/messages", args.reporters,
                                      args.rounds, service_url, script)
                return
            urls = {name: f"http://127.0.0.1:{ports[name]}/api/messages" for name in names[1:]}
            pids = {name: processes[name].pid for name in names[1:]}
            # One report first (not measured): it checks that the answers fit and gives the echo bot its texts.
            trial = Run(urls["faultline"], service_url, script)
            await load(trial, 1, 1, first=args.reporters)
            if trial.failures or not trial.reports:
                raise SystemExit(f"the trial report failed ({trial.failures}); sent: {trial.transcript}")
            echo_script = trial.transcript
            print(f"Faultline from {tree} ({'old fixed answers' if old else 'answers to what it asks'})")
            print(f"{args.reporters} concurrent reporters, {args.rounds} full text reports each "
                  f"({len(echo_script)} turns per report), everything on loopback")
            print("  a report: " + " → ".join(f"“{text}”" for text in echo_script))
            labels = {"echo": "botbuilder echo bot (CloudAdapter)", "faultline": f"Faultline intake ({kind(database)})",
                      "postgresql": "Faultline intake (PostgreSQL)"}
            for heading, rounds, think in (
                    ("Saturation (each reporter sends its next message as soon as the last is answered):",
                     args.rounds, 0.0),
                    (f"Reporters pausing 0–{2000 * args.think:g} ms before each message:", 1, args.think)):
                print(f"\n{heading}")
                order = ["echo", *(name for name in names[1:] if name != "echo")]
                figures = {name: await measured(Run(urls[name], service_url, echo_script if name == "echo" else script,
                                                    think, faultline=name != "echo"), pids[name], args.reporters,
                                                rounds, database=name == "postgresql")
                           for name in order}
                for name, measured_figures in figures.items():
                    show(labels[name], measured_figures)
                    if name != "echo":
                        show_reports(measured_figures)
                for name in names[1:]:
                    if name != "echo":
                        print(f"  {labels[name]} / echo bot: throughput "
                              f"{figures[name]['tps'] / figures['echo']['tps']:.2f}x, server CPU per turn "
                              f"{figures[name]['cpu_ms_per_turn'] / figures['echo']['cpu_ms_per_turn']:.2f}x")
                if args.postgres:
                    print(f"  PostgreSQL / {kind(database)}: throughput "
                          f"{figures['postgresql']['tps'] / figures['faultline']['tps']:.2f}x, server CPU per turn "
                          f"{figures['postgresql']['cpu_ms_per_turn'] / figures['faultline']['cpu_ms_per_turn']:.2f}x, "
                          f"p99 {figures['postgresql']['p99'] / figures['faultline']['p99']:.2f}x; PostgreSQL's own "
                          f"processes {figures['postgresql']['database_ms_per_turn']:.1f} ms CPU a turn besides")
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(timeout=10)


def start_faultline(port: int, database: str, tree: Path) -> subprocess.Popen[bytes]:
    return start(["-m", "bot", "--port", str(port)],
                 {"FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": database, "FAULTLINE_SCHEDULER_INTERVAL": "0",
                  "FAULTLINE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(tree)}, cwd=tree)


def kind(database: str) -> str:
    return "SQLite" if database.startswith("sqlite") else "PostgreSQL"


if __name__ == "__main__":
    asyncio.run(main())
