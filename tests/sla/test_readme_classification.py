"""The README's Classification section shows what the classifier answers, and documents every fact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sla import PolicyLibrary
from sla.classify import classify, facts_from_mapping
from sla.fact_docs import DERIVED_DOCS, FACT_DOCS
from sla.undecided import UNDECIDED_FACTS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("\n## Classification\n"):]
LIB = PolicyLibrary.load()


def _rows() -> list[tuple[str, str, str]]:
    """(policy, facts JSON, answer cell) for every example row, by the heading above it."""
    rows, policy = [], ""
    for line in SECTION.splitlines():
        heading = re.match(r"#### .*\(`([a-z0-9-]+)`\)$", line)
        if heading:
            policy = heading[1]
        cells = [c.strip() for c in line.split(" | ")]
        if policy and len(cells) == 4 and cells[1].startswith("`{"):
            rows.append((policy, cells[1].strip("`"), cells[2]))
    return rows


ROWS = _rows()
CHECKED = ROWS + [("duocall-legacy-protect", f, a) for p, f, a in ROWS if p == "duocall-standard"]


def test_every_priority_of_each_priority_based_policy_has_an_example() -> None:
    shown = {policy for policy, _, _ in ROWS}
    assert shown == {"maintel-icon", "vodafone-vone-m", "cloudcti", "duocall-standard"}
    for policy in shown:
        answered = {m[1] for p, _, a in ROWS if p == policy and (m := re.match(r"\*\*(P\d)", a))}
        assert answered == set(LIB.get(policy).priority_ids), policy


@pytest.mark.parametrize(("policy", "facts", "answer"), CHECKED,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(CHECKED)])
def test_each_example_is_what_the_classifier_answers(policy: str, facts: str, answer: str) -> None:
    result = classify(LIB.get(policy), facts_from_mapping(json.loads(facts)))
    shown = result.priority or result.category
    assert answer.startswith(f"**{shown}")
    assert re.findall(r"`([a-z0-9_.]+)`", answer) == [r.id for r in result.rules]


def test_every_fact_and_every_undecided_name_is_documented() -> None:
    for doc in (*FACT_DOCS, *DERIVED_DOCS):
        assert f"| `{doc.name}` |" in SECTION
    for name in UNDECIDED_FACTS:
        assert f"- `{name}` —" in SECTION
