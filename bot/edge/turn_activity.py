"""The turn's botbuilder `Activity`, built from the edge's checked body without msrest's deserializer.

msrest's `Activity().deserialize` walks every attribute of every model through its generic key extractors (about a
tenth of a millisecond a turn). The checked body holds a few known fields of known types (`bot.edge.wire`), so the
same objects are built directly from each model's attribute map: a wire key the model declares becomes that
attribute (a nested model built the same way), any other key goes to ``additional_properties``, and every attribute
not sent is None — exactly what msrest builds (tests/bot/test_turn_activity.py compares the two).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from botbuilder import schema
from botbuilder.schema import Activity
from msrest.serialization import Model

_AS_IS = frozenset({"str", "bool", "object", "int", "float"})
Build = Callable[[Any], Any]


def turn_activity(body: Mapping[str, Any]) -> Activity:
    """The botbuilder Activity of a body checked by `bot.edge.wire.Activity.forward`."""
    built: Activity = _model(Activity, body)
    return built


def _model(cls: type[Model], data: Mapping[str, Any]) -> Any:
    slots, empty = _slots(cls)  # type: ignore[arg-type]  # classes are hashable; msrest marks Model unhashable
    known, extra = dict(empty), {}
    for key, value in data.items():
        slot = slots.get(key)
        if slot is None:
            extra[key] = value
        else:
            known[slot[0]] = None if value is None else slot[1](value)
    made = cls(**known)
    made.additional_properties = extra
    return made


@cache
def _slots(cls: type[Model]) -> tuple[dict[str, tuple[str, Build]], dict[str, None]]:
    """{wire key: (attribute, how to build its value)} and every attribute set to None, for one model class."""
    readonly = {name for name, rule in getattr(cls, "_validation", {}).items() if rule.get("readonly")}
    slots = {spec["key"]: (name, _builder(spec["type"])) for name, spec in cls._attribute_map.items()
             if name != "additional_properties" and name not in readonly}
    return slots, {name: None for name, _ in slots.values()}


def _builder(kind: str) -> Build:
    if kind in _AS_IS:
        return _as_is
    if kind.startswith("[") and kind.endswith("]"):
        item = _builder(kind[1:-1])
        return lambda values: [None if value is None else item(value) for value in values]
    model = getattr(schema, kind, None)
    if isinstance(model, type) and issubclass(model, Model):
        return lambda value: _model(model, value)
    return _unbuildable(kind)


def _unbuildable(kind: str) -> Build:
    """A field of a kind the checked body never carries (dates, for instance): refused, not guessed."""
    def refuse(value: Any) -> Any:
        raise TypeError(f"no direct build for a {kind!r} field; the edge should not have let it through")

    return refuse


def _as_is(value: Any) -> Any:
    return value
