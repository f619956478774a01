"""Faultline's SLA engine: contracts as data, calendars, deadlines, clock state and classification.

Pure: nothing here reads the clock or does I/O beyond reading the shipped policy files when asked.
"""

from sla.classify import Classification, classify
from sla.deadlines import Deadlines, deadlines
from sla.errors import CalendarError, PolicyError, RequestError, SlaError, UnknownPolicyError
from sla.loader import PolicyLibrary, load_policy_file, policy_from_mapping
from sla.model import Policy

__all__ = [
    "CalendarError",
    "Classification",
    "Deadlines",
    "Policy",
    "PolicyError",
    "PolicyLibrary",
    "RequestError",
    "SlaError",
    "UnknownPolicyError",
    "classify",
    "deadlines",
    "load_policy_file",
    "policy_from_mapping",
]
