"""The audit log: ``<store>/audit.log``, hash-chained, append-only JSON lines.

Each line is one JSON object with ``seq`` (1, 2, …), ``time`` (UTC), ``event``,
``actor`` (the acting organisation, or the user when no organisation acted), ``user``,
``client`` (or null), ``documents`` (list of OIDs), ``details`` (object), ``prev`` (the
previous line's ``hash``; 64 zeros for the first line) and ``hash`` = SHA-256 (hex) over
the canonical JSON of the line without ``hash`` (keys sorted, no spaces, UTF-8).

Appends take an exclusive ``flock`` on ``<store>/audit.log.lock``, so concurrent writers
chain correctly, and ``fsync`` the log. ``<store>/audit.head`` (written atomically after
each append) holds the last ``seq`` and ``hash``, so that deleting the last lines is found
too. :func:`verify` names the first bad line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kanta_archive.access.db import now_utc
from kanta_archive.errors import StoreError
from kanta_archive.store.locking import exclusive_lock

AUDIT_FILE: Final = "audit.log"
HEAD_FILE: Final = "audit.head"
LOCK_FILE: Final = "audit.log.lock"
GENESIS: Final = "0" * 64

EVENTS: Final = frozenset(
    {
        "store",
        "read",
        "invalidate",
        "query",
        "reveal",
        "disclose",
        "right-grant",
        "right-revoke",
        "controller-transfer",
        "orgs-import",
        "client-link",
        "client-unlink",
        "client-inform",
        "summary",
    }
)


def canonical(entry: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes of ``entry``: sorted keys, no whitespace, UTF-8."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of ``entry`` without its ``hash``."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def _last_line(path: Path) -> bytes | None:
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        if end == 0:
            return None
        block = 4096
        data = b""
        pos = end
        while pos > 0:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
            stripped = data.rstrip(b"\n")
            if b"\n" in stripped:
                return stripped.rsplit(b"\n", 1)[1]
        return data.rstrip(b"\n") or None


class AuditLog:
    """The audit log of one store."""

    def __init__(self, store_path: str | os.PathLike[str]) -> None:
        self.dir = Path(store_path)
        self.path = self.dir / AUDIT_FILE

    def append(
        self,
        event: str,
        *,
        actor: str,
        user: str | None = None,
        client: str | None = None,
        documents: Sequence[str] = (),
        details: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one entry (durably) and return it."""
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        with exclusive_lock(self.dir / LOCK_FILE):
            last = _last_line(self.path)
            if last is None:
                seq, prev = 1, GENESIS
            else:
                try:
                    previous = json.loads(last)
                    seq, prev = int(previous["seq"]) + 1, str(previous["hash"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise StoreError(
                        f"{self.path}: the last line is damaged; run `kanta-archive audit "
                        f"verify`: {exc}"
                    ) from exc
            entry: dict[str, Any] = {
                "seq": seq,
                "time": now_utc(),
                "event": event,
                "actor": actor,
                "user": user,
                "client": client,
                "documents": list(documents),
                "details": dict(details or {}),
                "prev": prev,
            }
            entry["hash"] = entry_hash(entry)
            line = canonical(entry) + b"\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            head = self.dir / HEAD_FILE
            tmp = head.with_suffix(".tmp")
            tmp.write_bytes(canonical({"seq": seq, "hash": entry["hash"]}) + b"\n")
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, head)
        return entry

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry, oldest first (unchecked; use :func:`verify` to check)."""
        if not self.path.is_file():
            return
        with self.path.open("rb") as fh:
            for raw in fh:
                if raw.strip():
                    yield json.loads(raw)


@dataclass(frozen=True)
class AuditVerifyResult:
    """Outcome of :func:`verify`: ``bad_line`` is the first bad line number (1-based)."""

    ok: bool
    lines: int
    bad_line: int | None = None
    message: str = ""


def verify(log: AuditLog) -> AuditVerifyResult:
    """Check every line's hash, the chain, the sequence numbers and the head file."""
    prev = GENESIS
    count = 0
    if log.path.is_file():
        with log.path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                count = number
                try:
                    entry = json.loads(raw)
                    if not isinstance(entry, dict):
                        raise ValueError("not a JSON object")
                except ValueError as exc:
                    return AuditVerifyResult(False, number, number, f"not valid JSON: {exc}")
                if entry.get("seq") != number:
                    return AuditVerifyResult(
                        False,
                        number,
                        number,
                        f"sequence number {entry.get('seq')!r}, expected {number} "
                        "(a line was deleted, inserted or moved)",
                    )
                if entry.get("prev") != prev:
                    return AuditVerifyResult(
                        False,
                        number,
                        number,
                        "prev does not match the hash of the line before "
                        "(a line was deleted, inserted or moved)",
                    )
                if entry.get("hash") != entry_hash(entry):
                    return AuditVerifyResult(
                        False, number, number, "hash does not match the line (it was edited)"
                    )
                prev = str(entry["hash"])
    head_path = log.dir / HEAD_FILE
    if head_path.is_file():
        try:
            head = json.loads(head_path.read_bytes())
        except ValueError:
            return AuditVerifyResult(False, count, count + 1, f"{HEAD_FILE} is damaged")
        if head.get("seq") != count or head.get("hash") != prev:
            return AuditVerifyResult(
                False,
                count,
                count + 1,
                f"the log ends at line {count} but {HEAD_FILE} records line {head.get('seq')}"
                " (lines at the end were deleted or the log was replaced)",
            )
    elif count:
        return AuditVerifyResult(False, count, 1, f"{HEAD_FILE} is missing")
    return AuditVerifyResult(True, count)
