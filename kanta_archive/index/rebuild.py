"""Rebuilding an SQL index: a new part filled beside the live one, swapped in at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from kanta_archive.db.base import Database
from kanta_archive.errors import ConflictError, StoreError
from kanta_archive.index import writing
from kanta_archive.index.parts import live_part, new_part, purge_retired
from kanta_archive.index.rows import CLIENT_COLUMNS, DOC_COLUMNS, insert_clients, upsert_documents
from kanta_archive.model import Metadata


@contextmanager
def rebuild_part(
    db: Database,
    store_id: str,
    *,
    write: writing.ChunkWriter,
    after: Callable[[int], None],
) -> Iterator[SqlIndexBuild]:
    """Fill a new part of ``store_id`` beside the live one; swap them when the block ends.

    Queries keep seeing the live rows until the swap, which is one transaction. Writers
    meanwhile update both parts. An exception in the block drops the new part and
    leaves the live one as it was. Client links are kept (they are not derived from
    the store). A second rebuild started meanwhile supersedes this one, which then
    fails with :class:`ConflictError` at the swap. ``after`` gets the number of rows
    built once the swap is done.
    """
    with db.transaction():
        db.execute(
            "UPDATE index_parts SET state = 'retired' WHERE store_id = ? AND state = 'building'",
            (store_id,),
        )
        part = new_part(db, store_id, "building")
    build = SqlIndexBuild(db, store_id, part, write=write)
    try:
        yield build
    except BaseException:
        with contextlib.suppress(StoreError), db.transaction():
            db.execute("UPDATE index_parts SET state = 'retired' WHERE part = ?", (part,))
        with contextlib.suppress(StoreError):
            purge_retired(db, store_id)
        raise
    with db.transaction():
        state = db.fetchall("SELECT state FROM index_parts WHERE part = ?", (part,))
        if not state or state[0][0] != "building":
            raise ConflictError(
                "another reindex of this store started meanwhile and replaced this one"
            )
        db.execute(
            "UPDATE index_parts SET state = 'retired' WHERE store_id = ? AND state = 'live'",
            (store_id,),
        )
        db.execute("UPDATE index_parts SET state = 'live' WHERE part = ?", (part,))
    purge_retired(db, store_id)
    after(build.rows)


class SqlIndexBuild:
    """The part a :func:`rebuild_part` is filling."""

    def __init__(
        self, db: Database, store_id: str, part: int, *, write: writing.ChunkWriter
    ) -> None:
        self._db = db
        self._store_id = store_id
        self._write = write
        self.part = part
        self.rows = 0

    def add_many(self, metas: Iterable[Metadata]) -> int:
        """Add document versions (a row a writer added meanwhile is kept); return how many."""
        with self._db.transaction():
            added = writing.add_many(self._db, [self.part], metas, replace=False, write=self._write)
        self.rows += added
        return added

    def keep(self, set_oids: Iterable[str]) -> int:
        """Copy the live rows of these sets into the new part; return how many rows.

        For sets the rebuild could not read: they keep what the index knew about them
        instead of vanishing from every query.
        """
        db = self._db
        wanted = sorted(set(set_oids))
        copied = 0
        with db.transaction():
            live = live_part(db, self._store_id)
            if live is None or not wanted:
                return 0
            columns = ", ".join(DOC_COLUMNS)
            client_columns = ", ".join(CLIENT_COLUMNS)
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                copied += db.execute(
                    upsert_documents(
                        f"SELECT ?, {columns} FROM documents"
                        f" WHERE part = ? AND set_oid IN ({marks})",
                        replace=False,
                    ),
                    (self.part, live, *chunk),
                )
                db.execute(
                    insert_clients(
                        f"SELECT ?, {client_columns} FROM document_clients WHERE part = ?"
                        " AND document_oid IN (SELECT document_oid FROM documents"
                        f" WHERE part = ? AND set_oid IN ({marks}))",
                        replace=False,
                    ),
                    (self.part, live, live, *chunk),
                )
        return copied
