"""Writing an SQL index: documents into every part a writer updates, heads, client links.

Every write is an idempotent upsert, so a write the database aborted to break a deadlock
simply runs again (:func:`retrying`).
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Final, Protocol, TypeVar

from kanta_archive.db.base import Database
from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.index.parts import live_part, write_parts
from kanta_archive.index.rows import (
    WRITE_PLACEHOLDERS,
    ClientRow,
    DocRow,
    chunks,
    client_rows,
    document_row,
    format_utc,
    insert_clients,
    upsert_documents,
)
from kanta_archive.model import Metadata

_CHUNK: Final = 5_000
#: how often a write is tried when the database aborts it to break a deadlock.
_WRITE_ATTEMPTS: Final = 8
#: SQLSTATEs of a transaction aborted to break a deadlock or a serialization conflict.
_TRANSIENT: Final = frozenset({"40P01", "40001"})
_T = TypeVar("_T")


class ChunkWriter(Protocol):
    """Writes a chunk of rows into a part (:func:`write_chunk`, or a backend's faster way)."""

    def __call__(
        self, part: int, docs: list[DocRow], clients: list[ClientRow], *, replace: bool
    ) -> None: ...


def retrying(db: Database, write: Callable[[], _T]) -> _T:
    """Run ``write`` in a transaction, again when the database broke a deadlock.

    Writers on several hosts may lock the same rows in different orders (PostgreSQL
    then aborts one of them); every index write is an idempotent upsert, so the
    aborted one can simply run again.
    """
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            with db.transaction():
                return write()
        except StoreError as exc:
            transient = getattr(exc.__cause__, "sqlstate", None) in _TRANSIENT
            if not transient or attempt == _WRITE_ATTEMPTS - 1:
                raise
        clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def write_chunk(
    db: Database, part: int, docs: list[DocRow], clients: list[ClientRow], *, replace: bool
) -> None:
    """Write a chunk of document rows (unique OIDs) and their clients into ``part``.

    With ``replace`` a row already there is overwritten and its clients replaced;
    without, rows already there are kept as they are.
    """
    db.executemany(
        upsert_documents(f"VALUES ({WRITE_PLACEHOLDERS})", replace=replace),
        [(part, *d) for d in docs],
    )
    if replace:
        db.executemany(
            "DELETE FROM document_clients WHERE part = ? AND document_oid = ?",
            [(part, d[0]) for d in docs],
        )
    db.executemany(
        insert_clients("VALUES (?, ?, ?, ?, ?)", replace=replace),
        [(part, *c) for c in clients],
    )


def add_one(
    db: Database, store_id: str, meta: Metadata, *, is_head: bool, write: ChunkWriter
) -> None:
    """Write one document version into every write part; as head, the set's others stop
    being heads. The caller holds a write transaction."""
    doc = document_row(meta, is_head=is_head)
    clients = client_rows(meta)
    for part in write_parts(db, store_id):
        write(part, [doc], clients, replace=True)
        if is_head:
            db.execute(
                "UPDATE documents SET is_head = ? WHERE part = ? AND set_oid = ?"
                " AND document_oid <> ? AND is_head = ?",
                (False, part, meta.set_oid, meta.document_oid, True),
            )


def add_many(
    db: Database,
    parts: list[int],
    metas: Iterable[Metadata],
    *,
    replace: bool,
    write: ChunkWriter,
) -> int:
    """Write ``metas`` into every part of ``parts``, then fix the heads of their sets.

    Into empty parts (a first load, a rebuild's first batch) the heads are fixed over
    the whole part at the end, which is cheaper than tracking the touched sets. The
    caller holds a write transaction.
    """
    added = 0
    fresh = all(
        not db.fetchall("SELECT EXISTS (SELECT 1 FROM documents WHERE part = ?)", (p,))[0][0]
        for p in parts
    )
    if not fresh:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS touched_sets (set_oid TEXT PRIMARY KEY)")
        db.execute("DELETE FROM touched_sets")
    for chunk in chunks(metas, _CHUNK):
        docs: dict[str, DocRow] = {}
        clients: dict[str, list[ClientRow]] = {}
        for meta in chunk:
            row = document_row(meta, is_head=True)
            docs[row[0]] = row
            clients[row[0]] = client_rows(meta)
        # In OID order, so that concurrent writers lock shared rows in one order.
        doc_rows = sorted(docs.values(), key=lambda d: str(d[0]))
        client_list = sorted(c for rows in clients.values() for c in rows)
        for part in parts:
            write(part, doc_rows, client_list, replace=replace)
        if not fresh:
            db.executemany(
                "INSERT INTO touched_sets (set_oid) VALUES (?) ON CONFLICT DO NOTHING",
                [(set_oid,) for set_oid in {d[1] for d in doc_rows}],
            )
        added += len(chunk)
    for part in parts:
        fix_heads(db, part, restrict=not fresh)
    if not fresh:
        db.execute("DELETE FROM touched_sets")
    return added


def fix_heads(db: Database, part: int, *, restrict: bool) -> None:
    """Make the highest version of each (touched) set its only head."""
    scope = "part = ?" + (" AND set_oid IN (SELECT set_oid FROM touched_sets)" if restrict else "")
    newer = (
        "EXISTS (SELECT 1 FROM documents n WHERE n.part = documents.part"
        " AND n.set_oid = documents.set_oid AND n.version > documents.version)"
    )
    db.execute(
        f"UPDATE documents SET is_head = ? WHERE {scope} AND is_head = ? AND {newer}",
        (False, part, True),
    )
    db.execute(
        f"UPDATE documents SET is_head = ? WHERE {scope} AND is_head = ? AND NOT {newer}",
        (True, part, False),
    )


def link_client(db: Database, store_id: str, temporary_id: str, hetu: str) -> None:
    """Link ``temporary_id`` to ``hetu`` in ``store_id`` (see :meth:`Index.link_client`)."""
    if not temporary_id or not hetu:
        raise UsageError("linking needs both a temporary identifier and a HETU")
    with db.transaction():
        active = db.fetchall(
            "SELECT hetu FROM client_links"
            " WHERE store_id = ? AND temporary_id = ? AND unlinked_at IS NULL",
            (store_id, temporary_id),
        )
        if active and active[0][0] == hetu:
            return
        if active:
            raise ConflictError(
                f"temporary identifier {temporary_id} is already linked to another HETU;"
                " unlink it first"
            )
        db.execute(
            "INSERT INTO client_links (store_id, temporary_id, hetu, linked_at)"
            " VALUES (?, ?, ?, ?)",
            (store_id, temporary_id, hetu, format_utc(datetime.now(UTC))),
        )


def unlink_client(db: Database, store_id: str, temporary_id: str) -> None:
    """End the active link of ``temporary_id`` in ``store_id`` (its history is kept)."""
    with db.transaction():
        db.execute(
            "UPDATE client_links SET unlinked_at = ?"
            " WHERE store_id = ? AND temporary_id = ? AND unlinked_at IS NULL",
            (format_utc(datetime.now(UTC)), store_id, temporary_id),
        )


def clear(db: Database, store_id: str, *, include_links: bool) -> None:
    """Delete the live part's rows of ``store_id`` (and, if asked, its client links)."""
    with db.transaction():
        part = live_part(db, store_id)
        if part is not None:
            db.execute("DELETE FROM document_clients WHERE part = ?", (part,))
            db.execute("DELETE FROM documents WHERE part = ?", (part,))
        if include_links:
            db.execute("DELETE FROM client_links WHERE store_id = ?", (store_id,))
