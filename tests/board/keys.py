"""Entra as the board's SSO sees it, on 127.0.0.1: each tenant's OpenID metadata and keys, and tokens they sign.

A plain threaded HTTP server, so that both the async API tests and the synchronous browser tests can use it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

APP_ID = "11111111-2222-3333-4444-555555555555"
HOST = "desk.example.com"
AUDIENCE = f"api://{HOST}/{APP_ID}"


class TenantKeys:
    """One RS256 key per tenant, published at /<tenant>/v2.0/.well-known/openid-configuration and /<tenant>/keys."""

    def __init__(self, tenants: list[str], audience: str = AUDIENCE) -> None:
        self.keys = {t: rsa.generate_private_key(public_exponent=65537, key_size=2048) for t in tenants}
        self.audience = audience
        self.url = ""

    def metadata_url(self) -> str:
        return f"{self.url}/{{tenant}}/v2.0/.well-known/openid-configuration"

    def document(self, path: str) -> dict[str, Any] | None:
        parts = path.strip("/").split("/")
        tenant = parts[0] if parts else ""
        if tenant not in self.keys:
            return None
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return {"issuer": f"https://login.microsoftonline.com/{tenant}/v2.0",
                    "jwks_uri": f"{self.url}/{tenant}/keys"}
        if parts[1:] == ["keys"]:
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[tenant].public_key()))
            return {"keys": [{**public, "kid": f"key-{tenant}", "use": "sig"}]}
        return None

    def token(self, tenant: str, user: str, name: str = "Someone", *, signer: str | None = None,
              key: Any = None, **claims: Any) -> str:
        """An access token as Teams SSO gives the tab; ``signer``/``key`` sign it with another tenant's or any key."""
        now = int(time.time())
        payload = {"iss": f"https://login.microsoftonline.com/{tenant}/v2.0", "aud": self.audience, "tid": tenant,
                   "oid": user, "name": name, "exp": now + 3600, "nbf": now - 10, "iat": now - 10, **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        signing_tenant = signer or tenant
        return jwt.encode(payload, key or self.keys[signing_tenant], algorithm="RS256",
                          headers={"kid": f"key-{tenant}"})


@contextmanager
def serving(keys: TenantKeys) -> Iterator[TenantKeys]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            document = keys.document(self.path)
            body = json.dumps(document or {"error": "not found"}).encode()
            self.send_response(200 if document else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    keys.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield keys
    finally:
        server.shutdown()
        server.server_close()
