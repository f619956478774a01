"""Reading one-line reports as customers' users type them: each line with the facts a desk lead would take from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_config
from dialogs.extract import extract, kind_of

NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)  # Monday 10:00 GMT
LONDON = ZoneInfo("Europe/London")
CATALOGUES = {c.policy.id: dict(c.services) for c in load_config(None).customers}
MAINTEL, VODAFONE, CTI = CATALOGUES["maintel-icon"], CATALOGUES["vodafone-vone-m"], CATALOGUES["cloudcti"]
T = "2025-11-24T{}:00+00:00".format
CALLS = ["inbound_calls", "outbound_calls"]
ABSENT = object()

CASES: list[tuple[str, dict[str, Any]]] = [
    ("since 9:40 nobody at the Leeds office can make outbound calls, the other two sites are fine",
     {"services": ["outbound_calls"], "impact": "down", "sites_affected": 1, "total_sites": 3, "site_name": "Leeds",
      "started_at": T("09:40"), "pct_users_affected": ABSENT}),
    ("Leeds isn't getting any incoming calls", {"services": ["inbound_calls"], "impact": "down"}),
    ("voicemail has stopped working for everyone", {"services": ["voicemail"], "impact": "down",
                                                    "pct_users_affected": 100}),
    ("our phones are down", {"services": CALLS, "impact": "down"}),
    ("phones are completly dead, nobody can call in or out", {"services": CALLS, "impact": "down",
                                                              "pct_users_affected": 100}),
    ("cant make or receive calls at all", {"services": CALLS, "impact": "down"}),
    ("calls are really choppy and robotic for everyone since this morning",
     {"services": CALLS, "impact": "degraded", "pct_users_affected": 100, "started_at": T("08:00")}),
    ("lots of echo on calls today, everyone's complaining", {"impact": "degraded", "services": CALLS}),
    ("3 of our 12 sites cant recieve calls", {"services": ["inbound_calls"], "impact": "down", "sites_affected": 3,
                                              "total_sites": 12}),
    ("about half the office cant dial out", {"services": ["outbound_calls"], "impact": "down",
                                             "pct_users_affected": 50}),
    ("just me - my desk phone keeps saying no service", {"services": ["handset"], "users_affected": 1,
                                                         "impact": "down"}),
    ("my handset won't register since 8.30", {"services": ["handset"], "users_affected": 1,
                                              "started_at": T("08:30")}),
    ("hunt group not ringing again", {"services": ["call_queues"], "recurring": True, "impact": "down"}),
    ("sales queue isnt ringing anyone's phone", {"services": ["call_queues"], "impact": "down"}),
    ("the auto attendant menu just hangs up on callers", {"services": ["auto_attendant"]}),
    ("IVR not playing the out of hours message", {"services": ["auto_attendant"]}),
    ("call recording stopped for all 40 agents", {"services": ["call_recording"], "users_affected": 40,
                                                  "impact": "down"}),
    ("some calls dropping for 5 users, calls diverted to mobiles for now",
     {"impact": "degraded", "users_affected": 5, "workaround": True, "services": CALLS}),
    ("internal calls between extensions not working in Manchester",
     {"services": ["internal_calls"], "impact": "down", "site_name": "Manchester", "sites_affected": 1}),
    ("cant transfer calls to colleagues", {"services": ["internal_calls"], "impact": "down"}),
    ("callers get an engaged tone on our main number", {"services": ["inbound_calls"], "impact": "down"}),
    ("customers say our main number rings out", {"services": ["inbound_calls"], "impact": "down"}),
    ("Outgoing calls failing intermittently for about 20 users", {"services": ["outbound_calls"],
                                                                 "impact": "degraded", "users_affected": 20}),
    ("teams calling is down for the whole company", {"services": CALLS, "impact": "down",
                                                    "pct_users_affected": 100}),
    ("no dial tone on any phone in Bristol", {"impact": "down", "site_name": "Bristol", "sites_affected": 1}),
    ("nobody in leeds can phone out", {"services": ["outbound_calls"], "impact": "down", "site_name": "Leeds",
                                       "pct_users_affected": ABSENT}),
    ("everyone at head office has lost voicemail", {"services": ["voicemail"], "site_name": "Head Office"}),
    ("both offices cant get calls in", {"sites_affected": 2, "total_sites": 2, "impact": "down"}),
    ("all 4 sites have no phones", {"sites_affected": 4, "total_sites": 4}),
    ("2 out of 5 branches cant make calls", {"sites_affected": 2, "total_sites": 5, "impact": "down"}),
    ("started 10 minutes ago, outbound calls failing", {"started_at": T("09:50"), "services": ["outbound_calls"]}),
    ("since about 9am voicemail greetings are missing", {"started_at": T("09:00"), "services": ["voicemail"]}),
    ("half an hour ago the phones went dead", {"started_at": T("09:30"), "impact": "down"}),
    ("been like this since yesterday afternoon, calls cut out after a minute",
     {"started_at": "2025-11-23T13:00:00+00:00", "impact": "degraded"}),
    ("this keeps happening, calls drop every morning", {"recurring": True, "impact": "degraded"}),
    ("same problem as last week, nobody can hear callers", {"recurring": True}),
    ("voicmail not wokring for me", {"services": ["voicemail"], "impact": "down", "users_affected": 1}),
    ("incomming calls not comming through", {"services": ["inbound_calls"], "impact": "down"}),
    ("evryone is getting robtic audio", {"impact": "degraded", "pct_users_affected": 100}),
    ("the voicemaol is brokn for evryone", {"services": ["voicemail"], "impact": "down"}),
    ("outbuond calls are droping for some people", {"services": ["outbound_calls"], "impact": "degraded"}),
    ("outbound is down for 60% of users", {"services": ["outbound_calls"], "pct_users_affected": 60,
                                           "impact": "down"}),
    ("12 of 40 users cant get calls", {"users_affected": 12, "pct_users_affected": 30, "impact": "down"}),
    ("a couple of people say their phones keep rebooting", {"users_affected": 2}),
    ("cordless DECT handsets in the warehouse won't connect", {"services": ["cordless_handsets"]}),
    ("our SIP trunk is down", {"services": ["sip_trunk"], "impact": "down"}),
    ("10 of our 30 channels are failing", {"capacity_loss_pct": 33.3}),
    ("the backup line has failed but calls are fine", {"impact": "at_risk", "services": ["resilience"]}),
    ("failover link down, nobody affected yet", {"impact": "at_risk", "pct_users_affected": 0}),
    ("we lost our backup SIP trunk, no users affected", {"impact": "at_risk", "pct_users_affected": 0}),
    ("the whole phone system is down at one of our ten sites",
     {"services": ["all"], "impact": "down", "sites_affected": 1, "total_sites": 10}),
    ("nothing works on my phone", {"users_affected": 1, "impact": "down"}),
    ("no workaround, nobody can call out", {"workaround": False, "impact": "down"}),
    ("we've been hacked, loads of calls to premium numbers", {"security_incident": True}),
    ("teams app keeps crashing on my laptop", {"services": ["teams_client"], "users_affected": 1}),
    ("", {"services": ABSENT, "impact": ABSENT}),
    ("the other sites are fine but Leeds has no phones", {"sites_affected": 1, "site_name": "Leeds"}),
]
VODAFONE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("calls are choppy for everyone", {"services": ["voice_quality"], "impact": "degraded"}),
    ("massive lag on calls, talking over each other", {"services": ["latency"], "impact": "degraded"}),
    ("MOS is showing 2.6 on the dashboard", {"voice_mos": 2.6}),
    ("round trip is 180ms to the SBC", {"latency_ms_rtt": 180}),
    ("no emails being delivered", {"services": ["messaging"], "impact": "down"}),
    ("emails are delayed by 15 minutes", {"services": ["messaging"], "email_delivery_minutes": 15,
                                          "impact": "degraded"}),
    ("users arent syncing from the directory", {"services": ["directory_sync"]}),
    ("federation with external organisations has stopped", {"services": ["federation"], "impact": "down"}),
    ("cant dial 999 from Reading", {"services": ["elin"], "site_name": "Reading"}),
    ("we cant receive any external calls", {"services": ["inbound_pstn"], "impact": "down"}),
    ("our redundant link to vodafone is down", {"services": ["resilience"], "impact": "at_risk"}),
]
CTI_CASES: list[tuple[str, dict[str, Any]]] = [
    ("the CRM popup stopped working for me", {"services": ["crm_integration"], "users_affected": 1}),
    ("click to dial doesnt work in salesforce", {"services": ["click2dial", "crm_integration"]}),
    ("caller id not recognised for some calls", {"services": ["call_recognition"], "impact": "degraded"}),
    ("Some outgoing calls are not recognized, maybe 5 times a day",
     {"services": ["call_recognition"], "impact": "degraded"}),
    ("screen pops not showing for anyone in Amsterdam", {"services": ["crm_integration"],
                                                          "site_name": "Amsterdam"}),
]


def check(text: str, catalogue: dict[str, str], expected: dict[str, Any]) -> None:
    found = extract(text, catalogue, now=NOW, tz=LONDON).found
    for key, value in expected.items():
        if value is ABSENT:
            assert key not in found, (key, found)
        else:
            assert found.get(key) == value, (key, found)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_maintel_users_reports(text: str, expected: dict[str, Any]) -> None:
    check(text, MAINTEL, expected)


@pytest.mark.parametrize(("text", "expected"), VODAFONE_CASES)
def test_vodafone_users_reports(text: str, expected: dict[str, Any]) -> None:
    check(text, VODAFONE, expected)


@pytest.mark.parametrize(("text", "expected"), CTI_CASES)
def test_cloudcti_users_reports(text: str, expected: dict[str, Any]) -> None:
    check(text, CTI, expected)


def test_a_service_the_provider_does_not_supply_is_still_named() -> None:
    assert extract("nobody can make outbound calls", CTI, now=NOW, tz=LONDON).found["services"] == ["outbound_calls"]


def test_every_fact_says_which_words_it_came_from() -> None:
    result = extract(CASES[0][0], MAINTEL, now=NOW, tz=LONDON)
    assert result.sources["started_at"] == "since 9:40" and result.sources["services"] == "outbound"
    assert set(result.sources) == set(result.found)


def test_a_start_time_in_the_future_is_not_taken() -> None:
    assert "started_at" not in extract("phones down since 11:30", MAINTEL, now=NOW, tz=LONDON).found


def test_a_customers_own_words_name_its_services() -> None:
    found = extract("the Zeus screen is blank", CTI, now=NOW, tz=LONDON,
                    vocabulary={"crm_integration": ["zeus"]}).found
    assert found["services"] == ["crm_integration"]


@pytest.mark.parametrize(("text", "kind"), [
    ("how do I set up call forwarding?", "question"), ("Is there a way to see missed calls", "question"),
    ("please add a new starter to the sales queue", "change"), ("can you change the IVR message", "change"),
    ("how come nobody can call in?", "fault"), ("please help, phones are down", "fault"),
])
def test_the_kind_of_report(text: str, kind: str) -> None:
    assert kind_of(text) == kind


def test_there_are_at_least_sixty_realistic_reports() -> None:
    assert len(CASES) + len(VODAFONE_CASES) + len(CTI_CASES) >= 60
