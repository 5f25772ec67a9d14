"""Checking the audit log: every line's hash, seal and place in the chain, and the head.

What is found: an edited, deleted, inserted or reordered line (the hash chain); a line
rewritten with every later hash recomputed, or a line appended, by someone without the key
(the seals); lines deleted at the end (the sealed head record, a lower bound that a crash
cannot push past the log); a log and head deleted together (the store's marker declares
the log). What is not: see docs/access.md, "The audit log".
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kanta_archive.access.audit import GENESIS, HEAD_FILE, HEAD_SLOT, AuditTrail, entry_hash
from kanta_archive.access.audit_key import KEY_ENV, AuditKey, key_path
from kanta_archive.store import manifest


@dataclass(frozen=True)
class AuditVerifyResult:
    """Outcome of :func:`verify`: ``bad_line`` is the first bad line number (1-based);
    ``unsealed`` counts the lines from before sealing began (hash-chained only)."""

    ok: bool
    lines: int
    bad_line: int | None = None
    message: str = ""
    unsealed: int = 0


def verify(log: AuditTrail, key: AuditKey | None = None) -> AuditVerifyResult:
    """Check every line's hash, seal and place in the chain, and the head record.

    Lines from before sealing began (``sealed_from`` in the store's marker, or before the
    first sealed line) need only their hashes; any later line must carry a valid seal.
    A log the store declares must exist.
    """
    declared = manifest.declared(log.store).get(manifest.AUDIT_LOG)
    sealed_from = int(declared.get("sealed_from", 1)) if declared else None
    key = key or log.key(create=False)
    if declared and key is not None and declared.get("key_id") not in (None, key.key_id):
        return AuditVerifyResult(
            False,
            0,
            None,
            f"the log is sealed with key {declared.get('key_id')}, but the key at {key.path}"
            f" is {key.key_id}; verify with the right key ({KEY_ENV})",
        )
    prev = GENESIS
    count = 0
    unsealed = 0
    sealed_seen = False
    for number, raw in enumerate(log.raw_lines(), start=1):
        count = number
        problem = _check_line(raw, number, prev)
        if isinstance(problem, str):
            return AuditVerifyResult(False, number, number, problem)
        entry = problem
        if "mac" in entry:
            if key is None:
                return AuditVerifyResult(
                    False,
                    number,
                    number,
                    f"the line is sealed, but there is no audit key at {key_path()} to"
                    f" check it ({KEY_ENV})",
                )
            if entry.get("kid") != key.key_id or not hmac.compare_digest(
                str(entry["mac"]), key.seal(str(entry["hash"]))
            ):
                return AuditVerifyResult(
                    False,
                    number,
                    number,
                    "the seal does not match the line: it was forged or rewritten",
                )
            sealed_seen = True
        else:
            must_be_sealed = sealed_seen or (sealed_from is not None and number >= sealed_from)
            if must_be_sealed:
                return AuditVerifyResult(
                    False,
                    number,
                    number,
                    "the line is not sealed, but sealing had begun: someone without the"
                    " key wrote it",
                )
            unsealed += 1
        prev = str(entry["hash"])
    sealed = sealed_seen or declared is not None
    return _check_head(log, count, prev, key, declared is not None, sealed, unsealed)


def _check_line(raw: bytes, number: int, prev: str) -> dict[str, Any] | str:
    """The parsed line, or what is wrong with it."""
    try:
        entry = json.loads(raw)
        if not isinstance(entry, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        return f"not valid JSON: {exc}"
    if entry.get("seq") != number:
        return (
            f"sequence number {entry.get('seq')!r}, expected {number}"
            " (a line was deleted, inserted or moved)"
        )
    if entry.get("prev") != prev:
        return (
            "prev does not match the hash of the line before"
            " (a line was deleted, inserted or moved)"
        )
    if entry.get("hash") != entry_hash(entry):
        return "hash does not match the line (it was edited)"
    return entry


def _check_head(
    log: AuditTrail,
    count: int,
    last_hash: str,
    key: AuditKey | None,
    declared: bool,
    sealed: bool,
    unsealed: int,
) -> AuditVerifyResult:
    raw = log.head()
    if raw is None:
        if count or declared:
            what = "its head record is missing" if count else "the log and its head are gone"
            return AuditVerifyResult(
                False,
                count,
                count + 1 if count else None,
                f"the store declares an audit log ({log.describe()}) but {what}"
                if declared
                else f"{HEAD_FILE} is missing",
            )
        return AuditVerifyResult(True, 0)
    records = _head_records(raw)
    if not records:
        return AuditVerifyResult(False, count, count + 1, f"{HEAD_FILE} is damaged")
    if sealed or any("mac" in r for r in records):
        records = [r for r in records if _head_seal_ok(r, key)]
        if not records:
            return AuditVerifyResult(
                False, count, count + 1, "the head record's seal does not match: it was forged"
            )
    head = max(records, key=lambda r: int(r["seq"]))
    seq, digest = int(head["seq"]), str(head["hash"])
    if seq > count:
        return AuditVerifyResult(
            False,
            count,
            count + 1,
            f"the log ends at line {count} but the head records line {seq}"
            " (lines at the end were deleted or the log was replaced)",
        )
    if seq == count and digest != last_hash:
        return AuditVerifyResult(
            False, count, count, "the last line is not the one the head records (replaced)"
        )
    if seq < count and not _line_hash_is(log, seq, digest):
        return AuditVerifyResult(
            False, count, seq, f"line {seq} is not the one the head records (replaced)"
        )
    return AuditVerifyResult(True, count, unsealed=unsealed)


def _head_records(raw: bytes) -> list[dict[str, Any]]:
    """The readable head records: a slot torn by a crash is skipped; a file written by an
    earlier version holds one record."""
    chunks = [raw[i : i + HEAD_SLOT] for i in range(0, len(raw), HEAD_SLOT)]
    records = []
    for chunk in chunks if len(raw) >= HEAD_SLOT else [raw]:
        try:
            record = json.loads(chunk)
            int(record["seq"]), str(record["hash"])
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _head_seal_ok(head: Mapping[str, Any], key: AuditKey | None) -> bool:
    if "mac" not in head or key is None:
        return False
    return hmac.compare_digest(str(head["mac"]), key.seal_head(int(head["seq"]), str(head["hash"])))


def _line_hash_is(log: AuditTrail, seq: int, digest: str) -> bool:
    for number, raw in enumerate(log.raw_lines(), start=1):
        if number == seq:
            return bool(json.loads(raw).get("hash") == digest)
    return seq == 0
