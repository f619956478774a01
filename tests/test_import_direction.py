"""The layering of CONVENTIONS.md: a test parses every import and fails on a violation.

Every top-level package (and the parts of bot/ with rules of their own) has a rule here; a new package without
one fails the test, so the layering is decided when the package is made, not discovered later.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = frozenset(sys.stdlib_module_names)
IO_LIBRARIES = frozenset({
    "botbuilder", "botframework", "aiohttp", "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "msal", "azure",
    "msrest", "requests", "httpx", "opentelemetry", "prometheus_client", "tenacity", "socket", "subprocess",
    "sqlite3", "asyncio",
})
NOT_PACKAGES = {"mutants", "build", "dist", "node_modules", "var", "__pycache__"}


@dataclass(frozen=True)
class Rule:
    """What the files under one folder may import (dotted prefixes: "bot.settings" allows bot.settings.*)."""

    why: str
    allowed: frozenset[str] | None = None  # None: anything not forbidden
    forbidden: frozenset[str] = frozenset()
    pure: bool = False  # nothing it reaches, through first-party imports too, may be an I/O library


def rule(why: str, allowed: set[str] | None = None, forbidden: set[str] = frozenset(),  # type: ignore[assignment]
         pure: bool = False) -> Rule:
    return Rule(why, None if allowed is None else frozenset(allowed) | STDLIB, frozenset(forbidden), pure)


RULES: dict[str, Rule] = {
    "sla": rule("the SLA engine is pure: standard library and holidays", {"sla", "holidays"}, pure=True),
    "adaptive_cards": rule("cards are pure views over sla", {"adaptive_cards", "sla"}, pure=True),
    "reports": rule("SLA reports are pure functions of tickets and their events", {"reports", "sla"}, pure=True),
    "dialogs": rule("conversation flows: sla, cards and botbuilder; never the bot's wiring or storage",
                    {"dialogs", "sla", "adaptive_cards", "botbuilder", "botframework", "aiohttp"}),
    "infra": rule("packaging and deployment read the bot's settings, nothing else of it", {"infra", "bot.settings"}),
    "bot": rule("the wiring point may use everything but the tests and benches", forbidden={"tests", "bench"}),
    "bot/rules": rule("pure ticket rules: no I/O, directly or through what they import",
                      forbidden={"tests", "bench", "bot.edge", "bot.store"}, pure=True),
    "bot/edge": rule("the Teams edge checks the wire; it neither stores nor converses",
                     forbidden={"tests", "bench", "dialogs", "bot.store", "sqlalchemy", "alembic"}),
    "bot/board": rule("the SLA board reads tickets through the gate and the store's types, never SQL or intake",
                      forbidden={"tests", "bench", "dialogs", "sqlalchemy", "alembic"}),
    "bench": rule("benchmarks drive the product, with the tests' generators of realistic traffic"),
    "scripts": rule("set-up helpers stand alone: standard library only", {"scripts"}),
    "tests": rule("tests may use anything"),
}


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _is_first_party_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


@cache
def imports_of(path: Path) -> frozenset[str]:
    """Dotted names imported by a file; ``from a import b`` gives a.b when b is a module of ours. Imports under
    ``if TYPE_CHECKING:`` are left out: they name types for the checker and run nothing."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    package = _module_of(path) if path.name == "__init__.py" else _module_of(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names if _is_first_party_module(f"{module}.{a.name}")}
    return frozenset(found)


def _covered(name: str, prefixes: frozenset[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def rule_for(path: Path) -> tuple[str, Rule]:
    folder = path.relative_to(ROOT).parent.as_posix()
    candidates = [key for key in RULES if folder == key or folder.startswith(key + "/")]
    if not candidates:
        raise LookupError(f"{path.relative_to(ROOT)} is in no package with an import rule; add one to RULES")
    key = max(candidates, key=len)
    return key, RULES[key]


def violations(path: Path, rule_: Rule) -> list[str]:
    imported = imports_of(path)
    bad = {n for n in imported if rule_.allowed is not None and not _covered(n, rule_.allowed)}
    bad |= {n for n in imported if _covered(n, rule_.forbidden)}
    return sorted(bad)


def reachable_libraries(path: Path) -> dict[str, str]:
    """Third-party and standard modules reached through first-party imports: module → the file importing it."""
    seen: dict[str, str] = {}
    queue, visited = [path], set()
    while queue:
        current = queue.pop()
        if current in visited:
            continue
        visited.add(current)
        for name in imports_of(current):
            if _is_first_party_module(name):
                base = ROOT.joinpath(*name.split("."))
                queue.append(base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py")
            elif not _is_first_party_module(name.split(".")[0]):
                seen.setdefault(name.split(".")[0], str(current.relative_to(ROOT)))
    return seen


def top_level_packages(root: Path = ROOT) -> set[str]:
    """Every top-level folder holding Python, and every top-level module (the repository's own code only)."""
    found = {p.stem for p in root.glob("*.py")}
    for folder in root.iterdir():
        if (folder.is_dir() and not folder.name.startswith(".") and folder.name not in NOT_PACKAGES
                and not folder.name.endswith(".egg-info") and next(folder.rglob("*.py"), None) is not None):
            found.add(folder.name)
    return found


@cache
def python_files() -> tuple[Path, ...]:
    return tuple(p for package in sorted(top_level_packages()) for p in sorted((ROOT / package).rglob("*.py")))


def test_every_top_level_package_has_a_rule() -> None:
    missing = top_level_packages() - {key.split("/")[0] for key in RULES}
    assert not missing, f"no import rule for {sorted(missing)}: add one to RULES in {Path(__file__).name}"


@pytest.mark.parametrize("key", sorted(RULES))
def test_package_imports_only_what_it_may(key: str) -> None:
    files = [p for p in python_files() if rule_for(p)[0] == key]
    if not files:
        pytest.skip(f"{key} has no Python files yet")
    bad = {str(p.relative_to(ROOT)): found for p in files if (found := violations(p, RULES[key]))}
    assert not bad, f"{RULES[key].why}; these imports break it: {bad}"


@pytest.mark.parametrize("key", sorted(k for k, r in RULES.items() if r.pure))
def test_pure_packages_reach_no_io_library(key: str) -> None:
    files = [p for p in python_files() if rule_for(p)[0] == key]
    if not files:
        pytest.skip(f"{key} has no Python files yet")
    bad = {lib: via for p in files for lib, via in reachable_libraries(p).items() if lib in IO_LIBRARIES}
    assert not bad, f"{key} must stay pure; it reaches {bad} (library: the file importing it)"


def test_only_bot_and_dialogs_import_botbuilder_or_aiohttp() -> None:
    for path in python_files():
        key, _ = rule_for(path)
        if key.split("/")[0] not in ("bot", "dialogs", "tests", "bench"):
            assert not {n.split(".")[0] for n in imports_of(path)} & {"botbuilder", "aiohttp"}, path


# -- the checker itself --------------------------------------------------------------------------------
def test_a_new_package_is_found_and_tools_folders_are_not(tmp_path: Path) -> None:
    for relative in ("newpkg/sub/a.py", "tool.py", ".venv/lib/x.py", "mutants/sla/y.py", "x.egg-info/z.py",
                     "docs/readme.md"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("", encoding="utf-8")
    assert top_level_packages(tmp_path) == {"newpkg", "tool"}


def test_the_checker_sees_a_violation() -> None:
    sample = ROOT / "sla" / "x.py"
    rule_ = RULES["sla"]
    assert rule_.allowed is not None
    names = {"os", "aiohttp.web", "sqlalchemy.orm", "sla.model", "holidays"}
    assert {n for n in names if not _covered(n, rule_.allowed)} == {"aiohttp.web", "sqlalchemy.orm"}
    assert rule_for(sample) == ("sla", rule_)
    assert rule_for(ROOT / "bot" / "rules" / "deep" / "x.py")[0] == "bot/rules"
    assert rule_for(ROOT / "bot" / "rulesy.py")[0] == "bot"
    with pytest.raises(LookupError, match="no package with an import rule"):
        rule_for(ROOT / "newpkg" / "x.py")


def test_relative_and_from_imports_are_resolved() -> None:
    found = imports_of(ROOT / "bot" / "rules" / "timers.py")
    assert {"sla", "sla.calendars", "sla.clock", "sla.deadlines"} <= found
    assert _covered("bot.settings", RULES["infra"].allowed or frozenset())
    assert not _covered("bot.store", RULES["infra"].allowed or frozenset())


def test_purity_is_followed_through_first_party_imports() -> None:
    reached = reachable_libraries(ROOT / "bot" / "app.py")
    assert {"aiohttp", "botbuilder", "sqlalchemy"} <= set(reached)
    assert not set(reachable_libraries(ROOT / "bot" / "rules" / "verbs.py")) & IO_LIBRARIES
