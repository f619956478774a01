"""Policy files' `[[rules]]` (classification) into rules and conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sla.facts import EQUIPMENT_OWNERS, FACT_NAMES, IMPACTS, RISK_LEVELS, SCOPES
from sla.model import CATEGORIES, Comparison, Condition, Rule
from sla.reader import Reader
from sla.services import SERVICES

OPS = ("eq", "ne", "gte", "gt", "lte", "lt", "in", "not_in", "known")
SERVICE_OPS = ("services_any", "services_only", "services_none")
FACTS = (*sorted(FACT_NAMES - {"services_affected"}), "scope", "single_user")
"""Facts a rule may test: the report's facts (``impact`` as given or inferred) and the derived ``scope`` and
``single_user``."""
CHOICES = {"impact": IMPACTS, "scope": SCOPES, "risk_event": RISK_LEVELS, "equipment_owner": EQUIPMENT_OWNERS}
"""Facts with a fixed set of values: a rule testing any other value is refused (a typo would never match)."""


def _condition(reader: Reader) -> Condition:
    comparisons: list[Comparison] = []
    groups: list[Condition] = []
    for fact, spec in reader.data.items():
        if fact == "any":
            items = reader.get("any", list)
            groups.extend(_condition(Reader(reader.source, f"{reader.path}.any[{i}]", g))
                          for i, g in enumerate(items))
        elif fact in SERVICE_OPS:
            services = reader.get(fact, list)
            unknown = [s for s in services if s not in SERVICES]
            if unknown:
                raise reader.fail(fact, f"unknown service ids {unknown!r}")
            comparisons.append(Comparison("services_affected", fact, frozenset(services)))
        elif fact in FACTS:
            comparisons.extend(_comparisons(reader, fact, spec))
        else:
            raise reader.fail(fact, f"unknown fact; known: {', '.join([*FACTS, *SERVICE_OPS, 'any'])}")
    return Condition(tuple(comparisons), tuple(groups))


def _comparisons(reader: Reader, fact: str, spec: Any) -> list[Comparison]:
    if isinstance(spec, list):
        spec = {"in": spec}
    elif not isinstance(spec, Mapping):
        spec = {"eq": spec}
    else:
        reader.sub(fact).only(OPS)
        if any(op in ("in", "not_in") and not isinstance(v, list) for op, v in spec.items()):
            raise reader.fail(fact, "in / not_in take a list of values")
    found = [Comparison(fact, op, frozenset(v) if op in ("in", "not_in") else v) for op, v in spec.items()]
    for comparison in found:
        _check_values(reader, comparison)
    return found


def _check_values(reader: Reader, comparison: Comparison) -> None:
    if comparison.op == "known":
        if not isinstance(comparison.value, bool):
            raise reader.fail(comparison.fact, "known takes true or false")
        return
    allowed = CHOICES.get(comparison.fact)
    values = comparison.value if isinstance(comparison.value, frozenset) else {comparison.value}
    wrong = sorted(str(v) for v in values if allowed is not None and v not in allowed)
    if wrong:
        raise reader.fail(comparison.fact, f"{wrong[0]!r} is not a value of {comparison.fact}; one of "
                                           f"{', '.join(allowed or ())}")


def rules_from(reader_list: list[Any], source: str, priorities: tuple[str, ...]) -> tuple[Rule, ...]:
    rules = []
    for i, item in enumerate(reader_list):
        reader = Reader(source, f"rules[{i}]", item)
        reader.only(("id", "category", "priority", "quote", "seed", "when", "fallback"))
        priority = reader.get("priority", str, None)
        if priority is not None and priority not in priorities:
            raise reader.fail("priority", f"must be one of {', '.join(priorities)}; got {priority!r}")
        rules.append(Rule(
            id=reader.get("id", str), category=reader.choice("category", CATEGORIES, "incident"),
            priority=priority, quote=reader.get("quote", str), seed=reader.get("seed", str),
            when=_condition(reader.sub("when", required=False)),
            fallback=reader.get("fallback", bool, False),
        ))
    return tuple(rules)
