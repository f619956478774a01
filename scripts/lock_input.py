"""Print the sha256 of what the lock files in requirements/ are resolved from.

That is pyproject.toml's requires-python, dependencies, optional dependencies and build requirements, plus
requirements/build.in; nothing else in pyproject.toml (tool settings) changes it. scripts/upgrade records it in each
lock file's first line; scripts/setup refuses a lock whose recorded hash differs.
"""

import hashlib
import json
import sys
import tomllib
from pathlib import Path

root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
project = data.get("project", {})
inputs = {
    "requires-python": project.get("requires-python"),
    "dependencies": project.get("dependencies", []),
    "optional-dependencies": project.get("optional-dependencies", {}),
    "build-system": data.get("build-system", {}).get("requires", []),
    "build.in": (root / "requirements" / "build.in").read_text(encoding="utf-8"),
}
print(hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest())
