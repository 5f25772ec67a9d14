"""The installed ``kanta-archive`` command run as a real subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
EXE = shutil.which("kanta-archive", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(EXE is None, reason="kanta-archive is not installed in this venv")


def run(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert EXE is not None
    return subprocess.run(
        [EXE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def test_validate_valid_samples_exits_0() -> None:
    result = run("validate", SAMPLES / "valid")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_validate_invalid_samples_exits_1_with_json() -> None:
    result = run("validate", SAMPLES / "invalid", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"]["valid"] == 0
    assert report["summary"]["documents"] >= 30
    assert "Traceback" not in result.stderr


def test_help_exits_0_quickly() -> None:
    start = time.perf_counter()
    result = run("--help", timeout=10)
    assert result.returncode == 0
    assert "Example:" in result.stdout
    assert time.perf_counter() - start < 5


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "missing.json")
    assert result.returncode == 2
    assert result.stderr.startswith("Error:")
    assert "Traceback" not in result.stderr
