"""The audit log in a database: one row per entry, shared by several hosts and stores.

Table ``audit_log (store_id, seq, line)`` holds each entry's canonical JSON;
``audit_heads`` holds each store's last ``seq`` and ``hash`` and is updated in the same
transaction as the lines, under a lock on the store's head row, so concurrent writers on
any host chain correctly. :func:`open_audit_log` opens a store's log, in files or here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from kanta_archive.access.audit import GENESIS, AuditKey, AuditLog, AuditTrail, canonical
from kanta_archive.access.db import NO_DATABASE
from kanta_archive.db import Database, Migrations, open_database
from kanta_archive.errors import UsageError
from kanta_archive.store import manifest
from kanta_archive.store.manifest import StoreRef

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
        store: StoreRef,
        db: Database,
        store_id: str,
        key: AuditKey | None = None,
        *,
        owns_db: bool = True,
    ) -> None:
        super().__init__(store, key)
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
    store: StoreRef,
    url: str | None = None,
    store_id: str | None = None,
    *,
    db: Database | None = None,
) -> AuditTrail:
    """The store's audit log: files in the store, or the database at ``url`` (or the open
    ``db``, which the caller keeps and closes). A store on object storage has no files:
    without a database, :class:`UsageError`."""
    if url is None and db is None:
        folder = manifest.local_path(store)
        if folder is None:
            raise UsageError(NO_DATABASE.format(where=manifest.location(store)))
        return AuditLog(folder)
    owns = db is None
    if db is None:
        assert url is not None
        db = open_database(url, what="audit log", synchronous="FULL")
    try:
        return DbAuditLog(store, db, store_id or manifest.store_id(store), owns_db=owns)
    except BaseException:
        if owns:
            db.close()
        raise
