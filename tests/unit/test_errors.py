"""sla/errors.py: what a refusal carries, so a caller can say what was wrong without parsing the message."""

from __future__ import annotations

import pytest

from sla import PolicyError, SlaError, UnknownPolicyError


def test_an_unknown_policy_names_the_id_asked_for_and_the_known_ones() -> None:
    error = UnknownPolicyError("acme-gold", ["cloudcti", "voip-cat1"])
    assert error.policy_id == "acme-gold"
    assert str(error) == "unknown policy 'acme-gold'; known policies: cloudcti, voip-cat1"


def test_an_invalid_policy_names_the_file_the_key_and_the_problem() -> None:
    error = PolicyError("acme.toml", "rules[2].when", "unknown fact 'colour'")
    assert (error.source, error.key, error.problem) == ("acme.toml", "rules[2].when", "unknown fact 'colour'")
    assert str(error) == "acme.toml: rules[2].when: unknown fact 'colour'"


@pytest.mark.parametrize("error", [UnknownPolicyError("x", []), PolicyError("f", "k", "p")])
def test_every_refusal_is_an_sla_error(error: SlaError) -> None:
    assert isinstance(error, SlaError)
