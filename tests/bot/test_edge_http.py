"""Odd activities over HTTP: a short 400 with a logged reason, a polite refusal in an invoke's own answer."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.schema import conversation_refs, dialog_state, processed_activities, users
from tests.bot.conftest import Running
from tests.bot.fakes import activity

STRANGER = "99999999-9999-9999-9999-999999999999"


async def _stored(db: Database) -> int:
    async with db.read() as conn:
        return sum([int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
                    for table in (conversation_refs, dialog_state, processed_activities, users)])


async def _raw(faultline: Running, data: bytes) -> tuple[int, Any]:
    async with faultline.session.post(f"{faultline.url}api/messages", data=data,
                                      headers={"Content-Type": "application/json"}) as response:
        return response.status, await response.json(content_type=None)


def _with(faultline: Running, **change: Any) -> bytes:
    return json.dumps({**activity(service_url=faultline.service_url, text="my secret is hunter2"), **change}).encode()


@pytest.mark.parametrize(("change", "field"), [
    ({"serviceUrl": "javascript:alert(1)"}, "serviceUrl"),
    ({"serviceUrl": "\x00"}, "serviceUrl"),
    ({"serviceUrl": "http://smba.example.com/"}, "serviceUrl"),
    ({"serviceUrl": "https://smba..trafficmanager.net/"}, "serviceUrl"),
    ({"channelData": {"tenant": {"id": ["00000000-0000-0000-0000-000000000001"]}}}, "channelData.tenant.id"),
    ({"id": "1\x00"}, "id"),
    ({"id": "1\ud800"}, "id"),
    ({"conversation": {"id": ["a:1"]}}, "conversation.id"),
    ({"from": "Ada"}, "from"),
    ({"text": {"hunter2": 1}}, "text"),
])
async def test_a_malformed_activity_gets_a_short_400_a_logged_reason_and_nothing_else(
        faultline: Running, caplog: pytest.LogCaptureFixture, change: dict[str, Any], field: str) -> None:
    status, body = await _raw(faultline, _with(faultline, **change))
    assert status == 400
    assert field in body["error"] and len(body["error"]) < 300 and "hunter2" not in body["error"]
    logged = [r.getMessage() for r in caplog.records if "rejected malformed activity" in r.getMessage()]
    assert len(logged) == 1 and field in logged[0] and "hunter2" not in logged[0]
    assert faultline.connector.calls == [] and await _stored(faultline.db) == 0


async def test_a_body_nested_5000_deep_gets_400_and_the_service_stays_ready(faultline: Running) -> None:
    status, body = await _raw(faultline, b'{"type": "message", "value": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert status == 400 and "deeper than 32" in body["error"]
    async with faultline.session.get(f"{faultline.url}readyz") as ready:
        assert ready.status == 200


async def test_an_invoke_from_an_unknown_tenant_is_answered_with_the_refusal_in_its_response(
        faultline: Running) -> None:
    body = activity("invoke", service_url=faultline.service_url, tenant=STRANGER, name="adaptiveCard/action",
                    value={"action": {"type": "Action.Execute", "verb": "refresh", "data": {"ticket": 1}}})
    response = await faultline.post(body)
    answer = await response.json()
    assert response.status == 200
    assert answer["statusCode"] == 200 and answer["type"] == "application/vnd.microsoft.activity.message"
    assert "isn't set up with the fault desk" in answer["value"]
    assert faultline.connector.calls == [] and await _stored(faultline.db) == 0


async def test_stray_characters_in_a_users_text_and_name_do_not_stop_the_report(
        faultline: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = activity(service_url=faultline.service_url, text="our phones\x00 are down \ud83d", user_name="Ada\x00\udc00")
    status, _ = await _raw(faultline, json.dumps(body).encode())
    assert status == 200
    sent = faultline.connector.texts()
    assert "Sorry to hear that" in sent and "went wrong" not in sent
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_mention_in_a_message_without_text_is_not_an_error(faultline: Running) -> None:
    mention = [{"type": "mention", "mentioned": {"id": "28:faultline-bot"}, "text": "<at>Faultline (</at>"}]
    body = activity(service_url=faultline.service_url, conversation="19:general@thread.tacv2;messageid=1",
                    conversation_type="channel", entities=mention)
    assert (await faultline.post(body)).status == 200
    assert "went wrong" not in faultline.connector.texts()
