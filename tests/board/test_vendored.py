"""The board's vendored browser libraries are exactly the files of the npm packages package-lock.json pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".venv" / "npm" / "node_modules"
VENDORED = {"chart.umd.min.js": ("chart.js", "dist/chart.umd.min.js"),
            "MicrosoftTeams.min.js": ("@microsoft/teams-js", "dist/umd/MicrosoftTeams.min.js")}


@pytest.mark.parametrize("name", sorted(VENDORED))
def test_a_vendored_library_is_the_locked_packages_file(name: str) -> None:
    package, path = VENDORED[name]
    installed = NODE_MODULES / package / path
    if not installed.exists():
        pytest.skip(f"{installed} missing: run scripts/setup dev")
    locked = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    version = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))["version"]
    assert locked[f"node_modules/{package}"]["version"] == version
    assert (ROOT / "bot" / "board" / "static" / "vendor" / name).read_bytes() == installed.read_bytes()


def test_the_page_loads_scripts_from_its_own_origin_only() -> None:
    for page in ("index.html", "config.html"):
        text = (ROOT / "bot" / "board" / "static" / page).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, page
