"""Inbound authentication against odd tokens: real RS256 signatures, keys served on loopback, never a 500."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bot.settings import Secret, Settings
from bot.store.db import Database
from tests.bot.conftest import START, start_faultline
from tests.bot.fakes import APP_ID, FakeConnector, FakeIssuer, SteppableClock, activity


@dataclass
class Secured:
    issuer: FakeIssuer
    url: str
    service_url: str
    session: aiohttp.ClientSession
    connector: FakeConnector

    def sign(self, payload: dict[str, Any], **headers: Any) -> str:
        """An RS256 token over exactly these claims and headers (PyJWT's encoder would refuse the odd ones)."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self.issuer.kid, **headers}
        signing_input = f"{_segment(json.dumps(header).encode())}.{_segment(json.dumps(payload).encode())}"
        signature = self.issuer.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_segment(signature)}"

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 3600, "nbf": now - 10,
                "serviceurl": self.service_url}
        return {k: v for k, v in {**base, **changes}.items() if v is not None}

    async def post(self, token: str, body: dict[str, Any] | None = None) -> int:
        body = body or activity(service_url=self.service_url, text="our phones are down")
        async with self.session.post(f"{self.url}api/messages", json=body,
                                     headers={"Authorization": f"Bearer {token}"}) as response:
            await response.read()
            return response.status


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[Secured]:
    issuer = FakeIssuer()
    metadata = await issuer.start()
    connector = FakeConnector()
    service_url = await connector.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}")
    settings = Settings(app_id=APP_ID, app_password=Secret("s3cret"), openid_metadata_url=metadata,
                        emulator_openid_metadata_url=metadata, token_endpoint=f"{service_url}token",
                        scheduler_interval=0, graph_url="")
    server, url = await start_faultline(settings, db, connector, service_url, SteppableClock(START))
    async with aiohttp.ClientSession() as session:
        yield Secured(issuer, url, service_url, session, connector)
    await server.close()
    await db.close()
    await issuer.stop()
    await connector.stop()


async def test_a_well_signed_channel_token_is_accepted(secured: Secured) -> None:
    assert await secured.post(secured.sign(secured.claims())) == 200
    assert "Sorry to hear that" in secured.connector.texts()


@pytest.mark.parametrize("claims", [
    {"iss": ["https://api.botframework.com"]},
    {"iss": {"url": "https://api.botframework.com"}},
    {"iss": 7},
    {"aud": 5},
    {"aud": {"id": APP_ID}},
    {"aud": [APP_ID, 5]},
    {"aud": [[APP_ID]]},
    {"exp": "tomorrow"},
    {"exp": [1]},
    {"nbf": {"when": 1}},
    {"serviceurl": None},
    {"serviceurl": ["https://smba.example/"]},
    {"serviceurl": "https://smba.trafficmanager.net/emea/"},
], ids=lambda c: ",".join(f"{k}={type(v).__name__}" for k, v in c.items()))
async def test_odd_or_missing_claims_get_401_never_500(secured: Secured, claims: dict[str, Any]) -> None:
    assert await secured.post(secured.sign(secured.claims(**claims))) == 401
    assert secured.connector.messages() == []


@pytest.mark.parametrize("header", [{"kid": ["test-key-1"]}, {"kid": {"k": 1}}, {"kid": 5}])
async def test_an_odd_key_id_gets_401(secured: Secured, header: dict[str, Any]) -> None:
    assert await secured.post(secured.sign(secured.claims(), **header)) == 401


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("payload", [b"[" * 3000, b'{"iss": ' + b"[" * 3000, b'"just a string"', b"\xff\xfe"])
async def test_a_token_whose_payload_is_not_a_claims_object_gets_401(secured: Secured, payload: bytes) -> None:
    header = _segment(json.dumps({"alg": "RS256", "kid": secured.issuer.kid}).encode())
    token = f"{header}.{_segment(payload)}.{_segment(b'sig')}"
    assert await secured.post(token) == 401


async def test_a_deeply_nested_body_is_refused_with_400_before_authentication(secured: Secured) -> None:
    async with secured.session.post(f"{secured.url}api/messages", data=b'{"type": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                    headers={"Content-Type": "application/json"}) as response:
        assert response.status == 400
        assert "deeper than" in (await response.json())["error"]
