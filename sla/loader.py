"""Reading policy files (TOML) into `Policy` objects, with errors that name file, key and problem."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla.calendars import (
    Calendar,
    ElapsedCalendar,
    HolidaySource,
    WallClockCalendar,
    Window,
    WorkingCalendar,
    check_holiday_source,
    whole_days_of,
)
from sla.classify import FACT_NAMES
from sla.errors import CalendarError, PolicyError, UnknownPolicyError
from sla.model import (
    CATEGORIES,
    CHANNELS,
    STARTS,
    TARGET_KEYS,
    UNPRIORITISED,
    Comparison,
    Condition,
    Policy,
    Priority,
    Reading,
    Rule,
    TargetSpec,
)
from sla.services import SERVICES

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
TARGET_RULES = {
    "duration": (),
    "none": (),
    "working_days_after_report_day": ("local_date", "rolled_to_opening"),
    "calendar_days": ("wall_clock", "elapsed", "from_next_opening"),
    "close_of_working_day": (),
}
OPS = ("eq", "ne", "gte", "gt", "lte", "lt")
SERVICE_OPS = ("services_any", "services_only", "services_none")
FACTS = (*sorted(FACT_NAMES - {"services_affected"}), "single_user")
"""Facts a rule may test: the report's facts and the derived ``single_user``."""
SEED_REF = re.compile(r"^\d{3}(:L\d+([-–]\d+)?)?([,;] ?\d{3}(:L\d+([-–]\d+)?)?)*$")


ErrorFactory = Callable[[str, str, str], Exception]


@dataclass(frozen=True)
class Reader:
    """Reads one table of a TOML file, knowing its key path for error messages."""

    source: str
    path: str
    data: Mapping[str, Any]
    error: ErrorFactory = PolicyError

    def fail(self, key: str | None, problem: str) -> Exception:
        return self.error(self.source, self._key(key), problem)

    def at(self, path: str, data: Mapping[str, Any]) -> Reader:
        """A reader for a nested table reached some other way (e.g. a list item)."""
        return Reader(self.source, path, data, self.error)

    def _key(self, key: str | None) -> str:
        return ".".join(p for p in (self.path, key) if p) or "(top level)"

    def sub(self, key: str, required: bool = True) -> Reader:
        value = self.data.get(key, None if required else {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "missing table" if value is None else "must be a table")
        return Reader(self.source, self._key(key), value, self.error)

    def items(self) -> Iterable[tuple[str, Reader]]:
        for key in self.data:
            yield key, self.sub(key)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"must be a number, not {value!r}")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}, not {value!r}")
        return value

    def choice(self, key: str, options: Iterable[str], default: Any = ...) -> Any:
        options = tuple(options)
        value = self.get(key, str, default)
        if value is not None and value not in options and value != default:
            raise self.fail(key, f"must be one of {', '.join(options)}; got {value!r}")
        return value

    def only(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    if kind == (int, float):
        return "a number"
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


# -- calendars ----------------------------------------------------------------------------
def _minute(reader: Reader, key: str) -> int:
    text = reader.get(key, str)
    match = re.fullmatch(r"(\d{2}):(\d{2})", text)
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and match[2] != "00"):
        raise reader.fail(key, f"must be a time HH:MM between 00:00 and 24:00; got {text!r}")
    return int(match[1]) * 60 + int(match[2])


def _window(reader: Reader) -> Window:
    reader.only(("days", "open", "close"))
    days = reader.get("days", list)
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown or not days:
        raise reader.fail("days", f"must list weekdays from {', '.join(WEEKDAYS)}; got {days!r}")
    opens, closes = _minute(reader, "open"), _minute(reader, "close")
    if closes <= opens:
        raise reader.fail("close", "must be after open (windows end by midnight, 24:00)")
    return Window(frozenset(WEEKDAYS[d] for d in days), opens, closes)


def _holidays(reader: Reader) -> HolidaySource:
    reader.only(("country", "subdiv", "categories", "exclude", "annual"))
    country = reader.get("country", str)
    subdiv = reader.get("subdiv", str, None)
    categories = tuple(reader.get("categories", list, ["public"]))
    try:
        check_holiday_source(country, subdiv, categories)
    except (NotImplementedError, ValueError, KeyError) as exc:
        raise reader.fail("country", f"the holidays package cannot provide it: {exc}") from None
    annual = []
    for text in reader.get("annual", list, []):
        match = re.fullmatch(r"(\d{2})-(\d{2})", str(text))
        if not match:
            raise reader.fail("annual", f"dates must be MM-DD; got {text!r}")
        annual.append((int(match[1]), int(match[2])))
    return HolidaySource(country, subdiv, categories,
                         frozenset(reader.get("exclude", list, [])), tuple(annual))


def _timezone(reader: Reader) -> ZoneInfo:
    name = reader.get("timezone", str)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("timezone", f"unknown time zone {name!r}; use an IANA name such as Europe/London") from None


def _closures(reader: Reader) -> frozenset[date]:
    days = set()
    for text in reader.get("closures", list, []):
        try:
            days.add(date.fromisoformat(str(text)))
        except ValueError:
            raise reader.fail("closures", f"dates must be YYYY-MM-DD; got {text!r}") from None
    return frozenset(days)


def _calendar(name: str, reader: Reader, built: Mapping[str, Calendar]) -> Calendar:
    kind = reader.choice("kind", ("elapsed", "wall_clock", "working", "whole_days"))
    if kind == "elapsed":
        reader.only(("kind",))
        return ElapsedCalendar(name=name)
    if kind == "wall_clock":
        reader.only(("kind", "timezone"))
        return WallClockCalendar(tz=_timezone(reader), name=name)
    if kind == "whole_days":
        reader.only(("kind", "of"))
        base = built.get(reader.get("of", str))
        if not isinstance(base, WorkingCalendar):
            raise reader.fail("of", "must name a working calendar defined before this one")
        return whole_days_of(base)
    reader.only(("kind", "timezone", "windows", "holidays", "closures"))
    windows = tuple(_window(Reader(reader.source, f"{reader.path}.windows[{i}]", w))
                    for i, w in enumerate(reader.get("windows", list)))
    holidays = _holidays(reader.sub("holidays")) if "holidays" in reader.data else None
    try:
        return WorkingCalendar(name, _timezone(reader), windows, holidays, _closures(reader))
    except CalendarError as exc:
        raise reader.fail("windows", str(exc)) from None


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


# -- classification rules --------------------------------------------------------------------
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


def _rules(reader_list: list[Any], source: str, priorities: tuple[str, ...]) -> tuple[Rule, ...]:
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
        calendars[name] = _calendar(name, table, calendars)
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
        rules=_rules(top.get("rules", list, []), top.source, ids),
        readings_available=available, readings=chosen,
        raw={**raw, "selected_readings": list(chosen)},
    )


def read_toml(path: Path, error: ErrorFactory = PolicyError) -> dict[str, Any]:
    """A TOML file's contents; unreadable or invalid files fail naming the file and what is wrong."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(str(path), "(syntax)", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(str(path), "(file)", f"cannot be read: {exc.strerror}") from None


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
