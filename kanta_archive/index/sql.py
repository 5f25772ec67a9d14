"""The SQL shared by both backends: rows from metadata, query building, the index logic.

All SQL is written with ``?`` placeholders; a backend rewrites them if its
driver wants another style. User input only ever travels as parameters: the
only text put into SQL is column names from fixed lists and placeholders.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any, Final
from zoneinfo import ZoneInfo

from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.index import migrations
from kanta_archive.index.base import (
    SORT_COLUMNS,
    Index,
    IndexClient,
    IndexRow,
    Query,
    QueryResult,
)
from kanta_archive.model import Metadata

#: the time zone in which ``Query.date_from`` / ``date_to`` are calendar dates.
QUERY_ZONE: Final = ZoneInfo("Europe/Helsinki")

#: the ``documents`` columns, in ``IndexRow`` field order.
DOC_COLUMNS: Final[tuple[str, ...]] = (
    "document_oid",
    "set_oid",
    "version",
    "is_head",
    "controller_oid",
    "controller_type",
    "document_type_code",
    "document_group_code",
    "structure_oid",
    "structure_version",
    "service_task_code",
    "service_funding",
    "producer_oid",
    "service_unit_oid",
    "author_org_oid",
    "author_name",
    "customership_oid",
    "case_oid",
    "common_matter_oid",
    "patient_data",
    "status",
    "title",
    "created",
    "created_utc",
    "effective_time",
    "effective_time_utc",
    "storage_format",
    "non_disclosure",
)
CLIENT_COLUMNS: Final[tuple[str, ...]] = ("document_oid", "client_id", "id_kind", "non_disclosure")
_BOOL_POSITIONS: Final = tuple(
    i for i, c in enumerate(DOC_COLUMNS) if c in {"is_head", "patient_data", "non_disclosure"}
)
_SELECT: Final = ", ".join(f"d.{c}" for c in DOC_COLUMNS)
_PLACEHOLDERS: Final = ", ".join("?" for _ in DOC_COLUMNS)
_UPSERT_DOCUMENT: Final = (
    f"INSERT INTO documents ({', '.join(DOC_COLUMNS)}) VALUES ({_PLACEHOLDERS})"
    " ON CONFLICT (document_oid) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in DOC_COLUMNS[1:])
)
_INSERT_CLIENT: Final = (
    f"INSERT INTO document_clients ({', '.join(CLIENT_COLUMNS)}) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (document_oid, client_id) DO UPDATE SET"
    " id_kind = excluded.id_kind, non_disclosure = excluded.non_disclosure"
)
_CHUNK: Final = 5_000

DocRow = tuple[Any, ...]
ClientRow = tuple[str, str, str, bool]


def utc_text(value: str | None) -> str | None:
    """Normalise an ISO 8601 time to sortable UTC text; ``None`` if it is not a time.

    A time without a zone (which the metadata rules do not allow) is taken as UTC.
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _format_utc(parsed)


def _format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_start_utc(day: date) -> str:
    """The UTC text of midnight at the start of ``day`` in Finland."""
    return _format_utc(datetime.combine(day, time(0), tzinfo=QUERY_ZONE))


def _type_code(meta: Metadata) -> str | None:
    """The document type a query filters on: the specific type (the structure number),
    else the general one."""
    kind = meta.specific_document_type or meta.document_type
    return kind.code if kind else None


def document_row(meta: Metadata, *, is_head: bool) -> DocRow:
    """The ``documents`` row of a metadata view, in :data:`DOC_COLUMNS` order."""
    if not meta.document_oid or not meta.set_oid or meta.version is None:
        raise UsageError(
            "cannot index a document without document_oid, set_oid and version"
            f" (document_oid={meta.document_oid!r})"
        )
    author = meta.author
    return (
        meta.document_oid,
        meta.set_oid,
        meta.version,
        is_head,
        meta.controller_oid,
        None,  # controller type: not in metadata model 2 (the organiser says who controls)
        _type_code(meta),
        meta.document_group.code if meta.document_group else None,
        meta.structure_oid,
        meta.structure_version,
        meta.service_task.code if meta.service_task else None,
        None,  # service funding: not in metadata model 2 (see docs/metadata.md, "Upgrading")
        meta.producer_oid,
        meta.service_unit_oid,
        author.organisation_oid if author else None,
        author.name if author else None,
        meta.customership_oid,
        meta.case_oid,
        meta.common_matter_oid,
        meta.patient_data,
        meta.status or "active",
        meta.title,
        meta.created,
        utc_text(meta.created),
        meta.effective_time,
        utc_text(meta.effective_time),
        meta.storage_format,
        any(client.non_disclosure for client in meta.clients),
    )


def client_rows(meta: Metadata) -> list[ClientRow]:
    """The ``document_clients`` rows of a metadata view (a client may have both ids)."""
    assert meta.document_oid is not None
    rows: dict[str, ClientRow] = {}
    for client in meta.clients:
        for client_id, kind in ((client.hetu, "hetu"), (client.temporary_id, "temporary")):
            if client_id:
                rows[client_id] = (meta.document_oid, client_id, kind, client.non_disclosure)
    return list(rows.values())


def _row(raw: Sequence[Any], clients: tuple[IndexClient, ...] = ()) -> IndexRow:
    values: list[Any] = list(raw)
    for i in _BOOL_POSITIONS:
        values[i] = bool(values[i])
    values.append(clients)
    return IndexRow(*values)


def _chunks(items: Iterable[Metadata], size: int) -> Iterator[list[Metadata]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqlIndex(Index):
    """The index logic over a DB-API connection; backends supply connection details."""

    # --- what a backend provides -------------------------------------------------------

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """A write transaction; database errors inside become :class:`StoreError`."""

    @abc.abstractmethod
    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders) and return its rows."""

    def _apply_migrations(self, version: int, target: int) -> None:
        """Run the migration steps from ``version`` up to ``target`` and record ``target``.

        The caller holds the backend's migration lock inside one transaction.
        """
        self._execute(migrations.SCHEMA_VERSION_TABLE)
        for step in migrations.steps_to_apply(self.backend, version, target):
            for statement in step:
                self._execute(statement)
        self._execute("DELETE FROM schema_version")
        self._execute("INSERT INTO schema_version (version) VALUES (?)", (target,))

    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement and return its row count."""

    @abc.abstractmethod
    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""

    def _write_chunk(self, docs: list[DocRow], clients: list[ClientRow]) -> None:
        """Upsert a chunk of document rows (unique OIDs) and replace their clients."""
        self._executemany(_UPSERT_DOCUMENT, docs)
        self._executemany(
            "DELETE FROM document_clients WHERE document_oid = ?", [(d[0],) for d in docs]
        )
        self._executemany(_INSERT_CLIENT, clients)

    # --- writing -----------------------------------------------------------------------

    def add(self, meta: Metadata, *, is_head: bool = True) -> None:
        doc = document_row(meta, is_head=is_head)
        clients = client_rows(meta)
        with self._transaction():
            self._write_chunk([doc], clients)
            if is_head:
                self._execute(
                    "UPDATE documents SET is_head = ?"
                    " WHERE set_oid = ? AND document_oid <> ? AND is_head = ?",
                    (False, meta.set_oid, meta.document_oid, True),
                )

    def add_many(self, metas: Iterable[Metadata]) -> int:
        added = 0
        with self._transaction():
            fresh = not self._fetchall("SELECT EXISTS (SELECT 1 FROM documents)")[0][0]
            if not fresh:
                self._execute("CREATE TEMP TABLE touched_sets (set_oid TEXT PRIMARY KEY)")
            for chunk in _chunks(metas, _CHUNK):
                docs: dict[str, DocRow] = {}
                clients: dict[str, list[ClientRow]] = {}
                for meta in chunk:
                    row = document_row(meta, is_head=True)
                    docs[row[0]] = row
                    clients[row[0]] = client_rows(meta)
                self._write_chunk(
                    list(docs.values()), [c for rows in clients.values() for c in rows]
                )
                if not fresh:
                    self._executemany(
                        "INSERT INTO touched_sets (set_oid) VALUES (?) ON CONFLICT DO NOTHING",
                        [(set_oid,) for set_oid in {d[1] for d in docs.values()}],
                    )
                added += len(chunk)
            self._fix_heads(restrict=not fresh)
            if not fresh:
                self._execute("DROP TABLE touched_sets")
        return added

    def _fix_heads(self, *, restrict: bool) -> None:
        """Make the highest version of each (touched) set its only head."""
        scope = " AND set_oid IN (SELECT set_oid FROM touched_sets)" if restrict else ""
        newer = (
            "EXISTS (SELECT 1 FROM documents n"
            " WHERE n.set_oid = documents.set_oid AND n.version > documents.version)"
        )
        self._execute(
            f"UPDATE documents SET is_head = ? WHERE is_head = ?{scope} AND {newer}",
            (False, True),
        )
        self._execute(
            f"UPDATE documents SET is_head = ? WHERE is_head = ?{scope} AND NOT {newer}",
            (True, False),
        )

    def link_client(self, temporary_id: str, hetu: str) -> None:
        if not temporary_id or not hetu:
            raise UsageError("linking needs both a temporary identifier and a HETU")
        with self._transaction():
            active = self._fetchall(
                "SELECT hetu FROM client_links WHERE temporary_id = ? AND unlinked_at IS NULL",
                (temporary_id,),
            )
            if active and active[0][0] == hetu:
                return
            if active:
                raise ConflictError(
                    f"temporary identifier {temporary_id} is already linked to another HETU;"
                    " unlink it first"
                )
            self._execute(
                "INSERT INTO client_links (temporary_id, hetu, linked_at) VALUES (?, ?, ?)",
                (temporary_id, hetu, _format_utc(datetime.now(UTC))),
            )

    def unlink_client(self, temporary_id: str) -> None:
        with self._transaction():
            self._execute(
                "UPDATE client_links SET unlinked_at = ?"
                " WHERE temporary_id = ? AND unlinked_at IS NULL",
                (_format_utc(datetime.now(UTC)), temporary_id),
            )

    def clear(self, *, include_links: bool = False) -> None:
        with self._transaction():
            self._execute("DELETE FROM document_clients")
            self._execute("DELETE FROM documents")
            if include_links:
                self._execute("DELETE FROM client_links")

    # --- reading -----------------------------------------------------------------------

    def count(self) -> int:
        return int(self._fetchall("SELECT COUNT(*) FROM documents")[0][0])

    def get(self, document_oid: str) -> IndexRow | None:
        rows = self._rows(
            "SELECT " + _SELECT + " FROM documents d WHERE d.document_oid = ?", [document_oid]
        )
        return rows[0] if rows else None

    def versions(self, set_oid: str) -> list[IndexRow]:
        return self._rows(
            "SELECT " + _SELECT + " FROM documents d WHERE d.set_oid = ?"
            " ORDER BY d.version, d.document_oid",
            [set_oid],
        )

    def linked_ids(self, hetu: str) -> list[str]:
        """The temporary identifiers actively linked to ``hetu``."""
        rows = self._fetchall(
            "SELECT temporary_id FROM client_links WHERE hetu = ? AND unlinked_at IS NULL"
            " ORDER BY temporary_id",
            (hetu,),
        )
        return [str(r[0]) for r in rows]

    def query(self, q: Query) -> QueryResult:
        where, params = self._where(q)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        column = SORT_COLUMNS[q.sort.removeprefix("-")]
        direction = "DESC" if q.sort.startswith("-") else "ASC"
        order = f" ORDER BY d.{column} {direction} NULLS LAST, d.document_oid {direction}"
        rows = self._rows(
            f"SELECT {_SELECT} FROM documents d{clause}{order} LIMIT ? OFFSET ?",
            [*params, q.limit, q.offset],
        )
        if q.offset == 0 and len(rows) < q.limit:
            total = len(rows)
        else:
            total = int(self._fetchall(f"SELECT COUNT(*) FROM documents d{clause}", params)[0][0])
        return QueryResult(tuple(rows), total)

    def _where(self, q: Query) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []

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
            ids = [q.client, *self.linked_ids(q.client)]
            where.append(
                "d.document_oid IN (SELECT c.document_oid FROM document_clients c"
                f" WHERE c.client_id IN ({', '.join('?' for _ in ids)}))"
            )
            params.extend(ids)
        return where, params

    def _rows(self, sql: str, params: Sequence[Any]) -> list[IndexRow]:
        raw = self._fetchall(sql, params)
        if not raw:
            return []
        oids = [r[0] for r in raw]
        clients: dict[str, list[IndexClient]] = {oid: [] for oid in oids}
        for oid, client_id, kind, non_disclosure in self._fetchall(
            "SELECT document_oid, client_id, id_kind, non_disclosure FROM document_clients"
            f" WHERE document_oid IN ({', '.join('?' for _ in oids)})"
            " ORDER BY document_oid, id_kind, client_id",
            oids,
        ):
            clients[oid].append(IndexClient(client_id, kind, bool(non_disclosure)))
        return [_row(r, tuple(clients[r[0]])) for r in raw]


def check_version(found: int, current: int, where: str) -> None:
    """Refuse an index written by a newer kanta-archive."""
    if found > current:
        raise StoreError(
            f"the index at {where} has schema version {found}, newer than the version"
            f" {current} this kanta-archive understands; upgrade kanta-archive or rebuild"
            " the index"
        )
