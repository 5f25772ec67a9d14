"""The package's shape: the rules of the house that docs/architecture.md states.

Imports are read from the source (every ``import``, at module level or inside a function),
so a lazy import counts as much as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kanta_archive"


@cache
def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path) -> Iterator[str]:
    known = modules()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if sub in known else target


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports (anywhere in its source)."""
    known = modules()
    return {
        name: frozenset(m for m in _imports(name, path) if m in known and m != name)
        for name, path in known.items()
    }


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycles() -> None:
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_only_cli_imports_click() -> None:
    offenders = [
        name
        for name, path in modules().items()
        if not name.startswith("kanta_archive.cli")
        and any(m == "click" or m.startswith("click.") for m in _imports(name, path))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "renderer", ["kanta_archive.commissioning.html", "kanta_archive.commissioning.json_report"]
)
def test_commissioning_renderers_do_not_import_the_runner(renderer: str) -> None:
    assert "kanta_archive.commissioning.runner" not in import_graph()[renderer]
    assert "kanta_archive.commissioning.report" in import_graph()[renderer]


def test_no_cli_command_module_imports_another() -> None:
    commands = {m for m in modules() if m.startswith("kanta_archive.cli.") and m.endswith("_cmd")}
    crossing = {m: sorted(import_graph()[m] & commands) for m in commands}
    assert {m: c for m, c in crossing.items() if c} == {}


ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _documented_name(path: Path) -> str:
    relative = path.relative_to(ROOT).as_posix()
    return relative[: -len("__init__.py")] if path.name == "__init__.py" else relative


@pytest.mark.parametrize("module", sorted(modules()))
def test_every_package_module_appears_in_the_architecture_page(module: str) -> None:
    name = _documented_name(modules()[module])
    assert f"| `{name}` |" in ARCHITECTURE, f"docs/architecture.md has no row for {name}"


def test_the_architecture_page_names_no_module_that_is_gone() -> None:
    import re

    named = set(re.findall(r"^\| `(kanta_archive/[^`]*)` \|", ARCHITECTURE, re.MULTILINE))
    present = {_documented_name(p) for p in modules().values()}
    assert named - present == set()
