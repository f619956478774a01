"""Reading policy files (TOML) into `Policy` objects, with errors that name file, key and problem."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sla.calendar_loader import calendar_from
from sla.calendars import Calendar, WorkingCalendar
from sla.errors import CalendarError, PolicyError, UnknownPolicyError
from sla.model import CHANNELS, STARTS, TARGET_KEYS, UNPRIORITISED, Policy, Priority, Reading, TargetSpec
from sla.reader import Reader, read_toml
from sla.rules_loader import rules_from

__all__ = ["PolicyLibrary", "Reader", "load_policy_file", "policy_from_mapping", "read_toml"]

TARGET_RULES = {
    "duration": (),
    "none": (),
    "working_days_after_report_day": ("local_date", "rolled_to_opening"),
    "calendar_days": ("wall_clock", "elapsed", "from_next_opening"),
    "close_of_working_day": (),
}
SEED_REF = re.compile(r"^\d{3}(:L\d+([-–]\d+)?)?([,;] ?\d{3}(:L\d+([-–]\d+)?)?)*$")


# -- targets -------------------------------------------------------------------------------
def _duration(reader: Reader, calendars: Mapping[str, Calendar], calendar: str | None) -> timedelta | None:
    given = [k for k in ("minutes", "hours", "working_days") if k in reader.data]
    if len(given) > 1:
        raise reader.fail(given[1], f"give one of minutes, hours, working_days (also has {given[0]})")
    if not given:
        return None
    amount: float = reader.get(given[0], (int, float))
    if amount <= 0:
        raise reader.fail(given[0], "must be positive")
    if given[0] == "minutes":
        return timedelta(minutes=amount)
    if given[0] == "hours":
        return timedelta(hours=amount)
    cal = calendars.get(calendar or "")
    if not isinstance(cal, WorkingCalendar):
        raise reader.fail("working_days", "needs a working calendar to know how long a day is")
    try:
        return cal.day_length() * amount
    except CalendarError as exc:
        raise reader.fail("working_days", str(exc)) from None


TARGET_KEYS_ALLOWED = ("rule", "quote", "seed", "calendar", "minutes", "hours", "working_days", "days",
                       "mode", "start", "channels", "defer_out_of_hours", "strict",
                       "breach_grace_minutes", "reason", "pausable")


def _target(key: str, reader: Reader, calendars: Mapping[str, Calendar]) -> TargetSpec:
    reader.only(TARGET_KEYS_ALLOWED)
    rule = reader.choice("rule", TARGET_RULES, "duration")
    seed = reader.get("seed", str)
    if not SEED_REF.match(seed):
        raise reader.fail("seed", f"must look like 000:L93; got {seed!r}")
    if rule == "none":
        return TargetSpec(key, "none", reader.get("quote", str), seed, reason=reader.get("reason", str))
    calendar = reader.get("calendar", str)
    if calendar not in calendars:
        raise reader.fail("calendar", f"no calendar {calendar!r}; defined: {', '.join(calendars)}")
    modes = TARGET_RULES[rule]
    mode = reader.choice("mode", modes, modes[0] if modes else "")
    duration = _duration(reader, calendars, calendar)
    days = reader.get("days", int, 0)
    if rule == "duration" and duration is None:
        raise reader.fail(None, "needs minutes, hours or working_days")
    if rule in ("calendar_days",) and days <= 0:
        raise reader.fail("days", "must be a positive whole number of days")
    if rule in ("working_days_after_report_day", "close_of_working_day"):
        days = int(reader.get("working_days", int))
        if not isinstance(calendars[calendar], WorkingCalendar):
            raise reader.fail("calendar", f"rule {rule} needs a working calendar")
    defer = reader.sub("defer_out_of_hours", required=False)
    defer.only(("channels", "calendar"))
    defer_calendar = defer.get("calendar", str, None)
    if defer_calendar is not None and not isinstance(calendars.get(defer_calendar), WorkingCalendar):
        raise defer.fail("calendar", f"must name a working calendar; got {defer_calendar!r}")
    return TargetSpec(
        key=key, rule=rule, quote=reader.get("quote", str), seed=seed, calendar=calendar,
        duration=duration, days=days, mode=mode,
        start=reader.choice("start", STARTS, "reported_at"),
        channels=_channels(reader, "channels", None),
        defer_channels=_channels(defer, "channels", frozenset()) or frozenset(),
        defer_calendar=defer_calendar,
        strict=reader.get("strict", bool, False),
        breach_grace=timedelta(minutes=reader.get("breach_grace_minutes", (int, float), 0)),
        pausable=reader.get("pausable", bool, True),
    )


def _channels(reader: Reader, key: str, default: frozenset[str] | None) -> frozenset[str] | None:
    if key not in reader.data:
        return default
    values = reader.get(key, list)
    bad = [v for v in values if v not in CHANNELS]
    if bad:
        raise reader.fail(key, f"channels must be from {', '.join(CHANNELS)}; got {bad!r}")
    return frozenset(values)


def _target_sets(reader: Reader, priorities: tuple[str, ...],
                 calendars: Mapping[str, Calendar]) -> dict[str, dict[str, TargetSpec]]:
    allowed = (*priorities, "all", UNPRIORITISED, "help_request", "service_request")
    common = reader.sub("all", required=False)
    shared = {k: _target(k, common.sub(k), calendars) for k in common.data}
    sets: dict[str, dict[str, TargetSpec]] = {}
    for set_name, table in reader.items():
        if set_name not in allowed:
            raise reader.fail(set_name, f"unknown target set; expected one of {', '.join(allowed)}")
        if set_name != "all":
            own = {k: _target(k, table.sub(k), calendars) for k in table.data}
            sets[set_name] = _in_display_order({**shared, **own})
    missing = [p for p in priorities if p not in sets]
    if missing:
        raise reader.fail(missing[0], "every priority needs its targets")
    if not priorities and UNPRIORITISED not in sets:
        raise reader.fail(UNPRIORITISED, "a policy without priorities needs this target set")
    return sets


def _in_display_order(specs: dict[str, TargetSpec]) -> dict[str, TargetSpec]:
    def position(key: str) -> int:
        return TARGET_KEYS.index(key) if key in TARGET_KEYS else len(TARGET_KEYS)

    return {key: specs[key] for key in sorted(specs, key=position)}


# -- whole policies ----------------------------------------------------------------------------
def _merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(copy.deepcopy(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _readings(reader: Reader) -> dict[str, Reading]:
    found = {}
    for name, table in reader.items():
        table.only(("register", "description", "overlay"))
        found[name] = Reading(name, table.get("register", str, ""), table.get("description", str),
                              table.get("overlay", dict))
    return found


def policy_from_mapping(raw: Mapping[str, Any], source: str,
                        readings: Iterable[str] = ()) -> Policy:
    """Build a policy from parsed TOML (or a stored snapshot), applying the named readings."""
    top = Reader(source, "", raw)
    top.only(("id", "name", "version", "source", "calendars", "priorities", "targets", "rules",
              "readings", "selected_readings"))
    available = _readings(top.sub("readings", required=False))
    chosen = tuple(dict.fromkeys([*top.get("selected_readings", list, []), *readings]))
    effective: Mapping[str, Any] = raw
    for name in chosen:
        if name not in available:
            raise top.fail("readings", f"no reading {name!r}; this policy offers {', '.join(available) or 'none'}")
        effective = _merge(effective, available[name].overlay)
    return _build(Reader(source, "", effective), available, chosen, raw)


def _build(top: Reader, available: dict[str, Reading], chosen: tuple[str, ...],
           raw: Mapping[str, Any]) -> Policy:
    calendars: dict[str, Calendar] = {}
    for name, table in top.sub("calendars").items():
        calendars[name] = calendar_from(name, table, calendars)
    priorities = tuple(
        Priority(p.get("id", str), p.get("name", str), p.get("definition", str), p.get("seed", str))
        for p in (Reader(top.source, f"priorities[{i}]", item)
                  for i, item in enumerate(top.get("priorities", list, [])))
    )
    ids = tuple(p.id for p in priorities)
    return Policy(
        id=top.get("id", str), name=top.get("name", str), version=str(top.get("version", (str, int, float))),
        source=top.get("source", str), calendars=calendars, priorities=priorities,
        target_sets=_target_sets(top.sub("targets"), ids, calendars),
        rules=rules_from(top.get("rules", list, []), top.source, ids),
        readings_available=available, readings=chosen,
        raw={**raw, "selected_readings": list(chosen)},
    )


def load_policy_file(path: Path, readings: Iterable[str] = ()) -> Policy:
    """Load one policy file; errors name the file, the key and the problem."""
    policy = policy_from_mapping(read_toml(path), str(path), readings)
    if policy.id != path.stem:
        raise PolicyError(str(path), "id", f"must match the file name {path.stem!r}; got {policy.id!r}")
    return policy


class PolicyLibrary:
    """The policies available to one deployment: the shipped ones plus an MSP's own directory."""

    def __init__(self, policies: Mapping[str, Policy]) -> None:
        self._policies = dict(policies)
        self._with_readings: dict[tuple[str, tuple[str, ...]], Policy] = {}

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> PolicyLibrary:
        found = {p.id: p for p in _shipped()}
        if extra_dir is not None:
            if not extra_dir.is_dir():
                raise PolicyError(str(extra_dir), "(directory)", "is not a directory of policy files")
            found.update({p.id: p for p in map(load_policy_file, sorted(extra_dir.glob("*.toml")))})
        return cls(found)

    def ids(self) -> list[str]:
        return sorted(self._policies)

    def get(self, policy_id: str, readings: Iterable[str] = ()) -> Policy:
        policy = self._policies.get(policy_id)
        if policy is None:
            raise UnknownPolicyError(policy_id, self.ids())
        readings = tuple(readings)
        if not readings:
            return policy
        key = (policy_id, readings)
        if key not in self._with_readings:
            self._with_readings[key] = policy_from_mapping(policy.raw, f"policy {policy_id}", readings)
        return self._with_readings[key]


def _shipped() -> list[Policy]:
    folder = resources.files("sla") / "policies"
    return [
        load_policy_file(Path(str(entry)))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]
