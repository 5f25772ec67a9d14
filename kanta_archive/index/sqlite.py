"""The SQLite index backend (the default): one file, WAL mode, several writers may wait."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from kanta_archive.errors import StoreError
from kanta_archive.index import migrations
from kanta_archive.index.sql import SqlIndex, check_version

#: how long a writer waits for another process's write transaction, in milliseconds.
BUSY_TIMEOUT_MS: Final = 30_000
#: page cache per connection, in KiB (big B-tree loads slow down sharply with SQLite's 2 MiB).
CACHE_KIB: Final = 65_536


class SqliteIndex(SqlIndex):
    """The index in one SQLite file."""

    backend = "sqlite"

    def __init__(self, path: str | Path, *, target_version: int = migrations.CURRENT_VERSION):
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"cannot open index database {self.path}: it is a directory")
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open index database {self.path}: {exc}") from exc
        try:
            self._configure()
            self._migrate(target_version)
        except BaseException:
            self.close()
            raise

    def _configure(self) -> None:
        try:
            self._fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._fetchall("PRAGMA foreign_keys = ON")
            mode = self._fetchall("PRAGMA journal_mode = WAL")
            self._fetchall("PRAGMA synchronous = NORMAL")
            self._fetchall(f"PRAGMA cache_size = -{CACHE_KIB}")
        except StoreError as exc:
            raise StoreError(f"cannot open index database {self.path}: {exc.__cause__}") from exc
        if str(mode[0][0]).lower() != "wal":
            raise StoreError(f"cannot put index database {self.path} in WAL mode")

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
        if version == target:
            return
        with self._transaction():  # BEGIN IMMEDIATE: one migrating process at a time
            version = self._version()
            if version is None:
                raise StoreError(f"{self.path} is a database but not a kanta-archive index")
            check_version(version, migrations.CURRENT_VERSION, str(self.path))
            if version >= target:
                return
            self._apply_migrations(version, target)

    def schema_version(self) -> int:
        return self._version() or 0

    # --- the connection ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the index {self.path} is closed")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to index {self.path}: {exc}") from exc
        try:
            yield
        except BaseException:
            self._rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise StoreError(f"cannot commit to index {self.path}: {exc}") from exc

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
            raise StoreError(f"index {self.path}: {exc}") from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._connection().execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"index {self.path}: {exc}") from exc

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._connection().executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"index {self.path}: {exc}") from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
