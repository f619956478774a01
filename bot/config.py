"""Customer configuration (a TOML file): who may talk to the bot, under which contract, in which channel."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla import Policy, PolicyLibrary, SlaError, load_policy_file
from sla.reader import Reader, read_toml
from sla.services import SERVICES

ENGINEERS_FROM_CHANNEL = "support_channel_members"


class ConfigError(Exception):
    """The customer configuration is invalid; names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}")


@dataclass(frozen=True)
class SupportChannel:
    team_id: str
    channel_id: str


LADDER_STEPS = ("p1_opened", "at_risk", "breached", "update_overdue")
LADDER_ROLES = ("assignee", "team_lead", "manager", "duty_manager")
DEFAULT_LADDER: dict[str, tuple[str, ...]] = {
    "p1_opened": ("duty_manager",), "at_risk": ("assignee", "team_lead"), "breached": ("manager",),
    "update_overdue": ("team_lead",),
}
"""Who is told at each step unless a customer's `[customers.escalation.ladder]` says otherwise."""


@dataclass(frozen=True)
class Escalation:
    team_lead: str | None = None
    manager: str | None = None
    duty_manager: str | None = None
    ladder: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LADDER))


@dataclass(frozen=True)
class Customer:
    """One customer: tenants, contract, catalogue, support channel, engineers and escalation contacts."""

    id: str
    name: str
    reference_prefix: str
    tenants: frozenset[str]
    policy: Policy
    timezone: ZoneInfo
    services: Mapping[str, str]
    support_channel: SupportChannel | None
    engineers: frozenset[str]
    engineers_from_channel: bool
    escalation: Escalation
    vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The customer's own words per service id (``[customers.vocabulary]``), read before the built-in ones."""
    service_commencement: date | None = None
    """The Service Commencement Date: the Annual Measurement Period of availability runs from it and its
    anniversaries (``service_commencement = 2025-04-01``)."""


@dataclass(frozen=True)
class Msp:
    """The provider itself: its tenant(s) and the admins who may bind channels."""

    name: str
    tenants: frozenset[str]
    admins: frozenset[str]


@dataclass(frozen=True)
class Config:
    msp: Msp
    customers: tuple[Customer, ...]
    source: str = ""
    _by_tenant: dict[str, Customer] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for customer in self.customers:
            for tenant in customer.tenants:
                self._by_tenant[tenant] = customer

    def customer_for_tenant(self, tenant_id: str | None) -> Customer | None:
        return self._by_tenant.get(tenant_id or "")

    def customer(self, customer_id: str) -> Customer | None:
        return next((c for c in self.customers if c.id == customer_id), None)

    def is_known_tenant(self, tenant_id: str | None) -> bool:
        return tenant_id in self._by_tenant or tenant_id in self.msp.tenants

    def find_customer(self, text: str) -> Customer | None:
        """A customer by id or name, ignoring case (for `bind <customer>`)."""
        wanted = text.strip().lower()
        return next((c for c in self.customers if wanted in (c.id.lower(), c.name.lower())), None)


def _error(source: str, key: str, problem: str) -> Exception:
    return ConfigError(source, key, problem)


def _ids(reader: Reader, key: str) -> frozenset[str]:
    values = reader.get(key, list, [])
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise reader.fail(key, "must be a list of non-empty ids")
    return frozenset(values)


def _services(reader: Reader) -> dict[str, str]:
    raw = reader.data.get("services")
    if raw is None:
        raise reader.fail("services", "is required: the service ids this customer can report")
    catalogue = {s: SERVICES.get(s, s) for s in raw} if isinstance(raw, list) else raw
    if not isinstance(catalogue, Mapping) or not catalogue:
        raise reader.fail("services", "must be a list of service ids or a table of id = display name")
    unknown = [s for s in catalogue if s not in SERVICES]
    if unknown:
        raise reader.fail("services", f"unknown service id {unknown[0]!r}; see `python -m sla services`")
    return {sid: str(name) for sid, name in catalogue.items()}


def _ladder(reader: Reader) -> dict[str, tuple[str, ...]]:
    """The default ladder with this customer's steps replacing the default ones."""
    reader.only(LADDER_STEPS)
    ladder = dict(DEFAULT_LADDER)
    for step in reader.data:
        roles = reader.get(step, list)
        unknown = [r for r in roles if r not in LADDER_ROLES]
        if unknown:
            raise reader.fail(step, f"roles must be from {', '.join(LADDER_ROLES)}; got {unknown!r}")
        ladder[step] = tuple(roles)
    return ladder


def _policy(reader: Reader, library: PolicyLibrary, base: Path) -> Policy:
    readings = reader.get("readings", list, [])
    try:
        if "policy_file" in reader.data:
            return load_policy_file(base / reader.get("policy_file", str), readings)
        return library.get(reader.get("policy", str), readings)
    except SlaError as exc:
        raise reader.fail("policy_file" if "policy_file" in reader.data else "policy", str(exc)) from None


def _customer(reader: Reader, library: PolicyLibrary, base: Path) -> Customer:
    reader.only(("id", "name", "reference_prefix", "tenants", "policy", "policy_file", "readings", "timezone",
                 "services", "support_channel", "engineers", "escalation", "vocabulary",
                 "service_commencement"))
    prefix = reader.get("reference_prefix", str, reader.get("id", str).upper())
    if not prefix.isalnum() or not prefix.isupper():
        raise reader.fail("reference_prefix", f"must be upper-case letters and digits, e.g. ACME; got {prefix!r}")
    try:
        timezone = ZoneInfo(reader.get("timezone", str, "Europe/London"))
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("timezone", "unknown time zone; use an IANA name such as Europe/London") from None
    engineers = reader.data.get("engineers", [])
    from_channel = engineers == ENGINEERS_FROM_CHANNEL
    channel = reader.sub("support_channel", required=False)
    channel.only(("team_id", "channel_id"))
    escalation = reader.sub("escalation", required=False)
    escalation.only(("team_lead", "manager", "duty_manager", "ladder"))
    tenants = _ids(reader, "tenants")
    if not tenants:
        raise reader.fail("tenants", "list at least one Microsoft Entra tenant id")
    return Customer(
        id=reader.get("id", str), name=reader.get("name", str), reference_prefix=prefix, tenants=tenants,
        policy=_policy(reader, library, base), timezone=timezone, services=_services(reader),
        support_channel=SupportChannel(channel.get("team_id", str), channel.get("channel_id", str))
        if channel.data else None,
        engineers=frozenset() if from_channel else _ids(reader, "engineers"),
        engineers_from_channel=from_channel,
        escalation=Escalation(**{k: escalation.get(k, str, None) for k in ("team_lead", "manager", "duty_manager")},
                              ladder=_ladder(escalation.sub("ladder", required=False))),
        vocabulary=_vocabulary(reader.sub("vocabulary", required=False), _services(reader)),
        service_commencement=_commencement(reader),
    )


def _commencement(reader: Reader) -> date | None:
    value = reader.data.get("service_commencement")
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise reader.fail("service_commencement", f"must be a date without quotes, e.g. 2025-04-01; got {value!r}")


def _vocabulary(reader: Reader, catalogue: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Service id = ["the customer's words", ...], for services in the customer's catalogue."""
    words: dict[str, tuple[str, ...]] = {}
    for sid in reader.data:
        if sid not in catalogue:
            raise reader.fail(sid, "is not one of this customer's services")
        phrases = reader.get(sid, list)
        if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise reader.fail(sid, "must be a list of words or phrases, e.g. [\"zeus\", \"crm screen\"]")
        words[sid] = tuple(p.strip().lower() for p in phrases)
    return words


def config_from_mapping(raw: Mapping[str, Any], source: str, base: Path,
                        library: PolicyLibrary | None = None) -> Config:
    """Build the configuration from parsed TOML; errors name file, key and problem."""
    library = library or PolicyLibrary.load()
    top = Reader(source, "", raw, _error)
    top.only(("msp", "customers"))
    msp = top.sub("msp")
    msp.only(("name", "tenants", "admins"))
    items = top.get("customers", list)
    customers = tuple(_customer(top.at(f"customers[{i}]", item), library, base) for i, item in enumerate(items))
    _check_unique(top, customers)
    return Config(Msp(msp.get("name", str), _ids(msp, "tenants"), _ids(msp, "admins")), customers, source)


def _check_unique(top: Reader, customers: tuple[Customer, ...]) -> None:
    seen_ids: set[str] = set()
    seen_prefixes: set[str] = set()
    seen_tenants: dict[str, str] = {}
    for i, customer in enumerate(customers):
        if customer.id in seen_ids:
            raise top.fail(f"customers[{i}].id", f"{customer.id!r} is used by another customer")
        if customer.reference_prefix in seen_prefixes:
            raise top.fail(f"customers[{i}].reference_prefix", f"{customer.reference_prefix!r} is already used")
        for tenant in customer.tenants:
            if tenant in seen_tenants:
                raise top.fail(f"customers[{i}].tenants", f"tenant {tenant} already belongs to {seen_tenants[tenant]}")
            seen_tenants[tenant] = customer.id
        seen_ids.add(customer.id)
        seen_prefixes.add(customer.reference_prefix)


def load_config(path: Path | None) -> Config:
    """Load the customer file, or the shipped demo configuration when no path is given."""
    if path is None:
        text = (resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8")
        return config_from_mapping(tomllib.loads(text), "demo configuration (bot/demo_customers.toml)", Path("."))
    return config_from_mapping(read_toml(path, _error), str(path), path.parent)
