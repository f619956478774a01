"""bot/edge/connector.py's outbound tokens: client credentials, managed identity and Graph, against fake endpoints.

The token endpoint is an aiohttp app on 127.0.0.1. Graph's msal path talks to a fake Entra authority on 127.0.0.1
over TLS (msal accepts only https authorities) with a certificate made for the test and trusted through
REQUESTS_CA_BUNDLE, as FAULTLINE_AUTHORITY points a national-cloud deployment elsewhere.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.edge.connector import (
    BOT_FRAMEWORK_SCOPE,
    ClientCredentialsToken,
    ConnectorError,
    ManagedIdentityToken,
    MsalToken,
    NoToken,
    graph_token_provider,
    token_provider,
)
from bot.reminders.people import GraphManagers
from bot.settings import Secret, Settings

APP_ID = "11111111-2222-3333-4444-555555555555"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


@dataclass
class TokenEndpoint:
    """Answers the OAuth client-credentials form and App Service's managed-identity GET, recording both."""

    answer: tuple[int, dict[str, Any]] = (200, {"access_token": "token-1", "expires_in": 3600})
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/token", self._form)
        app.router.add_get("/msi/token", self._managed_identity)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("/"))

    async def _form(self, request: web.Request) -> web.Response:
        self.requests.append({k: str(v) for k, v in (await request.post()).items()})
        status, body = self.answer
        return web.json_response(body, status=status)

    async def _managed_identity(self, request: web.Request) -> web.Response:
        self.requests.append({**request.query, "header": request.headers.get("X-IDENTITY-HEADER")})
        return web.json_response({"access_token": "msi-token", "expires_on": str(int(time.time()) + 3600),
                                  "resource": request.query.get("resource"), "token_type": "Bearer"})


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[TokenEndpoint, str, aiohttp.ClientSession]]:
    fake = TokenEndpoint()
    base = await fake.start()
    async with aiohttp.ClientSession() as session:
        yield fake, base, session
    assert fake.server is not None
    await fake.server.close()


def settings(**values: Any) -> Settings:
    return Settings(**{"app_id": APP_ID, "app_password": Secret("s3cret"), **values})


async def test_client_credentials_are_posted_once_and_the_token_reused(endpoint: Any) -> None:
    fake, base, session = endpoint
    provider = token_provider(settings(token_endpoint=f"{base}token"), session)
    assert isinstance(provider, ClientCredentialsToken)
    assert [await provider.token(), await provider.token()] == ["token-1", "token-1"]
    assert fake.requests == [{"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": "s3cret",
                              "scope": BOT_FRAMEWORK_SCOPE}]


@pytest.mark.parametrize(("answer", "message"), [
    ((401, {"error": "invalid_client"}), "Bot Connector answered 401: could not obtain a Bot Framework token "
                                         "(invalid_client)"),
    ((200, {"token_type": "Bearer"}), "Bot Connector answered 200: could not obtain a Bot Framework token "
                                      "(no error code)"),
])
async def test_a_refused_token_request_is_an_error_that_says_why(endpoint: Any, answer: Any, message: str) -> None:
    fake, base, session = endpoint
    fake.answer = answer
    with pytest.raises(ConnectorError) as refused:
        await ClientCredentialsToken(session, f"{base}token", APP_ID, "s3cret").token()
    assert (str(refused.value), refused.value.status) == (message, answer[0])
    assert "s3cret" not in str(refused.value)


async def test_a_token_is_fetched_again_when_it_expires(endpoint: Any) -> None:
    fake, base, session = endpoint
    fake.answer = (200, {"access_token": "short", "expires_in": 1})
    provider = ClientCredentialsToken(session, f"{base}token", APP_ID, "s3cret")
    await provider.token()
    provider._expires = time.monotonic() - 1  # no clock to step here: the cached token is now past its time
    fake.answer = (200, {"access_token": "fresh"})
    assert await provider.token() == "fresh" and len(fake.requests) == 2


@pytest.mark.parametrize(("values", "endpoint_url"), [
    ({}, "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"),
    ({"app_type": "SingleTenant", "app_tenant_id": "contoso-tenant"},
     "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token"),
    ({"app_type": "SingleTenant", "app_tenant_id": "contoso-tenant", "token_endpoint": "http://127.0.0.1:9/t"},
     "http://127.0.0.1:9/t"),
])
async def test_the_bot_token_comes_from_the_app_types_endpoint(values: dict[str, str], endpoint_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        provider = token_provider(settings(**values), session)
    assert isinstance(provider, ClientCredentialsToken)
    assert (provider.endpoint, provider.app_id, provider.scope) == (endpoint_url, APP_ID, BOT_FRAMEWORK_SCOPE)


async def test_local_mode_or_no_app_id_sends_no_token() -> None:
    async with aiohttp.ClientSession() as session:
        for provider in (token_provider(settings(local=True), session), token_provider(settings(app_id=""), session)):
            assert isinstance(provider, NoToken) and await provider.token() is None


@pytest.fixture
def app_service_identity(endpoint: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    fake, base, session = endpoint
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{base}msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "identity-header-secret")
    return fake, session


@pytest.mark.parametrize(("build", "resource"), [
    (lambda session: token_provider(settings(app_type="UserAssignedMSI"), session), "https://api.botframework.com"),
    (lambda session: graph_token_provider(settings(app_type="UserAssignedMSI"), session),
     "https://graph.microsoft.com"),
])
async def test_a_user_assigned_managed_identity_asks_for_its_own_client_id(
        app_service_identity: Any, build: Any, resource: str) -> None:
    fake, session = app_service_identity
    provider = build(session)
    assert isinstance(provider, ManagedIdentityToken)
    assert await provider.token() == "msi-token"
    await provider._credential.close()
    assert len(fake.requests) == 1
    assert {k: fake.requests[0].get(k) for k in ("resource", "client_id", "header")} == {
        "resource": resource, "client_id": APP_ID, "header": "identity-header-secret"}


async def test_graph_uses_its_configured_token_endpoint_with_the_graph_scope(endpoint: Any) -> None:
    fake, base, session = endpoint
    provider = graph_token_provider(settings(graph_token_endpoint=f"{base}token"), session)
    assert await provider.token() == "token-1"
    assert fake.requests == [{"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": "s3cret",
                              "scope": GRAPH_SCOPE}]



def loopback_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "entra.pem", folder / "entra.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class FakeEntra:
    """An Entra authority: its OpenID metadata per tenant and its token endpoint, recording token requests."""

    answer: tuple[int, dict[str, Any]] = (200, {"access_token": "graph-token", "expires_in": 3600,
                                                "token_type": "Bearer"})
    requests: list[dict[str, str]] = field(default_factory=list)
    server: TestServer | None = None

    async def start(self, tls: ssl.SSLContext) -> str:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._metadata)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server(ssl=tls)
        return str(self.server.make_url("")).rstrip("/")

    async def _metadata(self, request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}/{request.match_info['tenant']}"
        return web.json_response({"issuer": f"{base}/v2.0", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                  "token_endpoint": f"{base}/oauth2/v2.0/token"})

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append({"tenant": request.match_info["tenant"], **form})
        status, body = self.answer
        return web.json_response(body, status=status)


@pytest.fixture
async def entra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeEntra, str]]:
    cert_file, key_file = loopback_certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    fake = FakeEntra()
    authority = await fake.start(tls)
    yield fake, authority
    assert fake.server is not None
    await fake.server.close()


@pytest.mark.parametrize(("values", "authority"), [
    ({}, "https://login.microsoftonline.com/organizations"),
    ({"app_tenant_id": "contoso-tenant"}, "https://login.microsoftonline.com/contoso-tenant"),
    ({"app_tenant_id": "contoso-tenant", "authority": "https://login.microsoftonline.us/"},
     "https://login.microsoftonline.us/contoso-tenant"),
])
async def test_graph_without_an_endpoint_asks_msal_at_the_configured_authority(
        values: dict[str, str], authority: str) -> None:
    async with aiohttp.ClientSession() as session:
        provider = graph_token_provider(settings(**values), session)
    assert isinstance(provider, MsalToken)
    assert (provider.authority, provider.app_id, provider.scope) == (authority, APP_ID, GRAPH_SCOPE)


async def test_msal_fetches_graphs_token_from_the_authority_once_and_reuses_it(entra: Any) -> None:
    fake, authority = entra
    async with aiohttp.ClientSession() as session:
        provider = graph_token_provider(settings(app_tenant_id="contoso-tenant", authority=authority), session)
        assert fake.requests == []  # building the provider asks nothing of the network
        assert [await provider.token(), await provider.token()] == ["graph-token", "graph-token"]
    assert len(fake.requests) == 1
    assert {k: fake.requests[0].get(k) for k in ("tenant", "grant_type", "client_id", "client_secret", "scope")} == {
        "tenant": "contoso-tenant", "grant_type": "client_credentials", "client_id": APP_ID,
        "client_secret": "s3cret", "scope": GRAPH_SCOPE}


async def test_a_token_msal_is_refused_is_an_error_that_says_why(entra: Any) -> None:
    fake, authority = entra
    fake.answer = (401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret"})
    with pytest.raises(ConnectorError) as refused:
        await MsalToken(APP_ID, "s3cret", "contoso-tenant", GRAPH_SCOPE, authority).token()
    assert (str(refused.value), refused.value.status) == (
        "Bot Connector answered 401: could not obtain a token (invalid_client)", 401)
    assert "s3cret" not in str(refused.value)


async def test_an_unreachable_authority_is_an_error_that_names_no_secret() -> None:
    provider = MsalToken(APP_ID, "s3cret", "contoso-tenant", GRAPH_SCOPE, "https://127.0.0.1:9")  # discard port
    with pytest.raises(ConnectorError) as failed:
        await provider.token()
    assert failed.value.status == 0 and "could not reach the token authority" in str(failed.value)
    assert "s3cret" not in str(failed.value)


class RefusedTokens:
    async def token(self) -> str | None:
        raise ConnectorError(401, "could not obtain a token (invalid_client)")


async def test_a_refused_graph_token_leaves_the_manager_unknown_instead_of_failing_the_ping() -> None:
    async with aiohttp.ClientSession() as session:
        managers = GraphManagers(session, RefusedTokens(), "http://127.0.0.1:9")
        assert await managers.manager_of("00000000-0000-0000-0000-0000000000e1") is None
