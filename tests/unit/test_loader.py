"""sla/loader.py: a policy mapping (a file's TOML or a stored snapshot) read into a policy; every mistake refused by
file and key, with what to write instead."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sla import PolicyError, PolicyLibrary, UnknownPolicyError
from sla.loader import load_policy_file, policy_from_mapping
from sla.model import Policy, Reading, TargetSpec

OFFICE = {"kind": "working", "timezone": "Europe/London",
          "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "17:00"}]}
UNEVEN = {"kind": "working", "timezone": "Europe/London",
          "windows": [{"days": ["mon"], "open": "09:00", "close": "17:00"},
                      {"days": ["tue"], "open": "09:00", "close": "12:00"}]}


def respond(**fields: Any) -> dict[str, Any]:
    """A target's table; a field given as None is left out."""
    spec = {"quote": "within an hour", "seed": "000:L9", "calendar": "24x7", "minutes": 60, **fields}
    return {k: v for k, v in spec.items() if v is not None}


def raw(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "acme", "name": "ACME Gold", "version": 3, "source": "contract v3",
        "calendars": {"24x7": {"kind": "elapsed"}, "office": OFFICE, "uneven": UNEVEN},
        "priorities": [{"id": "P1", "name": "Critical", "definition": "all down", "seed": "000:L1"},
                       {"id": "P2", "name": "High", "definition": "some down", "seed": "000:L2"}],
        "targets": {"P1": {"first_response": respond()}, "P2": {"first_response": respond(minutes=240)}},
    }
    return {**base, **changes}


def with_target(spec: dict[str, Any], key: str = "resolution") -> dict[str, Any]:
    return raw(targets={"P1": {key: spec}, "P2": {key: spec}})


def target(spec: dict[str, Any], key: str = "resolution") -> TargetSpec:
    return policy_from_mapping(with_target(spec, key), "acme.toml").target_sets["P1"][key]


def test_a_policy_reads_its_header_priorities_and_targets() -> None:
    policy = policy_from_mapping(raw(), "acme.toml")
    assert (policy.id, policy.name, policy.version, policy.source) == ("acme", "ACME Gold", "3", "contract v3")
    assert policy.priority_ids == ("P1", "P2")
    assert (policy.priorities[1].name, policy.priorities[1].definition, policy.priorities[1].seed) == (
        "High", "some down", "000:L2")
    assert list(policy.calendars) == ["24x7", "office", "uneven"]
    assert policy.target_sets["P2"]["first_response"] == TargetSpec(
        key="first_response", rule="duration", quote="within an hour", seed="000:L9", calendar="24x7",
        duration=timedelta(minutes=240), days=0, mode="", start="reported_at", channels=None,
        defer_channels=frozenset(), defer_calendar=None, strict=False, breach_grace=timedelta(0), pausable=True)
    assert policy.rules == () and policy.readings == () and policy.readings_available == {}
    assert policy.raw["selected_readings"] == []


@pytest.mark.parametrize(("spec", "expected"), [
    (respond(hours=2, minutes=None), {"duration": timedelta(hours=2)}),
    (respond(minutes=1.5), {"duration": timedelta(seconds=90)}),
    (respond(calendar="office", working_days=2, minutes=None), {"duration": timedelta(hours=16)}),
    (respond(rule="working_days_after_report_day", calendar="office", working_days=3, minutes=None),
     {"rule": "working_days_after_report_day", "days": 3, "mode": "local_date", "duration": timedelta(hours=24)}),
    (respond(rule="working_days_after_report_day", calendar="office", working_days=1, minutes=None,
             mode="rolled_to_opening"), {"days": 1, "mode": "rolled_to_opening"}),
    (respond(rule="close_of_working_day", calendar="office", working_days=1, minutes=None),
     {"rule": "close_of_working_day", "days": 1, "mode": "", "duration": timedelta(hours=8)}),
    (respond(rule="calendar_days", days=7, minutes=None), {"rule": "calendar_days", "days": 7, "mode": "wall_clock",
                                                           "duration": None}),
    (respond(rule="calendar_days", days=1, mode="from_next_opening", minutes=None), {"mode": "from_next_opening"}),
    (respond(start="onsite_determined_at", channels=["email", "phone"], strict=True, breach_grace_minutes=5,
             pausable=False),
     {"start": "onsite_determined_at", "channels": frozenset({"email", "phone"}), "strict": True,
      "breach_grace": timedelta(minutes=5), "pausable": False}),
    (respond(defer_out_of_hours={"channels": ["email"], "calendar": "office"}),
     {"defer_channels": frozenset({"email"}), "defer_calendar": "office"}),
    (respond(defer_out_of_hours={"calendar": "office"}), {"defer_channels": frozenset(), "defer_calendar": "office"}),
    ({"rule": "none", "quote": "no resolution target", "seed": "000:L4; 001:L2-3", "reason": "restoration only"},
     {"rule": "none", "quote": "no resolution target", "seed": "000:L4; 001:L2-3", "calendar": None, "duration": None,
      "reason": "restoration only"}),
])
def test_each_kind_of_target_is_read(spec: dict[str, Any], expected: dict[str, Any]) -> None:
    found = target(spec)
    assert {k: getattr(found, k) for k in expected} == expected


@pytest.mark.parametrize("seed", ["000", "000:L93", "001:L7-9", "001:L7–9", "000:L1, 002:L3", "000;001:L2"])
def test_a_seed_names_the_file_and_lines_the_number_comes_from(seed: str) -> None:
    assert target(respond(seed=seed)).seed == seed


def test_targets_shared_by_every_priority_come_in_display_order_and_a_priority_may_override_them() -> None:
    policy = policy_from_mapping(raw(targets={
        "all": {"resolution": respond(minutes=480), "email_ack": respond(minutes=5), "update": respond(minutes=90)},
        "P1": {"first_response": respond(minutes=15), "resolution": respond(minutes=240)},
        "P2": {}}), "acme.toml")
    assert list(policy.target_sets) == ["P1", "P2"]
    assert list(policy.target_sets["P1"]) == ["first_response", "update", "resolution", "email_ack"]
    assert list(policy.target_sets["P2"]) == ["update", "resolution", "email_ack"]
    assert policy.target_sets["P1"]["resolution"].duration == timedelta(minutes=240)
    assert policy.target_sets["P2"]["resolution"].duration == timedelta(minutes=480)


def test_a_policy_without_priorities_uses_its_unprioritised_targets() -> None:
    policy = policy_from_mapping(raw(priorities=[], targets={"unprioritised": {"first_response": respond()},
                                                           "help_request": {"first_response": respond()},
                                                           "service_request": {"first_response": respond()}}), "f")
    assert policy.priority_ids == () and list(policy.target_sets) == ["unprioritised", "help_request",
                                                                      "service_request"]


def test_rules_are_read_against_the_policys_priorities() -> None:
    rules = [{"id": "r", "priority": "P2", "quote": "q", "seed": "000:L1", "when": {"impact": "down"}}]
    assert policy_from_mapping(raw(rules=rules), "f").rules[0].priority == "P2"


LENIENT: dict[str, Any] = {"register": "A7", "description": "lenient",
                           "overlay": {"targets": {"P1": {"first_response": {"minutes": 120}}}}}


def test_a_reading_overlays_the_policy_and_is_recorded() -> None:
    source = raw(readings={"lenient": LENIENT, "plain": {"description": "as written", "overlay": {}}})
    plain = policy_from_mapping(source, "f")
    assert plain.readings_available == {"lenient": Reading("lenient", "A7", "lenient", LENIENT["overlay"]),
                                        "plain": Reading("plain", "", "as written", {})}
    assert plain.target_sets["P1"]["first_response"].duration == timedelta(minutes=60)
    lenient = policy_from_mapping(source, "f", ["lenient"])
    first = lenient.target_sets["P1"]["first_response"]
    assert (first.duration, first.quote) == (timedelta(minutes=120), "within an hour")  # merged, not replaced
    assert lenient.readings == ("lenient",) and lenient.raw["selected_readings"] == ["lenient"]
    assert source["targets"]["P1"]["first_response"]["minutes"] == 60  # the mapping given is left untouched
    assert lenient.raw["targets"]["P1"]["first_response"]["minutes"] == 60  # the snapshot is the policy as written


def test_a_snapshot_reapplies_its_readings_once_each_in_order() -> None:
    source = raw(readings={"lenient": LENIENT, "plain": {"description": "as written", "overlay": {"name": "Plain"}}})
    snapshot = policy_from_mapping(source, "f", ["lenient"]).raw
    again = policy_from_mapping(snapshot, "f", ["plain", "lenient"])
    assert again.readings == ("lenient", "plain") and again.name == "Plain"
    assert again.target_sets["P1"]["first_response"].duration == timedelta(minutes=120)


def test_a_reading_may_add_a_target_the_policy_did_not_have() -> None:
    overlay = {"targets": {"P2": {"update": respond(minutes=30)}}}
    policy = policy_from_mapping(raw(readings={"r": {"description": "d", "overlay": overlay}}), "f", ["r"])
    assert list(policy.target_sets["P2"]) == ["first_response", "update"]
    assert list(policy.target_sets["P1"]) == ["first_response"]


def test_an_overlay_replacing_a_table_with_a_value_replaces_it() -> None:
    merged = policy_from_mapping(raw(readings={"r": {"description": "d", "overlay": {"version": "4"}}}), "f", ["r"])
    assert merged.version == "4"
    with pytest.raises(PolicyError, match="give one of minutes, hours, working_days"):
        policy_from_mapping(raw(readings={"r": {"description": "d", "overlay": {
            "targets": {"P1": {"first_response": {"hours": 1}}}}}}), "f", ["r"])


def refused(mapping: dict[str, Any], readings: tuple[str, ...] = ()) -> str:
    with pytest.raises(PolicyError) as caught:
        policy_from_mapping(mapping, "acme.toml", readings)
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
    return str(caught.value).removeprefix("acme.toml: ")


R = "targets.P1.resolution"


@pytest.mark.parametrize(("mapping", "message"), [
    (raw(colour="red"), "colour: unknown key; expected one of calendars, id, name, priorities, readings, rules, "
                        "selected_readings, source, targets, version"),
    (raw(version=[1]), "version: must be text or a whole number or a number, not [1]"),
    (raw(calendars=None) | {"calendars": "x"}, "calendars: must be a table"),
    ({k: v for k, v in raw().items() if k != "targets"}, "targets: missing table"),
    (raw(priorities=[{"id": "P1", "name": "n", "definition": "d"}]), "priorities[0].seed: is required"),
    (raw(targets={"P1": {}}), "targets.P2: every priority needs its targets"),
    (raw(targets={"P1": {}, "P2": {}, "P3": {}}),
     "targets.P3: unknown target set; expected one of P1, P2, all, unprioritised, help_request, service_request"),
    (raw(priorities=[], targets={"help_request": {}}),
     "targets.unprioritised: a policy without priorities needs this target set"),
    (with_target(respond(color="red")), f"{R}.color: unknown key; expected one of breach_grace_minutes, calendar, "
                                        "channels, days, defer_out_of_hours, hours, minutes, mode, pausable, quote, "
                                        "reason, rule, seed, start, strict, working_days"),
    (with_target(respond(rule="weekly")), f"{R}.rule: must be one of duration, none, "
                                          "working_days_after_report_day, calendar_days, close_of_working_day; "
                                          "got 'weekly'"),
    (with_target(respond(seed="L93")), f"{R}.seed: must look like 000:L93; got 'L93'"),
    (with_target(respond(seed="000:L93 ")), f"{R}.seed: must look like 000:L93; got '000:L93 '"),
    (with_target(respond(seed=" 000:L93")), f"{R}.seed: must look like 000:L93; got ' 000:L93'"),
    (with_target(respond(seed="000:L")), f"{R}.seed: must look like 000:L93; got '000:L'"),
    (with_target(respond(seed="0000")), f"{R}.seed: must look like 000:L93; got '0000'"),
    (with_target(respond(seed="000:L1-")), f"{R}.seed: must look like 000:L93; got '000:L1-'"),
    (with_target(respond(seed="000:L1,")), f"{R}.seed: must look like 000:L93; got '000:L1,'"),
    (with_target({"rule": "none", "quote": "q", "seed": "000"}), f"{R}.reason: is required"),
    (with_target(respond(calendar="office hours")), f"{R}.calendar: no calendar 'office hours'; defined: 24x7, "
                                                    "office, uneven"),
    (with_target(respond(mode="wall_clock")), f"{R}.mode: must be one of ; got 'wall_clock'"),
    (with_target(respond(rule="calendar_days", days=1, mode="local_date")),
     f"{R}.mode: must be one of wall_clock, elapsed, from_next_opening; got 'local_date'"),
    (with_target(respond(hours=1)), f"{R}.hours: give one of minutes, hours, working_days (also has minutes)"),
    (with_target(respond(calendar="office", minutes=None, hours=1, working_days=1)),
     f"{R}.working_days: give one of minutes, hours, working_days (also has hours)"),
    (with_target(respond(minutes=0)), f"{R}.minutes: must be positive"),
    (with_target(respond(minutes=-1)), f"{R}.minutes: must be positive"),
    (with_target(respond(minutes=None, hours=0)), f"{R}.hours: must be positive"),
    (with_target(respond(minutes=True)), f"{R}.minutes: must be a number, not True"),
    (with_target(respond(minutes=None, working_days=1)),
     f"{R}.working_days: needs a working calendar to know how long a day is"),
    (with_target(respond(calendar="uneven", minutes=None, working_days=1)),
     f"{R}.working_days: calendar 'uneven' has working days of different lengths"),
    (with_target(respond(minutes=None)), f"{R}: needs minutes, hours or working_days"),
    (with_target(respond(rule="calendar_days")), f"{R}.days: must be a positive whole number of days"),
    (with_target(respond(rule="calendar_days", days=0)), f"{R}.days: must be a positive whole number of days"),
    (with_target(respond(rule="calendar_days", days=-2)), f"{R}.days: must be a positive whole number of days"),
    (with_target(respond(rule="close_of_working_day", calendar="office")), f"{R}.working_days: is required"),
    (with_target(respond(rule="working_days_after_report_day", minutes=None, working_days=2)),
     f"{R}.working_days: needs a working calendar to know how long a day is"),
    (with_target(respond(rule="close_of_working_day", calendar="uneven", minutes=None, working_days=1)),
     f"{R}.working_days: calendar 'uneven' has working days of different lengths"),
    (with_target(respond(defer_out_of_hours={"calendar": "24x7"})),
     f"{R}.defer_out_of_hours.calendar: must name a working calendar; got '24x7'"),
    (with_target(respond(defer_out_of_hours={"calendar": "later"})),
     f"{R}.defer_out_of_hours.calendar: must name a working calendar; got 'later'"),
    (with_target(respond(defer_out_of_hours={"channel": ["email"]})),
     f"{R}.defer_out_of_hours.channel: unknown key; expected one of calendar, channels"),
    (with_target(respond(defer_out_of_hours={"channels": ["sms", "email", "fax"]})),
     f"{R}.defer_out_of_hours.channels: channels must be from chat, phone, email; got ['sms', 'fax']"),
    (with_target(respond(channels="email")), f"{R}.channels: must be a list, not 'email'"),
    (with_target(respond(start="opened")), f"{R}.start: must be one of reported_at, onsite_determined_at, "
                                           "hosted_telephony_requested_at, site_visit_notified_at; got 'opened'"),
    (with_target(respond(breach_grace_minutes="5")), f"{R}.breach_grace_minutes: must be a number, not '5'"),
    (raw(rules=[{"id": "r"}]), "rules[0].quote: is required"),
    (raw(readings={"lenient": {"description": "d", "overlay": {}, "why": "x"}}),
     "readings.lenient.why: unknown key; expected one of description, overlay, register"),
    (raw(readings={"lenient": {"description": "d", "overlay": []}}),
     "readings.lenient.overlay: must be a table, not []"),
    (raw(readings={"lenient": {"description": "d", "overlay": {}}}, selected_readings=["strict"]),
     "readings: no reading 'strict'; this policy offers lenient"),
])
def test_a_mistake_in_a_policy_is_refused_naming_the_key_and_what_to_write(mapping: dict[str, Any],
                                                                          message: str) -> None:
    assert refused(mapping) == message


def test_an_unknown_reading_lists_those_offered_or_says_there_are_none() -> None:
    assert refused(raw(), ("strict",)) == "readings: no reading 'strict'; this policy offers none"
    assert refused(raw(readings={"a": {"description": "d", "overlay": {}}, "b": {"description": "d", "overlay": {}}}),
                   ("c",)) == "readings: no reading 'c'; this policy offers a, b"


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """id = "{id}"
name = "{name}"
version = "1"
source = "s"
[calendars.24x7]
kind = "elapsed"
[targets.unprioritised.first_response]
quote = "q"
seed = "000:L1"
calendar = "24x7"
minutes = 30
"""


def test_a_policy_file_must_be_named_by_its_id(tmp_path: Path) -> None:
    path = _file(tmp_path, "acme", MINIMAL.format(id="acme-gold", name="n"))
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    assert str(caught.value) == f"{path}: id: must match the file name 'acme'; got 'acme-gold'"
    assert load_policy_file(_file(tmp_path, "acme-gold", MINIMAL.format(id="acme-gold", name="n"))).id == "acme-gold"


def test_a_policy_file_is_loaded_with_the_readings_asked_for(tmp_path: Path) -> None:
    text = MINIMAL.format(id="acme", name="n") + '[readings.slow]\ndescription = "d"\n' + \
        '[readings.slow.overlay.targets.unprioritised.first_response]\nminutes = 90\n'
    policy = load_policy_file(_file(tmp_path, "acme", text), ["slow"])
    assert policy.readings == ("slow",)
    assert policy.target_sets["unprioritised"]["first_response"].duration == timedelta(minutes=90)


def test_a_library_adds_a_directorys_policy_files_over_the_shipped_ones(tmp_path: Path) -> None:
    _file(tmp_path, "acme", MINIMAL.format(id="acme", name="ACME"))
    _file(tmp_path, "cloudcti", MINIMAL.format(id="cloudcti", name="Our own CloudCTI"))
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    library = PolicyLibrary.load(tmp_path)
    shipped = PolicyLibrary.load()
    assert library.ids() == sorted([*shipped.ids(), "acme"])
    assert library.get("cloudcti").name == "Our own CloudCTI"
    assert shipped.get("cloudcti").name != "Our own CloudCTI"
    assert shipped.ids() == sorted(shipped.ids()) and len(shipped.ids()) == 8


def test_a_library_refuses_a_missing_directory_and_names_unknown_policies(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        PolicyLibrary.load(tmp_path / "nope")
    assert str(caught.value) == f"{tmp_path / 'nope'}: (directory): is not a directory of policy files"
    library = PolicyLibrary({})
    with pytest.raises(UnknownPolicyError) as unknown:
        library.get("acme")
    assert str(unknown.value) == "unknown policy 'acme'; known policies: "


def test_a_library_builds_each_reading_of_a_policy_once() -> None:
    policy = policy_from_mapping(raw(readings={"lenient": LENIENT}), "acme.toml")
    library = PolicyLibrary({"acme": policy})
    assert library.get("acme") is policy and library.get("acme", []) is policy
    lenient = library.get("acme", ["lenient"])
    assert isinstance(lenient, Policy) and lenient.readings == ("lenient",)
    assert library.get("acme", iter(["lenient"])) is lenient
    with pytest.raises(PolicyError) as caught:
        library.get("acme", ["strict"])
    assert str(caught.value) == "policy acme: readings: no reading 'strict'; this policy offers lenient"
    assert copy.deepcopy(policy.raw) == policy.raw
