"""The README documents every command and every finding code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from kanta_archive.catalogue import CATALOGUE
from kanta_archive.cli.main import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _command_lines(group: click.Group, prefix: str = "kanta-archive") -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        line = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _command_lines(command, line)
        else:
            yield line


@pytest.mark.parametrize("command_line", list(_command_lines(cli)))
def test_every_command_is_shown_in_the_readme(command_line: str) -> None:
    # "kanta-archive schemas show" may appear as "kanta-archive schemas show …".
    assert command_line + " " in README or command_line + "\n" in README


@pytest.mark.parametrize("code", [info.code for info in CATALOGUE])
def test_every_finding_code_is_listed_in_the_readme(code: str) -> None:
    assert f"`{code}`" in README


def test_readme_starts_with_the_two_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_the_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.split("\n## Using it from Python", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    assert len(blocks) >= 2
    (tmp_path / "samples").symlink_to(Path(__file__).resolve().parents[2] / "samples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "demo-store" / "kanta-archive-store.json").is_file()
