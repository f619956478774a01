"""Reading TOML tables with errors that name the file, the dotted key and the problem."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sla.errors import PolicyError

ErrorFactory = Callable[[str, str, str], Exception]


@dataclass(frozen=True)
class Reader:
    """Reads one table of a TOML file, knowing its key path for error messages."""

    source: str
    path: str
    data: Mapping[str, Any]
    error: ErrorFactory = PolicyError

    def fail(self, key: str | None, problem: str) -> Exception:
        return self.error(self.source, self._key(key), problem)

    def at(self, path: str, data: Mapping[str, Any]) -> Reader:
        """A reader for a nested table reached some other way (e.g. a list item)."""
        return Reader(self.source, path, data, self.error)

    def _key(self, key: str | None) -> str:
        return ".".join(p for p in (self.path, key) if p) or "(top level)"

    def sub(self, key: str, required: bool = True) -> Reader:
        value = self.data.get(key, None if required else {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "missing table" if value is None else "must be a table")
        return Reader(self.source, self._key(key), value, self.error)

    def items(self) -> Iterable[tuple[str, Reader]]:
        for key in self.data:
            yield key, self.sub(key)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"must be a number, not {value!r}")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}, not {value!r}")
        return value

    def choice(self, key: str, options: Iterable[str], default: Any = ...) -> Any:
        options = tuple(options)
        value = self.get(key, str, default)
        if value is not None and value not in options and value != default:
            raise self.fail(key, f"must be one of {', '.join(options)}; got {value!r}")
        return value

    def only(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    if kind == (int, float):
        return "a number"
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def read_toml(path: Path, error: ErrorFactory = PolicyError) -> dict[str, Any]:
    """A TOML file's contents; unreadable or invalid files fail naming the file and what is wrong."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(str(path), "(syntax)", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
