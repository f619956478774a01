"""Who is looking at the SLA board: a Teams tab SSO token checked on the server, or local mode's dev sign-in.

Teams SSO (`authentication.getAuthToken`) gives the tab an Entra access token for the app's own API. It is
accepted only when all of these hold, else 401:
- its tenant (`tid`) is one the configuration serves (the MSP's or a customer's);
- it is signed RS256 with one of that tenant's keys, from its OpenID metadata (cached like the bot's keys);
- its issuer is that tenant's (Entra v1 or v2 form), its audience `api://<host>/<app id>`, and it has not expired;
- it names the person (`oid`).
The viewer's tenant and Entra id then decide what they see, through the same gate as the bot's chat.

Local mode only: a development sign-in hands out short-lived tokens signed with a per-process key, for any of the
configured people (`personas`); they are refused outside local mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from bot.config import Config
from bot.edge.auth import LEEWAY_SECONDS, AuthError, KeySource, unverified_claim
from bot.services.gate import ActorContext

DEV_SCHEME = "Dev "
DEV_LIFETIME = 8 * 3600


def issuers(tenant: str) -> set[str]:
    """The issuers Entra writes into a tenant's access tokens (v2 and v1 endpoints)."""
    return {f"https://login.microsoftonline.com/{tenant}/v2.0", f"https://sts.windows.net/{tenant}/"}


def audience(host: str, app_id: str) -> str:
    """The Application ID URI Teams tab SSO asks for: ``api://<host>/<app id>``."""
    return f"api://{host}/{app_id}"


@dataclass(frozen=True)
class Persona:
    """Someone the development sign-in can be: an id in a tenant, named for the picker."""

    key: str
    label: str
    user: str
    tenant: str


def personas(config: Config) -> list[Persona]:
    """The people of the configuration: each customer's users, and the MSP's engineers and escalation contacts."""
    msp = min(config.msp.tenants)
    people = [Persona(f"user:{c.id}", f"A user of {c.name}", f"dev-user-{c.id}", min(c.tenants))
              for c in config.customers]
    staff: dict[str, str] = {}
    for customer in config.customers:
        for engineer in sorted(customer.engineers):
            staff.setdefault(engineer, "Engineer")
        for contact in (customer.escalation.team_lead, customer.escalation.manager, customer.escalation.duty_manager):
            if contact:
                staff.setdefault(contact, "Escalation contact")
    people += [Persona(f"staff:{user}", f"{role} {user[-4:]} (MSP)", user, msp) for user, role in staff.items()]
    return people


class DevTokens:
    """Short-lived development sign-in tokens: base64url(JSON) "." HMAC-SHA256."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def _sign(self, body: str) -> str:
        return hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, persona: Persona, now: float | None = None) -> str:
        claims = {"oid": persona.user, "tid": persona.tenant, "name": persona.label,
                  "exp": int((now or time.time()) + DEV_LIFETIME)}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def claims(self, token: str) -> dict[str, Any]:
        body, _, signature = token.partition(".")
        if not hmac.compare_digest(self._sign(body).encode(), signature.encode()):
            raise AuthError("development token not signed by this process")
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            raise AuthError("malformed development token") from None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            raise AuthError("development token expired")
        return claims


class TabAuthenticator:
    """Turns the tab's Authorization header into the viewer, or raises AuthError (answered 401)."""

    def __init__(self, *, audience: str, metadata_url: str, session: aiohttp.ClientSession, config: Config,
                 dev: DevTokens | None = None) -> None:
        self.audience = audience
        self.metadata_url = metadata_url
        self.session = session
        self.config = config
        self.dev = dev
        self._keys: dict[str, KeySource] = {}

    async def viewer(self, header: str | None) -> ActorContext:
        """The person the header's token names (AuthError for anything short of a valid token)."""
        if header and header.startswith(DEV_SCHEME) and self.dev is not None:
            return _context(self.dev.claims(header.removeprefix(DEV_SCHEME).strip()))
        if not header or not header.startswith("Bearer "):
            raise AuthError("missing bearer token")
        return _context(await self._sso(header.removeprefix("Bearer ").strip()))

    def _source(self, tenant: str) -> KeySource:
        if tenant not in self._keys:
            self._keys[tenant] = KeySource(self.metadata_url.replace("{tenant}", tenant), self.session)
        return self._keys[tenant]

    async def _sso(self, token: str) -> dict[str, Any]:
        kid, tenant = unverified_claim(token, "tid")
        if not self.config.is_known_tenant(tenant):
            raise AuthError("token from a tenant this service does not serve")
        key, _ = await self._source(tenant).key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=self.audience,
                                                leeway=LEEWAY_SECONDS, options={"require": ["exp", "iss", "aud"]})
        except (jwt.PyJWTError, TypeError, ValueError, RecursionError) as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}") from None
        if claims.get("iss") not in issuers(tenant) or claims.get("tid") != tenant:
            raise AuthError("token not issued by the viewer's tenant")
        return claims


def _context(claims: dict[str, Any]) -> ActorContext:
    user, tenant = claims.get("oid"), claims.get("tid")
    if not isinstance(user, str) or not user or not isinstance(tenant, str):
        raise AuthError("token names no person")
    name = claims.get("name")
    return ActorContext(aad_id=user, mri=None, name=name if isinstance(name, str) else "Someone", tenant=tenant,
                        service_url=None)


def persona(people: Sequence[Persona], key: str) -> Persona | None:
    return next((p for p in people if p.key == key), None)
