"""Inbound authentication of Bot Framework activities (JWT), answered with 401 on any failure.

Two token paths, as the Bot Framework defines them:
- channel: issued by https://api.botframework.com, keys from the Bot Framework OpenID metadata, the key must
  be endorsed for the activity's channel and the token must carry a serviceurl claim equal to the activity's;
- emulator: issued by Microsoft Entra for the Bot Framework tenants (or the bot's own tenant), with the
  issuer checked against that list and the appid/azp claim equal to the bot's app id.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

CHANNEL_ISSUER = "https://api.botframework.com"
SERVICE_URL_CLAIM = "serviceurl"
BOT_FRAMEWORK_TENANTS = ("d6d49420-f39b-4df7-a1dc-d59a935871db", "f8cdef31-a31e-4b4a-93e4-5f571e91255a")
LEEWAY_SECONDS = 300
KEYS_MAX_AGE = 24 * 3600
REFRESH_AT_MOST_EVERY = 300


class AuthError(Exception):
    """The request is not from the Bot Framework for this bot (message safe to log, never the token)."""


def emulator_issuers(tenant_id: str = "") -> set[str]:
    tenants = (*BOT_FRAMEWORK_TENANTS, *((tenant_id,) if tenant_id else ()))
    return {form.format(t) for t in tenants
            for form in ("https://sts.windows.net/{}/", "https://login.microsoftonline.com/{}/v2.0")}


@dataclass
class _KeySet:
    keys: dict[str, tuple[Any, list[str]]]
    fetched_at: float


class KeySource:
    """Signing keys from an OpenID metadata document, cached, refreshed daily or on an unknown key id."""

    def __init__(self, metadata_url: str, session: aiohttp.ClientSession) -> None:
        self.metadata_url = metadata_url
        self.session = session
        self._cached: _KeySet | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> tuple[Any, list[str]]:
        cached = self._cached
        age = time.monotonic() - cached.fetched_at if cached else None
        unknown_kid = cached is not None and kid not in cached.keys
        if age is None or age > KEYS_MAX_AGE or (unknown_kid and age > REFRESH_AT_MOST_EVERY):
            await self._refresh()
        assert self._cached is not None
        if kid not in self._cached.keys:
            raise AuthError("token signed with an unknown key")
        return self._cached.keys[kid]

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                async with self.session.get(self.metadata_url, raise_for_status=True) as response:
                    metadata = await response.json(content_type=None)
                async with self.session.get(metadata["jwks_uri"], raise_for_status=True) as response:
                    jwks = await response.json(content_type=None)  # an error status never replaces good keys
                keys = _signing_keys(jwks)
            except (TimeoutError, aiohttp.ClientError, KeyError, TypeError, ValueError, RecursionError) as exc:
                if self._cached is None:
                    raise AuthError(f"signing keys unavailable: {type(exc).__name__}") from None
                return  # keep the keys we have
            self._cached = _KeySet(keys, time.monotonic())


def _signing_keys(jwks: Any) -> dict[str, tuple[Any, list[str]]]:
    """kid → (public key, endorsed channels) for every usable key of a JWKS document (odd entries skipped)."""
    keys: dict[str, tuple[Any, list[str]]] = {}
    for entry in jwks["keys"]:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        endorsements = entry.get("endorsements", []) if isinstance(entry, dict) else []
        if not isinstance(kid, str) or not isinstance(endorsements, list):
            continue
        try:
            keys[kid] = (jwt.PyJWK(entry).key, [e for e in endorsements if isinstance(e, str)])
        except jwt.PyJWTError:
            continue
    return keys


class Authenticator:
    """Checks the Authorization header of one activity."""

    def __init__(self, *, app_id: str, tenant_id: str, channel_keys: KeySource, emulator_keys: KeySource) -> None:
        self.app_id = app_id
        self.emulator_issuers = emulator_issuers(tenant_id)
        self.channel_keys = channel_keys
        self.emulator_keys = emulator_keys

    async def authenticate(self, header: str | None, activity: dict[str, Any]) -> dict[str, Any]:
        """The verified claims; AuthError for anything else (missing, malformed, expired, wrong audience …)."""
        if not header or not header.startswith("Bearer "):
            raise AuthError("missing bearer token")
        token = header.removeprefix("Bearer ").strip()
        kid, issuer = _unverified_kid_and_issuer(token)
        if issuer == CHANNEL_ISSUER:
            return await self._channel(token, kid, activity)
        if issuer in self.emulator_issuers:
            return await self._emulator(token, kid, issuer)
        raise AuthError("token from an untrusted issuer")

    def _decode(self, token: str, key: Any, issuer: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=self.app_id,
                                                issuer=issuer, leeway=LEEWAY_SECONDS,
                                                options={"require": ["exp", "iss", "aud"]})
        except (jwt.PyJWTError, TypeError, ValueError, RecursionError) as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}") from None
        return claims

    async def _channel(self, token: str, kid: str, activity: dict[str, Any]) -> dict[str, Any]:
        key, endorsements = await self.channel_keys.key(kid)
        channel = activity.get("channelId", "")
        if endorsements and channel not in endorsements:
            raise AuthError(f"signing key not endorsed for channel {channel!r}")
        claims = self._decode(token, key, CHANNEL_ISSUER)
        service_url = claims.get(SERVICE_URL_CLAIM)
        if not isinstance(service_url, str):
            raise AuthError("channel token without a serviceurl claim")
        if service_url.rstrip("/") != str(activity.get("serviceUrl", "")).rstrip("/"):
            raise AuthError("token's serviceurl does not match the activity")
        return claims

    async def _emulator(self, token: str, kid: str, issuer: str) -> dict[str, Any]:
        key, _ = await self.emulator_keys.key(kid)
        claims = self._decode(token, key, issuer)
        if (claims.get("appid") or claims.get("azp")) != self.app_id:
            raise AuthError("token issued for another app")
        return claims


def unverified_claim(token: str, name: str) -> tuple[str, str]:
    """The key id and one claim a token carries, before its signature is checked; both must be strings (the claim
    not empty)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        kid = jwt.get_unverified_header(token).get("kid", "")
    except (jwt.PyJWTError, TypeError, ValueError, RecursionError) as exc:  # JSON and base64 errors are ValueErrors
        raise AuthError(f"malformed token: {type(exc).__name__}") from None
    value = claims.get(name)
    if not isinstance(kid, str) or not isinstance(value, str) or not value:
        raise AuthError(f"malformed token: kid and {name} must be strings")
    return kid, value


def _unverified_kid_and_issuer(token: str) -> tuple[str, str]:
    """The key id and issuer a token claims, before its signature is checked."""
    return unverified_claim(token, "iss")
