"""The container: slim Python 3.11, non-root, health-checked, and its install steps work in a clean environment.

No Docker engine runs here, so the test does what the image build does: copies exactly what the Dockerfile copies
into a fresh folder, runs the Dockerfile's own `pip install` in a fresh virtual environment, and starts the result.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1].strip() for line in joined.splitlines() if line.split(None, 1)[:1] == [name]]


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path) -> dict[str, str]:
    """Every package the lock file pins, by normalised name."""
    return {normalised(name): version
            for name, version in re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;\\]+)", lock.read_text(), re.M)}


def installed_versions(python: Path) -> dict[str, str]:
    """Every distribution installed in the environment of ``python``, by normalised name."""
    listing = subprocess.run([str(python), "-c", "import importlib.metadata as m\nfor d in m.distributions(): "
                              "print(d.metadata['Name'], d.version)"], capture_output=True, text=True, check=True)
    return {normalised(name): version for name, version in (line.split() for line in listing.stdout.splitlines())}


def project_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)  # type: ignore[union-attr]


def test_the_image_installs_the_lock_with_its_hashes_then_the_project_alone() -> None:
    steps = [step for step in instructions("RUN") if step.startswith("pip install")]
    assert steps == ["pip install --require-hashes --no-deps -r requirements/azure.txt",
                     "pip install --no-deps --no-build-isolation ."]
    assert "requirements ./requirements" in instructions("COPY")


def test_base_image_user_health_check_and_command() -> None:
    assert instructions("FROM") == ["python:3.11-slim"]
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    health = instructions("HEALTHCHECK")
    assert len(health) == 1 and "/healthz" in health[0]
    assert instructions("CMD") == ['["faultline"]']


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FAULTLINE_SKIP_INSTALL_TEST") == "1", reason="FAULTLINE_SKIP_INSTALL_TEST=1")
def test_the_install_steps_work_in_a_clean_virtual_environment(tmp_path: Path) -> None:
    context = tmp_path / "app"
    context.mkdir()
    for copy in instructions("COPY"):
        *sources, target = shlex.split(copy)
        for source in sources:
            origin = ROOT / source
            destination = context / (target if target not in ("./", ".") else source)
            if origin.is_dir():
                shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(origin, context / source)
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    for step in instructions("RUN"):
        if step.startswith("pip install"):
            command = [str(python), "-m", *shlex.split(step)]
            done = subprocess.run(command, cwd=context, capture_output=True, text=True, timeout=900, check=False)
            assert done.returncode == 0, done.stderr[-2000:]
    installed = installed_versions(python)
    installed.pop("pip")  # the virtual environment's own
    assert installed == {**locked_versions(ROOT / "requirements" / "azure.txt"), "faultline": project_version()}
    faultline = environment / "bin" / "faultline"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_", "PYTHONPATH"))}
    refused = subprocess.run([str(faultline)], cwd=tmp_path, env=clean_env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert refused.returncode == 2 and "set MicrosoftAppId" in refused.stderr
    reference = subprocess.run([str(faultline), "config-reference"], cwd=tmp_path, env=clean_env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert reference.returncode == 0 and "FAULTLINE_DATABASE_URL" in reference.stdout
    imports = subprocess.run([str(python), "-c", "import azure.monitor.opentelemetry.exporter, bot.app, infra.teams"],
                             cwd=tmp_path, env=clean_env, capture_output=True, text=True, timeout=120, check=False)
    assert imports.returncode == 0, imports.stderr[-2000:]
    assert sys.version_info[:2] == (3, 11)
