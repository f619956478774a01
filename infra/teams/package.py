"""Build the Teams app package: the manifest with its ids filled from the settings, and the two icons."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from bot.settings import Settings, SettingsError

FAULTLINE_NAMESPACE = uuid.UUID("5c6f8f5e-6b5a-4c8e-9a8f-2d3c4b5a6f70")
VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def teams_app_id(settings: Settings) -> str:
    """The configured Teams app id, or one derived from the bot's app id (stable across builds)."""
    if settings.teams_app_id:
        return str(uuid.UUID(settings.teams_app_id))
    return str(uuid.uuid5(FAULTLINE_NAMESPACE, settings.app_id))


def manifest(settings: Settings) -> dict[str, Any]:
    """The manifest for these settings; refuses what Teams would refuse, saying which setting to fix."""
    if not settings.app_id:
        raise SettingsError("Set MicrosoftAppId to the Azure Bot's app id: the manifest names the bot by it.")
    if not VERSION.match(settings.app_version):
        raise SettingsError(f"FAULTLINE_APP_VERSION must look like 1.0.0; got {settings.app_version!r}")
    for name in ("website_url", "privacy_url", "terms_url"):
        if not str(getattr(settings, name)).startswith("https://"):
            raise SettingsError(f"{name.upper()} must be an https:// address (FAULTLINE_{name.upper()})")
    if len(settings.app_name) > 30:
        raise SettingsError("FAULTLINE_APP_NAME must be at most 30 characters (Teams' short-name limit)")
    values = {"app_id": settings.app_id, "teams_app_id": teams_app_id(settings), "app_version": settings.app_version,
              "app_name": settings.app_name, "developer_name": settings.developer_name,
              "website_url": settings.website_url, "privacy_url": settings.privacy_url, "terms_url": settings.terms_url}
    template = (resources.files("infra.teams") / "manifest.template.json").read_text(encoding="utf-8")
    filled: dict[str, Any] = _fill(json.loads(template), values)
    return filled | board_tabs(settings) if settings.public_url else filled


def board_tabs(settings: Settings) -> dict[str, Any]:
    """The SLA board: a personal static tab, a channel tab, and the SSO registration both sign in with."""
    if not settings.public_url.startswith("https://"):
        raise SettingsError("FAULTLINE_PUBLIC_URL must be an https:// address for the SLA board tab")
    base = settings.public_url.rstrip("/")
    host = base.removeprefix("https://").split("/")[0]
    return {
        "staticTabs": [{"entityId": "sla-board", "name": "SLA board", "contentUrl": f"{base}/board/",
                        "websiteUrl": f"{base}/board/", "scopes": ["personal"]}],
        "configurableTabs": [{"configurationUrl": f"{base}/board/config", "canUpdateConfiguration": False,
                              "scopes": ["team"], "context": ["channelTab"]}],
        "validDomains": [host],
        "webApplicationInfo": {"id": settings.app_id, "resource": f"api://{host}/{settings.app_id}"},
    }


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        return node.format_map(values) if "{" in node else node
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill(item, values) for key, item in node.items()}
    return node


def build_package(settings: Settings, out: Path) -> Path:
    """manifest.json, color.png and outline.png in a zip, ready to upload to Teams."""
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = resources.files("infra.teams")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(settings), indent=2, ensure_ascii=False))
        for icon in ("color.png", "outline.png"):
            archive.writestr(icon, (folder / icon).read_bytes())
    return out
