"""The audit log: append-only JSON lines, hash-chained and sealed with a key kept outside
the store.

Each entry is one JSON object with ``seq`` (1, 2, …), ``time`` (UTC), ``event``,
``actor`` (the acting organisation, or the user when no organisation acted), ``user``,
``client`` (or null), ``documents`` (list of OIDs), ``details`` (object), ``prev`` (the
previous entry's ``hash``; 64 zeros for the first), ``kid`` (the id of the sealing key),
``hash`` = SHA-256 (hex) over the canonical JSON of the entry without ``hash`` and
``mac`` (keys sorted, no spaces, UTF-8) and ``mac`` = HMAC-SHA256 of that hash under the
audit key.

The hash chain finds an edited, deleted, inserted or reordered line; the seal finds the
forger who rewrites a line and recomputes every hash after it, or appends a line of his
own: without the key he cannot make a valid ``mac``. The key (32 random bytes, hex, in a
file readable by its owner only) is looked for in ``$KANTA_ARCHIVE_AUDIT_KEY`` (a file
path), else ``$XDG_CONFIG_HOME/kanta-archive/audit.key`` (``~/.config/…``), made on the
first append when missing, and refused inside the store. Verifying needs the same key.

The log lives in ``<store>/audit.log`` (appends take an exclusive ``flock`` on
``<store>/audit.log.lock`` and ``fdatasync`` the log once per batch of entries;
``<store>/audit.head`` holds, in two slots written in turn, the sealed ``seq`` and
``hash`` of a recent last line, so that deleting lines at the end is found) or in a
database (table ``audit_log``, one row per entry, the head in ``audit_heads`` updated in
the same transaction). The store's marker
declares the log and its key id (:mod:`kanta_archive.store.manifest`), so that deleting
the log and its head is found too. Limits: docs/access.md, "Audit log".
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kanta_archive.access.audit_key import AuditKey, load_key
from kanta_archive.access.db import now_utc
from kanta_archive.db import Closing
from kanta_archive.errors import StoreError
from kanta_archive.store import Storage, manifest
from kanta_archive.store.locking import exclusive_lock
from kanta_archive.store.manifest import StoreRef

AUDIT_FILE: Final = "audit.log"
HEAD_FILE: Final = "audit.head"
LOCK_FILE: Final = "audit.log.lock"
#: bytes per slot of the head file (two slots; a sealed head record is about 200 bytes).
HEAD_SLOT: Final = 512
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
    """SHA-256 hex of the canonical JSON of ``entry`` without its ``hash`` and ``mac``."""
    body = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
    return hashlib.sha256(canonical(body)).hexdigest()


# ---------------------------------------------------------------------- logs


@dataclass(frozen=True)
class AuditEvent:
    """One event to append (see :meth:`AuditLog.append`)."""

    event: str
    actor: str
    user: str | None = None
    client: str | None = None
    documents: Sequence[str] = ()
    details: Mapping[str, Any] | None = None


class AuditTrail(Closing, abc.ABC):
    """An audit log: where the lines live is the subclass's business, the chain is here.
    ``store`` is the store it belongs to: its directory, or its storage backend."""

    store: StoreRef

    def __init__(self, store: StoreRef, key: AuditKey | None = None) -> None:
        self.store = store if isinstance(store, Storage) else Path(store)
        self._key = key

    def key(self, *, create: bool = True) -> AuditKey | None:
        """The sealing key (made on first use when ``create``)."""
        if self._key is None:
            self._key = load_key(manifest.local_path(self.store), create=create)
        return self._key

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
        return self.append_many([AuditEvent(event, actor, user, client, documents, details)])[0]

    def append_many(self, events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
        """Append several entries durably at once (one lock, one flush); return them."""
        pending = list(events)
        for item in pending:
            if item.event not in EVENTS:
                raise ValueError(f"unknown audit event {item.event!r}")
        if not pending:
            return []
        key = self.key(create=True)
        assert key is not None
        with self._locked() as last:
            seq, prev = (0, GENESIS) if last is None else last
            entries: list[dict[str, Any]] = []
            for item in pending:
                seq += 1
                entry: dict[str, Any] = {
                    "seq": seq,
                    "time": now_utc(),
                    "event": item.event,
                    "actor": item.actor,
                    "user": item.user,
                    "client": item.client,
                    "documents": list(item.documents),
                    "details": dict(item.details or {}),
                    "prev": prev,
                    "kid": key.key_id,
                }
                entry["hash"] = prev = entry_hash(entry)
                entry["mac"] = key.seal(prev)
                entries.append(entry)
            self._write(entries, {"seq": seq, "hash": prev, "mac": key.seal_head(seq, prev)})
        if manifest.is_store(self.store) and manifest.AUDIT_LOG not in manifest.declared(
            self.store
        ):
            manifest.declare(
                self.store, manifest.AUDIT_LOG, key_id=key.key_id, sealed_from=entries[0]["seq"]
            )
        return entries

    def adopt(self, entries: Sequence[dict[str, Any]], declaration: Mapping[str, Any]) -> int:
        """Take over the entries of another store's log as they are (same hashes and
        seals: the chain does not name the store), with a new sealed head, and declare
        the log in this store's marker with ``declaration`` (the source's key id and
        where sealing began). The caller has verified the source. Returns how many were
        written: 0 when this log already ends with the same last entry (a resumed copy);
        a log holding anything else is refused (:class:`StoreError`)."""
        if not entries:
            return 0
        key = self.key(create=False)
        if key is None:
            raise StoreError("copying an audit log needs its audit key (KANTA_ARCHIVE_AUDIT_KEY)")
        last = (int(entries[-1]["seq"]), str(entries[-1]["hash"]))
        with self._locked() as current:
            if current is None:
                head = {"seq": last[0], "hash": last[1], "mac": key.seal_head(*last)}
                self._write(list(entries), head)
                written = len(entries)
            elif tuple(current) == last:
                written = 0
            else:
                raise StoreError(
                    f"the audit log {self.describe()} already holds other entries; nothing copied"
                )
        details = {k: v for k, v in declaration.items() if k != "since"}
        manifest.declare(self.store, manifest.AUDIT_LOG, **details)
        return written

    @abc.abstractmethod
    def _locked(self) -> Any:
        """A context holding the append lock; yields ``(seq, hash)`` of the last entry."""

    @abc.abstractmethod
    def _write(self, entries: list[dict[str, Any]], head: dict[str, Any]) -> None:
        """Write entries and the new head durably (inside :meth:`_locked`)."""

    @abc.abstractmethod
    def raw_lines(self) -> Iterator[bytes]:
        """The stored lines, oldest first, unchecked."""

    @abc.abstractmethod
    def head(self) -> bytes | None:
        """The stored head record, or ``None`` when there is none."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the log is, for messages."""

    def close(self) -> None:
        """Close what the log holds open (a database connection; a file log: nothing)."""

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry, oldest first (unchecked; use :func:`verify` to check)."""
        for raw in self.raw_lines():
            if raw.strip():
                yield json.loads(raw)


class AuditLog(AuditTrail):
    """The audit log in the store's folder: ``audit.log`` and ``audit.head``."""

    def __init__(self, store_path: str | os.PathLike[str], key: AuditKey | None = None) -> None:
        super().__init__(store_path, key)
        self.dir = Path(store_path)
        self.path = self.dir / AUDIT_FILE

    def describe(self) -> str:
        return str(self.path)

    def _locked(self) -> Any:
        return _FileLock(self)

    def _write(self, entries: list[dict[str, Any]], head: dict[str, Any]) -> None:
        data = b"".join(canonical(e) + b"\n" for e in entries)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, data)
                os.fdatasync(fd)
            finally:
                os.close(fd)
            # The head goes into one of two fixed slots, in place and without a flush: a
            # crash can lose or tear this write, but the other slot still holds an
            # earlier sealed head, and a head is only a lower bound (see verify).
            record = canonical(head)
            slot = head["seq"] % 2
            fd = os.open(self.dir / HEAD_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.pwrite(fd, record.ljust(HEAD_SLOT - 1) + b"\n", slot * HEAD_SLOT)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot write the audit log {self.path}: {exc}") from exc

    def raw_lines(self) -> Iterator[bytes]:
        if not self.path.is_file():
            return
        with self.path.open("rb") as fh:
            yield from fh

    def head(self) -> bytes | None:
        try:
            return (self.dir / HEAD_FILE).read_bytes()
        except FileNotFoundError:
            return None


class _FileLock:
    """The append lock of a file log; reads the last line under it."""

    def __init__(self, log: AuditLog) -> None:
        self._log = log
        self._lock: Any = None

    def __enter__(self) -> tuple[int, str] | None:
        try:
            self._lock = exclusive_lock(self._log.dir / LOCK_FILE)
            self._lock.__enter__()
        except OSError as exc:
            raise StoreError(f"cannot lock the audit log {self._log.path}: {exc}") from exc
        try:
            return _last_entry(self._log.path)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)


def _last_entry(path: Path) -> tuple[int, str] | None:
    last = _last_line(path)
    if last is None:
        return None
    try:
        previous = json.loads(last)
        return int(previous["seq"]), str(previous["hash"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"{path}: the last line is damaged; run `kanta-archive audit verify`: {exc}"
        ) from exc


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


__all__ = [
    "AUDIT_FILE",
    "EVENTS",
    "GENESIS",
    "HEAD_FILE",
    "AuditEvent",
    "AuditKey",
    "AuditLog",
    "AuditTrail",
    "canonical",
    "entry_hash",
]
