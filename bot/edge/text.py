"""Strings from the wire: free text is cleaned, ids and tokens are checked, service URLs are vetted.

Decision: an *id* (activity, conversation, user, tenant …) holding a control character or a lone surrogate is
refused (no channel sends one, and changing it could merge two ids); *free text* (message text, names, card
inputs) is cleaned instead, so a user never loses a message to a stray character: lone surrogates become U+FFFD,
NUL and other control characters except tab, newline and carriage return are dropped.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_IN_IDS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
LOOPBACK_NAMES = frozenset({"localhost"})
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", re.I)


def clean_text(value: str) -> str:
    """Free text safe to store and send: no lone surrogates, no NUL or stray control characters."""
    return _CONTROLS.sub("", _SURROGATES.sub("\ufffd", value))


def clean_json(value: Any) -> Any:
    """``clean_text`` applied to every string (keys too) of a parsed JSON value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def is_opaque_id(value: str) -> bool:
    """An id is any non-blank text without control characters or lone surrogates."""
    return bool(value.strip()) and _NOT_IN_IDS.search(value) is None


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_host_name(host: str) -> bool:
    """An IP address or an ASCII DNS name (labels of letters, digits and inner hyphens; not all-numeric at the end)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return (len(host) <= 253 and all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit())


def service_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Bot Connector endpoint, or None: https, or http on a loopback address."""
    if not is_opaque_id(url) or any(c.isspace() for c in url):
        return "contains characters a URL cannot"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "is not a URL"
    if not _is_host_name(host) or parts.username is not None or parts.password is not None:
        return "names no plain host"
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return None
    return "must be https (plain http only for a loopback address)"
