"""The installed package (a built wheel) finds its bundled schemas from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a wheel of this checkout and install it (without dependencies) into a folder."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(work.glob("kanta_archive-*.whl"))
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
        capture_output=True,
    )
    return target


@pytest.mark.slow
def test_wheel_ships_the_schemas_as_package_data(installed: Path) -> None:
    schemas = installed / "kanta_archive" / "_schemas"
    assert (schemas / "metadata.schema.json").is_file()
    assert (schemas / "xhtml" / "metadata.xsd").is_file()
    assert len(list((schemas / "structures").glob("*.json"))) == 7  # the real exports
    assert (schemas / "structures" / "LICENSE").is_file()  # their MIT notice goes along
    assert list((schemas / "codesets").glob("*.json"))


@pytest.mark.slow
def test_installed_cli_validates_from_another_directory(installed: Path, tmp_path: Path) -> None:
    sample = ROOT / "samples" / "valid" / "case-document-open.xhtml"
    env = {**os.environ, "PYTHONPATH": str(installed)}
    result = subprocess.run(
        [sys.executable, "-m", "kanta_archive.cli.main", "validate", str(sample)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import kanta_archive.paths as p; print(p.bundled_schemas_dir())",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(probe.stdout.strip()).is_relative_to(installed)


@pytest.mark.slow
def test_wheel_ships_no_samples_or_tests(installed: Path) -> None:
    wheel = next(installed.parent.glob("kanta_archive-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("kanta_archive/_schemas/") for n in names)
    assert not any(n.startswith(("samples/", "tests/")) for n in names)
    # what samples generate needs, and nothing else of samples/
    shipped = sorted(n for n in names if n.startswith("kanta_archive/_samples/"))
    assert "kanta_archive/_samples/orgs.csv" in shipped
    assert all(n.startswith(("kanta_archive/_samples/orgs.csv", "kanta_archive/_samples/keys/"))
               for n in shipped)  # fmt: skip


@pytest.mark.slow
def test_installed_cli_generates_every_structure_without_options(
    installed: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = tmp_path / "gen"
    result = subprocess.run(
        [sys.executable, "-m", "kanta_archive.cli.main", "samples", "generate", "--count", "2",
         "--out", str(out), "--format", "both", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 7 and all(f.startswith("1.2.246.537.6.15") for f in folders)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 7 * 2 * 2
    check = subprocess.run(
        [sys.executable, "-m", "kanta_archive.cli.main", "validate", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
