"""A PostgreSQL database (optional; needs ``psycopg``, imported only when used)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from kanta_archive.db.base import Database
from kanta_archive.errors import StoreError

if TYPE_CHECKING:
    import psycopg

#: the key of the advisory lock that serialises migrations between processes.
MIGRATION_LOCK: Final = 0x6B616E7461  # "kanta"


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


class PostgresDatabase(Database):
    """One connection to a PostgreSQL database (tables in the connection's search path)."""

    backend = "postgres"

    def __init__(self, url: str, *, readonly: bool = False, what: str = "database") -> None:
        self.where = redact(url)
        self.readonly = readonly
        self.what = what
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                "a PostgreSQL database needs psycopg: pip install 'kanta-archive[postgres]'"
            ) from exc
        self.psycopg = psycopg
        try:
            self._conn: psycopg.Connection[tuple[Any, ...]] | None = psycopg.connect(
                url, autocommit=True
            )
        except (psycopg.Error, ValueError) as exc:
            raise StoreError(f"cannot open {what} database {self.where}: {exc}") from exc

    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The open psycopg connection (for COPY)."""
        if self._conn is None or self._conn.closed:
            raise StoreError(f"the {self.what} {self.where} is closed")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.readonly:
            raise StoreError(
                f"the {self.what} {self.where} is open read-only: it cannot be changed"
            )
        try:
            with self.connection().transaction():
                yield
        except self.psycopg.Error as exc:
            raise StoreError(f"cannot write to {self.what} {self.where}: {exc}") from exc

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        # The session lock is taken *before* the transaction starts: a transaction that
        # began before another process committed its migration can keep seeing the tables
        # as missing in its catalog cache (an advisory lock does not refresh it), and would
        # create them a second time ("relation documents already exists").
        self.fetchall("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK,))
        try:
            with self.transaction():
                yield
        finally:
            self.fetchall("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK,))

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        conn = self.connection()
        if conn.info.transaction_status != self.psycopg.pq.TransactionStatus.IDLE:
            yield  # already inside a transaction: it is the snapshot
            return
        try:
            with conn.transaction():
                with conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield
        except self.psycopg.Error as exc:
            raise StoreError(f"cannot read {self.what} {self.where}: {exc}") from exc

    @staticmethod
    def sql(sql: str) -> str:
        """``?`` placeholders as psycopg's ``%s``."""
        return sql.replace("?", "%s")

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.connection().cursor() as cur:
                cur.execute(self.sql(sql), params)
                return cur.fetchall() if cur.description else []
        except self.psycopg.Error as exc:
            raise StoreError(f"{self.what} {self.where}: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            with self.connection().cursor() as cur:
                cur.execute(self.sql(sql), params)
                return cur.rowcount
        except self.psycopg.Error as exc:
            raise StoreError(f"{self.what} {self.where}: {exc}") from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            with self.connection().cursor() as cur:
                cur.executemany(self.sql(sql), rows)
        except self.psycopg.Error as exc:
            raise StoreError(f"{self.what} {self.where}: {exc}") from exc

    def tables(self) -> set[str]:
        rows = self.fetchall(
            "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p')"
            " AND pg_table_is_visible(c.oid)"
        )
        return {str(r[0]) for r in rows}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
