"""Outbound calls to the Bot Connector: one shared HTTP session, a cached token, retries that honour Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from bot.settings import Settings

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
RETRY_STATUSES = {412, 429, 502, 503, 504}
MAX_RETRY_AFTER = 60.0


class ConnectorError(Exception):
    """The Bot Connector refused a call; ``status`` is its HTTP status (0: no answer)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"Bot Connector answered {status}: {message}" if status else message)

    @property
    def retryable(self) -> bool:
        return self.status in RETRY_STATUSES or self.status == 0


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
        token: str = (await self._credential.get_token(self.scope)).token
        return token


class MsalToken:
    """App-only token from msal (client secret), which caches it until shortly before it expires."""

    def __init__(self, app_id: str, secret: str, tenant: str, scope: str) -> None:
        import msal

        self._app = msal.ConfidentialClientApplication(app_id, client_credential=secret,
                                                       authority=f"https://login.microsoftonline.com/{tenant}")
        self.scope = scope

    async def token(self) -> str | None:
        result = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self._app.acquire_token_for_client(scopes=[self.scope]))
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
    return MsalToken(settings.app_id, settings.app_password.value, settings.app_tenant_id or "organizations", scope)


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
    """Bot Connector REST calls used by Faultline."""

    def __init__(self, session: aiohttp.ClientSession, tokens: TokenProvider, attempts: int = 5,
                 max_wait: float = 30.0, observe: Callable[[str, int], None] | None = None) -> None:
        self.session, self.tokens = session, tokens
        self.attempts, self.max_wait = attempts, max_wait
        self.observe = observe or (lambda outcome, attempt: None)

    async def _call(self, method: str, url: str, body: Mapping[str, Any] | None) -> dict[str, Any]:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts), reraise=True,
            retry=retry_if_exception(lambda e: isinstance(e, ConnectorError) and e.retryable),
            wait=_wait_honouring_retry_after(self.max_wait),
        ):
            with attempt:
                number = attempt.retry_state.attempt_number
                try:
                    answer = await self._once(method, url, body)
                except ConnectorError as exc:
                    self.observe("retry" if exc.retryable and number < self.attempts else "failed", number)
                    raise
                self.observe("ok", number)
                return answer
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, body: Mapping[str, Any] | None) -> dict[str, Any]:
        token = await self.tokens.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self.session.request(method, url, json=body, headers=headers) as response:
                if response.status >= 300:
                    text = (await response.text())[:300]
                    raise ConnectorError(response.status, text, _retry_after(response))
                payload = await response.json(content_type=None) if response.content_length != 0 else {}
                return payload if isinstance(payload, dict) else {}
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            raise ConnectorError(0, f"Bot Connector unreachable: {type(exc).__name__}") from None

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
        answer = await self._call("POST", self._base(service_url), parameters)
        return Sent(answer.get("activityId"), answer.get("id"))


def _wait_honouring_retry_after(max_wait: float) -> Any:
    backoff = wait_exponential_jitter(multiplier=0.5, max=max_wait)

    def wait(state: Any) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ConnectorError) and error.retry_after is not None:
            return error.retry_after
        return float(backoff(state))

    return wait
