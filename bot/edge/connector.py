"""Outbound calls to the Bot Connector: one shared HTTP session, a cached token, retries that honour Retry-After."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from bot.settings import Settings

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
ENTRA_AUTHORITY = "https://login.microsoftonline.com"
RETRY_STATUSES = {412, 429, 502, 503, 504}
MAX_RETRY_AFTER = 3600.0
SEND_TIMEOUT = 20.0
"""Seconds one call may take (Teams answers in well under a second); a scheduler keeps it below its lease."""


class ConnectorError(Exception):
    """The Bot Connector refused a call; ``status`` is its HTTP status (0: no answer).

    ``ambiguous``: the request may have reached the connector (a timeout or a dropped connection after sending), so
    the message may have been delivered; such a call is not repeated at once.
    """

    def __init__(self, status: int, message: str, retry_after: float | None = None, *,
                 ambiguous: bool = False) -> None:
        self.status = status
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        super().__init__(f"Bot Connector answered {status}: {message}" if status else message)

    @property
    def retryable(self) -> bool:
        return self.status in RETRY_STATUSES or self.status == 0


class SendDeferred(ConnectorError):
    """The connector asked for a wait (Retry-After) longer than this caller may wait: hand the send to the outbox.

    Nothing was delivered. ``retry_after`` says when the connector will take it (seconds from now).
    """


class TokenProvider(Protocol):
    async def token(self) -> str | None: ...


class NoToken:
    """Local mode: local clients accept unauthenticated replies."""

    async def token(self) -> str | None:
        return None


class ClientCredentialsToken:
    """OAuth 2.0 client credentials for the bot's app registration, cached until shortly before expiry."""

    def __init__(self, session: aiohttp.ClientSession, endpoint: str, app_id: str, secret: str,
                 scope: str = BOT_FRAMEWORK_SCOPE) -> None:
        self.session, self.endpoint, self.app_id, self._secret = session, endpoint, app_id, secret
        self.scope = scope
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str | None:
        if self._token and time.monotonic() < self._expires:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._expires:
                return self._token
            form = {"grant_type": "client_credentials", "client_id": self.app_id, "client_secret": self._secret,
                    "scope": self.scope}
            async with self.session.post(self.endpoint, data=form) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or "access_token" not in body:
                    raise ConnectorError(response.status, "could not obtain a Bot Framework token "
                                         f"({body.get('error', 'no error code')})")
            self._token = str(body["access_token"])
            self._expires = time.monotonic() + max(60, int(body.get("expires_in", 3600)) - 300)
            return self._token


class ManagedIdentityToken:
    """A user-assigned managed identity (azure-identity), for MicrosoftAppType=UserAssignedMSI."""

    def __init__(self, client_id: str, scope: str = BOT_FRAMEWORK_SCOPE) -> None:
        from azure.identity.aio import ManagedIdentityCredential

        self._credential = ManagedIdentityCredential(client_id=client_id)
        self.scope = scope

    async def token(self) -> str | None:
        try:
            token: str = (await self._credential.get_token(self.scope)).token
        except Exception as exc:  # azure-identity's own errors and the network's: callers handle one kind
            raise ConnectorError(0, f"could not obtain a managed identity token ({type(exc).__name__})") from None
        return token


class MsalToken:
    """App-only token from msal (client secret), which caches it until shortly before it expires.

    msal reads the authority's metadata when its app is built, so the app is built on the first call, off the event
    loop. An authority other than Entra's public cloud is taken as configured (no instance discovery).
    """

    def __init__(self, app_id: str, secret: str, tenant: str, scope: str, authority: str = ENTRA_AUTHORITY) -> None:
        self.app_id, self._secret, self.scope = app_id, secret, scope
        self.authority = f"{authority.rstrip('/')}/{tenant}"
        self._discover = None if authority.rstrip("/") == ENTRA_AUTHORITY else False
        self._app: Any = None
        self._building = threading.Lock()

    def _acquire(self) -> dict[str, Any]:
        with self._building:
            if self._app is None:
                import msal

                self._app = msal.ConfidentialClientApplication(self.app_id, client_credential=self._secret,
                                                               authority=self.authority,
                                                               instance_discovery=self._discover)
        result: dict[str, Any] = self._app.acquire_token_for_client(scopes=[self.scope])
        return result

    async def token(self) -> str | None:
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, self._acquire)
        except Exception as exc:  # msal's and requests' errors (an unreachable authority): callers handle one kind
            raise ConnectorError(0, f"could not reach the token authority ({type(exc).__name__})") from None
        if "access_token" not in result:
            raise ConnectorError(401, f"could not obtain a token ({result.get('error', 'no error code')})")
        return str(result["access_token"])


def graph_token_provider(settings: Settings, session: aiohttp.ClientSession) -> TokenProvider:
    """Graph's app-only token: managed identity, msal with the client secret, or a configured endpoint."""
    scope = "https://graph.microsoft.com/.default"
    if settings.app_type == "UserAssignedMSI":
        return ManagedIdentityToken(settings.app_id, scope)
    if settings.graph_token_endpoint:
        return ClientCredentialsToken(session, settings.graph_token_endpoint, settings.app_id,
                                      settings.app_password.value, scope)
    return MsalToken(settings.app_id, settings.app_password.value, settings.app_tenant_id or "organizations", scope,
                     settings.authority)


def token_provider(settings: Settings, session: aiohttp.ClientSession) -> TokenProvider:
    """The right credential for the settings (none in local mode)."""
    if settings.local or not settings.app_id:
        return NoToken()
    if settings.app_type == "UserAssignedMSI":
        return ManagedIdentityToken(settings.app_id)
    tenant = settings.app_tenant_id if settings.app_type == "SingleTenant" else "botframework.com"
    endpoint = settings.token_endpoint or f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    return ClientCredentialsToken(session, endpoint, settings.app_id, settings.app_password.value)


@dataclass(frozen=True)
class Sent:
    """What the connector answered to a send: the new activity's id (and conversation, when created)."""

    activity_id: str | None
    conversation_id: str | None = None


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return min(MAX_RETRY_AFTER, float(value)) if value else None
    except ValueError:
        return None


class Connector:
    """Bot Connector REST calls used by Faultline.

    A refused call is retried at most ``attempts`` times, waiting ``max_wait`` seconds at most in all (Retry-After
    first, else exponential back-off); a longer Retry-After raises `SendDeferred` at once instead of waiting. Each
    try is bounded by ``timeout`` seconds. A POST that may have reached the connector is not repeated in the call
    (except creating a 1:1 chat, which Teams answers with the same chat).
    """

    def __init__(self, session: aiohttp.ClientSession, tokens: TokenProvider, attempts: int = 3,
                 max_wait: float = 3.0, observe: Callable[[str, int], None] | None = None,
                 timeout: float = SEND_TIMEOUT) -> None:
        self.session, self.tokens = session, tokens
        self.attempts, self.max_wait, self.timeout = attempts, max_wait, timeout
        self.observe = observe or (lambda outcome, attempt: None)

    @property
    def longest_call(self) -> float:
        """The most seconds one call can take, every try and wait included."""
        return self.attempts * self.timeout + self.max_wait

    def bounded(self, seconds: float) -> Connector:
        """This connector, or a copy with shorter tries and waits so that a call never outlasts ``seconds``."""
        if self.longest_call < seconds:
            return self
        max_wait = min(self.max_wait, seconds * 0.2)
        timeout = max(0.05, (seconds * 0.7 - max_wait) / self.attempts)
        return Connector(self.session, self.tokens, self.attempts, max_wait, self.observe, timeout)

    async def _call(self, method: str, url: str, body: Mapping[str, Any] | None,
                    repeatable: bool | None = None) -> dict[str, Any]:
        """``repeatable``: safe to send twice (default: anything but a POST)."""
        repeatable = method != "POST" if repeatable is None else repeatable
        waited = 0.0
        for number in range(1, self.attempts + 1):
            try:
                answer = await self._once(method, url, body)
            except ConnectorError as exc:
                delay = self._retry_delay(exc, repeatable, number, waited)
                self.observe("failed" if delay is None else "retry", number)
                if delay is None:
                    raise self._deferred(exc) from None
                await asyncio.sleep(delay)
                waited += delay
                continue
            self.observe("ok", number)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, error: ConnectorError, repeatable: bool, number: int, waited: float) -> float | None:
        """How long to wait before trying again, or None: give up (the caller sees the error)."""
        if not error.retryable or number >= self.attempts or (error.ambiguous and not repeatable):
            return None
        delay = error.retry_after if error.retry_after is not None else min(
            self.max_wait, 0.5 * 2 ** (number - 1) + random.uniform(0, 0.25))
        return delay if waited + delay <= self.max_wait else None

    def _deferred(self, error: ConnectorError) -> ConnectorError:
        """A throttle whose Retry-After outlasts this caller's patience becomes `SendDeferred`."""
        if error.retry_after is None or isinstance(error, SendDeferred) or error.retry_after <= self.max_wait:
            return error
        return SendDeferred(error.status, str(error), error.retry_after)

    async def _once(self, method: str, url: str, body: Mapping[str, Any] | None) -> dict[str, Any]:
        token = await self.tokens.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self.session.request(method, url, json=body, headers=headers,
                                             timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status >= 300:
                    text = (await response.text())[:300]
                    raise ConnectorError(response.status, text, _retry_after(response))
                payload = await response.json(content_type=None) if response.content_length != 0 else {}
                return payload if isinstance(payload, dict) else {}
        except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
            raise ConnectorError(0, f"Bot Connector unreachable: {type(exc).__name__}") from None
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:  # sent, perhaps accepted, answer lost
            raise ConnectorError(0, f"Bot Connector did not answer: {type(exc).__name__}", ambiguous=True) from None

    @staticmethod
    def _base(service_url: str) -> str:
        return service_url.rstrip("/") + "/v3/conversations"

    async def send(self, service_url: str, conversation_id: str, activity: Mapping[str, Any],
                   reply_to: str | None = None) -> Sent:
        url = f"{self._base(service_url)}/{quote(conversation_id, safe='')}/activities"
        if reply_to:
            url += f"/{quote(reply_to, safe='')}"
        answer = await self._call("POST", url, activity)
        return Sent(answer.get("id"))

    async def update(self, service_url: str, conversation_id: str, activity_id: str,
                     activity: Mapping[str, Any]) -> Sent:
        url = f"{self._base(service_url)}/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        answer = await self._call("PUT", url, activity)
        return Sent(answer.get("id") or activity_id)

    async def delete(self, service_url: str, conversation_id: str, activity_id: str) -> None:
        url = f"{self._base(service_url)}/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        await self._call("DELETE", url, {})

    async def is_member(self, service_url: str, conversation_id: str, user_id: str) -> bool:
        """Whether a user belongs to a conversation (a team), asked of the connector."""
        url = f"{self._base(service_url)}/{quote(conversation_id, safe='')}/members/{quote(user_id, safe='')}"
        try:
            await self._call("GET", url, None)
        except ConnectorError as exc:
            if exc.status in (403, 404):
                return False
            raise
        return True

    async def create_conversation(self, service_url: str, parameters: Mapping[str, Any]) -> Sent:
        # Teams answers a repeated 1:1 creation with the same conversation, so a lost answer may be asked again.
        answer = await self._call("POST", self._base(service_url), parameters,
                                  repeatable="activity" not in parameters and not parameters.get("isGroup"))
        return Sent(answer.get("activityId"), answer.get("id"))
