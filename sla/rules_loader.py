"""Policy files' `[[rules]]` (classification) into rules and conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sla.classify import FACT_NAMES
from sla.model import CATEGORIES, Comparison, Condition, Rule
from sla.reader import Reader
from sla.services import SERVICES

OPS = ("eq", "ne", "gte", "gt", "lte", "lt")
SERVICE_OPS = ("services_any", "services_only", "services_none")
FACTS = (*sorted(FACT_NAMES - {"services_affected"}), "single_user")
"""Facts a rule may test: the report's facts and the derived ``single_user``."""


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
    if not isinstance(spec, Mapping):
        return [Comparison(fact, "eq", spec)]
    sub = reader.sub(fact)
    sub.only(OPS)
    return [Comparison(fact, op, value) for op, value in spec.items()]


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
