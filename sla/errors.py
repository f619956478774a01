"""Errors raised by the SLA engine.

Hierarchy::

    SlaError                  anything the engine refuses
    ├── PolicyError           a policy file or snapshot is invalid (names file, key, problem)
    ├── UnknownPolicyError    no policy with that id
    ├── CalendarError         a calendar cannot produce the asked-for instant
    └── RequestError          a deadline / classification request is malformed
"""

from __future__ import annotations


class SlaError(Exception):
    """Base class of every error the engine raises on purpose."""


class PolicyError(SlaError):
    """A policy definition is invalid; the message names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


class UnknownPolicyError(SlaError):
    """No policy with the requested id is loaded."""

    def __init__(self, policy_id: str, known: list[str]) -> None:
        self.policy_id = policy_id
        super().__init__(f"unknown policy {policy_id!r}; known policies: {', '.join(known)}")


class CalendarError(SlaError):
    """A calendar has no working time in reach of the requested instant."""


class RequestError(SlaError):
    """A request to the engine is malformed; the message says what to send instead."""
