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
``<store>/audit.log.lock`` and ``fsync`` the log once per batch of entries;
``<store>/audit.head`` holds the sealed ``seq`` and ``hash`` of the last line, so that
deleting lines at the end is found) or in a database (table ``audit_log``, one row per
entry, the head in ``audit_heads`` updated in the same transaction). The store's marker
declares the log and its key id (:mod:`kanta_archive.store.manifest`), so that deleting
the log and its head is found too. Limits: docs/access.md, "Audit log".
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Self

from kanta_archive.access.db import now_utc
from kanta_archive.db import Database, Migrations, open_database
from kanta_archive.errors import StoreError
from kanta_archive.store import manifest
from kanta_archive.store.locking import exclusive_lock

AUDIT_FILE: Final = "audit.log"
HEAD_FILE: Final = "audit.head"
LOCK_FILE: Final = "audit.log.lock"
GENESIS: Final = "0" * 64
KEY_ENV: Final = "KANTA_ARCHIVE_AUDIT_KEY"
KEY_BYTES: Final = 32
_SEAL_CONTEXT: Final = b"kanta-archive audit seal v1\n"
_HEAD_CONTEXT: Final = b"kanta-archive audit head v1\n"

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


# ---------------------------------------------------------------------- the key


@dataclass(frozen=True)
class AuditKey:
    """The secret that seals the audit log, and its public id (the first 16 hex digits of
    its SHA-256)."""

    secret: bytes = field(repr=False)
    path: Path

    @property
    def key_id(self) -> str:
        """The key's id, recorded in every sealed line and in the store's marker."""
        return hashlib.sha256(self.secret).hexdigest()[:16]

    def seal(self, digest: str) -> str:
        """The ``mac`` of an entry whose ``hash`` is ``digest``."""
        return hmac.new(self.secret, _SEAL_CONTEXT + digest.encode(), "sha256").hexdigest()

    def seal_head(self, seq: int, digest: str) -> str:
        """The ``mac`` of a head record."""
        message = _HEAD_CONTEXT + f"{seq}:{digest}".encode()
        return hmac.new(self.secret, message, "sha256").hexdigest()


def key_path() -> Path:
    """Where the audit key is: ``$KANTA_ARCHIVE_AUDIT_KEY`` or the user's config folder."""
    if env := os.environ.get(KEY_ENV):
        return Path(env).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(config) / "kanta-archive" / "audit.key"


def load_key(store_path: str | os.PathLike[str], *, create: bool) -> AuditKey | None:
    """The audit key (made when missing and ``create``), or ``None``.

    A key inside the store is refused: whoever can write the store could then forge lines.
    """
    path = key_path().absolute()
    store = Path(store_path).absolute()
    if path == store or store in path.parents:
        raise StoreError(
            f"the audit key {path} is inside the store {store}: keep it outside (set"
            f" {KEY_ENV} to a file elsewhere), or anyone who can write the store can forge"
            " audit lines"
        )
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        return _make_key(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the audit key {path}: {exc}") from exc
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise StoreError(f"the audit key {path} is not at least 16 bytes of hex")
    return AuditKey(secret, path)


def _make_key(path: Path) -> AuditKey:
    secret = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:  # another process made it first: use that one
        key = load_key_file(path)
        return key
    except OSError as exc:
        raise StoreError(f"cannot make the audit key {path}: {exc}") from exc
    try:
        os.write(fd, secret.hex().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return AuditKey(secret, path)


def load_key_file(path: Path) -> AuditKey:
    """Read a key file (hex)."""
    try:
        return AuditKey(bytes.fromhex(path.read_text(encoding="ascii").strip()), path)
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the audit key {path}: {exc}") from exc


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


class AuditTrail(abc.ABC):
    """An audit log: where the lines live is the subclass's business, the chain is here."""

    store: Path

    def __init__(self, store_path: str | os.PathLike[str], key: AuditKey | None = None) -> None:
        self.store = Path(store_path)
        self._key = key

    def key(self, *, create: bool = True) -> AuditKey | None:
        """The sealing key (made on first use when ``create``)."""
        if self._key is None:
            self._key = load_key(self.store, create=create)
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

    def close(self) -> None:  # noqa: B027 - a file log holds nothing open
        """Close what the log holds open (a database connection)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry, oldest first (unchecked; use :func:`verify` to check)."""
        for raw in self.raw_lines():
            if raw.strip():
                yield json.loads(raw)


class AuditLog(AuditTrail):
    """The audit log in the store's folder: ``audit.log`` and ``audit.head``."""

    def __init__(self, store_path: str | os.PathLike[str], key: AuditKey | None = None) -> None:
        super().__init__(store_path, key)
        self.dir = self.store
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
            path = self.dir / HEAD_FILE
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, canonical(head) + b"\n")
                os.fdatasync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
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


# ---------------------------------------------------------------------- in a database

AUDIT_VERSION_TABLE: Final = "audit_schema_version"
AUDIT_MIGRATIONS: Final[Migrations] = {
    backend: [
        [
            "CREATE TABLE audit_log (store_id TEXT NOT NULL, seq BIGINT NOT NULL,"
            " line TEXT NOT NULL, PRIMARY KEY (store_id, seq))",
            "CREATE TABLE audit_heads (store_id TEXT PRIMARY KEY, seq BIGINT NOT NULL,"
            " hash TEXT NOT NULL, head TEXT NOT NULL)",
        ]
    ]
    for backend in ("sqlite", "postgres")
}


class DbAuditLog(AuditTrail):
    """The audit log of one store in a database shared by several hosts and stores."""

    def __init__(
        self,
        store_path: str | os.PathLike[str],
        db: Database,
        store_id: str,
        key: AuditKey | None = None,
        *,
        owns_db: bool = True,
    ) -> None:
        super().__init__(store_path, key)
        self.db = db
        self.store_id = store_id
        self._owns_db = owns_db
        db.migrate(AUDIT_VERSION_TABLE, AUDIT_MIGRATIONS, 1)

    def describe(self) -> str:
        return f"the audit_log table of {self.db.where} (store {self.store_id})"

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    def _locked(self) -> Any:
        return _DbLock(self)

    def _write(self, entries: list[dict[str, Any]], head: dict[str, Any]) -> None:
        self.db.executemany(
            "INSERT INTO audit_log (store_id, seq, line) VALUES (?, ?, ?)",
            [(self.store_id, e["seq"], canonical(e).decode()) for e in entries],
        )
        self.db.execute(
            "UPDATE audit_heads SET seq = ?, hash = ?, head = ? WHERE store_id = ?",
            (head["seq"], head["hash"], canonical(head).decode(), self.store_id),
        )

    def raw_lines(self) -> Iterator[bytes]:
        rows = self.db.fetchall(
            "SELECT line FROM audit_log WHERE store_id = ? ORDER BY seq", (self.store_id,)
        )
        for (line,) in rows:
            yield str(line).encode() + b"\n"

    def head(self) -> bytes | None:
        rows = self.db.fetchall(
            "SELECT head FROM audit_heads WHERE store_id = ? AND seq > 0", (self.store_id,)
        )
        return str(rows[0][0]).encode() if rows else None


class _DbLock:
    """One write transaction that holds the store's head row locked."""

    def __init__(self, log: DbAuditLog) -> None:
        self._log = log
        self._transaction: Any = None

    def __enter__(self) -> tuple[int, str] | None:
        db = self._log.db
        self._transaction = db.transaction()
        self._transaction.__enter__()
        try:
            db.execute(
                "INSERT INTO audit_heads (store_id, seq, hash, head) VALUES (?, 0, ?, '')"
                " ON CONFLICT (store_id) DO NOTHING",
                (self._log.store_id, GENESIS),
            )
            lock = " FOR UPDATE" if db.backend == "postgres" else ""
            rows = db.fetchall(
                f"SELECT seq, hash FROM audit_heads WHERE store_id = ?{lock}",
                (self._log.store_id,),
            )
        except BaseException as exc:
            self._transaction.__exit__(type(exc), exc, exc.__traceback__)
            raise
        seq, digest = int(rows[0][0]), str(rows[0][1])
        return None if seq == 0 else (seq, digest)

    def __exit__(self, *exc: Any) -> None:
        self._transaction.__exit__(*exc)


def open_audit_log(
    store_path: str | os.PathLike[str],
    url: str | None = None,
    store_id: str | None = None,
    *,
    db: Database | None = None,
) -> AuditTrail:
    """The store's audit log: files in the store, or the database at ``url`` (or the open
    ``db``, which the caller keeps and closes)."""
    if url is None and db is None:
        return AuditLog(store_path)
    owns = db is None
    if db is None:
        assert url is not None
        db = open_database(url, what="audit log", synchronous="FULL")
    try:
        return DbAuditLog(store_path, db, store_id or manifest.store_id(store_path), owns_db=owns)
    except BaseException:
        if owns:
            db.close()
        raise


# ---------------------------------------------------------------------- verification


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
    try:
        head = json.loads(raw)
        seq, digest = int(head["seq"]), str(head["hash"])
    except (ValueError, KeyError, TypeError):
        return AuditVerifyResult(False, count, count + 1, f"{HEAD_FILE} is damaged")
    if ("mac" in head or sealed) and not _head_seal_ok(head, key, seq, digest):
        return AuditVerifyResult(
            False, count, count + 1, "the head record's seal does not match: it was forged"
        )
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


def _head_seal_ok(head: Mapping[str, Any], key: AuditKey | None, seq: int, digest: str) -> bool:
    if "mac" not in head or key is None:
        return False
    return hmac.compare_digest(str(head["mac"]), key.seal_head(seq, digest))


def _line_hash_is(log: AuditTrail, seq: int, digest: str) -> bool:
    for number, raw in enumerate(log.raw_lines(), start=1):
        if number == seq:
            return bool(json.loads(raw).get("hash") == digest)
    return seq == 0
