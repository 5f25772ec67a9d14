"""The SQLite index backend (the default): one file, WAL mode, several writers may wait."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from kanta_archive.errors import StoreError
from kanta_archive.index import migrations
from kanta_archive.index.sql import DEFAULT_STORE_ID, SqlIndex, check_version

#: how long a writer waits for another process's write transaction, in milliseconds.
BUSY_TIMEOUT_MS: Final = 30_000
#: page cache per connection, in KiB (big B-tree loads slow down sharply with SQLite's 2 MiB).
CACHE_KIB: Final = 65_536
#: SQLite's result codes for a file that is not a database or a damaged one.
_DAMAGED: Final = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})
#: errors that mean "this process may not write here" (a read-only mount or no permission).
_READ_ONLY: Final = frozenset({"SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"})


def _is_damage(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return any(name.startswith(code) for code in _DAMAGED)


def _is_read_only(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return any(name.startswith(code) for code in _READ_ONLY)


class SqliteIndex(SqlIndex):
    """The index in one SQLite file.

    ``readonly`` opens it for reading only (no migration, no writes); when the file or its
    directory cannot be written (a read-only mount, another user's store) it is opened
    read-only anyway, so that queries work. ``recover`` moves a damaged file aside
    (``<name>.damaged-<UTC time>``, with its ``-wal``/``-shm``) and starts a new, empty
    index, for ``reindex`` to fill.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        target_version: int = migrations.CURRENT_VERSION,
        store_id: str = DEFAULT_STORE_ID,
        readonly: bool = False,
        recover: bool = False,
    ):
        self.path = Path(path)
        self.store_id = store_id
        self.readonly = readonly
        self._conn: sqlite3.Connection | None = None
        if self.path.is_dir():
            raise StoreError(f"cannot open index database {self.path}: it is a directory")
        try:
            self._open(target_version)
        except StoreError as exc:
            self.close()
            if not (recover and _is_damage(exc.__cause__ or exc)):
                raise
            self._move_aside()
            self._open(target_version)
        except BaseException:
            self.close()
            raise

    def _open(self, target: int) -> None:
        if not self.readonly:
            try:
                self._connect(read_only=False)
                self._configure()
                self._migrate(target)
                return
            except StoreError as exc:
                self.close()
                cause = exc.__cause__
                if cause is None or not _is_read_only(cause) or not self._exists():
                    raise
                self.readonly = True  # a read-only mount or no permission: read what is there
        self._connect(read_only=True)
        self._configure_read_only(target)

    def _exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def _connect(self, *, read_only: bool) -> None:
        try:
            if read_only:
                if not self.path.is_file():
                    raise StoreError(f"cannot open index database {self.path}: no such file")
                uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
                if (
                    not os.access(self.path.parent, os.W_OK)
                    and not Path(f"{self.path}-wal").exists()
                ):
                    # Nobody can have written a WAL here; SQLite cannot make the -shm file
                    # in a directory it may not write, so it reads the file as it is.
                    uri += "&immutable=1"
                self._conn = sqlite3.connect(
                    uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
            else:
                self._conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
        except sqlite3.Error as exc:
            raise StoreError(self._message("cannot open index database", exc)) from exc

    def _message(self, what: str, exc: BaseException) -> str:
        if _is_damage(exc):
            return (
                f"{what} {self.path}: {exc}: the index file is damaged; rebuild it with"
                " `kanta-archive reindex` (the damaged file is kept beside the new one)"
            )
        if _is_read_only(exc) and getattr(exc, "sqlite_errorname", "").startswith(
            "SQLITE_READONLY"
        ):
            return (
                f"{what} {self.path}: {exc}: the index is read-only (a read-only store, or"
                " no write permission): it can be queried but not changed"
            )
        return f"{what} {self.path}: {exc}"

    def _move_aside(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for suffix in ("", "-wal", "-shm", "-journal"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                os.replace(source, f"{self.path}.damaged-{stamp}{suffix}")

    def _configure(self) -> None:
        try:
            self._fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._fetchall("PRAGMA foreign_keys = ON")
            mode = self._fetchall("PRAGMA journal_mode = WAL")
            self._fetchall("PRAGMA synchronous = NORMAL")
            self._fetchall(f"PRAGMA cache_size = -{CACHE_KIB}")
        except StoreError as exc:
            cause = exc.__cause__ or exc
            raise StoreError(self._message("cannot open index database", cause)) from cause
        if str(mode[0][0]).lower() != "wal":
            raise StoreError(f"cannot put index database {self.path} in WAL mode")

    def _configure_read_only(self, target: int) -> None:
        try:
            self._fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._fetchall(f"PRAGMA cache_size = -{CACHE_KIB}")
        except StoreError as exc:
            cause = exc.__cause__ or exc
            raise StoreError(self._message("cannot open index database", cause)) from cause
        version = self._version()
        if version is None:
            raise StoreError(f"{self.path} is a database but not a kanta-archive index")
        check_version(version, migrations.CURRENT_VERSION, str(self.path))
        if version < target:
            raise StoreError(
                f"the index {self.path} has schema version {version} and needs migrating to"
                f" {target}, but it is read-only; open it once with write access"
            )

    def _version(self) -> int | None:
        """The schema version, 0 for an empty database, ``None`` for a foreign one."""
        tables = {
            str(r[0]) for r in self._fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "schema_version" not in tables:
            return 0 if not tables else None
        rows = self._fetchall("SELECT version FROM schema_version")
        return int(rows[0][0]) if rows else 0

    def _migrate(self, target: int) -> None:
        version = self._version()
        if version == target and (target < 3 or not self._has_legacy_rows()):
            return
        with self._transaction():  # BEGIN IMMEDIATE: one migrating process at a time
            version = self._version()
            if version is None:
                raise StoreError(f"{self.path} is a database but not a kanta-archive index")
            check_version(version, migrations.CURRENT_VERSION, str(self.path))
            if version < target:
                self._apply_migrations(version, target)
            if target >= 3:
                self._claim_legacy_rows()

    def schema_version(self) -> int:
        return self._version() or 0

    # --- the connection ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the index {self.path} is closed")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.readonly:
            raise StoreError(
                f"the index {self.path} is open read-only (a read-only store, or no write"
                " permission): it cannot be changed"
            )
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(self._message("cannot write to index", exc)) from exc
        try:
            yield
        except BaseException:
            self._rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise StoreError(self._message("cannot commit to index", exc)) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        conn = self._connection()
        if conn.in_transaction:  # already inside a transaction: it is the snapshot
            yield
            return
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise StoreError(self._message("cannot read index", exc)) from exc
        try:
            yield
        finally:
            self._rollback(conn)

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        """Roll back what is left of a failed transaction, never hiding why it failed.

        SQLite rolls a transaction back by itself on some errors (a full disk, an I/O
        error); a ROLLBACK after that fails with "no transaction is active", which must not
        replace the error that matters.
        """
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(self._message("index", exc)) from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._connection().execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise StoreError(self._message("index", exc)) from exc

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            self._connection().executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(self._message("index", exc)) from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
