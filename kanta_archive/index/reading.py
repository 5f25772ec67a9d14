"""Reading an SQL index: one store's live part, each listing in one snapshot.

Every filter of a :class:`Query` travels as a parameter; the only text put into SQL is
column names from fixed lists and placeholders.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from kanta_archive.db.base import Database
from kanta_archive.index.base import SORT_COLUMNS, IndexClient, IndexRow, Query, QueryResult
from kanta_archive.index.parts import live_part
from kanta_archive.index.rows import SELECT_LIST, day_start_utc, index_row


def count(db: Database, store_id: str) -> int:
    """How many document versions the live part of ``store_id`` holds."""
    with db.snapshot():
        part = live_part(db, store_id)
        if part is None:
            return 0
        return int(db.fetchall("SELECT COUNT(*) FROM documents WHERE part = ?", (part,))[0][0])


def get(db: Database, store_id: str, document_oid: str) -> IndexRow | None:
    """The indexed version with this OID, or ``None``."""
    with db.snapshot():
        part = live_part(db, store_id)
        if part is None:
            return None
        found = rows(
            db,
            part,
            "SELECT " + SELECT_LIST + " FROM documents d WHERE d.part = ? AND d.document_oid = ?",
            [part, document_oid],
        )
    return found[0] if found else None


def versions(db: Database, store_id: str, set_oid: str) -> list[IndexRow]:
    """Every indexed version of a document set, oldest first."""
    with db.snapshot():
        part = live_part(db, store_id)
        if part is None:
            return []
        return rows(
            db,
            part,
            "SELECT " + SELECT_LIST + " FROM documents d WHERE d.part = ? AND d.set_oid = ?"
            " ORDER BY d.version, d.document_oid",
            [part, set_oid],
        )


def controller_of(db: Database, store_id: str, set_oid: str) -> str | None:
    """The controller of the indexed head of ``set_oid``, or ``None``.

    A hint, not the truth: the store says where an object is. The archive uses it to
    look in one storage root first instead of probing every root, and falls back to
    the store when the object is not there (see docs/architecture.md).
    """
    with db.snapshot():
        part = live_part(db, store_id)
        if part is None:
            return None
        found = db.fetchall(
            "SELECT controller_oid FROM documents WHERE part = ? AND set_oid = ? AND is_head = ?",
            (part, set_oid, True),
        )
    return str(found[0][0]) if found and found[0][0] else None


def linked_ids(db: Database, store_id: str, hetu: str) -> list[str]:
    """The temporary identifiers actively linked to ``hetu``."""
    found = db.fetchall(
        "SELECT temporary_id FROM client_links"
        " WHERE store_id = ? AND hetu = ? AND unlinked_at IS NULL ORDER BY temporary_id",
        (store_id, hetu),
    )
    return [str(r[0]) for r in found]


def query(db: Database, store_id: str, q: Query) -> QueryResult:
    """One page of the rows ``q`` selects and how many rows match in all."""
    with db.snapshot():
        part = live_part(db, store_id)
        if part is None:
            return QueryResult((), 0)
        where, params = _where(db, store_id, part, q)
        clause = f" WHERE {' AND '.join(where)}"
        column = SORT_COLUMNS[q.sort.removeprefix("-")]
        direction = "DESC" if q.sort.startswith("-") else "ASC"
        order = f" ORDER BY d.{column} {direction} NULLS LAST, d.document_oid {direction}"
        page = rows(
            db,
            part,
            f"SELECT {SELECT_LIST} FROM documents d{clause}{order} LIMIT ? OFFSET ?",
            [*params, q.limit, q.offset],
        )
        if q.offset == 0 and len(page) < q.limit:
            total = len(page)
        else:
            total = int(db.fetchall(f"SELECT COUNT(*) FROM documents d{clause}", params)[0][0])
    return QueryResult(tuple(page), total)


def _where(db: Database, store_id: str, part: int, q: Query) -> tuple[list[str], list[Any]]:
    where: list[str] = ["d.part = ?"]
    params: list[Any] = [part]

    def equal(column: str, value: Any) -> None:
        if value is not None:
            where.append(f"d.{column} = ?")
            params.append(value)

    if not q.all_versions:
        equal("is_head", True)
    if q.status is not None:
        equal("status", q.status)
    elif not q.include_invalidated:
        equal("status", "active")
    equal("patient_data", q.patient_data)
    equal("controller_oid", q.controller_oid)
    equal("document_type_code", q.document_type)
    equal("service_task_code", q.service_task)
    equal("case_oid", q.case_oid)
    equal("customership_oid", q.customership_oid)
    equal("author_org_oid", q.author_org_oid)
    equal("set_oid", q.set_oid)
    if q.date_from is not None:
        where.append("d.effective_time_utc >= ?")
        params.append(day_start_utc(q.date_from))
    if q.date_to is not None:
        where.append("d.effective_time_utc < ?")
        params.append(day_start_utc(q.date_to + timedelta(days=1)))
    if q.client is not None:
        ids = [q.client, *linked_ids(db, store_id, q.client)]
        where.append(
            "d.document_oid IN (SELECT c.document_oid FROM document_clients c"
            f" WHERE c.part = ? AND c.client_id IN ({', '.join('?' for _ in ids)}))"
        )
        params.extend([part, *ids])
    return where, params


def rows(db: Database, part: int, sql: str, params: Sequence[Any]) -> list[IndexRow]:
    """The :class:`IndexRow` of each ``documents`` row ``sql`` selects, with its clients."""
    raw = db.fetchall(sql, params)
    if not raw:
        return []
    oids = [r[0] for r in raw]
    clients: dict[str, list[IndexClient]] = {oid: [] for oid in oids}
    for oid, client_id, kind, non_disclosure in db.fetchall(
        "SELECT document_oid, client_id, id_kind, non_disclosure FROM document_clients"
        f" WHERE part = ? AND document_oid IN ({', '.join('?' for _ in oids)})"
        " ORDER BY document_oid, id_kind, client_id",
        [part, *oids],
    ):
        clients[oid].append(IndexClient(client_id, kind, bool(non_disclosure)))
    return [index_row(r, tuple(clients[r[0]])) for r in raw]
