"""Signed, expiring download links for a report's CSV: HMAC-SHA256 over customer, month, expiry and the person.

The link names the person it was made for (Entra id and tenant), and the download checks again, through the
visibility gate, that they still see the customer: a forwarded link gives nothing more than its owner could see,
and a person dropped from a customer loses their links. Anything altered, expired or signed with another key is
refused alike.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from bot.settings import Settings

CSV_PATH = "/reports/csv"


@functools.lru_cache(maxsize=1)
def process_key() -> bytes:
    """A random key for this process, when the settings give none (links then end with the process)."""
    return secrets.token_bytes(32)


@dataclass(frozen=True)
class Link:
    """What a download link names: whose report, which month, until when, and for whom."""

    customer: str
    month: str
    expires: int
    user: str
    tenant: str


@dataclass(frozen=True)
class ReportLinks:
    key: bytes
    base_url: str
    lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportLinks:
        secret = settings.report_link_secret.value
        return cls(secret.encode() if secret else process_key(), settings.base_url(),
                   timedelta(hours=settings.report_link_hours))

    def _signature(self, link: Link) -> str:
        message = "\n".join((link.customer, link.month, str(link.expires), link.user, link.tenant)).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def url(self, customer_id: str, month: str, now: datetime, user: str, tenant: str) -> str:
        """The link to ``customer_id``'s report for ``month`` (YYYY-MM) for one person, valid for ``lifetime``."""
        link = Link(customer_id, month, int((now + self.lifetime).timestamp()), user, tenant)
        query = urlencode({"customer": link.customer, "month": link.month, "expires": link.expires, "user": user,
                           "tenant": tenant, "signature": self._signature(link)})
        return f"{self.base_url}{CSV_PATH}?{query}"

    def read(self, query: Mapping[str, str], now: datetime) -> Link | None:
        """The link a query names if it is as signed and has not expired; None otherwise."""
        expires = query.get("expires", "")
        if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
            return None
        link = Link(query.get("customer", ""), query.get("month", ""), int(expires), query.get("user", ""),
                    query.get("tenant", ""))
        signed = hmac.compare_digest(self._signature(link).encode(), query.get("signature", "").encode())
        return link if signed and now.timestamp() < link.expires else None
