"""An SQLite database: one file, WAL mode, several processes may wait for each other."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from kanta_archive.db.base import Database
from kanta_archive.errors import StoreError

#: how long a writer waits for another process's write transaction, in milliseconds.
BUSY_TIMEOUT_MS: Final = 30_000
#: page cache per connection, in KiB (big B-tree loads slow down sharply with SQLite's 2 MiB).
CACHE_KIB: Final = 65_536
#: SQLite's result codes for a file that is not a database or a damaged one.
_DAMAGED: Final = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
#: result codes that mean "this process may not write here".
_READ_ONLY: Final = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")


def _code(exc: BaseException) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or "")


def is_damage(exc: BaseException) -> bool:
    """True when ``exc`` says the file is not a database or is damaged."""
    return _code(exc).startswith(_DAMAGED)


class SqliteDatabase(Database):
    """One SQLite file.

    ``readonly`` opens it for reading only; a file that exists but cannot be written (a
    read-only mount, another user's store) is opened read-only anyway, so that it can be
    read. ``synchronous`` is SQLite's setting (``NORMAL`` for the rebuildable index,
    ``FULL`` where a commit must survive a power cut). ``what`` and ``fix`` word the
    messages ("index", "rebuild it with `kanta-archive reindex`").
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        readonly: bool = False,
        synchronous: str = "NORMAL",
        what: str = "database",
        fix: str = "restore it from a backup",
    ) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self.readonly = readonly
        self.what = what
        self.fix = fix
        self._conn: sqlite3.Connection | None = None
        if self.path.is_dir():
            raise StoreError(f"cannot open {what} database {self.path}: it is a directory")
        try:
            if not readonly:
                try:
                    self._connect(read_only=False)
                    self._configure(synchronous)
                    return
                except StoreError as exc:
                    self.close()
                    cause = exc.__cause__
                    if cause is None or not _code(cause).startswith(_READ_ONLY):
                        raise
                    if not (self.path.is_file() and self.path.stat().st_size > 0):
                        raise
                    self.readonly = True  # no write access: read what is there
            self._connect(read_only=True)
            self.fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except BaseException:
            self.close()
            raise

    def _connect(self, *, read_only: bool) -> None:
        try:
            if read_only:
                if not self.path.is_file():
                    raise StoreError(f"cannot open {self.what} database {self.path}: no such file")
                uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
                wal = Path(f"{self.path}-wal")
                if not os.access(self.path.parent, os.W_OK) and not wal.exists():
                    # No WAL can be pending, and SQLite cannot make its -shm file in a
                    # folder it may not write: read the file as it is.
                    uri += "&immutable=1"
                self._conn = sqlite3.connect(
                    uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
            else:
                self._conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
        except sqlite3.Error as exc:
            raise StoreError(self.message(f"cannot open {self.what} database", exc)) from exc

    def _configure(self, synchronous: str) -> None:
        try:
            self.fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.fetchall("PRAGMA foreign_keys = ON")
            mode = self._into_wal()
            self.fetchall(f"PRAGMA synchronous = {synchronous}")
            self.fetchall(f"PRAGMA cache_size = -{CACHE_KIB}")
        except StoreError as exc:
            cause = exc.__cause__ or exc
            message = self.message(f"cannot open {self.what} database", cause)
            raise StoreError(message) from cause
        if str(mode[0][0]).lower() != "wal":
            raise StoreError(f"cannot put {self.what} database {self.path} in WAL mode")

    def _into_wal(self) -> list[tuple[Any, ...]]:
        """``PRAGMA journal_mode = WAL``, tried again while another connection holds the
        file: SQLite answers "database is locked" at once, without waiting as the busy
        timeout says, when connections opening a new file race to change its journal
        mode (each holds a lock the other needs). Up to the busy timeout in all."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self.fetchall("PRAGMA journal_mode = WAL")
            except StoreError as exc:
                busy = _code(exc.__cause__ or exc).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def message(self, what: str, exc: BaseException) -> str:
        """``what path: error``, with the fix when the file is damaged or read-only."""
        if is_damage(exc):
            return f"{what} {self.path}: {exc}: the {self.what} file is damaged; {self.fix}"
        if _code(exc).startswith("SQLITE_READONLY"):
            return (
                f"{what} {self.path}: {exc}: the {self.what} is read-only (a read-only store,"
                " or no write permission): it can be read but not changed"
            )
        return f"{what} {self.path}: {exc}"

    # --- statements and transactions ----------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the {self.what} {self.path} is closed")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.readonly:
            raise StoreError(
                f"the {self.what} {self.path} is open read-only (a read-only store, or no"
                " write permission): it cannot be changed"
            )
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(self.message(f"cannot write to {self.what}", exc)) from exc
        try:
            yield
        except BaseException:
            self._rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise StoreError(self.message(f"cannot commit to {self.what}", exc)) from exc

    def migration_lock(self) -> contextlib.AbstractContextManager[None]:
        return self.transaction()  # BEGIN IMMEDIATE: one writer, so one migrating process

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        conn = self._connection()
        if conn.in_transaction:  # already inside a transaction: it is the snapshot
            yield
            return
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise StoreError(self.message(f"cannot read {self.what}", exc)) from exc
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

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(self.message(self.what, exc)) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._connection().execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise StoreError(self.message(self.what, exc)) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            self._connection().executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(self.message(self.what, exc)) from exc

    def tables(self) -> set[str]:
        rows = self.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(r[0]) for r in rows}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
