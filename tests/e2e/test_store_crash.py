"""Crash and concurrency tests of the OCFL store with real processes.

A writer process (tests/e2e/store_writer.py) commits in a loop and prints each version only
after ``commit`` returned. The crash test SIGKILLs it at many points; after each kill,
``recover`` + ``verify`` must leave a clean store in which every acknowledged version is
readable, and ocfl-py must find every storage root valid. (SIGKILL loses the process, not the
page cache: this tests the commit protocol and recovery, not the fsyncs.)

Both tests run on the local backend and on the S3 backend (a real S3 API server on a local
port, ``tests/s3_server.py``); on S3 ocfl-py checks a downloaded copy of the bucket.

Long mode: ``KANTA_CRASH_KILLS=200 .venv/bin/pytest tests/e2e/test_store_crash.py`` kills
the writer that many times (no time limit; about 3 minutes per 100 kills locally); the
default (25 kills, at most ~35 s) runs in ``make test``.
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
from kanta_archive.store.s3 import S3Storage, parse_url

WRITER = Path(__file__).with_name("store_writer.py")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(WRITER.parent))
from store_writer import content  # noqa: E402

KILLS = int(os.environ.get("KANTA_CRASH_KILLS", "25"))
LONG = "KANTA_CRASH_KILLS" in os.environ


@pytest.fixture(params=["local", "s3"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the writers write: a directory, or a fresh bucket on the test S3 server."""
    if request.param == "local":
        return str(tmp_path / "store")
    return str(request.getfixturevalue("s3_url"))


def open_for_recovery(location: str) -> Store:
    """The store as the restarted process sees it. On S3 the killed writers are known to be
    dead, so their unfinished uploads need not wait for the grace period."""
    if location.startswith("s3://"):
        bucket, prefix = parse_url(location)
        return Store(S3Storage(bucket, prefix, grace=0))
    return Store.open(location)


def local_copy(store: Store, location: str, target: Path) -> Path:
    """The store's files on disk, for ocfl-py: the directory itself, or the bucket's keys."""
    if not location.startswith("s3://"):
        return Path(location)
    storage = store.storage
    assert isinstance(storage, S3Storage)
    for rel, _item in storage.bucket.all_keys(""):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(storage.read(rel) or b"")
    return target


def start_writer(
    store: Path | str, writer: str, mode: str, objects: int, iterations: int
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
def test_sigkill_at_many_points_loses_no_acknowledged_version(
    store_location: str, tmp_path: Path
) -> None:
    rng = random.Random(20240506)
    acknowledged: list[tuple[str, str, int, str]] = []
    iterations_with_repairs = 0
    seen: Counter[str] = Counter()
    kills = KILLS
    # An S3 request to the local server costs milliseconds, not microseconds: the writer
    # needs longer between kills to get anything done.
    on_s3 = store_location.startswith("s3://")
    pause = (0.4, 2.0) if on_s3 else (0.0, 0.35)
    deadline = time.monotonic() + (10**9 if LONG else 45 if on_s3 else 35)
    done = 0
    for i in range(kills):
        proc = start_writer(store_location, "w", "crash", 4, 0)
        time.sleep(rng.uniform(*pause))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        acknowledged += acks(out)
        done += 1

        store = open_for_recovery(store_location)
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
    assert len(acknowledged) > done  # the writer made progress between kills
    assert iterations_with_repairs > 0  # some kills did interrupt a commit
    assert assert_ocfl_valid(local_copy(store, store_location, tmp_path / "copy")) > 0
    print(
        f"{done} kills, {len(acknowledged)} acknowledged; {iterations_with_repairs} kills "
        f"needed repair: {seen}"
    )


@pytest.mark.slow
def test_concurrent_writers_lose_no_version(store_location: str, tmp_path: Path) -> None:
    Store.open(store_location, create=True)
    per_writer = 25
    procs = [start_writer(store_location, str(w), "concurrent", 3, per_writer) for w in range(4)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(out)
    acknowledged = [a for out in outputs for a in acks(out)]
    conflicts = sum(out.count("conflict\n") for out in outputs)

    # no version number acknowledged twice
    counts = Counter((controller, obj, version) for controller, obj, version, _ in acknowledged)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]

    store = Store.open(store_location)
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
    assert assert_ocfl_valid(local_copy(store, store_location, tmp_path / "copy")) == 3
    print(f"{len(acknowledged)} versions, {conflicts} conflicts retried")
