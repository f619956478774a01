"""Activities to JSON without msrest's per-call validation (a turn sends several; msrest costs ~0.5 ms each)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from msrest.serialization import Model

_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json(value: Any) -> Any:
    """The Bot Framework JSON shape of a botbuilder model (camelCase keys, None left out)."""
    if type(value) in _PLAIN:  # most of a card: answered before the isinstance checks below
        return value
    if isinstance(value, Model):
        result = {spec["key"]: item if type(item) in _PLAIN else to_json(item)
                  for attr, spec in value._attribute_map.items()
                  if attr != "additional_properties" and (item := getattr(value, attr, None)) is not None}
        extra = getattr(value, "additional_properties", None)
        if extra:
            result.update({k: to_json(v) for k, v in extra.items()})
        return result
    # A card is mostly plain values: they are taken as they are, without a call each.
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value
