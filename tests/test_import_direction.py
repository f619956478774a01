"""The layering of CONVENTIONS.md: a test parses every import and fails on a violation."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)
ALLOWED: dict[str, set[str]] = {
    "sla": STDLIB | {"sla", "holidays"},
    "adaptive_cards": STDLIB | {"sla", "adaptive_cards"},
    "reports": STDLIB | {"sla", "reports"},
}
FORBIDDEN_OUTSIDE_BOT = {"botbuilder", "aiohttp"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    files = python_files(package)
    assert files, f"{package} has no Python files"
    for path in files:
        bad = imports_of(path) - ALLOWED[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_bot_and_dialogs_import_botbuilder_or_aiohttp() -> None:
    for package in ("sla", "adaptive_cards"):
        for path in python_files(package):
            assert not imports_of(path) & FORBIDDEN_OUTSIDE_BOT, path


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom aiohttp import web\nimport sqlalchemy.orm\n", encoding="utf-8")
    assert imports_of(sample) - ALLOWED["sla"] == {"aiohttp", "sqlalchemy"}
