"""The hash-chained audit log (kanta_archive.access.audit)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from kanta_archive.access.audit import GENESIS, AuditLog, entry_hash, verify


def test_chain_and_verify(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    assert verify(log).ok and verify(log).lines == 0
    first = log.append("store", actor="1.2.246.10.91000013", documents=["1.2.3"])
    second = log.append("read", actor="1.2.246.10.91000013", client="150612A904S")
    assert first["prev"] == GENESIS and second["prev"] == first["hash"]
    assert second["hash"] == entry_hash(second)
    assert verify(log).ok and verify(log).lines == 2
    with pytest.raises(ValueError, match="unknown audit event"):
        log.append("delete-everything", actor="x")


def test_concurrent_writers_chain_correctly(tmp_path: Path) -> None:
    def write(n: int) -> None:
        log = AuditLog(tmp_path)
        for i in range(20):
            log.append("query", actor=f"org-{n}", details={"i": i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(AuditLog(tmp_path))
    assert result.ok, result.message
    assert result.lines == 80


def test_edit_delete_and_truncation_are_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    for i in range(4):
        log.append("query", actor="a", details={"i": i})
    original = log.path.read_text(encoding="utf-8").splitlines(keepends=True)

    entry = json.loads(original[1])
    entry["actor"] = "b"
    log.path.write_text("".join([original[0], json.dumps(entry) + "\n", *original[2:]]))
    assert verify(log).bad_line == 2

    log.path.write_text("".join([original[0], *original[2:]]))
    assert verify(log).bad_line == 2

    log.path.write_text("".join(original[:3]))
    result = verify(log)
    assert not result.ok and "deleted" in result.message

    log.path.write_text("".join(original))
    assert verify(log).ok
