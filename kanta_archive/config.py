"""Project settings from ``[tool.kanta-archive]`` in ``pyproject.toml``, as linters read
theirs: the nearest ``pyproject.toml`` with that table, from the working directory up to
the file system root, or the file named by ``--config``.

Keys (all optional)::

    [tool.kanta-archive]
    select = ["KA-*"]            # report only these codes (patterns: a code, or a prefix*)
    ignore = ["KA-HETU-TEST"]    # never report these
    fail-on = "warning"          # lowest severity that fails the run (error | warning)

The command line wins: ``--select`` replaces ``select``, ``--ignore`` adds to ``ignore``,
``--fail-on`` replaces ``fail-on``. An unknown key or a value of the wrong type is a usage
error naming the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kanta_archive.errors import UsageError

TABLE: Final = "kanta-archive"
KEYS: Final = frozenset({"select", "ignore", "fail-on"})
FAIL_ON: Final = ("error", "warning")


@dataclass(frozen=True)
class Settings:
    """What a project file says (empty when there is none); ``source`` is the file."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    source: Path | None = None


def find_project_file(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.kanta-archive]``."""
    for folder in (start.absolute(), *start.absolute().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and TABLE in _tool_tables(candidate):
            return candidate
    return None


def _tool_tables(path: Path) -> Mapping[str, Any]:
    data = _load(path)
    tool = data.get("tool", {})
    return tool if isinstance(tool, Mapping) else {}


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the settings: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc


def _strings(value: Any, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: [tool.{TABLE}] {key} must be a list of strings")
    return tuple(value)


def load_settings(path: Path) -> Settings:
    """The ``[tool.kanta-archive]`` table of ``path`` (empty settings if it has none)."""
    table = _tool_tables(path).get(TABLE, {})
    if not isinstance(table, Mapping):
        raise UsageError(f"{path}: [tool.{TABLE}] must be a table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        known = ", ".join(sorted(KEYS))
        raise UsageError(f"{path}: unknown key {unknown[0]!r} in [tool.{TABLE}]; known: {known}")
    fail_on = table.get("fail-on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"{path}: [tool.{TABLE}] fail-on must be one of {', '.join(FAIL_ON)}")
    return Settings(
        _strings(table.get("select", []), "select", path),
        _strings(table.get("ignore", []), "ignore", path),
        fail_on,
        path,
    )


def project_settings(explicit: Path | None = None, start: Path | None = None) -> Settings:
    """The settings of ``explicit`` (``--config``), else of the nearest project file above
    ``start`` (default: the working directory), else none."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        return load_settings(explicit)
    found = find_project_file(start or Path.cwd())
    return load_settings(found) if found is not None else Settings()
