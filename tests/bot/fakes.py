"""Loopback fakes for Microsoft's services, and Teams-shaped activities."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

MSP_TENANT = "00000000-0000-0000-0000-0000000000aa"
MAINTEL_TENANT = "00000000-0000-0000-0000-000000000001"
DUOCALL_TENANT = "00000000-0000-0000-0000-000000000004"
ADMIN = "00000000-0000-0000-0000-00000000ad01"
BOT_ID = "28:faultline-bot"
APP_ID = "11111111-2222-3333-4444-555555555555"


@dataclass
class Recorded:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int = 200


@dataclass
class FakeConnector:
    """Plays the Bot Connector: records every call, answers like the real one, can be told to fail."""

    calls: list[Recorded] = field(default_factory=list)
    fail_with: list[int] = field(default_factory=list)
    members: set[str] | None = None  # when set, only these user ids belong to any team
    down: bool = False  # drop every connection, as an unreachable connector would
    hold_at: int | None = None  # keep the n-th activity POST waiting until `release` is set
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _posts: int = 0
    server: TestServer | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", handler_cancellation=True)
        await self.server.start_server()
        return str(self.server.make_url("/"))

    async def stop(self) -> None:
        if self.server:
            await self.server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.content_type == "application/x-www-form-urlencoded":  # the client-credentials token call
            form = dict(await request.post())
            self.calls.append(Recorded(request.method, request.path, {k: str(v) for k, v in form.items()},
                                       dict(request.headers)))
            return web.json_response({"access_token": f"bot-token-for-{form.get('client_id')}", "expires_in": 3600})
        if self.down:
            assert request.transport is not None
            request.transport.close()
            raise web.HTTPServiceUnavailable()
        body = await request.json() if request.can_read_body else {}
        recorded = Recorded(request.method, request.path, body, dict(request.headers))
        self.calls.append(recorded)
        if request.method == "POST" and "/activities" in request.path:
            self._posts += 1
            if self._posts == self.hold_at:
                try:
                    await self.release.wait()
                except asyncio.CancelledError:  # the sender went away before we answered: nothing was accepted
                    recorded.status = 499
                    raise
        if self.fail_with:
            recorded.status = self.fail_with.pop(0)
            return web.json_response({"error": {"code": "Throttled"}}, status=recorded.status,
                                     headers={"Retry-After": "0"})
        number = next(self._ids)
        if request.method == "GET" and "/members/" in request.path:
            user = request.match_info["tail"].rsplit("/", 1)[-1]
            if self.members is not None and user not in self.members:
                return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
            return web.json_response({"id": user, "name": "Member"})
        if request.method == "POST" and request.path.rstrip("/") == "/v3/conversations":
            return web.json_response({"id": f"19:support@thread.tacv2;messageid={number}",
                                      "activityId": str(number)}, status=201)
        return web.json_response({"id": f"activity-{number}"}, status=201 if request.method == "POST" else 200)

    def messages(self, conversation: str | None = None) -> list[dict[str, Any]]:
        """Activities the bot sent (replies and new conversations' first activities), in order."""
        found = []
        for call in self.calls:
            if call.method != "POST":
                continue
            if call.path.rstrip("/") == "/v3/conversations":
                found.append({**call.body["activity"], "_new_conversation": call.body})
            elif conversation is None or f"/v3/conversations/{conversation}/" in call.path or \
                    call.path.startswith(f"/v3/conversations/{conversation}/"):
                found.append(call.body)
        return found

    def delivered(self) -> list[dict[str, Any]]:
        """Activities the connector accepted (2xx), new conversations' first activities included."""
        return [c.body for c in self.calls if c.method == "POST" and c.status < 300 and "/activities" in c.path]

    def texts(self, conversation: str | None = None) -> str:
        return "\n".join(json.dumps(m, ensure_ascii=False) for m in self.messages(conversation))


class SteppableClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def step(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class FakeIssuer:
    """Plays the Bot Framework's OpenID metadata and signs channel tokens with its own key."""

    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    kid: str = "test-key-1"
    server: TestServer | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/metadata", self._metadata)
        app.router.add_get("/keys", self._keys)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("/metadata"))

    async def stop(self) -> None:
        if self.server:
            await self.server.close()

    async def _metadata(self, request: web.Request) -> web.Response:
        assert self.server is not None
        return web.json_response({"issuer": "https://api.botframework.com",
                                  "jwks_uri": str(self.server.make_url("/keys"))})

    async def _keys(self, request: web.Request) -> web.Response:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return web.json_response({"keys": [{**public, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}]})

    def token(self, service_url: str, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 3600, "nbf": now - 10,
                   "serviceurl": service_url, **claims}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})


_activity_ids = itertools.count(1)


def activity(kind: str = "message", *, service_url: str, text: str | None = None, value: dict[str, Any] | None = None,
             tenant: str = MAINTEL_TENANT, user: str = "00000000-0000-0000-0000-0000000000u1",
             user_name: str = "Ada Reporter", conversation: str = "a:personal-1",
             conversation_type: str = "personal", channel_data: dict[str, Any] | None = None,
             activity_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Teams-shaped activity."""
    body: dict[str, Any] = {
        "type": kind, "id": activity_id or f"1{next(_activity_ids):08d}", "channelId": "msteams",
        "serviceUrl": service_url, "timestamp": datetime.now(UTC).isoformat(),
        "localTimezone": "Europe/London",
        "from": {"id": f"29:{user}", "name": user_name, "aadObjectId": user},
        "recipient": {"id": BOT_ID, "name": "Faultline"},
        "conversation": {"id": conversation, "conversationType": conversation_type, "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}, **(channel_data or {})},
        **extra,
    }
    if text is not None:
        body["text"] = text
    if value is not None:
        body["value"] = value
    return body


async def settle() -> None:
    await asyncio.sleep(0)
