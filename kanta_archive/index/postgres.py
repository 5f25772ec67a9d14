"""The PostgreSQL index backend (optional; needs ``psycopg``, imported only when used)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from kanta_archive.db.postgres import PostgresDatabase, redact
from kanta_archive.errors import StoreError
from kanta_archive.index import migrations
from kanta_archive.index.rows import (
    WRITE_CLIENT_COLUMNS,
    WRITE_COLUMNS,
    ClientRow,
    DocRow,
    insert_clients,
    upsert_documents,
)
from kanta_archive.index.sql import DEFAULT_STORE_ID, SqlIndex
from kanta_archive.model import Metadata

__all__ = ["ANALYZE_THRESHOLD", "COPY_THRESHOLD", "PostgresIndex", "redact"]

#: chunks at least this big are written with COPY rather than row by row.
COPY_THRESHOLD: Final = 50
#: after a bulk load at least this big the planner statistics are refreshed at once:
#: without them PostgreSQL may plan client queries as scans until autovacuum catches up.
ANALYZE_THRESHOLD: Final = 10_000

_DOC_LIST: Final = ", ".join(WRITE_COLUMNS)
_CLIENT_LIST: Final = ", ".join(WRITE_CLIENT_COLUMNS)


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
        self.db: PostgresDatabase = PostgresDatabase(url, readonly=readonly, what="index")
        try:
            self._migrate(target_version)
        except BaseException:
            self.close()
            raise

    def _recognise(self, tables: set[str]) -> bool:
        return "documents" not in tables

    def add_many(self, metas: Iterable[Metadata]) -> int:
        added = super().add_many(metas)
        if added >= ANALYZE_THRESHOLD:
            self._execute("ANALYZE documents, document_clients")
        return added

    def _after_rebuild(self, rows: int) -> None:
        if rows >= ANALYZE_THRESHOLD:
            self._execute("ANALYZE documents, document_clients")

    def _write_chunk(
        self, part: int, docs: list[DocRow], clients: list[ClientRow], *, replace: bool
    ) -> None:
        if len(docs) < COPY_THRESHOLD:
            super()._write_chunk(part, docs, clients, replace=replace)
            return
        db = self.db
        try:
            with db.connection().cursor() as cur:
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
        except db.psycopg.Error as exc:
            raise StoreError(f"index {self.url}: {exc}") from exc
