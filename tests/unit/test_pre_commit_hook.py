"""The pre-commit hooks take the files a folder walk of ``validate`` takes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kanta_archive.validate import iter_inputs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")

NAMES = [
    "doc.json", "DOC.JSON", "page.xhtml", "page.html", "page.htm", "data.xml", "Page.XHTML",
    "notes.txt", "doc.json.bak", "image.png", "json", ".hidden.json", "sub/.hidden.xml",
    ".git/config.json", "a/.cache/doc.json", "a/b/doc.xml",
]  # fmt: skip


def _hook_patterns() -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    files = re.findall(r"^  files: (.+)$", HOOKS, re.MULTILINE)
    excludes = re.findall(r"^  exclude: (.+)$", HOOKS, re.MULTILINE)
    assert len(files) == len(excludes) == 2
    return [(re.compile(f), re.compile(e)) for f, e in zip(files, excludes, strict=True)]


@pytest.mark.parametrize("name", NAMES)
def test_a_hook_takes_a_file_exactly_when_a_folder_walk_does(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    walked = {p.relative_to(tmp_path).as_posix() for p in iter_inputs([tmp_path])}
    for files, exclude in _hook_patterns():
        hooked = bool(files.search(name)) and not exclude.search(name)
        assert hooked == (name in walked), (files.pattern, name)
