"""Intake turns per second and turn latency at N concurrent reporters, against botbuilder's echo bot.

Starts, each in its own process on loopback: the fake Bot Connector, Faultline (local mode, SQLite in a
temporary folder) and the echo bot (CloudAdapter). N reporters then run a full text intake each (report,
seven answers, confirm), and the same N run as many turns against the echo bot.

Run: scripts/setup bench && .venv/bin/python bench/intake_bench.py [--reporters 50] [--rounds 3]
     .venv/bin/python bench/intake_bench.py --confirm [--reporters 60]   (the confirm turn alone: p50 / p99)
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
SCRIPT = ["our phones are down", "10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no",
          "Callers hear a busy tone on the main number", "confirm"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_alive(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(1200):  # a loaded machine takes a while to import everything
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def activity(n: int, turn: int, text: str, service_url: str) -> dict[str, Any]:
    user = f"00000000-0000-0000-0000-{n:012d}"
    return {"type": "message", "id": f"bench-{n}-{turn}-{time.monotonic_ns()}", "channelId": "msteams",
            "serviceUrl": service_url, "text": text, "localTimezone": "Europe/London",
            "from": {"id": f"29:{user}", "name": f"Reporter {n}", "aadObjectId": user},
            "recipient": {"id": "28:bot", "name": "Bot"},
            "conversation": {"id": f"a:bench-{n}", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}}}


async def reporter(session: aiohttp.ClientSession, url: str, n: int, rounds: int, service_url: str,
                   latencies: list[float], failures: list[int], think: float,
                   confirms: list[float] | None = None) -> None:
    rng = random.Random(n)
    for round_ in range(rounds):
        for turn, text in enumerate(SCRIPT):
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            began = time.perf_counter()
            async with session.post(url, json=activity(n * 1000 + round_, turn, text, service_url)) as response:
                await response.read()
                if response.status >= 300:
                    failures.append(response.status)
            latencies.append(time.perf_counter() - began)
            if confirms is not None and turn == len(SCRIPT) - 1:
                confirms.append(latencies[-1])


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


async def load(url: str, reporters: int, rounds: int, service_url: str, think: float = 0.0,
               confirms: list[float] | None = None) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[int] = []
    connector = aiohttp.TCPConnector(limit=reporters + 10)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(reporter(session, url, n, rounds, service_url, latencies, failures, think, confirms)
                               for n in range(reporters)))
        elapsed = time.perf_counter() - began
    p50, p99 = percentiles(latencies)
    return {"turns": len(latencies), "seconds": elapsed, "tps": len(latencies) / elapsed, "p50": p50, "p99": p99,
            "failures": len(failures)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured(url: str, pid: int, reporters: int, rounds: int, service_url: str,
                   think: float = 0.0) -> dict[str, float]:
    before = cpu_seconds(pid)
    figures = await load(url, reporters, rounds, service_url, think)
    figures["cpu_ms_per_turn"] = 1000 * (cpu_seconds(pid) - before) / figures["turns"]
    return figures


def show(label: str, figures: dict[str, float]) -> None:
    print(f"  {label:<34} {figures['tps']:8.1f} turns/s   p50 {figures['p50']:7.1f} ms   "
          f"p99 {figures['p99']:7.1f} ms   server CPU {figures['cpu_ms_per_turn']:5.1f} ms/turn   "
          f"({int(figures['turns'])} turns, {int(figures['failures'])} failed)")


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in ``url`` (psql on the same server)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U",
                        parsed.username or "postgres", "-d", "postgres", "-qc", statement], check=True)


async def confirm_latency(url: str, reporters: int, rounds: int, service_url: str) -> None:
    """The confirm turn's latency while every reporter runs full reports back to back."""
    confirms: list[float] = []
    figures = await load(url, reporters, rounds, service_url, confirms=confirms)
    p50, p99 = percentiles(confirms)
    print(f"{reporters} concurrent reporters, {rounds} full text report(s) each, no pause between messages")
    print(f"  confirm turn   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({len(confirms)} confirms)")
    print(f"  every turn     p50 {figures['p50']:7.1f} ms   p99 {figures['p99']:7.1f} ms   "
          f"({int(figures['turns'])} turns, {int(figures['failures'])} failed)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="full reports per reporter")
    parser.add_argument("--think", type=float, default=2.0, help="seconds a person takes between messages")
    parser.add_argument("--database", default="",
                        help="a PostgreSQL URL for Faultline (dropped and created afresh); default SQLite")
    parser.add_argument("--confirm", action="store_true",
                        help="measure the confirm turn alone (Faultline only, saturation, --rounds reports each)")
    args = parser.parse_args()
    ports = {name: free_port() for name in ("connector", "faultline", "echo")}
    service_url = f"http://127.0.0.1:{ports['connector']}/"
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite+aiosqlite:///{folder}/bench.db"
        if args.database:
            fresh_database(args.database)
        processes = [
            start(["bench/fake_connector.py", str(ports["connector"])]),
            # Turns alone: the scheduler's own work (pings for the tickets opened here) is scheduler_bench's, and
            # neither bot logs each turn at INFO (the echo bot logs nothing at all).
            start(["-m", "bot", "--port", str(ports["faultline"])],
                  {"FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_URL": database,
                   "FAULTLINE_SCHEDULER_INTERVAL": "0", "FAULTLINE_LOG_LEVEL": "WARNING"}),
            start(["bench/echo_bot.py", str(ports["echo"])]),
        ]
        try:
            async with aiohttp.ClientSession() as session:
                for name, port in ports.items():
                    probe = "stats" if name == "connector" else "healthz"
                    await wait_alive(session, f"http://127.0.0.1:{port}/{probe}")
            if args.confirm:
                await confirm_latency(f"http://127.0.0.1:{ports['faultline']}/api/messages", args.reporters,
                                      args.rounds, service_url)
                return
            print(f"{args.reporters} concurrent reporters, {args.rounds} full text reports each "
                  f"({len(SCRIPT)} turns per report), everything on loopback")
            urls = {name: f"http://127.0.0.1:{ports[name]}/api/messages" for name in ("echo", "faultline")}
            pids = {"echo": processes[2].pid, "faultline": processes[1].pid}
            print("\nSaturation (each reporter sends its next message as soon as the last is answered):")
            echo = await measured(urls["echo"], pids["echo"], args.reporters, args.rounds, service_url)
            faultline = await measured(urls["faultline"], pids["faultline"], args.reporters, args.rounds, service_url)
            show("botbuilder echo bot (CloudAdapter)", echo)
            show("Faultline intake", faultline)
            print(f"  throughput ratio Faultline / echo bot: {faultline['tps'] / echo['tps']:.2f}x")
            print(f"\nPeople typing (a pause of {args.think:g} s ± 50% before each message):")
            for name, label in (("echo", "botbuilder echo bot (CloudAdapter)"), ("faultline", "Faultline intake")):
                show(label, await measured(urls[name], pids[name], args.reporters, 1, service_url, args.think))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
