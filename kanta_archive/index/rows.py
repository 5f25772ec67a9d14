"""The rows an SQL index holds: columns, rows from metadata and back, the upsert SQL.

All SQL is written with ``?`` placeholders; a backend rewrites them if its
driver wants another style. User input only ever travels as parameters: the
only text put into SQL is column names from fixed lists and placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any, Final
from zoneinfo import ZoneInfo

from kanta_archive.errors import UsageError
from kanta_archive.index.base import IndexClient, IndexRow
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
#: the ``documents`` columns of a ``SELECT`` on ``documents d``.
SELECT_LIST: Final = ", ".join(f"d.{c}" for c in DOC_COLUMNS)
#: the columns a write names: the part first, then the document columns.
WRITE_COLUMNS: Final[tuple[str, ...]] = ("part", *DOC_COLUMNS)
WRITE_CLIENT_COLUMNS: Final[tuple[str, ...]] = ("part", *CLIENT_COLUMNS)
WRITE_PLACEHOLDERS: Final = ", ".join("?" for _ in WRITE_COLUMNS)


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
    return format_utc(parsed)


def format_utc(moment: datetime) -> str:
    """``moment`` as sortable UTC text (microseconds, ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_start_utc(day: date) -> str:
    """The UTC text of midnight at the start of ``day`` in Finland."""
    return format_utc(datetime.combine(day, time(0), tzinfo=QUERY_ZONE))


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


def index_row(raw: Sequence[Any], clients: tuple[IndexClient, ...] = ()) -> IndexRow:
    """The :class:`IndexRow` of a ``documents`` row (:data:`DOC_COLUMNS` order) and its clients."""
    values: list[Any] = list(raw)
    for i in _BOOL_POSITIONS:
        values[i] = bool(values[i])
    values.append(clients)
    return IndexRow(*values)


def chunks(items: Iterable[Metadata], size: int) -> Iterator[list[Metadata]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
