"""The installed ``kanta-archive`` command run as a real subprocess."""

from __future__ import annotations

import json
import os
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


def test_fifo_inside_a_folder_is_skipped_not_waited_on(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "valid" / "disclosure-ban.json", tmp_path)
    os.mkfifo(tmp_path / "pipe.json")  # nobody writes: opening it would block for ever
    result = run("validate", tmp_path, "--format", "json", timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    sources = [r["source"] for r in json.loads(result.stdout)["results"]]
    assert sources == [str(tmp_path / "disclosure-ban.json")]


def test_a_pipe_given_by_name_is_read() -> None:
    # What a shell passes for `kanta-archive validate <(cat doc.json)`.
    data = (SAMPLES / "valid" / "disclosure-ban.json").read_bytes()
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        writer.write(data)  # fits the pipe buffer: written before the reader starts
    assert EXE is not None
    result = subprocess.run(
        [EXE, "validate", f"/dev/fd/{read_end}"],
        capture_output=True,
        text=True,
        timeout=30,
        pass_fds=(read_end,),
        check=False,
    )
    os.close(read_end)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 valid" in result.stdout


def test_a_dangling_symlink_in_a_folder_is_reported_unreadable(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "valid" / "disclosure-ban.json", tmp_path)
    (tmp_path / "gone.json").symlink_to(tmp_path / "nowhere.json")
    result = run("validate", tmp_path)
    assert result.returncode == 2
    assert "gone.json" in result.stderr
    assert "1 valid" in result.stdout


def test_help_loads_no_part_of_the_pipeline() -> None:
    # What keeps `--help` fast: the CLI and the package load the pipeline on first use.
    probe = (
        "import sys, kanta_archive.cli.main; "
        "heavy = ('kanta_archive.validate', 'kanta_archive.schemas', 'kanta_archive.formats', "
        "'importlib.metadata', 'jsonschema_rs', 'lxml'); "
        "print([m for m in heavy if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"


def test_generated_cda_documents_are_archived_by_the_installed_command(tmp_path: Path) -> None:
    out, store = tmp_path / "gen-cda", tmp_path / "store"
    made = run("samples", "generate", "--structure", "1.2.246.537.6.1505.2", "--count", "12",
               "--seed", "3", "--form", "cda", "--out", out)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert len(list(out.glob("*.xml"))) == 12
    archived = run("archive", out, "--store", store)
    assert archived.returncode == 0, archived.stdout + archived.stderr
    assert "12 stored, 0 unchanged, 0 refused" in archived.stdout + archived.stderr
    assert "Traceback" not in made.stderr + archived.stderr
