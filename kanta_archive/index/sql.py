"""``SqlIndex``: the :class:`~kanta_archive.index.base.Index` over SQL that both backends share.

The class holds the connection and the store id and hands each job to the module that does
it: :mod:`~kanta_archive.index.schema` (migrating, claiming pre-part rows),
:mod:`~kanta_archive.index.parts` and :mod:`~kanta_archive.index.rebuild` (one part per
store, the rebuild beside the live part), :mod:`~kanta_archive.index.writing` (documents,
heads, client links, deadlock retries) and :mod:`~kanta_archive.index.reading` (queries).
The rows and their SQL are in :mod:`~kanta_archive.index.rows`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Final

from kanta_archive.db.base import Database
from kanta_archive.index import reading, schema, writing
from kanta_archive.index.base import Index, IndexRow, Query, QueryResult
from kanta_archive.index.parts import live_part, write_parts
from kanta_archive.index.rebuild import SqlIndexBuild, rebuild_part
from kanta_archive.index.rows import ClientRow, DocRow, client_rows, document_row
from kanta_archive.model import Metadata

__all__ = ["DEFAULT_STORE_ID", "SqlIndex", "SqlIndexBuild", "client_rows", "document_row"]

#: the same as kanta_archive.index.DEFAULT_STORE_ID
DEFAULT_STORE_ID: Final = "default"


class SqlIndex(Index):
    """The index logic over a DB-API connection; backends supply connection details.

    One database may hold the index of several stores: each store's rows live in its own
    *part* (``index_parts``), so nothing here ever reads or writes another store's rows.
    A rebuild (:meth:`rebuild`) fills a second part beside the live one and swaps the two
    in one transaction at the end.
    """

    store_id: str = DEFAULT_STORE_ID

    db: Database

    # --- the database ------------------------------------------------------------------

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders) and return its rows."""
        return self.db.fetchall(sql, params)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement and return its row count."""
        return self.db.execute(sql, params)

    @abc.abstractmethod
    def _recognise(self, tables: set[str]) -> bool:
        """Whether a database without an index schema may get one (it is not foreign)."""

    def _migrate(self, target: int) -> None:
        """Create or migrate the schema to ``target``, then claim pre-part rows."""
        schema.migrate(self.db, self.store_id, target, recognise=self._recognise)

    def schema_version(self) -> int:
        return schema.schema_version(self.db)

    def close(self) -> None:
        self.db.close()

    def _write_chunk(
        self, part: int, docs: list[DocRow], clients: list[ClientRow], *, replace: bool
    ) -> None:
        """Write a chunk of rows into ``part`` (a backend may do it faster)."""
        writing.write_chunk(self.db, part, docs, clients, replace=replace)

    # --- parts ---------------------------------------------------------------------------

    def is_built(self) -> bool:
        """True when this store's part of the index exists (written to or rebuilt once).

        A store that holds documents while its index is not built has lost its index (a
        deleted file, a new database): queries would wrongly find nothing.
        """
        return live_part(self.db, self.store_id) is not None

    def ensure_built(self) -> None:
        db = self.db
        writing.retrying(db, lambda: write_parts(db, self.store_id))

    def rebuild(self) -> AbstractContextManager[SqlIndexBuild]:
        """Fill a new part beside the live one; swap them when the block ends
        (see :func:`~kanta_archive.index.rebuild.rebuild_part`)."""
        return rebuild_part(
            self.db, self.store_id, write=self._write_chunk, after=self._after_rebuild
        )

    def _after_rebuild(self, rows: int) -> None:
        """Run after a rebuild of ``rows`` rows was swapped in (a backend may analyse)."""

    # --- writing -----------------------------------------------------------------------

    def add(self, meta: Metadata, *, is_head: bool = True) -> None:
        db = self.db
        writing.retrying(
            db,
            lambda: writing.add_one(
                db, self.store_id, meta, is_head=is_head, write=self._write_chunk
            ),
        )

    def add_many(self, metas: Iterable[Metadata]) -> int:
        db = self.db
        batch = list(metas)  # a retry needs them again
        return writing.retrying(
            db,
            lambda: writing.add_many(
                db, write_parts(db, self.store_id), batch, replace=True, write=self._write_chunk
            ),
        )

    def link_client(self, temporary_id: str, hetu: str) -> None:
        writing.link_client(self.db, self.store_id, temporary_id, hetu)

    def unlink_client(self, temporary_id: str) -> None:
        writing.unlink_client(self.db, self.store_id, temporary_id)

    def clear(self, *, include_links: bool = False) -> None:
        writing.clear(self.db, self.store_id, include_links=include_links)

    # --- reading -----------------------------------------------------------------------

    def count(self) -> int:
        return reading.count(self.db, self.store_id)

    def get(self, document_oid: str) -> IndexRow | None:
        return reading.get(self.db, self.store_id, document_oid)

    def versions(self, set_oid: str) -> list[IndexRow]:
        return reading.versions(self.db, self.store_id, set_oid)

    def controller_of(self, set_oid: str) -> str | None:
        """The controller of the indexed head of ``set_oid``, or ``None`` (a hint: see
        :func:`~kanta_archive.index.reading.controller_of`)."""
        return reading.controller_of(self.db, self.store_id, set_oid)

    def linked_ids(self, hetu: str) -> list[str]:
        """The temporary identifiers actively linked to ``hetu``."""
        return reading.linked_ids(self.db, self.store_id, hetu)

    def query(self, q: Query) -> QueryResult:
        return reading.query(self.db, self.store_id, q)
