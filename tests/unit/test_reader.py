"""sla/reader.py: every refusal of a policy or calendar file names the file, the dotted key and what to fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sla import PolicyError
from sla.reader import Reader, read_toml

DATA = {"name": "Gold", "hours": 4, "ratio": 0.5, "flag": True, "tags": ["a"],
        "targets": {"p1": {"minutes": 60}, "p2": {"minutes": 240}}, "plain": 7}
TOP = Reader("gold.toml", "", DATA)
NESTED = Reader("gold.toml", "policy", DATA)


def refusal(read: Callable[[], Any]) -> str:
    with pytest.raises(PolicyError) as caught:
        read()
    return str(caught.value)


@pytest.mark.parametrize(("read", "message"), [
    (lambda: TOP.get("missing", str), "gold.toml: missing: is required"),
    (lambda: NESTED.get("missing", str), "gold.toml: policy.missing: is required"),
    (lambda: TOP.get("flag", int), "gold.toml: flag: must be a number, not True"),
    (lambda: TOP.get("flag", float), "gold.toml: flag: must be a number, not True"),
    (lambda: TOP.get("flag", (int, float)), "gold.toml: flag: must be a number, not True"),
    (lambda: TOP.get("name", int), "gold.toml: name: must be a whole number, not 'Gold'"),
    (lambda: TOP.get("name", float), "gold.toml: name: must be a number, not 'Gold'"),
    (lambda: TOP.get("name", (int, float)), "gold.toml: name: must be a number, not 'Gold'"),
    (lambda: TOP.get("name", bool), "gold.toml: name: must be true or false, not 'Gold'"),
    (lambda: TOP.get("name", list), "gold.toml: name: must be a list, not 'Gold'"),
    (lambda: TOP.get("name", dict), "gold.toml: name: must be a table, not 'Gold'"),
    (lambda: TOP.get("hours", str), "gold.toml: hours: must be text, not 4"),
    (lambda: TOP.get("hours", (str, list)), "gold.toml: hours: must be text or a list, not 4"),
    (lambda: TOP.get("hours", Path), "gold.toml: hours: must be Path, not 4"),
    (lambda: TOP.sub("missing"), "gold.toml: missing: missing table"),
    (lambda: NESTED.sub("name"), "gold.toml: policy.name: must be a table"),
    (lambda: TOP.sub("name", required=False), "gold.toml: name: must be a table"),
    (lambda: TOP.choice("name", ["Silver", "Bronze"]),
     "gold.toml: name: must be one of Silver, Bronze; got 'Gold'"),
    (lambda: TOP.choice("hours", ["Silver"]), "gold.toml: hours: must be text, not 4"),
    (lambda: TOP.only(["name", "hours"]),
     "gold.toml: ratio: unknown key; expected one of hours, name"),
    (lambda: list(TOP.items()), "gold.toml: name: must be a table"),
    (lambda: TOP.sub("targets").sub("p1").get("minutes", str),
     "gold.toml: targets.p1.minutes: must be text, not 60"),
    (lambda: TOP.at("rules[2]", {}).get("when", dict), "gold.toml: rules[2].when: is required"),
    (lambda: TOP.fail(None, "is empty"), "gold.toml: (top level): is empty"),
    (lambda: NESTED.fail(None, "is empty"), "gold.toml: policy: is empty"),
])
def test_a_refusal_names_the_file_the_key_and_the_problem(read: Callable[[], Any], message: str) -> None:
    def raising() -> None:
        outcome = read()
        if isinstance(outcome, Exception):  # fail() builds the error for the caller to raise
            raise outcome
    assert refusal(raising) == message


@pytest.mark.parametrize(("read", "value"), [
    (lambda: TOP.get("name", str), "Gold"),
    (lambda: TOP.get("hours", int), 4),
    (lambda: TOP.get("hours", (int, float)), 4),
    (lambda: TOP.get("ratio", (int, float)), 0.5),
    (lambda: TOP.get("flag", bool), True),
    (lambda: TOP.get("missing", str, None), None),
    (lambda: TOP.get("missing", int, 3), 3),
    (lambda: TOP.choice("name", ["Gold", "Silver"]), "Gold"),
    (lambda: TOP.choice("missing", ["Gold"], None), None),
    (lambda: TOP.choice("missing", ["Gold"], "none"), "none"),  # a default outside the options is still allowed
    (lambda: Reader("f", "", {"k": "none"}).choice("k", ["Gold"], "none"), "none"),
    (lambda: TOP.sub("missing", required=False).data, {}),
    (lambda: TOP.sub("targets").sub("p2").get("minutes", int), 240),
    (lambda: [(key, r.path, dict(r.data)) for key, r in TOP.sub("targets").items()],
     [("p1", "targets.p1", {"minutes": 60}), ("p2", "targets.p2", {"minutes": 240})]),
    (lambda: TOP.only(DATA), None),
])
def test_a_value_of_the_right_kind_is_read(read: Callable[[], Any], value: Any) -> None:
    assert read() == value


def test_a_reader_keeps_its_error_kind_through_sub_at_and_items() -> None:
    class CalendarFileError(Exception):
        def __init__(self, source: str, key: str, problem: str) -> None:
            super().__init__(f"[{source}] {key} - {problem}")

    reader = Reader("cal.toml", "", {"t": {"x": {"y": 1}}}, CalendarFileError)
    for nested in (reader.sub("t"), reader.at("elsewhere", {}), next(iter(reader.sub("t").items()))[1]):
        with pytest.raises(CalendarFileError, match=r"^\[cal\.toml\] .+ - is required$"):
            nested.get("absent", int)
    assert reader.sub("t").source == "cal.toml"
    assert reader.at("elsewhere", {}).path == "elsewhere"


def test_a_toml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gold.toml"
    path.write_text('name = "Gold – ünïcode"\n[targets]\np1 = 60\n', encoding="utf-8")
    assert read_toml(path) == {"name": "Gold – ünïcode", "targets": {"p1": 60}}


def test_invalid_toml_names_the_file_and_the_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("name = \n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        read_toml(path)
    assert (caught.value.source, caught.value.key) == (str(path), "(syntax)")
    assert caught.value.problem.startswith("not valid TOML: Invalid value (at line 1")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unreadable_file_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    with pytest.raises(PolicyError) as caught:
        read_toml(missing)
    assert str(caught.value) == f"{missing}: (file): cannot be read: No such file or directory"
    assert caught.value.__suppress_context__


def test_an_error_kind_given_is_the_one_raised(tmp_path: Path) -> None:
    class Refused(Exception):
        def __init__(self, source: str, key: str, problem: str) -> None:
            super().__init__(source, key, problem)

    bad = tmp_path / "bad.toml"
    bad.write_text("= 1\n", encoding="utf-8")
    for path, key in ((bad, "(syntax)"), (tmp_path / "none.toml", "(file)")):
        with pytest.raises(Refused) as caught:
            read_toml(path, Refused)
        assert caught.value.args[:2] == (str(path), key)
