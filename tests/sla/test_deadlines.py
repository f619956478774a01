"""Due times for every policy and priority, worked out by hand from the seeds and SLA_POLICIES.md."""

from __future__ import annotations

from datetime import datetime

import pytest

from sla import PolicyLibrary, RequestError, deadlines
from sla.cli import iso_z

LIB = PolicyLibrary.load()


def due(policy: str, priority: str | None, reported: str, *, readings: tuple[str, ...] = (),
        **kw: object) -> dict[str, str | None]:
    result = deadlines(LIB.get(policy, readings), priority, datetime.fromisoformat(reported), **kw)  # type: ignore[arg-type]
    return {name: iso_z(t) for name, t in result.targets.items()}


CASES = [
    # id, policy, priority, reported_at, kwargs, readings, {target: expected UTC}
    # -- Maintel: everything 24x7 elapsed (000:L67), "<" targets
    ("maintel P1 across the spring DST night", "maintel-icon", "P1", "2025-03-29T23:45:00+00:00", {}, (),
     {"first_response": "2025-03-30T00:15:00Z", "first_update": "2025-03-30T00:45:00Z",
      "restoration": "2025-03-30T03:45:00Z", "resolution": None}),
    ("maintel P2 across the autumn DST night", "maintel-icon", "P2", "2025-10-25T23:30:00+00:00", {}, (),
     {"first_response": "2025-10-26T00:30:00Z", "first_update": "2025-10-26T03:30:00Z",
      "restoration": "2025-10-26T07:30:00Z"}),
    ("maintel P3 on Christmas Day", "maintel-icon", "P3", "2025-12-25T10:00:00+00:00", {}, (),
     {"first_response": "2025-12-25T14:00:00Z", "first_update": None, "restoration": None}),
    ("maintel P4 is Not Used", "maintel-icon", "P4", "2025-12-25T10:00:00+00:00", {"channel": "email"}, (),
     {"first_response": None, "first_update": None, "restoration": None, "resolution": None,
      "email_acknowledgement": None}),
    ("maintel P5 help request", "maintel-icon", "P5", "2025-11-22T20:00:00+00:00", {}, (),
     {"first_response": "2025-11-23T04:00:00Z", "first_update": None}),
    ("maintel P1 by email", "maintel-icon", "P1", "2025-12-24T16:45:00+00:00", {"channel": "email"}, (),
     {"first_response": "2025-12-24T17:15:00Z", "email_acknowledgement": "2025-12-24T18:45:00Z"}),
    ("maintel P1 by chat has no email target", "maintel-icon", "P1", "2025-12-24T16:45:00+00:00", {}, (),
     {"email_acknowledgement": None}),
    ("maintel A2 wall clock across spring DST", "maintel-icon", "P1", "2025-03-29T23:45:00+00:00", {},
     ("local_wall_clock",), {"restoration": "2025-03-30T02:45:00Z"}),
    # -- Vodafone: P1/P2 24/7; P3/P4 Working Hours 09-17 London; P4 resolution 7 calendar days
    ("vodafone P1 across autumn DST", "vodafone-vone-m", "P1", "2025-10-25T23:30:00+00:00", {}, (),
     {"first_response": "2025-10-26T00:00:00Z", "first_update": "2025-10-26T00:30:00Z",
      "restoration": None, "resolution": "2025-10-26T03:30:00Z"}),
    ("vodafone P2 at the weekend", "vodafone-vone-m", "P2", "2025-11-22T12:00:00+00:00", {}, (),
     {"first_response": "2025-11-22T13:00:00Z", "first_update": "2025-11-22T14:00:00Z",
      "resolution": "2025-11-22T20:00:00Z"}),
    ("vodafone P3 a minute before closing, Friday before the August bank holiday", "vodafone-vone-m",
     "P3", "2025-08-22T16:59:00+01:00", {}, (),
     {"first_response": "2025-08-26T09:59:00Z", "first_update": "2025-08-28T15:59:00Z",
      "resolution": "2025-08-28T15:59:00Z"}),
    ("vodafone P4 a minute before closing, Friday before the August bank holiday", "vodafone-vone-m",
     "P4", "2025-08-22T16:59:00+01:00", {}, (),
     {"first_response": "2025-08-28T15:59:00Z", "first_update": "2025-09-05T15:59:00Z",
      "resolution": "2025-08-29T15:59:00Z"}),
    ("vodafone P4 7 calendar days keep London wall time across autumn DST", "vodafone-vone-m", "P4",
     "2025-10-20T11:00:00+01:00", {}, (), {"resolution": "2025-10-27T11:00:00Z"}),
    ("vodafone P4 A6 elapsed_168h", "vodafone-vone-m", "P4", "2025-10-20T11:00:00+01:00", {},
     ("elapsed_168h",), {"resolution": "2025-10-27T10:00:00Z"}),
    ("vodafone P4 A6 from the next Working Hours start", "vodafone-vone-m", "P4",
     "2025-10-18T13:00:00+01:00", {}, ("from_next_working_hours_start",),
     {"resolution": "2025-10-27T09:00:00Z"}),
    ("vodafone P4 weekend report keeps wall time", "vodafone-vone-m", "P4", "2025-10-18T13:00:00+01:00",
     {}, (), {"resolution": "2025-10-25T12:00:00Z"}),
    ("vodafone P4 lands in the spring gap and moves forward", "vodafone-vone-m", "P4",
     "2025-03-23T01:30:00+00:00", {}, (), {"resolution": "2025-03-30T01:30:00Z"}),
    ("vodafone P3 at opening time", "vodafone-vone-m", "P3", "2025-11-24T09:00:00+00:00", {}, (),
     {"first_response": "2025-11-24T11:00:00Z", "resolution": "2025-11-26T17:00:00Z"}),
    # -- CloudCTI: Support hours Mon-Fri 08:30-17:00 Amsterdam, NL holidays
    ("cloudcti P1 on Christmas Eve afternoon", "cloudcti", "P1", "2025-12-24T16:00:00+01:00", {}, (),
     {"first_response": "2025-12-29T10:30:00Z", "first_update": "2025-12-29T10:30:00Z",
      "restoration": None, "resolution": None}),
    ("cloudcti P2 MTTR day-after rule (SLA_POLICIES example)", "cloudcti", "P2",
     "2025-12-24T08:30:00+01:00", {}, (),
     {"first_response": "2025-12-24T15:30:00Z", "first_update": "2025-12-24T15:30:00Z",
      "resolution": "2025-12-30T16:00:00Z"}),
    ("cloudcti P2 Sunday night report: day after is Monday", "cloudcti", "P2",
     "2025-11-23T23:00:00+01:00", {}, (), {"resolution": "2025-11-25T16:00:00Z"}),
    ("cloudcti P2 A5 report day rolled to support hours", "cloudcti", "P2", "2025-11-23T23:00:00+01:00",
     {}, ("report_day_rolled_to_support_hours",), {"resolution": "2025-11-26T16:00:00Z"}),
    ("cloudcti P3 in hours: same clock time next support day", "cloudcti", "P3",
     "2025-11-18T10:00:00+01:00", {}, (),
     {"first_response": "2025-11-19T09:00:00Z", "first_update": None, "resolution": None}),
    ("cloudcti P3 out of hours: close of the next support day", "cloudcti", "P3",
     "2025-11-18T20:00:00+01:00", {}, (), {"first_response": "2025-11-19T16:00:00Z"}),
    ("cloudcti P3 A3 24h on working days", "cloudcti", "P3", "2025-11-18T20:00:00+01:00", {},
     ("24h_on_working_days",), {"first_response": "2025-11-19T19:00:00Z"}),
    ("cloudcti P4 over King's Day 2026", "cloudcti", "P4", "2026-04-24T12:00:00+02:00", {}, (),
     {"first_response": "2026-04-28T10:00:00Z"}),
    ("cloudcti P1 over Liberation Day 2025 (lustrum)", "cloudcti", "P1", "2025-05-02T16:00:00+02:00",
     {}, (), {"first_response": "2025-05-06T09:30:00Z"}),
    ("cloudcti P1 A21 Liberation Day never a holiday", "cloudcti", "P1", "2025-05-02T16:00:00+02:00",
     {}, ("liberation_day_never_a_holiday",), {"first_response": "2025-05-05T09:30:00Z"}),
    ("cloudcti P1 5 May 2026 is a working day", "cloudcti", "P1", "2026-05-04T16:00:00+02:00", {}, (),
     {"first_response": "2026-05-05T09:30:00Z"}),
    ("cloudcti P1 A21 5 May every year", "cloudcti", "P1", "2026-05-04T16:00:00+02:00", {},
     ("liberation_day_5_may_every_year",), {"first_response": "2026-05-06T09:30:00Z"}),
    ("cloudcti P1 over Good Friday and Easter Monday", "cloudcti", "P1", "2025-04-17T16:00:00+02:00",
     {}, (), {"first_response": "2025-04-22T09:30:00Z"}),
    ("cloudcti P1 A21 Good Friday is a working day", "cloudcti", "P1", "2025-04-17T16:00:00+02:00",
     {}, ("good_friday_is_a_working_day",), {"first_response": "2025-04-18T09:30:00Z"}),
    ("cloudcti P1 across the Amsterdam spring DST night", "cloudcti", "P1", "2025-03-28T15:00:00+01:00",
     {}, (), {"first_response": "2025-03-31T08:30:00Z"}),
    ("cloudcti P1 across the Amsterdam autumn DST night", "cloudcti", "P1", "2025-10-24T15:00:00+02:00",
     {}, (), {"first_response": "2025-10-27T09:30:00Z"}),
    # -- DuoCall Standard: Working Hours 08:30-17:30 London
    ("duocall P1 Christmas Eve (due within the day)", "duocall-standard", "P1",
     "2025-12-24T13:00:00+00:00", {}, (),
     {"first_response": "2025-12-24T17:00:00Z", "first_update": None, "restoration": None,
      "resolution": None}),
    ("duocall P1 due exactly at closing is the closing instant (A1)", "duocall-standard", "P1",
     "2025-12-24T13:30:00+00:00", {}, (), {"first_response": "2025-12-24T17:30:00Z"}),
    ("duocall P2 over Christmas 2026 with the Boxing Day substitute (28 Dec)", "duocall-standard", "P2",
     "2026-12-24T16:30:00+00:00", {}, (), {"first_response": "2026-12-29T11:30:00Z"}),
    ("duocall P3 over Christmas 2022 with the substitute day (27 Dec)", "duocall-standard", "P3",
     "2022-12-23T17:29:00+00:00", {}, (), {"first_response": "2022-12-28T17:29:00Z"}),
    ("duocall P1 a minute before closing, Friday before the Coronation bank holiday", "duocall-standard",
     "P1", "2023-05-05T17:29:00+01:00", {}, (), {"first_response": "2023-05-09T11:29:00Z"}),
    ("duocall P3 at opening time ends at closing", "duocall-standard", "P3", "2025-11-24T08:30:00+00:00",
     {}, (), {"first_response": "2025-11-24T17:30:00Z"}),
    ("duocall P3 A4 close of next working day", "duocall-standard", "P3", "2025-11-24T10:00:00+00:00",
     {}, ("close_of_next_working_day",), {"first_response": "2025-11-25T17:30:00Z"}),
    ("duocall P4 change request has no target", "duocall-standard", "P4", "2025-11-24T10:00:00+00:00",
     {}, (), {"first_response": None, "resolution": None}),
    ("duocall P1 across the London spring DST night", "duocall-standard", "P1",
     "2025-03-28T16:00:00+00:00", {}, (), {"first_response": "2025-03-31T10:00:00Z"}),
    ("duocall P1 across the London autumn DST night", "duocall-standard", "P1",
     "2025-10-24T16:00:00+01:00", {}, (), {"first_response": "2025-10-27T11:00:00Z"}),
    ("duocall P1 out of hours on Saturday", "duocall-standard", "P1", "2025-11-22T03:00:00+00:00", {}, (),
     {"first_response": "2025-11-24T12:30:00Z"}),
    # -- DuoCall Legacy Protect: faults 24x7, out-of-hours email waits for Working Hours
    ("LP P1 by chat on a Saturday night", "duocall-legacy-protect", "P1", "2025-12-27T03:00:00+00:00", {},
     (), {"first_response": "2025-12-27T05:00:00Z"}),
    ("LP P1 by email on a Saturday night waits for Monday", "duocall-legacy-protect", "P1",
     "2025-12-27T03:00:00+00:00", {"channel": "email"}, (), {"first_response": "2025-12-29T10:30:00Z"}),
    ("LP P2 by email on Christmas Eve evening", "duocall-legacy-protect", "P2", "2025-12-24T18:45:00+00:00",
     {"channel": "email"}, (), {"first_response": "2025-12-29T10:30:00Z"}),
    ("LP P1 by email in hours runs 24x7", "duocall-legacy-protect", "P1", "2025-11-25T10:00:00+00:00",
     {"channel": "email"}, (), {"first_response": "2025-11-25T12:00:00Z"}),
    ("LP P1 by phone out of hours runs 24x7", "duocall-legacy-protect", "P1", "2025-12-27T03:00:00+00:00",
     {"channel": "phone"}, (), {"first_response": "2025-12-27T05:00:00Z"}),
    ("LP P3 on Christmas Day", "duocall-legacy-protect", "P3", "2025-12-25T10:00:00+00:00", {}, (),
     {"first_response": "2025-12-25T14:00:00Z"}),
    ("LP P4 change request: 12 WH to respond and to complete", "duocall-legacy-protect", "P4",
     "2025-11-21T16:30:00+00:00", {}, (),
     {"first_response": "2025-11-25T10:30:00Z", "resolution": "2025-11-25T10:30:00Z"}),
    ("LP A10 literal working hours", "duocall-legacy-protect", "P1", "2025-12-27T03:00:00+00:00", {},
     ("literal_working_hours",), {"first_response": "2025-12-29T10:30:00Z"}),
    ("LP P1 across spring DST is elapsed", "duocall-legacy-protect", "P1", "2025-03-30T00:30:00+00:00",
     {}, (), {"first_response": "2025-03-30T02:30:00Z"}),
    ("LP A2 wall clock across spring DST", "duocall-legacy-protect", "P1", "2025-03-30T00:30:00+00:00",
     {}, ("local_wall_clock",), {"first_response": "2025-03-30T01:30:00Z"}),
    # -- Asterisk/VoIP provider: one target per plan
    ("cat1 a minute before closing, Friday before the August bank holiday", "voip-cat1", None,
     "2025-08-22T16:59:00+01:00", {}, (),
     {"first_response": "2025-08-26T15:59:00Z", "first_update": None, "restoration": None,
      "resolution": None}),
    ("cat1 at opening time", "voip-cat1", None, "2025-11-24T09:00:00+00:00", {}, (),
     {"first_response": "2025-11-24T17:00:00Z"}),
    ("cat2 late Friday into Monday's extended cover", "voip-cat2", None, "2025-11-21T22:00:00+00:00", {},
     (), {"first_response": "2025-11-24T10:00:00Z"}),
    ("cat2 at the weekend", "voip-cat2", None, "2025-11-22T10:00:00+00:00", {}, (),
     {"first_response": "2025-11-24T11:00:00Z"}),
    ("cat2 A14 cover every day", "voip-cat2", None, "2025-11-22T10:00:00+00:00", {},
     ("cover_7_days_incl_bank_holidays",), {"first_response": "2025-11-22T14:00:00Z"}),
    ("cat2 A14 4 working hours 9-5", "voip-cat2", None, "2025-11-21T22:00:00+00:00", {},
     ("4_working_hours_9_to_5",), {"first_response": "2025-11-24T13:00:00Z"}),
    ("cat4 on-site 24 h elapsed from the decision", "voip-cat4", None, "2025-12-24T10:00:00+00:00",
     {"onsite_determined_at": datetime.fromisoformat("2025-12-24T15:00:00+00:00")}, (),
     {"first_response": "2025-12-29T10:00:00Z", "onsite": "2025-12-25T15:00:00Z"}),
    ("cat4 on-site not started yet", "voip-cat4", None, "2025-12-24T10:00:00+00:00", {}, (),
     {"onsite": None}),
    ("cat4 A15 Cat2 cover assumed", "voip-cat4", None, "2025-11-21T22:00:00+00:00", {},
     ("cat2_cover_assumed",), {"first_response": "2025-11-24T10:00:00Z"}),
    ("cat4 A16 on-site in 24 working hours", "voip-cat4", None, "2025-11-19T10:00:00+00:00",
     {"onsite_determined_at": datetime.fromisoformat("2025-11-19T12:00:00+00:00")},
     ("24_working_hours",), {"onsite": "2025-11-24T12:00:00Z"}),
]


@pytest.mark.parametrize(("policy", "priority", "reported", "kwargs", "readings", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_due_times_match_the_contract(policy: str, priority: str | None, reported: str,
                                      kwargs: dict[str, object], readings: tuple[str, ...],
                                      expected: dict[str, str | None]) -> None:
    got = due(policy, priority, reported, readings=readings, **kwargs)
    assert {name: got.get(name, "missing") for name in expected} == expected


def test_every_policy_and_priority_has_a_case() -> None:
    covered = {(c[1], c[2]) for c in CASES}
    for pid in LIB.ids():
        policy = LIB.get(pid)
        for priority in policy.priority_ids or (None,):
            assert (pid, priority) in covered, f"no due-time case for {pid} {priority}"


def test_no_target_says_why() -> None:
    result = deadlines(LIB.get("cloudcti"), "P1", datetime.fromisoformat("2025-12-24T16:00:00+01:00"))
    assert result.no_target["resolution"] == "To be determined"
    onsite = deadlines(LIB.get("voip-cat4"), None, datetime.fromisoformat("2025-12-24T10:00:00+00:00"))
    assert "on-site visit is needed" in onsite.no_target["onsite"]


def test_vodafone_service_request_has_no_incident_targets() -> None:
    result = deadlines(LIB.get("vodafone-vone-m"), None, datetime.fromisoformat("2025-11-24T10:00:00+00:00"),
                       category="service_request")
    assert set(result.targets.values()) == {None}
    assert "not an Incident" in result.no_target["first_response"]


@pytest.mark.parametrize(("policy", "priority", "message"), [
    ("maintel-icon", "P9", "has priorities P1, P2, P3, P4, P5"),
    ("maintel-icon", None, "has priorities P1, P2, P3, P4, P5; got no priority"),
    ("voip-cat1", "P1", "has no priorities; send priority null"),
])
def test_wrong_priority_is_refused_with_the_valid_ones(policy: str, priority: str | None, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        deadlines(LIB.get(policy), priority, datetime.fromisoformat("2025-11-24T10:00:00+00:00"))


def test_naive_time_is_refused() -> None:
    with pytest.raises(Exception, match="no UTC offset"):
        deadlines(LIB.get("maintel-icon"), "P1", datetime(2025, 11, 24, 10, 0))
