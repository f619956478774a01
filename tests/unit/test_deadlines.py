"""sla/deadlines.py on synthetic policies: every target's due time or the reason it has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sla.deadlines import Deadlines, allowance, clock_start, deadlines, due_at, target_set
from sla.errors import RequestError
from sla.model import TargetSpec
from tests.unit.synthetic import CLOCKS, NO_P2_RESTORATION, STARTS_LATER, T0, UNPRIORITISED, at, policy, target

NAMES = ("first_response", "first_update", "restoration", "resolution")


def test_every_target_of_a_priority_is_due_from_the_report() -> None:
    assert deadlines(CLOCKS, "P1", T0) == Deadlines(
        "synthetic", "P1", T0, dict(zip(NAMES, (at(30), at(60), at(240), at(480)), strict=True)), {},
        dict.fromkeys(NAMES, T0))


def test_a_target_the_contract_leaves_out_says_so() -> None:
    got = deadlines(NO_P2_RESTORATION, "P2", T0)
    assert got.targets == dict.fromkeys(NAMES)
    assert got.no_target == {"restoration": "P2 has no restoration target", "first_response":
                             "the contract sets no target", "first_update": "the contract sets no target",
                             "resolution": "the contract sets no target"}
    silent = policy({"P1": {"restoration": TargetSpec(key="restoration", rule="none", quote="", seed="")}})
    assert deadlines(silent, "P1", T0).no_target["restoration"] == "the contract sets no target"


def test_later_instants_start_their_clocks_and_a_missing_one_says_what_it_waits_for() -> None:
    got = deadlines(STARTS_LATER, "P1", T0, events={"onsite_determined_at": at(30)})
    assert (got.targets["first_update"], got.targets["restoration"]) == (at(90), at(270))
    assert got.clock_starts == {"first_update": at(30), "restoration": at(30)}
    assert deadlines(STARTS_LATER, "P1", T0, onsite_determined_at=at(45)).targets["restoration"] == at(285)
    waiting = deadlines(STARTS_LATER, "P1", T0).no_target
    assert waiting["restoration"] == "starts when an engineer records that an on-site visit is needed"


def test_a_channel_the_target_does_not_serve_has_no_target() -> None:
    got = deadlines(CLOCKS, "P3", T0, channel="chat")
    assert (got.targets["resolution"], got.no_target["resolution"]) == (
        None, "applies only to reports made by email or phone")
    assert deadlines(CLOCKS, "P3", T0, channel="phone").targets["resolution"] == at(1920)
    spec = target("restoration", 60, channels=frozenset({"phone", "email"}))
    assert clock_start(spec, CLOCKS, "chat", {"reported_at": T0}) == "applies only to reports made by email or phone"


def test_an_unknown_channel_or_priority_is_refused_with_the_choices() -> None:
    with pytest.raises(RequestError) as refused:
        deadlines(CLOCKS, "P1", T0, channel="fax")
    assert str(refused.value) == "channel must be one of chat, phone, email; got 'fax'"
    with pytest.raises(RequestError) as refused:
        target_set(CLOCKS, "P9")
    assert str(refused.value) == "policy synthetic has priorities P1, P2, P3; got priority 'P9'"
    with pytest.raises(RequestError) as refused:
        target_set(CLOCKS, None)
    assert str(refused.value) == "policy synthetic has priorities P1, P2, P3; got no priority"
    with pytest.raises(RequestError) as refused:
        target_set(UNPRIORITISED, "P1")
    assert str(refused.value) == "policy synthetic has no priorities; send priority null"
    with pytest.raises(RequestError):
        target_set(UNPRIORITISED, "unprioritised")


def test_without_a_priority_the_category_then_the_plan_decides() -> None:
    assert deadlines(UNPRIORITISED, None, T0, category="help_request").targets["resolution"] == at(120)
    assert deadlines(UNPRIORITISED, None, T0, category="incident").targets["resolution"] == at(60)
    assert deadlines(UNPRIORITISED, None, T0).targets["resolution"] == at(60)


def test_a_target_with_no_rule_has_no_due_time() -> None:
    spec = NO_P2_RESTORATION.target_sets["P2"]["restoration"]
    with pytest.raises(RequestError) as refused:
        due_at(spec, NO_P2_RESTORATION, T0)
    assert str(refused.value) == "target restoration has no due time: P2 has no restoration target"


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(Exception, match="has no UTC offset"):
        deadlines(CLOCKS, "P1", datetime(2025, 11, 24, 10, 0))
    with pytest.raises(Exception, match="has no UTC offset"):
        deadlines(CLOCKS, "P1", T0, events={"onsite_determined_at": datetime(2025, 11, 24, 10, 30)})
    assert deadlines(CLOCKS, "P1", T0.astimezone(UTC)).reported_at == T0


@pytest.mark.parametrize(("spec", "allowed"), [
    (target("resolution", 480, "office"), timedelta(hours=8)),
    (TargetSpec(key="resolution", rule="close_of_working_day", quote="q", seed="s", calendar="office", days=2),
     timedelta(hours=23)),  # Monday 10:00 to Wednesday's close: 7 + 8 + 8 working hours
    (TargetSpec(key="resolution", rule="calendar_days", quote="q", seed="s", days=3, mode="elapsed"),
     timedelta(days=3)),
    (TargetSpec(key="resolution", rule="calendar_days", quote="q", seed="s", days=3, mode="elapsed",
                duration=timedelta(hours=1)), timedelta(days=3)),  # the rule decides, not a stray duration
])
def test_a_targets_allowance_is_counted_on_its_own_clock(spec: TargetSpec, allowed: timedelta) -> None:
    assert allowance(spec, policy(), T0) == allowed  # T0: Monday 10:00 UTC


@pytest.mark.parametrize("spec", [
    target("resolution", 480, "office"),
    TargetSpec(key="resolution", rule="calendar_days", quote="q", seed="s", days=3, mode="elapsed"),
])
def test_a_due_time_from_a_local_start_comes_back_in_utc(spec: TargetSpec) -> None:
    local_start = T0.astimezone(timezone(timedelta(hours=-5)))  # the same instant, reported from New York
    due = due_at(spec, policy(), local_start)
    assert (due, due.tzinfo) == (due_at(spec, policy(), T0), UTC)
