"""Crash and concurrency tests of the OCFL store with real processes.

A writer process (tests/e2e/store_writer.py) commits in a loop and prints each version only
after ``commit`` returned. The crash test SIGKILLs it at many points; after each kill,
``recover`` + ``verify`` must leave a clean store in which every acknowledged version is
readable, and ocfl-py must find every storage root valid. (SIGKILL loses the process, not the
page cache: this tests the commit protocol and recovery, not the fsyncs.)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import ocfl
import pytest
from ocfl.validator import Validator

from kanta_archive.store import Store

WRITER = Path(__file__).with_name("store_writer.py")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(WRITER.parent))
from store_writer import content  # noqa: E402


def start_writer(
    store: Path, writer: str, mode: str, objects: int, iterations: int
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(store), writer, mode, str(objects), str(iterations)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first == "ready\n", first + (proc.stderr.read() if proc.stderr else "")
    return proc


def acks(output: str) -> list[tuple[str, str, int, str]]:
    result = []
    for line in output.splitlines(keepends=True):
        parts = line.split()
        if line.endswith("\n") and parts and parts[0] == "ack":
            result.append((parts[1], parts[2], int(parts[3]), parts[4]))
    return result


def assert_ocfl_valid(store_path: Path) -> int:
    objects_checked = 0
    for root in sorted((store_path / "controllers").iterdir()):
        objdirs = sorted(p.parent for p in root.rglob("0=ocfl_object_1.1"))
        if not objdirs:
            continue
        s = ocfl.StorageRoot(root=str(root))
        s.validate(validate_objects=True, check_digests=True)
        assert s.num_objects == len(objdirs) > 0, s.errors
        assert s.good_objects == s.num_objects and not s.errors, s.errors
        for objdir in objdirs:
            v = Validator(log_warnings=True)
            assert v.validate_object(str(objdir)), v.status_str()
            assert not [c for c in v.log.codes if c.startswith("E")], v.status_str()
            objects_checked += 1
    return objects_checked


@pytest.mark.slow
def test_sigkill_at_many_points_loses_no_acknowledged_version(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    rng = random.Random(20240506)
    acknowledged: list[tuple[str, str, int, str]] = []
    iterations_with_repairs = 0
    seen: Counter[str] = Counter()
    kills = 25
    deadline = time.monotonic() + 35
    for i in range(kills):
        proc = start_writer(store_path, "w", "crash", 4, 0)
        time.sleep(rng.uniform(0.0, 0.35))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        acknowledged += acks(out)

        store = Store.open(store_path)
        before = store.verify()
        actions = store.recover()
        if before or actions:
            iterations_with_repairs += 1
        seen.update(p.code for p in before)
        seen.update(a.split("/")[0] for a in actions)
        problems = store.verify(full=True)
        assert problems == [], (i, problems, actions)
        for _controller, obj, version, writer in acknowledged:
            where = store.find_object(obj)
            assert where is not None, (obj, version)
            assert store.head(where, obj) >= version
            for name, data in content(obj, version, writer).items():
                assert store.read(where, obj, name, version) == data
        if time.monotonic() > deadline:
            break
    assert len(acknowledged) > kills  # the writer made progress between kills
    assert iterations_with_repairs > 0  # some kills did interrupt a commit
    assert assert_ocfl_valid(store_path) > 0
    print(
        f"{len(acknowledged)} acknowledged; {iterations_with_repairs} kills needed repair: {seen}"
    )


@pytest.mark.slow
def test_concurrent_writers_lose_no_version(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    Store.open(store_path, create=True)
    per_writer = 25
    procs = [start_writer(store_path, str(w), "concurrent", 3, per_writer) for w in range(4)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(out)
    acknowledged = [a for out in outputs for a in acks(out)]
    conflicts = sum(out.count("conflict\n") for out in outputs)

    # no version number acknowledged twice
    counts = Counter((controller, obj, version) for controller, obj, version, _ in acknowledged)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]

    store = Store.open(store_path)
    assert store.verify(full=True) == []
    per_object = Counter(obj for _, obj, _, _ in acknowledged)
    for controller, obj in store.iter_objects():
        # no lost version: versions 1..head are exactly the acknowledged ones
        assert store.head(controller, obj) == per_object[obj]
        assert [v.number for v in store.versions(controller, obj)] == list(
            range(1, per_object[obj] + 1)
        )
    assert sum(per_object.values()) == len(acknowledged) >= 4 * per_writer
    for controller, obj, version, writer in acknowledged:
        for name, data in content(obj, version, writer).items():
            assert store.read(controller, obj, name, version) == data
    assert assert_ocfl_valid(store_path) == 3
    print(f"{len(acknowledged)} versions, {conflicts} conflicts retried")
