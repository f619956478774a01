"""Settings read once from the environment (Bot Framework names), typed, with secrets never printed.

Each field names its environment variable and says what it is for; `python -m bot config-reference`
prints the README's configuration table from these fields, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/faultline.db"
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
LOG_FORMATS = ("json", "text")


class SettingsError(Exception):
    """The environment cannot start the service; the message says what to set."""


@dataclass(frozen=True)
class Secret:
    """A value that must never appear in logs or reprs."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    __str__ = __repr__


def setting(env: str, help: str, default: Any, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start."""

    app_id: str = setting("MicrosoftAppId", "The Azure Bot's app (client) id. Required unless local mode.", "")
    app_password: Secret = setting("MicrosoftAppPassword", "The app registration's client secret (not needed for "
                                   "UserAssignedMSI).", Secret(""), secret=True)
    app_type: str = setting("MicrosoftAppType", "`MultiTenant`, `SingleTenant` or `UserAssignedMSI`.", "MultiTenant")
    app_tenant_id: str = setting("MicrosoftAppTenantId", "The app's Entra tenant (required for SingleTenant).", "")
    database_url: str = setting("FAULTLINE_DATABASE_URL", "SQLAlchemy URL: SQLite (embedded) or "
                                "`postgresql+asyncpg://user@host/db`.", DEFAULT_DATABASE_URL)
    database_pool: int = setting("FAULTLINE_DATABASE_POOL", "Database connections each process keeps open between "
                                 "turns (a burst may open as many again for a moment); 0 or unset: 20 on SQLite, 10 "
                                 "on PostgreSQL (where more turns at once in the database lengthen the slowest "
                                 "ones). PostgreSQL must allow replicas × 2 × this (its `max_connections`).", 0)
    config_path: Path | None = setting("FAULTLINE_CONFIG", "The customer file (TOML); unset: the demo customers.",
                                       None)
    local: bool = setting("FAULTLINE_LOCAL", "`1`: local mode — no inbound authentication, 127.0.0.1 only. Never "
                          "in production.", False)
    local_tenant: str = setting("FAULTLINE_LOCAL_TENANT", "Local mode only: the tenant for activities that carry "
                                "none (the Bot Framework Emulator).", "")
    host: str = setting("FAULTLINE_HOST", "Address to listen on (local mode always uses 127.0.0.1).", "0.0.0.0")
    port: int = setting("FAULTLINE_PORT", "Port to listen on.", 3978)
    log_format: str = setting("FAULTLINE_LOG_FORMAT", "`json` (one object per line) or `text`.", "json")
    log_level: str = setting("FAULTLINE_LOG_LEVEL", "Python log level name.", "INFO")
    appinsights_connection_string: Secret = setting(
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "Send traces and metrics to Azure Monitor (needs the `azure` "
        "extra).", Secret(""), secret=True)
    teams_app_id: str = setting("FAULTLINE_TEAMS_APP_ID", "The Teams app's id in the manifest (a GUID); default: "
                                "derived from MicrosoftAppId.", "")
    app_name: str = setting("FAULTLINE_APP_NAME", "The app's short name in Teams.", "Faultline")
    app_version: str = setting("FAULTLINE_APP_VERSION", "The Teams app package version (x.y.z).", "1.0.0")
    developer_name: str = setting("FAULTLINE_DEVELOPER_NAME", "The MSP's name, shown in the Teams app details.",
                                  "Your MSP")
    website_url: str = setting("FAULTLINE_WEBSITE_URL", "The MSP's website (https).", "https://example.com")
    privacy_url: str = setting("FAULTLINE_PRIVACY_URL", "Privacy statement URL (https).",
                               "https://example.com/privacy")
    terms_url: str = setting("FAULTLINE_TERMS_URL", "Terms of use URL (https).", "https://example.com/terms")
    openid_metadata_url: str = setting(
        "FAULTLINE_OPENID_METADATA_URL", "Bot Framework OpenID metadata (change only for sovereign clouds or tests).",
        "https://login.botframework.com/v1/.well-known/openidconfiguration")
    emulator_openid_metadata_url: str = setting(
        "FAULTLINE_EMULATOR_OPENID_METADATA_URL", "Entra OpenID metadata for emulator tokens.",
        "https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration")
    scheduler_interval: float = setting("FAULTLINE_SCHEDULER_INTERVAL", "Seconds between scheduler ticks (timers "
                                        "and outbox); 0 turns the scheduler off in this process.", 1.0)
    scheduler_lease: float = setting("FAULTLINE_SCHEDULER_LEASE_SECONDS", "How long a claimed timer or message "
                                     "stays with a process before another may take it over; each connector call of "
                                     "a send is kept under half of it.", 90.0)
    send_timeout: float = setting("FAULTLINE_SEND_TIMEOUT_SECONDS", "How long the scheduler waits for the Bot "
                                  "Connector to answer one try of a send (well above Teams' usual second or less).",
                                  15.0)
    send_concurrency: int = setting("FAULTLINE_SEND_CONCURRENCY", "Conversations the scheduler sends to at once "
                                    "(each conversation's messages stay in order).", 8)
    storm_window: float = setting("FAULTLINE_STORM_WINDOW_SECONDS", "After an alert, further alerts for the same "
                                  "person wait this long and then go together; 0 sends each at once.", 30.0)
    digest_minimum: int = setting("FAULTLINE_DIGEST_MINIMUM", "This many alerts (or more) ready for one person at "
                                  "once go as one digest card listing the tickets.", 3)
    open_chats_ahead: bool = setting("FAULTLINE_OPEN_CHATS_AHEAD", "`1`: the scheduler opens a 1:1 chat ahead of "
                                     "need with each escalation contact the customer file names (a few at a time, "
                                     "while nothing else is being sent), so their first alert is one call to Teams.",
                                     True)
    prune_interval: float = setting("FAULTLINE_PRUNE_INTERVAL_MINUTES", "Minutes between retention runs in each "
                                    "process; 0 turns pruning off.", 60.0)
    keep_activities_days: float = setting("FAULTLINE_KEEP_ACTIVITIES_DAYS", "Days processed activity ids are kept "
                                          "(to ignore Teams' re-deliveries).", 2.0)
    keep_dialogs_days: float = setting("FAULTLINE_KEEP_DIALOGS_DAYS", "Days an untouched conversation state (a "
                                       "report abandoned half way) is kept.", 14.0)
    keep_timers_days: float = setting("FAULTLINE_KEEP_TIMERS_DAYS", "Days fired, dropped and cancelled timers of "
                                      "resolved tickets are kept.", 30.0)
    keep_outbox_days: float = setting("FAULTLINE_KEEP_OUTBOX_DAYS", "Days sent, failed and dropped outbox messages "
                                      "are kept.", 30.0)
    reminder_lead_short: int = setting("FAULTLINE_REMINDER_LEAD_SHORT_MINUTES", "Reminder lead before an update is "
                                       "due, for cadences up to an hour (minutes).", 10)
    reminder_lead_long: int = setting("FAULTLINE_REMINDER_LEAD_LONG_MINUTES", "Reminder lead for longer cadences "
                                      "(minutes).", 30)
    graph_url: str = setting("FAULTLINE_GRAPH_URL", "Microsoft Graph, for managers (`/users/{id}/manager`) when "
                             "the customer file names none; empty turns the lookup off.", "https://graph.microsoft.com")
    graph_token_endpoint: str = setting("FAULTLINE_GRAPH_TOKEN_ENDPOINT", "OAuth token endpoint for Graph's app-only "
                                        "token; default: Entra's for the app's tenant.", "")
    authority: str = setting("FAULTLINE_AUTHORITY", "Entra sign-in authority for Graph's token through msal (when "
                             "no Graph token endpoint is set); the app's tenant is appended. Change it only for a "
                             "national cloud.", "https://login.microsoftonline.com")
    token_endpoint: str = setting("FAULTLINE_TOKEN_ENDPOINT", "OAuth token endpoint for the bot's outbound token; "
                                  "default: Entra's for the app's tenant.", "")
    public_url: str = setting("FAULTLINE_PUBLIC_URL", "The bot's public https address (e.g. `https://faultline."
                              "example.com`): report download links and the SLA board tab are served there; unset: "
                              "`http://127.0.0.1:<port>` (local use only, and no tabs in the Teams app).", "")
    report_link_secret: Secret = setting("FAULTLINE_REPORT_LINK_SECRET", "Key signing the reports' CSV download "
                                         "links (any long random text; the same on every replica); unset: a new "
                                         "random key per process, so links end when it restarts.", Secret(""),
                                         secret=True)
    report_link_hours: float = setting("FAULTLINE_REPORT_LINK_HOURS", "How long a report's CSV download link works "
                                       "(hours).", 24.0)
    tab_openid_metadata_url: str = setting(
        "FAULTLINE_TAB_OPENID_METADATA_URL", "Entra OpenID metadata for the SLA board's Teams SSO tokens; `{tenant}` "
        "stands for the viewer's tenant (change only for sovereign clouds or tests).",
        "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration")

    @property
    def auth_enabled(self) -> bool:
        return not self.local

    def base_url(self) -> str:
        """Where people reach the bot's pages (download links, the board), without a trailing slash."""
        return self.public_url.rstrip("/") or f"http://127.0.0.1:{self.port}"

    def bind_host(self) -> str:
        """Local mode never listens beyond loopback."""
        return "127.0.0.1" if self.local else self.host


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _parse(kind: Any, raw: str, env: str) -> Any:
    if kind in (bool, "bool"):
        return _flag(raw)
    if kind in (float, "float"):
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{env} must be a number; got {raw!r}") from None
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{env} must be a whole number; got {raw!r}") from None
    if kind in (Secret, "Secret"):
        return Secret(raw)
    if kind in ("Path | None",):
        return Path(raw) if raw else None
    return raw.strip()


def settings_from_env(env: Mapping[str, str] | None = None, *, to_serve: bool = True) -> Settings:
    """Read the environment; to serve, refuse to start without an app id unless local mode is asked for."""
    env = os.environ if env is None else env
    values = {f.name: _parse(f.type, env[f.metadata["env"]], f.metadata["env"])
              for f in fields(Settings) if f.metadata["env"] in env}
    settings = Settings(**values)
    if to_serve:
        _check(settings)
    return settings if settings.local else Settings(**{**values, "local_tenant": ""})


def _check(s: Settings) -> None:
    if s.app_type not in APP_TYPES:
        raise SettingsError(f"MicrosoftAppType must be one of {', '.join(APP_TYPES)}; got {s.app_type!r}")
    if s.log_format not in LOG_FORMATS:
        raise SettingsError(f"FAULTLINE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}; got {s.log_format!r}")
    if s.database_pool < 0:
        raise SettingsError(f"FAULTLINE_DATABASE_POOL must be 0 (the default) or more; got {s.database_pool}")
    if s.local:
        return
    if not s.app_id:
        raise SettingsError(
            "No bot identity configured: set MicrosoftAppId (and MicrosoftAppPassword) to the Azure Bot's "
            "app registration, or set FAULTLINE_LOCAL=1 to run for local clients only without authentication."
        )
    if s.app_type != "UserAssignedMSI" and not s.app_password.value:
        raise SettingsError(
            "MicrosoftAppPassword is required with MicrosoftAppId (or use MicrosoftAppType=UserAssignedMSI)"
        )
    if s.app_type == "SingleTenant" and not s.app_tenant_id:
        raise SettingsError("MicrosoftAppTenantId is required when MicrosoftAppType=SingleTenant")


def reference_table() -> str:
    """The configuration reference (Markdown), generated from the fields above."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = f.default
        shown = "(secret)" if f.metadata["secret"] else ("unset" if default in ("", None) else f"`{default}`")
        if isinstance(default, bool):
            shown = "`1`" if default else "unset"
        rows.append(f"| `{f.metadata['env']}` | {shown} | {f.metadata['help']} |")
    return "\n".join(rows)
