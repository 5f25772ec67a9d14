"""Stopping ``validate -j N`` with a signal: the workers go too, and the exit code says why."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "valid" / "client-record-entry.xhtml"
EXE = shutil.which("kanta-archive", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(
    EXE is None or not Path("/proc/self/stat").exists(),
    reason="needs the installed command and /proc",
)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    data = SAMPLE.read_bytes()
    for n in range(3000):
        (folder / f"doc-{n:05d}.xhtml").write_bytes(data)
    return folder


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_validate_stops_its_workers(many: Path, signum: int, code: int) -> None:
    assert EXE is not None
    process = subprocess.Popen(
        [EXE, "validate", str(many), "-j", "2", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        workers = _children(process.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(0.5)
    os.kill(process.pid, signum)
    # communicate() reads to EOF: an orphan holding stdout open would block it.
    _out, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert b"Traceback" not in err
    time.sleep(0.2)
    assert [w for w in workers if _alive(w)] == []
