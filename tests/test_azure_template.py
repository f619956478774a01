"""The Bicep template, checked without a Bicep compiler (none can be installed from the package registries here).

The checks are the mistakes a compiler or a reviewer would catch first: every parameter described and documented
in the README, secrets marked @secure and never output, pinned API versions, references to declared symbols only,
balanced brackets, and the resources the deployment guide promises.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BICEP = (ROOT / "infra" / "azure" / "main.bicep").read_text(encoding="utf-8")
CODE = re.sub(r"//[^\n]*", "", re.sub(r"'(?:[^'\\]|\\.)*'", "''", BICEP))
PARAMS = re.findall(r"^param (\w+) (\w+)", BICEP, re.M)
RESOURCES = re.findall(r"^resource (\w+) '([^']+)'", BICEP, re.M)


def decorators_of(name: str) -> str:
    head = BICEP[:BICEP.index(f"param {name} ")]
    return head[head.rfind("\n\n"):]


def test_brackets_balance() -> None:
    for opening, closing in ("{}", "[]", "()"):
        assert CODE.count(opening) == CODE.count(closing), opening + closing


def test_every_parameter_is_described_and_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert PARAMS
    for name, _ in PARAMS:
        assert "@description(" in decorators_of(name), name
        assert f"`{name}`" in readme, f"README does not document the Bicep parameter {name}"


def test_secrets_are_secure_parameters_and_never_outputs() -> None:
    for name, _ in PARAMS:
        if re.search(r"password|secret", name, re.I):
            assert "@secure()" in decorators_of(name), name
    for line in re.findall(r"^output .*$", BICEP, re.M):
        assert not re.search(r"password|secret|connectionstring|listkeys", line, re.I), line


def test_every_resource_pins_an_api_version_and_the_promised_ones_are_there() -> None:
    types = {kind.split("@")[0] for _, kind in RESOURCES}
    assert all(re.search(r"@\d{4}-\d{2}-\d{2}(-preview)?$", kind) for _, kind in RESOURCES)
    assert {"Microsoft.BotService/botServices", "Microsoft.Web/sites", "Microsoft.DBforPostgreSQL/flexibleServers",
            "Microsoft.KeyVault/vaults", "Microsoft.Insights/components",
            "Microsoft.ManagedIdentity/userAssignedIdentities"} <= types


def test_symbols_used_are_declared() -> None:
    declared = {name for name, _ in PARAMS} | {name for name, _ in RESOURCES}
    declared |= set(re.findall(r"^var (\w+)", BICEP, re.M))
    used = set(re.findall(r"\b([a-z]\w*)\.(?:id|name|properties)\b", CODE))
    assert used <= declared, used - declared


def test_the_app_is_health_checked_and_https_only() -> None:
    assert "healthCheckPath: '/healthz'" in BICEP and "httpsOnly: true" in BICEP
    assert "/api/messages" in BICEP
