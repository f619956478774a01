"""Settings read once from the environment (Bot Framework names), typed, with secrets never printed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/faultline.db"
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


class SettingsError(Exception):
    """The environment cannot start the service; the message says what to set."""


@dataclass(frozen=True)
class Secret:
    """A value that must never appear in logs or reprs."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start."""

    app_id: str = ""
    app_password: Secret = Secret("")
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    config_path: Path | None = None
    local: bool = False
    host: str = "0.0.0.0"
    port: int = 3978
    openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    emulator_openid_metadata_url: str = "https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration"
    token_endpoint: str = ""
    local_tenant: str = ""
    """Local mode only: the tenant assumed for activities that carry none (the Bot Framework Emulator)."""

    @property
    def auth_enabled(self) -> bool:
        return not self.local

    def bind_host(self) -> str:
        """Local mode never listens beyond loopback."""
        return "127.0.0.1" if self.local else self.host


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the environment; refuse to start without an app id unless local mode is asked for."""
    env = os.environ if env is None else env
    local = _flag(env.get("FAULTLINE_LOCAL"))
    app_id = env.get("MicrosoftAppId", "").strip()
    app_type = env.get("MicrosoftAppType", "MultiTenant").strip() or "MultiTenant"
    if app_type not in APP_TYPES:
        raise SettingsError(f"MicrosoftAppType must be one of {', '.join(APP_TYPES)}; got {app_type!r}")
    if not app_id and not local:
        raise SettingsError(
            "No bot identity configured: set MicrosoftAppId (and MicrosoftAppPassword) to the Azure Bot's "
            "app registration, or set FAULTLINE_LOCAL=1 to run for local clients only without authentication."
        )
    if app_id and not local and app_type != "UserAssignedMSI" and not env.get("MicrosoftAppPassword"):
        raise SettingsError(
            "MicrosoftAppPassword is required with MicrosoftAppId (or use MicrosoftAppType=UserAssignedMSI)"
        )
    if app_type == "SingleTenant" and not env.get("MicrosoftAppTenantId") and not local:
        raise SettingsError("MicrosoftAppTenantId is required when MicrosoftAppType=SingleTenant")
    config = env.get("FAULTLINE_CONFIG")
    return Settings(
        app_id=app_id,
        app_password=Secret(env.get("MicrosoftAppPassword", "")),
        app_type=app_type,
        app_tenant_id=env.get("MicrosoftAppTenantId", ""),
        database_url=env.get("FAULTLINE_DATABASE_URL", DEFAULT_DATABASE_URL),
        config_path=Path(config) if config else None,
        local=local,
        openid_metadata_url=env.get("FAULTLINE_OPENID_METADATA_URL", Settings.openid_metadata_url),
        emulator_openid_metadata_url=env.get("FAULTLINE_EMULATOR_OPENID_METADATA_URL",
                                             Settings.emulator_openid_metadata_url),
        token_endpoint=env.get("FAULTLINE_TOKEN_ENDPOINT", ""),
        local_tenant=env.get("FAULTLINE_LOCAL_TENANT", "") if local else "",
    )
