"""The PostgreSQL index backend (optional; needs ``psycopg``, imported only when used)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from kanta_archive.errors import StoreError
from kanta_archive.index import migrations
from kanta_archive.index.sql import (
    DEFAULT_STORE_ID,
    WRITE_CLIENT_COLUMNS,
    WRITE_COLUMNS,
    ClientRow,
    DocRow,
    SqlIndex,
    check_version,
    insert_clients,
    upsert_documents,
)
from kanta_archive.model import Metadata

if TYPE_CHECKING:
    import psycopg

#: the key of the advisory lock that serialises migrations between processes.
MIGRATION_LOCK: Final = 0x6B616E7461  # "kanta"
#: chunks at least this big are written with COPY rather than row by row.
COPY_THRESHOLD: Final = 50
#: after a bulk load at least this big the planner statistics are refreshed at once:
#: without them PostgreSQL may plan client queries as scans until autovacuum catches up.
ANALYZE_THRESHOLD: Final = 10_000

_DOC_LIST: Final = ", ".join(WRITE_COLUMNS)
_CLIENT_LIST: Final = ", ".join(WRITE_CLIENT_COLUMNS)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


class PostgresIndex(SqlIndex):
    """The index in a PostgreSQL database (tables in the connection's search path)."""

    backend = "postgres"

    def __init__(
        self,
        url: str,
        *,
        target_version: int = migrations.CURRENT_VERSION,
        store_id: str = DEFAULT_STORE_ID,
        readonly: bool = False,
    ):
        self.url = redact(url)
        self.store_id = store_id
        self.readonly = readonly
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                "a PostgreSQL index needs psycopg: pip install 'kanta-archive[postgres]'"
            ) from exc
        self._psycopg = psycopg
        try:
            self._conn: psycopg.Connection[tuple[Any, ...]] | None = psycopg.connect(
                url, autocommit=True
            )
        except (psycopg.Error, ValueError) as exc:
            raise StoreError(f"cannot open index database {self.url}: {exc}") from exc
        try:
            self._migrate(target_version)
        except BaseException:
            self.close()
            raise

    def _version(self) -> int | None:
        """The schema version, 0 for no index tables, ``None`` for foreign tables."""
        has_version, has_documents = self._fetchall(
            "SELECT to_regclass('schema_version') IS NOT NULL, to_regclass('documents') IS NOT NULL"
        )[0]
        if not has_version:
            return None if has_documents else 0
        rows = self._fetchall("SELECT version FROM schema_version")
        return int(rows[0][0]) if rows else 0

    def _migrate(self, target: int) -> None:
        version = self._version()
        if version == target and (target < 3 or not self._has_legacy_rows()):
            return
        if self.readonly:
            raise StoreError(
                f"the index {self.url} has schema version {version} and needs migrating to"
                f" {target}, but it is opened read-only"
            )
        # One migrating process at a time. The session lock is taken *before* the
        # transaction starts: a transaction that began before another process committed
        # its migration can keep seeing the tables as missing in its catalog cache (an
        # advisory lock does not refresh it), and would then create them a second time
        # ("relation documents already exists").
        self._fetchall("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK,))
        try:
            with self._transaction():
                version = self._version()
                if version is None:
                    raise StoreError(
                        f"{self.url} has a documents table but is not a kanta-archive index"
                    )
                check_version(version, migrations.CURRENT_VERSION, self.url)
                if version < target:
                    self._apply_migrations(version, target)
                if target >= 3:
                    self._claim_legacy_rows()
        finally:
            self._fetchall("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK,))

    def schema_version(self) -> int:
        return self._version() or 0

    def add_many(self, metas: Iterable[Metadata]) -> int:
        added = super().add_many(metas)
        if added >= ANALYZE_THRESHOLD:
            self._execute("ANALYZE documents, document_clients")
        return added

    def _write_chunk(
        self, part: int, docs: list[DocRow], clients: list[ClientRow], *, replace: bool
    ) -> None:
        if len(docs) < COPY_THRESHOLD:
            super()._write_chunk(part, docs, clients, replace=replace)
            return
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS incoming_documents"
                    " (LIKE documents INCLUDING DEFAULTS)"
                )
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS incoming_clients"
                    " (LIKE document_clients INCLUDING DEFAULTS)"
                )
                cur.execute("TRUNCATE incoming_documents, incoming_clients")
                with cur.copy(f"COPY incoming_documents ({_DOC_LIST}) FROM STDIN") as copy:
                    for doc in docs:
                        copy.write_row((part, *doc))
                with cur.copy(f"COPY incoming_clients ({_CLIENT_LIST}) FROM STDIN") as copy:
                    for client in clients:
                        copy.write_row((part, *client))
                cur.execute(
                    upsert_documents(f"SELECT {_DOC_LIST} FROM incoming_documents", replace=replace)
                )
                if replace:
                    cur.execute(
                        "DELETE FROM document_clients c USING incoming_documents i"
                        " WHERE c.part = i.part AND c.document_oid = i.document_oid"
                    )
                cur.execute(
                    insert_clients(f"SELECT {_CLIENT_LIST} FROM incoming_clients", replace=replace)
                )
        except self._psycopg.Error as exc:
            raise StoreError(f"index {self.url}: {exc}") from exc

    # --- the connection ----------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._conn is None or self._conn.closed:
            raise StoreError(f"the index {self.url} is closed")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.readonly:
            raise StoreError(f"the index {self.url} is open read-only: it cannot be changed")
        try:
            with self._connection().transaction():
                yield
        except self._psycopg.Error as exc:
            raise StoreError(f"cannot write to index {self.url}: {exc}") from exc

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        conn = self._connection()
        if conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            yield  # already inside a transaction: it is the snapshot
            return
        try:
            with conn.transaction():
                with conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield
        except self._psycopg.Error as exc:
            raise StoreError(f"cannot read index {self.url}: {exc}") from exc

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._connection().cursor() as cur:
                cur.execute(self._sql(sql), params)
                return cur.fetchall() if cur.description else []
        except self._psycopg.Error as exc:
            raise StoreError(f"index {self.url}: {exc}") from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            with self._connection().cursor() as cur:
                cur.execute(self._sql(sql), params)
                return cur.rowcount
        except self._psycopg.Error as exc:
            raise StoreError(f"index {self.url}: {exc}") from exc

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            with self._connection().cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        except self._psycopg.Error as exc:
            raise StoreError(f"index {self.url}: {exc}") from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
