"""The SQL shared by both backends: rows from metadata, query building, the index logic.

All SQL is written with ``?`` placeholders; a backend rewrites them if its
driver wants another style. User input only ever travels as parameters: the
only text put into SQL is column names from fixed lists and placeholders.
"""

from __future__ import annotations

import abc
import contextlib
import random
import time as clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from kanta_archive.db.base import Database
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
#: the columns a write names: the part first, then the document columns.
WRITE_COLUMNS: Final[tuple[str, ...]] = ("part", *DOC_COLUMNS)
WRITE_CLIENT_COLUMNS: Final[tuple[str, ...]] = ("part", *CLIENT_COLUMNS)
_PLACEHOLDERS: Final = ", ".join("?" for _ in WRITE_COLUMNS)


def upsert_documents(source: str, *, replace: bool) -> str:
    """INSERT of document rows from ``source`` (``VALUES (...)`` or a ``SELECT``).

    ``replace`` overwrites a row already there (a writer's newer knowledge); otherwise the
    row there wins (a rebuild must not overwrite what a writer added meanwhile).
    """
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in DOC_COLUMNS[1:])
        if replace
        else "DO NOTHING"
    )
    return (
        f"INSERT INTO documents ({', '.join(WRITE_COLUMNS)}) {source}"
        f" ON CONFLICT (part, document_oid) {action}"
    )


def insert_clients(source: str, *, replace: bool) -> str:
    """INSERT of client rows from ``source`` (as :func:`upsert_documents`)."""
    action = (
        "DO UPDATE SET id_kind = excluded.id_kind, non_disclosure = excluded.non_disclosure"
        if replace
        else "DO NOTHING"
    )
    return (
        f"INSERT INTO document_clients ({', '.join(WRITE_CLIENT_COLUMNS)}) {source}"
        f" ON CONFLICT (part, document_oid, client_id) {action}"
    )


_CHUNK: Final = 5_000

DocRow = tuple[Any, ...]
ClientRow = tuple[str, str, str, bool]
#: how many rows one purge statement deletes (keeps write transactions short).
_PURGE_CHUNK: Final = 10_000
DEFAULT_STORE_ID: Final = "default"
#: how often a write is tried when the database aborts it to break a deadlock.
_WRITE_ATTEMPTS: Final = 8
#: SQLSTATEs of a transaction aborted to break a deadlock or a serialization conflict.
_TRANSIENT: Final = frozenset({"40P01", "40001"})
_T = TypeVar("_T")  # the same as kanta_archive.index.DEFAULT_STORE_ID


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
    """The index logic over a DB-API connection; backends supply connection details.

    One database may hold the index of several stores: each store's rows live in its own
    *part* (``index_parts``), so nothing here ever reads or writes another store's rows.
    A rebuild (:meth:`rebuild`) fills a second part beside the live one and swaps the two
    in one transaction at the end.
    """

    store_id: str = DEFAULT_STORE_ID

    db: Database

    # --- the database ------------------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[None]:
        """A write transaction; database errors inside become :class:`StoreError`."""
        return self.db.transaction()

    def _snapshot(self) -> AbstractContextManager[None]:
        """A read-only transaction: every statement inside sees the same snapshot."""
        return self.db.snapshot()

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders) and return its rows."""
        return self.db.fetchall(sql, params)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement and return its row count."""
        return self.db.execute(sql, params)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        self.db.executemany(sql, rows)

    @abc.abstractmethod
    def _recognise(self, tables: set[str]) -> bool:
        """Whether a database without an index schema may get one (it is not foreign)."""

    def _migrate(self, target: int) -> None:
        """Create or migrate the schema to ``target``, then claim pre-part rows."""
        self.db.migrate(
            migrations.VERSION_TABLE,
            migrations.MIGRATIONS,
            target,
            recognise=self._recognise,
            after=self._claim_legacy_rows if target >= 3 else None,
            needs_after=lambda: (
                target >= 3
                and self.db.schema_version(migrations.VERSION_TABLE) >= 3
                and self._has_legacy_rows()
            ),
        )

    def schema_version(self) -> int:
        return self.db.schema_version(migrations.VERSION_TABLE)

    def close(self) -> None:
        self.db.close()

    def _claim_legacy_rows(self) -> None:
        """Give the rows of a pre-part index (no store id) to this store, once.

        An index of schema version 2 or older held one store's rows without saying which;
        the first store that opens it after the upgrade takes them. The caller holds the
        migration lock inside a transaction.
        """
        if self._fetchall("SELECT 1 FROM index_parts WHERE store_id = ?", (self.store_id,)):
            return
        self._execute(
            "UPDATE index_parts SET store_id = ? WHERE store_id IS NULL", (self.store_id,)
        )
        self._execute(
            "UPDATE client_links SET store_id = ? WHERE store_id IS NULL", (self.store_id,)
        )

    def _has_legacy_rows(self) -> bool:
        rows = self._fetchall(
            "SELECT EXISTS (SELECT 1 FROM index_parts WHERE store_id IS NULL)"
            " OR EXISTS (SELECT 1 FROM client_links WHERE store_id IS NULL)"
        )
        return bool(rows[0][0])

    def _write_chunk(
        self, part: int, docs: list[DocRow], clients: list[ClientRow], *, replace: bool
    ) -> None:
        """Write a chunk of document rows (unique OIDs) and their clients into ``part``.

        With ``replace`` a row already there is overwritten and its clients replaced;
        without, rows already there are kept as they are.
        """
        self._executemany(
            upsert_documents(f"VALUES ({_PLACEHOLDERS})", replace=replace),
            [(part, *d) for d in docs],
        )
        if replace:
            self._executemany(
                "DELETE FROM document_clients WHERE part = ? AND document_oid = ?",
                [(part, d[0]) for d in docs],
            )
        self._executemany(
            insert_clients("VALUES (?, ?, ?, ?, ?)", replace=replace),
            [(part, *c) for c in clients],
        )

    # --- parts ---------------------------------------------------------------------------

    def _live_part(self) -> int | None:
        rows = self._fetchall(
            "SELECT part FROM index_parts WHERE store_id = ? AND state = 'live'",
            (self.store_id,),
        )
        return int(rows[0][0]) if rows else None

    def _new_part(self, state: str) -> int:
        rows = self._fetchall(
            "INSERT INTO index_parts (store_id, state, created) VALUES (?, ?, ?) RETURNING part",
            (self.store_id, state, _format_utc(datetime.now(UTC))),
        )
        return int(rows[0][0])

    def _write_parts(self) -> list[int]:
        """The parts a writer updates: the live one (made when missing) and any being built.

        A document stored while ``reindex`` runs goes into both, so the swap loses nothing.
        """
        rows = self._fetchall(
            "SELECT part, state FROM index_parts WHERE store_id = ? AND state <> 'retired'"
            " ORDER BY part",
            (self.store_id,),
        )
        parts = [int(part) for part, _state in rows]
        if not any(state == "live" for _part, state in rows):
            # Another writer may be making it at this moment: whoever commits first wins,
            # the other waits for that commit (PostgreSQL) and then uses its part.
            self._execute(
                "INSERT INTO index_parts (store_id, state, created) VALUES (?, 'live', ?)"
                " ON CONFLICT DO NOTHING",
                (self.store_id, _format_utc(datetime.now(UTC))),
            )
            live = self._live_part()
            assert live is not None
            parts.append(live)
        return parts

    def is_built(self) -> bool:
        """True when this store's part of the index exists (written to or rebuilt once).

        A store that holds documents while its index is not built has lost its index (a
        deleted file, a new database): queries would wrongly find nothing.
        """
        return self._live_part() is not None

    def _purge_retired(self) -> None:
        """Delete the rows of this store's retired parts, a chunk per transaction."""
        retired = self._fetchall(
            "SELECT part FROM index_parts WHERE store_id = ? AND state = 'retired'",
            (self.store_id,),
        )
        for (part,) in retired:
            while True:
                with self._transaction():
                    deleted = self._execute(
                        "DELETE FROM documents WHERE part = ? AND document_oid IN"
                        " (SELECT document_oid FROM documents WHERE part = ? LIMIT ?)",
                        (part, part, _PURGE_CHUNK),
                    )
                if deleted <= 0:
                    break
            with self._transaction():
                self._execute("DELETE FROM document_clients WHERE part = ?", (part,))
                self._execute("DELETE FROM index_parts WHERE part = ?", (part,))

    @contextmanager
    def rebuild(self) -> Iterator[SqlIndexBuild]:
        """Fill a new part beside the live one; swap them when the block ends.

        Queries keep seeing the live rows until the swap, which is one transaction. Writers
        meanwhile update both parts. An exception in the block drops the new part and
        leaves the live one as it was. Client links are kept (they are not derived from
        the store). A second rebuild started meanwhile supersedes this one, which then
        fails with :class:`ConflictError` at the swap.
        """
        with self._transaction():
            self._execute(
                "UPDATE index_parts SET state = 'retired'"
                " WHERE store_id = ? AND state = 'building'",
                (self.store_id,),
            )
            part = self._new_part("building")
        build = SqlIndexBuild(self, part)
        try:
            yield build
        except BaseException:
            with contextlib.suppress(StoreError), self._transaction():
                self._execute("UPDATE index_parts SET state = 'retired' WHERE part = ?", (part,))
            with contextlib.suppress(StoreError):
                self._purge_retired()
            raise
        with self._transaction():
            state = self._fetchall("SELECT state FROM index_parts WHERE part = ?", (part,))
            if not state or state[0][0] != "building":
                raise ConflictError(
                    "another reindex of this store started meanwhile and replaced this one"
                )
            self._execute(
                "UPDATE index_parts SET state = 'retired' WHERE store_id = ? AND state = 'live'",
                (self.store_id,),
            )
            self._execute("UPDATE index_parts SET state = 'live' WHERE part = ?", (part,))
        self._purge_retired()
        self._after_rebuild(build.rows)

    def _after_rebuild(self, rows: int) -> None:
        """Run after a rebuild of ``rows`` rows was swapped in (a backend may analyse)."""

    # --- writing -----------------------------------------------------------------------

    def _retrying(self, write: Callable[[], _T]) -> _T:
        """Run ``write`` in a transaction, again when the database broke a deadlock.

        Writers on several hosts may lock the same rows in different orders (PostgreSQL
        then aborts one of them); every index write is an idempotent upsert, so the
        aborted one can simply run again.
        """
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self._transaction():
                    return write()
            except StoreError as exc:
                transient = getattr(exc.__cause__, "sqlstate", None) in _TRANSIENT
                if not transient or attempt == _WRITE_ATTEMPTS - 1:
                    raise
            clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    def add(self, meta: Metadata, *, is_head: bool = True) -> None:
        self._retrying(lambda: self._add_one(meta, is_head=is_head))

    def _add_one(self, meta: Metadata, *, is_head: bool) -> None:
        doc = document_row(meta, is_head=is_head)
        clients = client_rows(meta)
        for part in self._write_parts():
            self._write_chunk(part, [doc], clients, replace=True)
            if is_head:
                self._execute(
                    "UPDATE documents SET is_head = ? WHERE part = ? AND set_oid = ?"
                    " AND document_oid <> ? AND is_head = ?",
                    (False, part, meta.set_oid, meta.document_oid, True),
                )

    def add_many(self, metas: Iterable[Metadata]) -> int:
        batch = list(metas)  # a retry needs them again
        return self._retrying(lambda: self._add_many(self._write_parts(), batch, replace=True))

    def _add_many(self, parts: list[int], metas: Iterable[Metadata], *, replace: bool) -> int:
        """Write ``metas`` into every part of ``parts``, then fix the heads of their sets.

        Into empty parts (a first load, a rebuild's first batch) the heads are fixed over
        the whole part at the end, which is cheaper than tracking the touched sets. The
        caller holds a write transaction.
        """
        added = 0
        fresh = all(
            not self._fetchall("SELECT EXISTS (SELECT 1 FROM documents WHERE part = ?)", (p,))[0][0]
            for p in parts
        )
        if not fresh:
            self._execute("CREATE TEMP TABLE IF NOT EXISTS touched_sets (set_oid TEXT PRIMARY KEY)")
            self._execute("DELETE FROM touched_sets")
        for chunk in _chunks(metas, _CHUNK):
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
                self._write_chunk(part, doc_rows, client_list, replace=replace)
            if not fresh:
                self._executemany(
                    "INSERT INTO touched_sets (set_oid) VALUES (?) ON CONFLICT DO NOTHING",
                    [(set_oid,) for set_oid in {d[1] for d in doc_rows}],
                )
            added += len(chunk)
        for part in parts:
            self._fix_heads(part, restrict=not fresh)
        if not fresh:
            self._execute("DELETE FROM touched_sets")
        return added

    def _fix_heads(self, part: int, *, restrict: bool) -> None:
        """Make the highest version of each (touched) set its only head."""
        scope = "part = ?" + (
            " AND set_oid IN (SELECT set_oid FROM touched_sets)" if restrict else ""
        )
        newer = (
            "EXISTS (SELECT 1 FROM documents n WHERE n.part = documents.part"
            " AND n.set_oid = documents.set_oid AND n.version > documents.version)"
        )
        self._execute(
            f"UPDATE documents SET is_head = ? WHERE {scope} AND is_head = ? AND {newer}",
            (False, part, True),
        )
        self._execute(
            f"UPDATE documents SET is_head = ? WHERE {scope} AND is_head = ? AND NOT {newer}",
            (True, part, False),
        )

    def link_client(self, temporary_id: str, hetu: str) -> None:
        if not temporary_id or not hetu:
            raise UsageError("linking needs both a temporary identifier and a HETU")
        with self._transaction():
            active = self._fetchall(
                "SELECT hetu FROM client_links"
                " WHERE store_id = ? AND temporary_id = ? AND unlinked_at IS NULL",
                (self.store_id, temporary_id),
            )
            if active and active[0][0] == hetu:
                return
            if active:
                raise ConflictError(
                    f"temporary identifier {temporary_id} is already linked to another HETU;"
                    " unlink it first"
                )
            self._execute(
                "INSERT INTO client_links (store_id, temporary_id, hetu, linked_at)"
                " VALUES (?, ?, ?, ?)",
                (self.store_id, temporary_id, hetu, _format_utc(datetime.now(UTC))),
            )

    def unlink_client(self, temporary_id: str) -> None:
        with self._transaction():
            self._execute(
                "UPDATE client_links SET unlinked_at = ?"
                " WHERE store_id = ? AND temporary_id = ? AND unlinked_at IS NULL",
                (_format_utc(datetime.now(UTC)), self.store_id, temporary_id),
            )

    def clear(self, *, include_links: bool = False) -> None:
        with self._transaction():
            part = self._live_part()
            if part is not None:
                self._execute("DELETE FROM document_clients WHERE part = ?", (part,))
                self._execute("DELETE FROM documents WHERE part = ?", (part,))
            if include_links:
                self._execute("DELETE FROM client_links WHERE store_id = ?", (self.store_id,))

    # --- reading -----------------------------------------------------------------------

    def count(self) -> int:
        with self._snapshot():
            part = self._live_part()
            if part is None:
                return 0
            return int(
                self._fetchall("SELECT COUNT(*) FROM documents WHERE part = ?", (part,))[0][0]
            )

    def get(self, document_oid: str) -> IndexRow | None:
        with self._snapshot():
            part = self._live_part()
            if part is None:
                return None
            rows = self._rows(
                part,
                "SELECT " + _SELECT + " FROM documents d WHERE d.part = ? AND d.document_oid = ?",
                [part, document_oid],
            )
        return rows[0] if rows else None

    def versions(self, set_oid: str) -> list[IndexRow]:
        with self._snapshot():
            part = self._live_part()
            if part is None:
                return []
            return self._rows(
                part,
                "SELECT " + _SELECT + " FROM documents d WHERE d.part = ? AND d.set_oid = ?"
                " ORDER BY d.version, d.document_oid",
                [part, set_oid],
            )

    def controller_of(self, set_oid: str) -> str | None:
        """The controller of the indexed head of ``set_oid``, or ``None``.

        A hint, not the truth: the store says where an object is. The archive uses it to
        look in one storage root first instead of probing every root, and falls back to
        the store when the object is not there (see docs/architecture.md).
        """
        with self._snapshot():
            part = self._live_part()
            if part is None:
                return None
            rows = self._fetchall(
                "SELECT controller_oid FROM documents"
                " WHERE part = ? AND set_oid = ? AND is_head = ?",
                (part, set_oid, True),
            )
        return str(rows[0][0]) if rows and rows[0][0] else None

    def linked_ids(self, hetu: str) -> list[str]:
        """The temporary identifiers actively linked to ``hetu``."""
        rows = self._fetchall(
            "SELECT temporary_id FROM client_links"
            " WHERE store_id = ? AND hetu = ? AND unlinked_at IS NULL ORDER BY temporary_id",
            (self.store_id, hetu),
        )
        return [str(r[0]) for r in rows]

    def query(self, q: Query) -> QueryResult:
        with self._snapshot():
            part = self._live_part()
            if part is None:
                return QueryResult((), 0)
            where, params = self._where(part, q)
            clause = f" WHERE {' AND '.join(where)}"
            column = SORT_COLUMNS[q.sort.removeprefix("-")]
            direction = "DESC" if q.sort.startswith("-") else "ASC"
            order = f" ORDER BY d.{column} {direction} NULLS LAST, d.document_oid {direction}"
            rows = self._rows(
                part,
                f"SELECT {_SELECT} FROM documents d{clause}{order} LIMIT ? OFFSET ?",
                [*params, q.limit, q.offset],
            )
            if q.offset == 0 and len(rows) < q.limit:
                total = len(rows)
            else:
                total = int(
                    self._fetchall(f"SELECT COUNT(*) FROM documents d{clause}", params)[0][0]
                )
        return QueryResult(tuple(rows), total)

    def _where(self, part: int, q: Query) -> tuple[list[str], list[Any]]:
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
            ids = [q.client, *self.linked_ids(q.client)]
            where.append(
                "d.document_oid IN (SELECT c.document_oid FROM document_clients c"
                f" WHERE c.part = ? AND c.client_id IN ({', '.join('?' for _ in ids)}))"
            )
            params.extend([part, *ids])
        return where, params

    def _rows(self, part: int, sql: str, params: Sequence[Any]) -> list[IndexRow]:
        raw = self._fetchall(sql, params)
        if not raw:
            return []
        oids = [r[0] for r in raw]
        clients: dict[str, list[IndexClient]] = {oid: [] for oid in oids}
        for oid, client_id, kind, non_disclosure in self._fetchall(
            "SELECT document_oid, client_id, id_kind, non_disclosure FROM document_clients"
            f" WHERE part = ? AND document_oid IN ({', '.join('?' for _ in oids)})"
            " ORDER BY document_oid, id_kind, client_id",
            [part, *oids],
        ):
            clients[oid].append(IndexClient(client_id, kind, bool(non_disclosure)))
        return [_row(r, tuple(clients[r[0]])) for r in raw]


class SqlIndexBuild:
    """The part a :meth:`SqlIndex.rebuild` is filling."""

    def __init__(self, index: SqlIndex, part: int) -> None:
        self._index = index
        self.part = part
        self.rows = 0

    def add_many(self, metas: Iterable[Metadata]) -> int:
        """Add document versions (a row a writer added meanwhile is kept); return how many."""
        index = self._index
        with index._transaction():
            added = index._add_many([self.part], metas, replace=False)
        self.rows += added
        return added

    def keep(self, set_oids: Iterable[str]) -> int:
        """Copy the live rows of these sets into the new part; return how many rows.

        For sets the rebuild could not read: they keep what the index knew about them
        instead of vanishing from every query.
        """
        index = self._index
        wanted = sorted(set(set_oids))
        copied = 0
        with index._transaction():
            live = index._live_part()
            if live is None or not wanted:
                return 0
            columns = ", ".join(DOC_COLUMNS)
            client_columns = ", ".join(CLIENT_COLUMNS)
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                copied += index._execute(
                    upsert_documents(
                        f"SELECT ?, {columns} FROM documents"
                        f" WHERE part = ? AND set_oid IN ({marks})",
                        replace=False,
                    ),
                    (self.part, live, *chunk),
                )
                index._execute(
                    insert_clients(
                        f"SELECT ?, {client_columns} FROM document_clients WHERE part = ?"
                        " AND document_oid IN (SELECT document_oid FROM documents"
                        f" WHERE part = ? AND set_oid IN ({marks}))",
                        replace=False,
                    ),
                    (self.part, live, live, *chunk),
                )
        return copied
