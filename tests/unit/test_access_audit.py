"""The hash-chained audit log (kanta_archive.access.audit)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanta_archive.access.audit import (
    GENESIS,
    AuditEvent,
    AuditLog,
    entry_hash,
)
from kanta_archive.access.audit_db import DbAuditLog, open_audit_log
from kanta_archive.access.audit_verify import verify
from kanta_archive.errors import StoreError
from kanta_archive.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pg_server import PgServer


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


# --- sealed against a forger who can write the store ----------------------------------------


def lines(log: AuditLog) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]


def write_lines(log: AuditLog, entries: list[dict[str, object]]) -> None:
    log.path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")


def rechain(entries: list[dict[str, object]], start: int) -> None:
    """Recompute every hash from ``start`` on, as a forger without the key can."""
    prev = str(entries[start - 1]["hash"]) if start else GENESIS
    for entry in entries[start:]:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)


def forge_head(log: AuditLog, entries: list[dict[str, object]]) -> None:
    last = entries[-1]
    (log.dir / "audit.head").write_text(
        json.dumps({"seq": last["seq"], "hash": last["hash"]}), encoding="utf-8"
    )


def test_rewriting_a_line_and_recomputing_the_chain_is_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    for i in range(5):
        log.append("read", actor="1.2.246.10.91000013", details={"i": i})
    entries = lines(log)
    entries[1]["actor"] = "1.2.246.10.91000021"
    rechain(entries, 1)
    write_lines(log, entries)
    forge_head(log, entries)
    result = verify(log)
    assert not result.ok and result.bad_line == 2 and "seal" in result.message


def test_rewriting_a_line_without_its_seal_is_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    for i in range(3):
        log.append("read", actor="a", details={"i": i})
    entries = lines(log)
    entries[2]["actor"] = "b"
    del entries[2]["mac"]
    rechain(entries, 2)
    write_lines(log, entries)
    forge_head(log, entries)
    result = verify(log)
    assert not result.ok and result.bad_line == 3 and "not sealed" in result.message


@pytest.mark.parametrize("seal", ["none", "made-up"])
def test_appending_a_forged_line_is_found(tmp_path: Path, seal: str) -> None:
    log = AuditLog(tmp_path)
    log.append("read", actor="a")
    entries = lines(log)
    forged: dict[str, object] = {**entries[0], "seq": 2, "actor": "intruder"}
    forged.pop("mac")
    entries.append(forged)
    rechain(entries, 1)
    if seal == "made-up":
        forged["mac"] = "0" * 64
    write_lines(log, entries)
    forge_head(log, entries)
    result = verify(log)
    assert not result.ok and result.bad_line == 2


def test_a_forged_head_record_is_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    for _ in range(3):
        log.append("read", actor="a")
    entries = lines(log)
    write_lines(log, entries[:2])  # drop the last line, and write a matching head
    forge_head(log, entries[:2])
    result = verify(log)
    assert not result.ok and "head" in result.message


def test_a_head_left_behind_by_a_crash_still_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.append("read", actor="a")
    head = (log.dir / "audit.head").read_bytes()
    log.append("read", actor="a")
    (log.dir / "audit.head").write_bytes(head)  # the crash came before the head was written
    assert verify(log).ok


def test_a_head_slot_torn_by_a_crash_still_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.append("read", actor="a")
    log.append("read", actor="a")
    path = log.dir / "audit.head"
    data = bytearray(path.read_bytes())
    data[0:40] = b"\x00" * 40  # seq 2's slot, half written
    path.write_bytes(bytes(data))
    assert verify(log).ok


def test_a_head_file_emptied_by_someone_fails_verify(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.append("read", actor="a")
    (log.dir / "audit.head").write_bytes(b"")
    assert not verify(log).ok


def test_verify_without_the_key_is_not_a_pass(tmp_path: Path, audit_key: Path) -> None:
    log = AuditLog(tmp_path)
    log.append("read", actor="a")
    audit_key.unlink()
    result = verify(AuditLog(tmp_path))
    assert not result.ok and "key" in result.message


def test_the_audit_key_is_made_outside_the_store_readable_by_its_owner_only(
    tmp_path: Path, audit_key: Path
) -> None:
    AuditLog(tmp_path).append("read", actor="a")
    assert audit_key.is_file() and audit_key.stat().st_mode & 0o077 == 0


def test_an_audit_key_inside_the_store_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KANTA_ARCHIVE_AUDIT_KEY", str(tmp_path / "audit.key"))
    with pytest.raises(StoreError, match="inside the store"):
        AuditLog(tmp_path).append("read", actor="a")


def test_a_log_from_before_sealing_verifies_and_later_lines_are_sealed(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    old: list[dict[str, object]] = []
    prev = GENESIS
    for seq in (1, 2):  # the format of earlier versions: hash-chained, no seal
        entry: dict[str, object] = {"seq": seq, "time": "2024-01-01T00:00:00Z", "event": "read"}
        entry.update(actor="a", user=None, client=None, documents=[], details={}, prev=prev)
        entry["hash"] = prev = entry_hash(entry)
        old.append(entry)
    write_lines(log, old)
    forge_head(log, old)
    log.append("read", actor="a")
    result = verify(log)
    assert result.ok and result.lines == 3 and result.unsealed == 2


def test_append_many_writes_a_batch_in_one_chain(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    written = log.append_many(AuditEvent("store", actor="a", documents=[str(i)]) for i in range(50))
    assert [e["seq"] for e in written] == list(range(1, 51))
    assert verify(log).ok and verify(log).lines == 50


# --- what the store declares -----------------------------------------------------------------


def test_deleting_the_log_and_its_head_of_a_store_is_found(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "archive", create=True)
    log = AuditLog(store.path)
    log.append("read", actor="a")
    log.path.unlink()
    (store.path / "audit.head").unlink()
    result = verify(AuditLog(store.path))
    assert not result.ok and "declares" in result.message


def test_a_store_without_an_audit_log_verifies_empty(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "archive", create=True)
    assert verify(AuditLog(store.path)).ok


# --- in a database ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audit_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/shared.sqlite"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


def test_a_database_audit_log_chains_seals_and_keeps_stores_apart(
    tmp_path: Path, audit_db_url: str
) -> None:
    with (
        open_audit_log(tmp_path / "a", audit_db_url, store_id="store-a") as a,
        open_audit_log(tmp_path / "b", audit_db_url, store_id="store-b") as b,
    ):
        for i in range(3):
            a.append("read", actor="a", details={"i": i})
        b.append("query", actor="b")
        assert verify(a).ok and verify(a).lines == 3
        assert verify(b).ok and verify(b).lines == 1


def test_rewriting_a_line_in_a_database_audit_log_is_found(
    tmp_path: Path, audit_db_url: str
) -> None:
    with open_audit_log(tmp_path / "a", audit_db_url, store_id="store-a") as log:
        assert isinstance(log, DbAuditLog)
        for i in range(3):
            log.append("read", actor="a", details={"i": i})
        entries = [json.loads(raw) for raw in log.raw_lines()]
        entries[0]["actor"] = "intruder"
        rechain(entries, 0)
        with log.db.transaction():
            for entry in entries:
                log.db.execute(
                    "UPDATE audit_log SET line = ? WHERE store_id = ? AND seq = ?",
                    (json.dumps(entry), "store-a", entry["seq"]),
                )
        result = verify(log)
        assert not result.ok and result.bad_line == 1


def test_concurrent_writers_chain_correctly_in_a_database(
    tmp_path: Path, audit_db_url: str
) -> None:
    def write(n: int) -> None:
        with open_audit_log(tmp_path / "a", audit_db_url, store_id="store-a") as log:
            for i in range(10):
                log.append("query", actor=f"org-{n}", details={"i": i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open_audit_log(tmp_path / "a", audit_db_url, store_id="store-a") as log:
        result = verify(log)
    assert result.ok, result.message
    assert result.lines == 40
