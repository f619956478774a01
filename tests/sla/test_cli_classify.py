"""`python -m sla classify`: the facts documented in --help, and the undecided facts shown to a person."""

from __future__ import annotations

import io
import json

import pytest

from sla.cli import main
from sla.fact_docs import DERIVED_DOCS, FACT_DOCS


def test_help_documents_every_fact_with_its_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["classify", "--help"])
    shown = capsys.readouterr().out
    for doc in (*FACT_DOCS, *DERIVED_DOCS):
        assert f"  {doc.name} (" in shown
    assert "down | degraded | at_risk" in shown and "undecided" in shown


def test_readable_answer_says_which_unknown_facts_would_change_it() -> None:
    out = io.StringIO()
    status = main(["classify", "--policy", "vodafone-vone-m"],
                  io.StringIO(json.dumps({"services_affected": ["voice_quality"], "pct_users_affected": 100})), out)
    assert status == 0
    assert out.getvalue().splitlines() == [
        "incident, priority P3",
        "  because \u201ca) Degradation of Service components performance, including: Minor performance "
        "degradation\u201d (004:L47; rule vodafone.p3.a.minor_degradation)",
        "  would change with: voice_mos (not known)",
    ]


def test_a_wrong_impact_is_refused_with_the_values_to_send() -> None:
    out = io.StringIO()
    status = main(["classify", "--json-lines"],
                  io.StringIO(json.dumps({"policy": "maintel-icon", "facts": {"impact": "choppy"}})), out)
    assert status == 1
    assert json.loads(out.getvalue()) == {
        "error": "impact must be one of down, degraded, at_risk, or null; got 'choppy'"}


def test_readable_answer_lists_every_unknown_fact_that_would_change_it() -> None:
    out = io.StringIO()
    assert main(["classify", "--policy", "vodafone-vone-m"],
                io.StringIO(json.dumps({"services_affected": ["voice_quality"]})), out) == 0
    assert out.getvalue().splitlines()[-1] == "  would change with: users_affected, voice_mos (not known)"


def test_json_answer_is_indented_and_keeps_the_contracts_own_characters() -> None:
    out = io.StringIO()
    assert main(["classify", "--policy", "maintel-icon", "--json"], io.StringIO('{"is_question": true}'), out) == 0
    assert out.getvalue() == """{
  "policy": "maintel-icon",
  "category": "help_request",
  "priority": "P5",
  "rules": [
    {
      "id": "maintel.p5.help",
      "quote": "Priority 5 \u2013 Help Requests: Technical Assistance, Technical Requests, Knowledge Requests",
      "seed": "000:L50-53"
    }
  ],
  "undecided": []
}
"""


@pytest.mark.parametrize("stdin", ["[1]", '"down"', "7"])
def test_facts_that_are_not_an_object_are_refused_with_what_to_send(
        capsys: pytest.CaptureFixture[str], stdin: str) -> None:
    out = io.StringIO()
    assert main(["classify", "--policy", "maintel-icon"], io.StringIO(stdin), out) == 2
    assert (out.getvalue(), capsys.readouterr().err) == (
        "", 'error: send "facts": an object such as {"pct_users_affected": 60}\n')
