"""Reminders and escalation with a steppable clock: hours of SLA time in milliseconds, over real HTTP."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from adaptive_cards import verbs as v
from bot.app import SERVICES
from bot.reminders.scheduler import Scheduler, TickResult
from bot.store.tickets import TicketStore
from tests.bot.conftest import START, Running
from tests.bot.fakes import ADMIN, MSP_TENANT
from tests.bot.test_ticket_actions import ENGINEER_A, invoke, open_ticket, ticket_now

TEAM_LEAD, MANAGER, DUTY_MANAGER = (f"00000000-0000-0000-0000-00000000a00{n}" for n in (1, 2, 3))
VODAFONE_TENANT = "00000000-0000-0000-0000-000000000002"


def scheduler(faultline: Running) -> Scheduler:
    return faultline.server.app[SERVICES].scheduler  # type: ignore[no-any-return]


async def tick_at(faultline: Running, when: datetime) -> TickResult:
    faultline.clock.current = when
    return await scheduler(faultline).tick()


def headlines(faultline: Running, since: int = 0) -> list[tuple[str, str]]:
    """(recipient, headline) of every delivered reminder or escalation card since call number ``since``."""
    found = []
    for call in faultline.connector.calls[since:]:
        if call.method != "POST" or call.status >= 300 or "/activities" not in call.path:
            continue
        for attachment in call.body.get("attachments") or []:
            body = attachment.get("content", {}).get("body", [])
            key = (call.body.get("channelData") or {}).get("faultline", {}).get("outboxKey")
            if body and key:
                found.append((key.rsplit(":", 1)[-1] if "user:" in key else "channel", body[0]["text"]))
    return found


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return START + timedelta(hours=hours, minutes=minutes)


async def test_a_p1_without_updates_is_reminded_at_each_cadence_and_escalated_at_75_percent_and_breach(
        faultline: Running) -> None:
    await open_ticket(faultline)  # Maintel P1 at Mon 10:00: response < 30 min, update every 60 min, restore 4 h
    steps = [(at(minutes=0), [(DUTY_MANAGER, "P1 opened: MAINTEL-000001")]),
             (at(minutes=23), [(TEAM_LEAD, "First response at 75% on MAINTEL-000001"),
                               ("channel", "First response at 75% on MAINTEL-000001")]),  # unassigned
             (at(minutes=30), [(MANAGER, "First response breached on MAINTEL-000001")]),
             (at(minutes=50), [("channel", "Customer update due in 10 min")]),
             (at(minutes=60), [("channel", "Customer update due now"),
                               (TEAM_LEAD, "Customer update overdue on MAINTEL-000001")]),
             (at(hours=2), [("channel", "Customer update overdue (late by 1 h)")]),
             (at(hours=3), [("channel", "Customer update overdue (late by 2 h)"),
                            (TEAM_LEAD, "Restoration at 75% on MAINTEL-000001"),
                            ("channel", "Restoration at 75% on MAINTEL-000001")]),
             (at(hours=4), [("channel", "Customer update overdue (late by 3 h)"),
                            (MANAGER, "Restoration breached on MAINTEL-000001")])]
    for when, expected in steps:
        before = len(faultline.connector.calls)
        await tick_at(faultline, when)
        await tick_at(faultline, when)  # a second tick at the same instant sends nothing more
        assert sorted(headlines(faultline, before)) == sorted(expected), when


async def test_an_update_restarts_the_cadence(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    faultline.clock.current = at(minutes=40)
    await invoke(faultline, await ticket_now(faultline, ticket), v.UPDATE, text="Carrier engaged")
    before = len(faultline.connector.calls)
    await tick_at(faultline, at(minutes=55))  # the old lead time: nothing about updates any more
    assert not [h for _, h in headlines(faultline, before) if "Customer update" in h]
    await tick_at(faultline, at(hours=1, minutes=30))  # 10 minutes before 11:40
    assert (ENGINEER_A, "Customer update due in 10 min") in headlines(faultline, before)


async def test_a_hold_pauses_reminders_and_escalations(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)  # first response met
    faultline.clock.current = at(minutes=20)
    await invoke(faultline, await ticket_now(faultline, ticket), v.HOLD, hold_kind="awaiting_customer",
                 reason="Waiting for site access")
    before = len(faultline.connector.calls)
    for minutes in range(30, 301, 30):
        await tick_at(faultline, at(minutes=minutes))
    assert [h for _, h in headlines(faultline, before) if "P1 opened" not in h] == []
    faultline.clock.current = at(hours=5)
    await invoke(faultline, await ticket_now(faultline, ticket), v.RESUME)
    await tick_at(faultline, at(hours=5, minutes=30))  # 40 of 60 minutes were left: due 15:40, lead at 15:30
    assert (ENGINEER_A, "Customer update due in 10 min") in headlines(faultline, before)


async def test_silence_out_of_hours_on_a_working_hours_clock(faultline: Running) -> None:
    friday = datetime.fromisoformat("2025-11-21T16:00:00+00:00")
    faultline.clock.current = friday
    for text in ["my voicemail has stopped working, just me", "10 minutes ago", "no",
                 "confirm"]:  # Vodafone P4: response 24 WH, Mon-Fri 09-17
        await faultline.say(text, tenant=VODAFONE_TENANT, conversation="a:voda-1")
    ticket = (await TicketStore(faultline.db).open_tickets())[-1]
    assert ticket.priority == "P4"
    before = len(faultline.connector.calls)
    for hours in range(1, 65):  # Friday 17:00 to Monday 08:00
        await tick_at(faultline, friday + timedelta(hours=hours))
    assert headlines(faultline, before) == []
    await tick_at(faultline, datetime.fromisoformat("2025-11-26T10:00:00+00:00"))  # 18 of 24 WH used: Wed 10:00
    assert ("channel", f"First response at 75% on {ticket.reference}") in headlines(faultline, before)


async def test_a_429_with_retry_after_then_success_delivers_exactly_one_message(faultline: Running) -> None:
    await open_ticket(faultline)
    faultline.connector.fail_with = [429]
    await tick_at(faultline, at(minutes=1))
    throttled = [c for c in faultline.connector.calls if c.status == 429]
    assert len(throttled) == 1
    assert [h for _, h in headlines(faultline)] == ["P1 opened: MAINTEL-000001"]


async def test_ten_minutes_without_the_connector_then_everything_is_delivered_once(faultline: Running) -> None:
    await open_ticket(faultline)
    faultline.connector.down = True
    for minutes in range(0, 11):
        await tick_at(faultline, at(minutes=minutes))
    assert headlines(faultline) == []
    faultline.connector.down = False
    for minutes in range(11, 45):
        await tick_at(faultline, at(minutes=minutes))
    delivered = headlines(faultline)
    assert Counter(delivered) == Counter({(DUTY_MANAGER, "P1 opened: MAINTEL-000001"): 1,
                                          (TEAM_LEAD, "First response at 75% on MAINTEL-000001"): 1,
                                          ("channel", "First response at 75% on MAINTEL-000001"): 1,
                                          (MANAGER, "First response breached on MAINTEL-000001"): 1})
    keys = [(c.body.get("channelData") or {}).get("faultline", {}).get("outboxKey")
            for c in faultline.connector.calls if c.status < 300 and c.method == "POST" and "/activities" in c.path]
    assert len([k for k in keys if k]) == len({k for k in keys if k})


async def test_a_reminder_made_unnecessary_before_sending_is_dropped(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    faultline.connector.down = True
    await tick_at(faultline, at(minutes=50))  # the lead reminder is queued but cannot be sent
    faultline.connector.down = False
    faultline.clock.current = at(minutes=52)
    await invoke(faultline, await ticket_now(faultline, ticket), v.UPDATE, text="All good now")
    before = len(faultline.connector.calls)
    for minutes in range(53, 58):
        await tick_at(faultline, at(minutes=minutes))
    assert not [h for _, h in headlines(faultline, before) if "Customer update" in h]


async def test_snooze_brings_the_reminder_back_later(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    await tick_at(faultline, at(minutes=50))
    reminder = next(c for c in faultline.connector.calls if "Customer update due in 10 min" in json.dumps(c.body))
    snooze = next(a for a in reminder.body["attachments"][0]["content"]["actions"] if a.get("verb") == v.SNOOZE)
    answer = await invoke(faultline, ticket, v.SNOOZE, **{k: val for k, val in snooze["data"].items()
                                                          if k != "ticket"})
    assert "Snoozed for 15 minutes" in json.dumps(answer)
    before = len(faultline.connector.calls)
    await tick_at(faultline, at(minutes=64))
    assert (ENGINEER_A, "Customer update overdue (late by 5 min)") not in headlines(faultline, before)
    await tick_at(faultline, at(minutes=65))
    assert (ENGINEER_A, "Customer update overdue (late by 5 min)") in headlines(faultline, before)


def chats_created(faultline: Running) -> list[dict[str, Any]]:
    return [c.body for c in faultline.connector.calls
            if c.method == "POST" and c.path.rstrip("/") == "/v3/conversations" and not c.body.get("isGroup")]


async def test_the_first_alert_goes_into_a_chat_the_person_already_has_with_the_bot_without_creating_one(
        faultline: Running) -> None:
    await faultline.say("my tickets", tenant=MSP_TENANT, user=DUTY_MANAGER, user_name="Duty Manager",
                        conversation="a:duty-personal")  # the duty manager has used the bot in a 1:1 chat
    assert faultline.connector.messages("a:duty-personal")  # and was answered there
    await open_ticket(faultline)
    before = len(faultline.connector.calls)
    await tick_at(faultline, at(minutes=0))
    assert headlines(faultline, before) == [(DUTY_MANAGER, "P1 opened: MAINTEL-000001")]
    assert any("/v3/conversations/a:duty-personal/activities" in c.path for c in faultline.connector.calls[before:])
    assert chats_created(faultline) == []  # one call to Teams, not two


async def test_a_person_never_seen_in_a_1to1_chat_has_one_created_for_their_first_alert_and_then_reused(
        faultline: Running) -> None:
    await open_ticket(faultline)
    for minutes in (0, 23, 30, 60):  # duty manager, team lead, manager, then the team lead again
        await tick_at(faultline, at(minutes=minutes))
    created = sorted(c["members"][0]["id"] for c in chats_created(faultline))
    assert created == sorted([DUTY_MANAGER, TEAM_LEAD, MANAGER])  # once each, the team lead's reused at 60 min


async def bind_support_channel(faultline: Running) -> None:
    channel = {"channel": {"id": "19:support@thread.tacv2"}, "team": {"id": "19:msp@thread.tacv2"}}
    mention = [{"type": "mention", "mentioned": {"id": "28:faultline-bot"}, "text": "<at>Faultline</at>"}]
    await faultline.say("<at>Faultline</at> bind cloudcti-demo", user=ADMIN, tenant=MSP_TENANT,
                        conversation="19:support@thread.tacv2;messageid=1", conversation_type="channel",
                        channel_data=channel, entities=mention)
    assert "Bound" in faultline.connector.texts()


async def test_quiet_ticks_open_chats_ahead_with_the_escalation_contacts_so_a_first_alert_is_one_call(
        faultline: Running) -> None:
    await bind_support_channel(faultline)  # a customer naming them (not the first) has its channel bound
    await tick_at(faultline, at(minutes=-5))  # nothing due: a quiet tick opens two, the duty manager first
    assert [c["members"][0]["id"] for c in chats_created(faultline)] == [DUTY_MANAGER, TEAM_LEAD]
    await tick_at(faultline, at(minutes=-4))
    await tick_at(faultline, at(minutes=-3))
    assert [c["members"][0]["id"] for c in chats_created(faultline)] == [DUTY_MANAGER, TEAM_LEAD, MANAGER]
    await open_ticket(faultline)
    before = len(faultline.connector.calls)
    await tick_at(faultline, at(minutes=0))
    assert headlines(faultline, before) == [(DUTY_MANAGER, "P1 opened: MAINTEL-000001")]
    assert len(chats_created(faultline)) == 3  # the alert went into the chat opened ahead


async def test_someone_for_whom_teams_refuses_a_chat_is_asked_for_again_an_hour_later_not_every_tick(
        faultline: Running) -> None:
    await bind_support_channel(faultline)
    faultline.connector.fail_with = [403]  # the app is not installed for the duty manager
    await tick_at(faultline, at(minutes=-90))
    for minutes in range(-89, -80):
        await tick_at(faultline, at(minutes=minutes))
    asked = [c["members"][0]["id"] for c in chats_created(faultline)]
    assert asked.count(DUTY_MANAGER) == 1 and sorted(set(asked)) == sorted([DUTY_MANAGER, TEAM_LEAD, MANAGER])
    await tick_at(faultline, at(minutes=-29))  # an hour on: asked again, and opened
    assert [c["members"][0]["id"] for c in chats_created(faultline)].count(DUTY_MANAGER) == 2


async def test_no_chat_is_opened_ahead_while_no_support_channel_is_bound(faultline: Running) -> None:
    for minutes in (-5, -4, -3):
        await tick_at(faultline, at(minutes=minutes))
    assert chats_created(faultline) == []


async def test_a_manager_takes_ownership_from_the_escalation(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await tick_at(faultline, at(minutes=31))
    answer: dict[str, Any] = await invoke(faultline, ticket, v.TAKE_OWNERSHIP, user=MANAGER)
    assert "took ownership" in json.dumps(answer)
    assert (await ticket_now(faultline, ticket)).assignee_id == MANAGER


async def test_an_unreachable_recipient_is_recorded_and_escalated_to_the_team_lead(faultline: Running) -> None:
    await open_ticket(faultline)
    faultline.connector.fail_with = [403]  # the duty manager has blocked the bot
    await tick_at(faultline, at(minutes=0))
    await tick_at(faultline, at(minutes=1))
    assert (TEAM_LEAD, "Could not reach " + DUTY_MANAGER + " about MAINTEL-000001") in headlines(faultline)
    ticket = (await TicketStore(faultline.db).open_tickets())[0]
    assert "delivery_failed" in [e.kind for e in await TicketStore(faultline.db).events(ticket.id)]


async def test_after_downtime_each_overdue_timer_fires_once(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)  # assigned to Eng Alpha, first response met
    await tick_at(faultline, at(hours=5, minutes=5))  # the first tick after five hours of downtime
    delivered = headlines(faultline)
    reminders = [h for who, h in delivered if who == ENGINEER_A and "Customer update" in h]
    assert reminders == ["Customer update due now"]  # one catch-up, not one per missed cadence
    assert Counter(h for _, h in delivered)["Restoration breached on MAINTEL-000001"] == 1
    before = len(faultline.connector.calls)
    await tick_at(faultline, at(hours=5, minutes=6))
    assert headlines(faultline, before) == []
    await tick_at(faultline, at(hours=6))  # the next cadence after the catch-up
    assert (ENGINEER_A, "Customer update overdue (late by 5 h)") in headlines(faultline, before)


async def test_a_customer_ladder_changes_who_is_told(faultline: Running) -> None:
    from dataclasses import replace

    from bot.config import Config

    services = faultline.server.app[SERVICES]
    maintel = services.config.customers[0]
    custom = replace(maintel, escalation=replace(maintel.escalation, ladder={
        **maintel.escalation.ladder, "p1_opened": ("team_lead", "manager")}))
    services.config = Config(services.config.msp, (custom, *services.config.customers[1:]), services.config.source)
    await open_ticket(faultline)
    await tick_at(faultline, at(minutes=0))
    assert sorted(headlines(faultline)) == [(TEAM_LEAD, "P1 opened: MAINTEL-000001"),
                                            (MANAGER, "P1 opened: MAINTEL-000001")]
