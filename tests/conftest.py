"""Shared fixtures: sample folders, a CLI runner, a temporary store path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
VALID = SAMPLES / "valid"
INVALID = SAMPLES / "invalid"


@pytest.fixture
def samples_dir() -> Path:
    """The bundled samples folder."""
    return SAMPLES


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run the real CLI in-process through click's CliRunner: ``run_cli("validate", path)``."""
    from kanta_archive.cli.main import cli

    runner = CliRunner()

    def run(*args: str | Path, input: bytes | str | None = None) -> Result:
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def tmp_store(tmp_path: Path) -> Path:
    """A path for a fresh archive store (not created yet)."""
    return tmp_path / "archive"
