"""The Teams app package: a manifest valid against Microsoft's schema, ids from the settings, proper icons."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, settings_from_env
from infra.teams.package import build_package, manifest, teams_app_id

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(os.environ.get("FAULTLINE_TEAMS_SCHEMA", ROOT / ".venv" / "npm" / "node_modules" / "@microsoft" /
                            "app-manifest" / "build" / "json-schemas" / "teams" / "v1.19" /
                            "MicrosoftTeams.schema.json"))
APP_ID = "11111111-2222-3333-4444-555555555555"


def settings(**changes: str) -> Settings:
    return settings_from_env({"MicrosoftAppId": APP_ID, **changes}, to_serve=False)


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"Teams manifest schema not found at {SCHEMA}: run scripts/setup "
                    "dev (it installs @microsoft/app-manifest with npm) or set FAULTLINE_TEAMS_SCHEMA")
def test_the_manifest_is_valid_against_the_official_schema() -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for built in (manifest(settings()), manifest(settings(FAULTLINE_PUBLIC_URL="https://desk.example.com"))):
        errors = list(jsonschema.Draft4Validator(schema).iter_errors(built))
        assert errors == [], errors[0].message if errors else ""
    broken = manifest(settings())
    broken["bots"][0]["scopes"] = ["everywhere"]
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


def test_ids_and_names_come_from_the_settings() -> None:
    built = manifest(settings(FAULTLINE_APP_NAME="Acme Desk", FAULTLINE_APP_VERSION="2.3.4",
                              FAULTLINE_DEVELOPER_NAME="Acme MSP"))
    assert built["manifestVersion"] == "1.19" and built["version"] == "2.3.4"
    assert built["bots"][0]["botId"] == APP_ID and built["id"] == teams_app_id(settings())
    assert built["name"]["short"] == "Acme Desk" and built["developer"]["name"] == "Acme MSP"
    assert set(built["bots"][0]["scopes"]) == {"personal", "team"}
    titles = {c["title"] for cl in built["bots"][0]["commandLists"] for c in cl["commands"]}
    assert titles == {"report a fault", "my tickets", "status", "help"}


def test_the_board_tabs_sign_in_against_the_bots_own_host() -> None:
    built = manifest(settings(FAULTLINE_PUBLIC_URL="https://desk.example.com/"))
    assert built["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://desk.example.com/{APP_ID}"}
    assert built["staticTabs"][0]["contentUrl"] == "https://desk.example.com/board/"
    assert built["staticTabs"][0]["scopes"] == ["personal"]
    assert built["configurableTabs"][0]["configurationUrl"] == "https://desk.example.com/board/config"
    assert built["configurableTabs"][0]["scopes"] == ["team"] and built["validDomains"] == ["desk.example.com"]
    assert "staticTabs" not in manifest(settings())  # no public address: no tab to point at
    with pytest.raises(SettingsError, match="https"):
        manifest(settings(FAULTLINE_PUBLIC_URL="http://desk.example.com"))


def test_the_teams_app_id_is_stable_or_configured() -> None:
    assert teams_app_id(settings()) == teams_app_id(settings())
    chosen = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert teams_app_id(settings(FAULTLINE_TEAMS_APP_ID=chosen)) == chosen


@pytest.mark.parametrize(("changes", "message"), [
    ({"MicrosoftAppId": ""}, "Set MicrosoftAppId"),
    ({"FAULTLINE_APP_VERSION": "1.0"}, "must look like 1.0.0"),
    ({"FAULTLINE_PRIVACY_URL": "http://example.com/privacy"}, "PRIVACY_URL must be an https:// address"),
    ({"FAULTLINE_APP_NAME": "A" * 31}, "at most 30 characters"),
])
def test_a_package_teams_would_refuse_is_refused_here(changes: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        manifest(settings(**changes))


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    chunks, position = b"", 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            chunks += data[position + 8:position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(chunks)
    stride = width * 4 + 1
    return width, height, [raw[r * stride + 1:(r + 1) * stride] for r in range(height)]


def test_the_icons_are_the_sizes_and_colours_teams_requires(tmp_path: Path) -> None:
    package = build_package(settings(), tmp_path / "app.zip")
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        width, height, rows = read_png(archive.read("color.png"))
        assert (width, height) == (192, 192)
        assert all(row[3::4] == b"\xff" * 192 for row in rows)  # opaque
        width, height, rows = read_png(archive.read("outline.png"))
    assert (width, height) == (32, 32)
    pixels = [row[i:i + 4] for row in rows for i in range(0, len(row), 4)]
    assert all(p[:3] == b"\xff\xff\xff" for p in pixels if p[3])  # white only
    assert pixels[0][3] == 0 and any(p[3] == 255 for p in pixels)  # transparent background, solid shape


def test_the_package_command_builds_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "faultline.zip"
    env = {**os.environ, "MicrosoftAppId": APP_ID}
    done = subprocess.run([sys.executable, "-m", "bot", "package", "--out", str(out)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["bots"][0]["botId"] == APP_ID
