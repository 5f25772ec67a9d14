"""Killing ``archive`` at any moment loses no acknowledged document and corrupts nothing.

A writer process archives documents one at a time through the library (the same code the
CLI runs) and prints an acknowledgement after each ingest returns. The test SIGKILLs it at
many points; then ``verify --repair --full`` must find a clean store and index, ocfl-py must
find every storage root valid, and every acknowledged document must be shown by ``show``.
Before any repair, right after the restart, ``query`` must already find every acknowledged
document (an acknowledgement comes after both the store and the index took it).

Long mode: ``KANTA_CRASH_KILLS=200 .venv/bin/pytest tests/e2e/test_archive_crash.py``
(default 12 kills in ``make test``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ocfl
import pytest
from click.testing import Result

WRITER = Path(__file__).with_name("archive_writer.py")
KILLS = int(os.environ.get("KANTA_CRASH_KILLS", "12"))
CLIENT = "150612A904S"  # the client of every document the writer makes
REPO = Path(__file__).resolve().parents[2]


def run_writer_until_killed(store: Path, first: int, delay: float) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(store), str(first), "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    # Only complete lines count: a line cut by the kill was never acknowledged.
    return [line.split()[1] for line in out.splitlines(keepends=True) if line.endswith("\n")]


def assert_every_storage_root_is_valid(store: Path) -> None:
    roots = sorted((store / "controllers").iterdir())
    assert roots
    for root in roots:
        checked = ocfl.StorageRoot(root=str(root))
        checked.validate(validate_objects=True, check_digests=True)
        assert checked.num_objects > 0
        assert checked.good_objects == checked.num_objects, root


@pytest.mark.slow
def test_sigkill_during_archive_loses_no_acknowledged_document(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    store = tmp_path / "archive"
    rng = random.Random(20261123)  # fixed: the kill points are reproducible
    acknowledged: list[str] = []
    for round_number in range(KILLS):
        acknowledged += run_writer_until_killed(store, round_number * 1000, rng.uniform(0.05, 0.8))
    assert acknowledged, "the writer never acknowledged a document: kills came too early"

    found: set[str] = set()
    offset = 0
    while True:  # the restarted process, before any repair
        page = run_cli(
            "query",
            "--client",
            CLIENT,
            "--format",
            "json",
            "--limit",
            "10000",
            "--offset",
            str(offset),
            "--store",
            store,
        )
        assert page.exit_code == 0, page.output + page.stderr
        documents = json.loads(page.output)["documents"]
        found |= {d["set_oid"] for d in documents}
        if len(documents) < 10000:
            break
        offset += 10000
    missing = sorted(set(acknowledged) - found)
    assert not missing, f"{len(missing)} acknowledged documents not found by query: {missing[:5]}"

    repaired = run_cli("verify", "--repair", "--full", "--store", store)
    assert repaired.exit_code == 0, repaired.output + repaired.stderr
    assert_every_storage_root_is_valid(store)
    for set_oid in acknowledged:
        shown = run_cli("show", set_oid, "--metadata", "--store", store)
        assert shown.exit_code == 0, f"{set_oid}: {shown.output}{shown.stderr}"
