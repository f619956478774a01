"""The regression guard on a turn's cost: no kind of turn may cost more than 25 % more server CPU, relative to
botbuilder's echo bot measured in the same run, than bench/turn_cost_baseline.json records.

A ratio, not a time: both servers run on the same machine at the same moment, so a slower machine or a busy one
moves both. Each figure is the least of a few short rounds (noise only ever adds), a round's turns over the median
of that round's echo measurements (one of them now and then catches the echo bot collecting garbage), and when a
kind looks dearer every kind is measured up to twice more, each keeping its least, before the test fails. After a
deliberate change in a turn's cost, write the baseline again: `.venv/bin/python bench/turn_profile.py --baseline`
(and say why in the commit).
"""

from __future__ import annotations

import json

import pytest

from bench.turn_profile import BASELINE, KINDS, guard_ratios

GROWTH = 1.25


def grown(ratios: dict[str, float], baseline: dict[str, float]) -> dict[str, str]:
    """The kinds whose ratio to the echo bot grew by more than GROWTH, each with its figures."""
    return {kind: f"{ratios[kind]:.2f}x the echo bot, baseline {baseline[kind]:.2f}x"
            for kind in KINDS if ratios[kind] > GROWTH * baseline[kind]}


def test_grown_names_only_the_kinds_beyond_a_quarter_more() -> None:
    baseline = dict.fromkeys(KINDS, 2.0)
    ratios = {**baseline, "confirm": 2.49, "refresh": 2.51}
    assert list(grown(ratios, baseline)) == ["refresh"]


@pytest.mark.slow  # runs in CI (.ci/run); about half a minute
async def test_no_kind_of_turn_costs_a_quarter_more_cpu_than_its_baseline() -> None:
    baseline = json.loads(BASELINE.read_text())["ratios"]
    least = await guard_ratios()
    for _ in range(2):  # measured again, each kind keeping its least: a real growth shows every time, noise seldom
        if not grown(least, baseline):
            break
        again = await guard_ratios()
        least = {kind: min(least[kind], again[kind]) for kind in KINDS}
    dearer = grown(least, baseline)
    assert not dearer, f"turns dearer than their baseline ({BASELINE.name}): {dearer}"
