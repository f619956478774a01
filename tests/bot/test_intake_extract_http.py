"""Reports typed in one sentence, end to end over HTTP: read, asked only what is missing, confirmed, opened."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.questions import PROMPTS
from tests.bot.conftest import Running

TARGET = "since 9:40 nobody at the Leeds office can make outbound calls, the other two sites are fine"
DEMO_TENANTS = {f"00000000-0000-0000-0000-00000000000{n}": prefix for n, prefix in enumerate(
    ["MAINTEL", "VODA", "CTI", "DUO", "LEGACY", "CATONE", "CATTWO", "CATFOUR"], start=1)}
ANSWERS = {"description": "It won't work", "started_at": "10 minutes ago", "services": "1", "impact": "down",
           "users": "all", "sites": "1 of 3", "mission_critical_site": "no", "workaround": "no",
           "voice_quality": "yes", "latency": "not sure", "capacity": "not sure", "recurrence": "no"}
SERVICES_PROMPT = "Which services are affected?"


def _last_text(faultline: Running) -> str:
    texts = [m.get("text") or "" for m in faultline.connector.messages() if m.get("text")]
    return texts[-1].split("\n\n")[-1] if texts else ""  # the question ends the message


def _summary_shown(faultline: Running) -> bool:
    last = faultline.connector.messages()[-2:]
    return any("Open the ticket" in str(m.get("attachments", "")) for m in last)


def _asked(text: str) -> str | None:
    if text.startswith(SERVICES_PROMPT):
        return "services"
    return next((step for step, prompt in PROMPTS.items() if text.startswith(prompt)), None)


async def report(faultline: Running, first: str, answers: dict[str, str] | None = None, **kw: Any) -> list[str]:
    """Say ``first``, answer every question with a plain answer, confirm; the questions asked, in order."""
    plain = {**ANSWERS, **(answers or {})}
    asked: list[str] = []
    assert await faultline.say(first, **kw) == 200
    while not _summary_shown(faultline):
        question = _asked(_last_text(faultline))
        assert question is not None and question not in asked and len(asked) < 10, _last_text(faultline)
        asked.append(question)
        assert await faultline.say(plain[question], **kw) == 200
    assert await faultline.say("confirm", **kw) == 200
    return asked


@pytest.mark.parametrize(("tenant", "prefix"), DEMO_TENANTS.items())
async def test_the_one_sentence_report_needs_at_most_two_more_questions(faultline: Running, tenant: str,
                                                                        prefix: str) -> None:
    from bot.store.tickets import TicketStore

    asked = await report(faultline, TARGET, tenant=tenant)
    assert len(asked) <= 2, asked
    assert "started_at" not in asked and "sites" not in asked and "services" not in asked
    ticket = await TicketStore(faultline.db).by_reference(f"{prefix}-000001")
    assert ticket is not None and ticket.started_at is not None
    assert ticket.started_at.isoformat() == "2025-11-24T09:40:00+00:00"
    assert ticket.report["sites_affected"] == 1 and ticket.report["total_sites"] == 3
    assert ticket.report["impact"] == "down" and ticket.report["site_name"] == "Leeds"
    assert "something went wrong" not in faultline.connector.texts()


SAMPLE = [
    ("Leeds isn't getting any incoming calls", {"services": ["inbound_calls"], "impact": "down"}),
    ("voicemail has stopped working for everyone", {"services": ["voicemail"], "pct_users_affected": 100}),
    ("calls are choppy and robotic for everyone since this morning",
     {"impact": "degraded", "pct_users_affected": 100, "started_at": "2025-11-24T08:00:00+00:00"}),
    ("3 of our 12 sites cant recieve calls", {"services": ["inbound_calls"], "sites_affected": 3,
                                              "total_sites": 12}),
    ("about half the office cant dial out since 9.15", {"services": ["outbound_calls"],
                                                        "pct_users_affected": 50}),
    ("my desk phone is dead", {"services": ["handset"], "users_affected": 1, "impact": "down"}),
    ("hunt group not ringing again, 20 mins ago", {"services": ["call_queues"], "recurring": True,
                                                    "started_at": "2025-11-24T09:40:00+00:00"}),
    ("Report a fault: no dial tone on any phone in Bristol",
     {"impact": "down", "site_name": "Bristol", "sites_affected": 1}),
    ("call recording stopped for all 40 agents", {"services": ["call_recording"], "users_affected": 40}),
    ("some calls dropping for 5 users, calls diverted to mobiles for now",
     {"impact": "degraded", "users_affected": 5, "workaround": True}),
]


@pytest.mark.parametrize(("first", "expected"), SAMPLE)
async def test_a_sample_of_reports_opens_tickets_holding_what_was_said(faultline: Running, first: str,
                                                                      expected: dict[str, Any]) -> None:
    from bot.store.tickets import TicketStore

    asked = await report(faultline, first)
    ticket = await TicketStore(faultline.db).by_reference("MAINTEL-000001")
    assert ticket is not None, faultline.connector.texts()
    for key, value in expected.items():
        assert ticket.report[key] == value, key
        assert ANSWERS_STEP.get(key) not in asked, key  # what the message said is never asked again
    assert ticket.report["description"].lower().startswith(first.lower().removeprefix("report a fault: ")[:10])


ANSWERS_STEP = {"services": "services", "impact": "impact", "pct_users_affected": "users", "users_affected": "users",
                "sites_affected": "sites", "total_sites": "sites", "started_at": "started_at",
                "workaround": "workaround", "recurring": "recurrence"}
