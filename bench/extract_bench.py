"""Free-text extraction cost per message, against a plain regex search over the same lines as the baseline.

Run: PYTHONPATH=. .venv/bin/python bench/extract_bench.py [--rounds 200]
Prints figures only.
"""

from __future__ import annotations

import argparse
import re
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config import load_config
from dialogs.extract import extract
from tests.test_extract import CASES, CTI_CASES, VODAFONE_CASES

NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)


def _best(work: Callable[[], object], rounds: int) -> float:
    """The fastest of several runs, in CPU seconds per run (a loaded machine inflates wall time)."""
    return min(timeit.Timer(work, timer=time.process_time).repeat(number=rounds, repeat=7)) / rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    lines = [text for text, _ in (*CASES, *VODAFONE_CASES, *CTI_CASES)]
    catalogue = dict(load_config(None).customers[0].services)
    tz = ZoneInfo("Europe/London")
    baseline = re.compile(r"\b(down|not working|choppy)\b")
    plain = _best(lambda: [baseline.search(line.lower()) for line in lines], rounds) / len(lines)
    each = _best(lambda: [extract(line, catalogue, now=NOW, tz=tz) for line in lines], rounds) / len(lines)
    print(f"messages: {len(lines)}, best of 7 x {rounds} rounds, CPU time")
    print(f"extract per message: {each * 1e6:.1f} µs")
    print(f"one regex search per message (baseline): {plain * 1e6:.2f} µs; ratio {each / plain:.0f}x")


if __name__ == "__main__":
    main()
