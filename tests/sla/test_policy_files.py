"""Policy files: the shipped ones load; an MSP's bad file fails naming file, key and problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sla import PolicyError, PolicyLibrary, UnknownPolicyError, load_policy_file

SHIPPED = Path(__file__).resolve().parents[2] / "sla" / "policies"
EXPECTED_IDS = ["cloudcti", "duocall-legacy-protect", "duocall-standard", "maintel-icon",
                "vodafone-vone-m", "voip-cat1", "voip-cat2", "voip-cat4"]


def test_every_shipped_policy_loads_with_name_version_and_source() -> None:
    library = PolicyLibrary.load()
    assert library.ids() == EXPECTED_IDS
    for pid in EXPECTED_IDS:
        policy = library.get(pid)
        assert policy.name and policy.version and "seed 00" in policy.source


def test_every_shipped_reading_applies() -> None:
    library = PolicyLibrary.load()
    for pid in library.ids():
        for reading in library.get(pid).readings_available:
            assert library.get(pid, [reading]).readings == (reading,)


def test_unknown_policy_lists_the_known_ones() -> None:
    with pytest.raises(UnknownPolicyError, match="known policies: cloudcti, "):
        PolicyLibrary.load().get("acme-gold")


def test_unknown_reading_lists_the_offered_ones() -> None:
    with pytest.raises(PolicyError, match="this policy offers whole_hours_measurement"):
        PolicyLibrary.load().get("vodafone-vone-m", ["lenient"])


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _variant(tmp_path: Path, old: str, new: str, name: str = "maintel-icon") -> Path:
    text = (SHIPPED / "maintel-icon.toml").read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, name, text.replace(old, new, 1))


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('minutes = 30', 'minutes = "thirty"', "targets.P1.first_response.minutes", "must be a number"),
    ('minutes = 30', 'minutes = -5', "targets.P1.first_response.minutes", "must be positive"),
    ('calendar = "24x7"\nminutes = 30', 'calendar = "office"\nminutes = 30',
     "targets.P1.first_response.calendar", "no calendar 'office'"),
    ('seed = "000:L93"', 'seed = "line 93"', "targets.P1.first_response.seed", "must look like 000:L93"),
    ('quote = "< 30 minutes"', 'quote = "< 30 minutes"\nsoon = true', "targets.P1.first_response.soon",
     "unknown key"),
    ('timezone = "Europe/London"', 'timezone = "Europe/Londres"', "calendars.london_wall_clock.timezone",
     "unknown time zone"),
    ('priority = "P2"', 'priority = "P7"', "rules[7].priority", "must be one of P1, P2, P3, P4, P5"),
    ('when = { capacity_loss_pct = { gte = 50 } }', 'when = { happiness = { gte = 50 } }',
     "rules[5].when.happiness", "unknown fact"),
    ('when = { capacity_loss_pct = { gte = 50 } }', 'when = { capacity_loss_pct = { about = 50 } }',
     "rules[5].when.capacity_loss_pct.about", "unknown key"),
    ('channels = ["email"]', 'channels = ["fax"]', "targets.all.email_acknowledgement.channels",
     "channels must be from chat, phone, email"),
    ('id = "maintel-icon"', 'id = "maintel"', "id", "must match the file name"),
])
def test_a_bad_policy_file_names_file_key_and_problem(tmp_path: Path, old: str, new: str, key: str,
                                                       problem: str) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    assert caught.value.source == str(path)
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(path) in str(caught.value) and key in str(caught.value)


def test_a_working_calendar_needs_windows_that_close_after_they_open(tmp_path: Path) -> None:
    text = (SHIPPED / "duocall-standard.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, "duocall-standard", text.replace('close = "17:30"', 'close = "08:00"'))
    with pytest.raises(PolicyError, match=r"calendars\.working\.windows\[0\]\.close: must be after open"):
        load_policy_file(path)


def test_unknown_holiday_country_is_reported(tmp_path: Path) -> None:
    text = (SHIPPED / "duocall-standard.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, "duocall-standard", text.replace('country = "GB"', 'country = "XX"'))
    with pytest.raises(PolicyError, match=r"calendars\.working\.holidays\.country: the holidays package"):
        load_policy_file(path)


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken", "id = \n")
    with pytest.raises(PolicyError, match=r"broken\.toml: \(syntax\): not valid TOML"):
        load_policy_file(path)


def test_an_msp_can_add_its_own_policy_directory(tmp_path: Path) -> None:
    text = (SHIPPED / "voip-cat1.toml").read_text(encoding="utf-8")
    own = text.replace('id = "voip-cat1"', 'id = "acme-gold"').replace("hours = 8", "hours = 2", 1)
    _write(tmp_path, "acme-gold", own)
    library = PolicyLibrary.load(tmp_path)
    assert "acme-gold" in library.ids() and "maintel-icon" in library.ids()
    spec = library.get("acme-gold").target_sets["unprioritised"]["first_response"]
    assert spec.duration is not None and spec.duration.total_seconds() == 7200


def test_a_missing_policy_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="is not a directory of policy files"):
        PolicyLibrary.load(tmp_path / "nope")


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.toml")), ids=lambda p: p.stem)
def test_every_policy_file_says_where_each_number_comes_from(path: Path) -> None:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for targets in raw["targets"].values():
        for spec in targets.values():
            assert spec.get("seed") and spec.get("quote"), spec
