"""bot/edge/auth.py: every way an inbound token is accepted or refused, with real RS256 signatures.

The OpenID metadata and the key set are served on 127.0.0.1; nothing reaches Microsoft.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.edge.auth import BOT_FRAMEWORK_TENANTS, CHANNEL_ISSUER, Authenticator, AuthError, KeySource, emulator_issuers

APP_ID = "11111111-2222-3333-4444-555555555555"
OWN_TENANT = "99999999-0000-0000-0000-000000000001"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
ACTIVITY = {"type": "message", "channelId": "msteams", "serviceUrl": SERVICE_URL}


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


CHANNEL_KEY, EMULATOR_KEY, STRANGER_KEY = new_key(), new_key(), new_key()


@dataclass
class Issuer:
    """An OpenID metadata document and its key set, with a switch to break either."""

    keys: list[dict[str, Any]]
    broken: str = ""  # "metadata": 500 with HTML; "jwks_uri": metadata without it; "keys": not JSON;
    # "status": the key set answers 503 with a JSON error
    hits: list[str] = field(default_factory=list)
    server: TestServer | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._metadata)
        app.router.add_get("/keys", self._keys)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("/.well-known/openid-configuration"))

    async def _metadata(self, request: web.Request) -> web.Response:
        self.hits.append("metadata")
        assert self.server is not None
        if self.broken == "metadata":
            return web.Response(status=500, text="<html>down</html>")
        document = {"issuer": CHANNEL_ISSUER, "jwks_uri": str(self.server.make_url("/keys"))}
        if self.broken == "jwks_uri":
            del document["jwks_uri"]
        return web.json_response(document)

    async def _keys(self, request: web.Request) -> web.Response:
        self.hits.append("keys")
        if self.broken == "keys":
            return web.Response(text="not json")
        if self.broken == "status":
            return web.json_response({"error": "busy"}, status=503)
        return web.json_response({"keys": self.keys})


def jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: list[str] | None = None) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", **({"endorsements": endorsements} if endorsements is not None else {})}


def token(key: rsa.RSAPrivateKey, kid: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": CHANNEL_ISSUER, "aud": APP_ID, "exp": now + 3600, "nbf": now - 10, "serviceurl": SERVICE_URL,
               **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def emulator_token(key: rsa.RSAPrivateKey = EMULATOR_KEY, kid: str = "emu-1", **claims: Any) -> str:
    issuer = f"https://sts.windows.net/{BOT_FRAMEWORK_TENANTS[0]}/"
    return token(key, kid, **{"iss": issuer, "appid": APP_ID, "serviceurl": None, **claims})


@dataclass
class World:
    channel: Issuer
    emulator: Issuer
    auth: Authenticator
    session: aiohttp.ClientSession

    async def check(self, bearer: str, activity: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.auth.authenticate(f"Bearer {bearer}", activity or ACTIVITY)

    async def refused(self, bearer: str | None, activity: dict[str, Any] | None = None, *,
                      header: str | None = None) -> str:
        with pytest.raises(AuthError) as refusal:
            await self.auth.authenticate(header if bearer is None else f"Bearer {bearer}", activity or ACTIVITY)
        return str(refusal.value)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    channel = Issuer([jwk(CHANNEL_KEY, "chan-1", ["msteams"]), jwk(STRANGER_KEY, "any-channel")])
    emulator = Issuer([jwk(EMULATOR_KEY, "emu-1")])
    channel_url, emulator_url = await channel.start(), await emulator.start()
    async with aiohttp.ClientSession() as session:
        auth = Authenticator(app_id=APP_ID, tenant_id=OWN_TENANT, channel_keys=KeySource(channel_url, session),
                             emulator_keys=KeySource(emulator_url, session))
        yield World(channel, emulator, auth, session)
    for issuer in (channel, emulator):
        assert issuer.server is not None
        await issuer.server.close()


# -- the channel path ----------------------------------------------------------------------------------
async def test_a_channel_token_is_accepted_and_its_claims_returned(world: World) -> None:
    claims = await world.check(token(CHANNEL_KEY, "chan-1"))
    assert (claims["iss"], claims["aud"], claims["serviceurl"]) == (CHANNEL_ISSUER, APP_ID, SERVICE_URL)
    no_slash = {**ACTIVITY, "serviceUrl": SERVICE_URL.rstrip("/")}
    assert (await world.check(token(CHANNEL_KEY, "chan-1"), no_slash))["aud"] == APP_ID
    assert await world.refused(token(CHANNEL_KEY, "chan-1", serviceurl=None)) == \
        "channel token without a serviceurl claim"  # the connector spec requires it present and equal


async def test_a_key_not_endorsed_for_the_channel_is_refused(world: World) -> None:
    webchat = {**ACTIVITY, "channelId": "webchat"}
    assert await world.refused(token(CHANNEL_KEY, "chan-1"), webchat) == \
        "signing key not endorsed for channel 'webchat'"
    assert await world.refused(token(CHANNEL_KEY, "chan-1"), {"serviceUrl": SERVICE_URL}) == \
        "signing key not endorsed for channel ''"
    assert (await world.check(token(STRANGER_KEY, "any-channel"), webchat))["aud"] == APP_ID  # no endorsements


async def test_a_token_for_another_service_url_is_refused(world: World) -> None:
    other = {**ACTIVITY, "serviceUrl": "https://attacker.example/"}
    assert await world.refused(token(CHANNEL_KEY, "chan-1"), other) == "token's serviceurl does not match the activity"
    camel = token(CHANNEL_KEY, "chan-1", serviceurl=None, serviceUrl="https://attacker.example/")
    assert await world.refused(camel) == "channel token without a serviceurl claim"


@pytest.mark.parametrize(("claims", "error"), [
    ({"aud": "another-app"}, "InvalidAudienceError"),
    ({"exp": -301}, "ExpiredSignatureError"),  # seconds from now: beyond five minutes' leeway
    ({"nbf": 400}, "ImmatureSignatureError"),
    ({"aud": None}, "MissingRequiredClaimError"),
    ({"exp": None}, "MissingRequiredClaimError"),
])
async def test_a_channel_token_with_bad_claims_is_refused(world: World, claims: dict[str, Any], error: str) -> None:
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf") and v is not None else v for k, v in claims.items()}
    assert await world.refused(token(CHANNEL_KEY, "chan-1", **claims)) == f"invalid token: {error}"


async def test_clock_skew_within_the_leeway_is_tolerated(world: World) -> None:
    assert (await world.check(token(CHANNEL_KEY, "chan-1", exp=int(time.time()) - 200)))["aud"] == APP_ID


async def test_a_forged_signature_is_refused(world: World) -> None:
    assert await world.refused(token(STRANGER_KEY, "chan-1")) == "invalid token: InvalidSignatureError"


async def test_an_unknown_key_id_is_refused(world: World) -> None:
    assert await world.refused(token(CHANNEL_KEY, "retired-key")) == "token signed with an unknown key"
    assert await world.refused(token(CHANNEL_KEY, "")) == "token signed with an unknown key"


async def test_keys_are_fetched_once_and_an_unknown_key_id_does_not_refetch_within_five_minutes(
        world: World) -> None:
    await world.check(token(CHANNEL_KEY, "chan-1"))
    await world.check(token(CHANNEL_KEY, "chan-1"))
    await world.refused(token(CHANNEL_KEY, "rotated-in"))
    assert world.channel.hits == ["metadata", "keys"]


@pytest.mark.parametrize(("broken", "error"), [("metadata", "signing keys unavailable: ClientResponseError"),
                                               ("jwks_uri", "signing keys unavailable: KeyError"),
                                               ("keys", "signing keys unavailable: JSONDecodeError")])
async def test_a_failed_key_fetch_refuses_the_token(world: World, broken: str, error: str) -> None:
    world.channel.broken = broken
    assert await world.refused(token(CHANNEL_KEY, "chan-1")) == error


def age_keys(source: KeySource, seconds: float) -> None:
    """Make the cached key set look ``seconds`` older (KeySource reads time.monotonic, with no clock to step)."""
    assert source._cached is not None
    source._cached.fetched_at -= seconds


async def test_a_failed_refresh_keeps_the_keys_already_held(world: World) -> None:
    await world.check(token(CHANNEL_KEY, "chan-1"))
    age_keys(world.auth.channel_keys, 25 * 3600)  # due for the daily refresh
    world.channel.broken = "keys"
    assert (await world.check(token(CHANNEL_KEY, "chan-1")))["aud"] == APP_ID
    assert world.channel.hits == ["metadata", "keys", "metadata", "keys"]


async def test_an_unknown_key_id_refetches_after_five_minutes(world: World) -> None:
    await world.check(token(CHANNEL_KEY, "chan-1"))
    world.channel.keys.append(jwk(CHANNEL_KEY, "rotated-in", ["msteams"]))
    assert await world.refused(token(CHANNEL_KEY, "rotated-in")) == "token signed with an unknown key"
    age_keys(world.auth.channel_keys, 301)
    assert (await world.check(token(CHANNEL_KEY, "rotated-in")))["aud"] == APP_ID
    assert world.channel.hits == ["metadata", "keys", "metadata", "keys"]


async def test_a_refresh_answered_with_an_error_status_keeps_the_keys_already_held(world: World) -> None:
    await world.check(token(CHANNEL_KEY, "chan-1"))
    age_keys(world.auth.channel_keys, 25 * 3600)
    world.channel.broken = "status"
    assert (await world.check(token(CHANNEL_KEY, "chan-1")))["aud"] == APP_ID


async def test_an_unreachable_key_server_refuses_the_token(world: World) -> None:
    assert world.channel.server is not None
    await world.channel.server.close()
    assert await world.refused(token(CHANNEL_KEY, "chan-1")) == "signing keys unavailable: ClientConnectorError"


# -- the emulator path ---------------------------------------------------------------------------------
@pytest.mark.parametrize("issuer", sorted(emulator_issuers(OWN_TENANT)))
async def test_an_emulator_token_for_this_app_is_accepted_from_each_trusted_issuer(world: World, issuer: str) -> None:
    assert (await world.check(emulator_token(iss=issuer)))["appid"] == APP_ID
    assert (await world.check(emulator_token(iss=issuer, appid=None, azp=APP_ID)))["azp"] == APP_ID


async def test_an_emulator_token_for_another_app_is_refused(world: World) -> None:
    assert await world.refused(emulator_token(appid="another-app")) == "token issued for another app"
    assert await world.refused(emulator_token(appid=None)) == "token issued for another app"
    assert await world.refused(emulator_token(appid=None, azp="another-app")) == "token issued for another app"


async def test_an_emulator_token_is_checked_against_the_emulator_keys_only(world: World) -> None:
    assert await world.refused(emulator_token(CHANNEL_KEY, "chan-1")) == "token signed with an unknown key"
    assert await world.refused(emulator_token(kid="emu-1", aud="another-app")) == "invalid token: InvalidAudienceError"
    assert world.channel.hits == []


def test_the_trusted_emulator_issuers() -> None:
    forms = ("https://sts.windows.net/{}/", "https://login.microsoftonline.com/{}/v2.0")
    assert emulator_issuers() == {f.format(t) for t in BOT_FRAMEWORK_TENANTS for f in forms}
    assert emulator_issuers(OWN_TENANT) == emulator_issuers() | {f.format(OWN_TENANT) for f in forms}


async def test_another_tenants_issuer_is_untrusted(world: World) -> None:
    stranger = "https://sts.windows.net/12345678-0000-0000-0000-000000000000/"
    assert await world.refused(emulator_token(iss=stranger)) == "token from an untrusted issuer"
    assert await world.refused(token(CHANNEL_KEY, "chan-1", iss=None)) == "malformed token: kid and iss must be strings"


# -- the header ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "error"), [
    (None, "missing bearer token"), ("", "missing bearer token"), ("Basic dXNlcjpwYXNz", "missing bearer token"),
    ("Bearer not-a-jwt", "malformed token: DecodeError"), ("Bearer a.b.c", "malformed token: DecodeError"),
])
async def test_a_missing_or_malformed_header_is_refused(world: World, header: str | None, error: str) -> None:
    assert await world.refused(None, header=header) == error
