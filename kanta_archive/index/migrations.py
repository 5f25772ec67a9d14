"""The index schema and its migrations, for every backend, in one place.

The schema version is stored in the one-row table ``schema_version``. Version
*n* is reached by applying ``MIGRATIONS[backend][n - 1]``; each step is a list
of SQL statements that the backend runs inside one transaction together with
the version bump. Steps are never edited once released: change the schema by
appending a step.

Both backends keep timestamps as ISO 8601 text: the original text (with its
zone) for display and a normalised UTC text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``)
for sorting and filtering, so that one SQL text serves both backends.
"""

from __future__ import annotations

from typing import Final

_DOCUMENT_COLUMNS: Final = """
    set_oid             TEXT NOT NULL,
    version             INTEGER NOT NULL,
    is_head             {bool} NOT NULL,
    controller_oid      TEXT,
    controller_type     TEXT,
    document_type_code  TEXT,
    document_group_code TEXT,
    structure_oid       TEXT,
    structure_version   TEXT,
    service_task_code   TEXT,
    service_funding     TEXT,
    producer_oid        TEXT,
    service_unit_oid    TEXT,
    author_org_oid      TEXT,
    author_name         TEXT,
    customership_oid    TEXT,
    case_oid            TEXT,
    common_matter_oid   TEXT,
    patient_data        {bool} NOT NULL,
    status              TEXT NOT NULL,
    title               TEXT,
    created             TEXT,
    created_utc         TEXT,
    effective_time      TEXT,
    effective_time_utc  TEXT,
    storage_format      TEXT,
    non_disclosure      {bool} NOT NULL
"""


def _v1(boolean: str, *, sqlite: bool) -> list[str]:
    without_rowid = " WITHOUT ROWID" if sqlite else ""
    return [
        "CREATE TABLE documents (\n    document_oid TEXT PRIMARY KEY NOT NULL,"
        + _DOCUMENT_COLUMNS.format(bool=boolean)
        + ")",
        "CREATE INDEX documents_set ON documents (set_oid, version)",
        f"""CREATE TABLE document_clients (
    document_oid   TEXT NOT NULL REFERENCES documents (document_oid) ON DELETE CASCADE,
    client_id      TEXT NOT NULL,
    id_kind        TEXT NOT NULL CHECK (id_kind IN ('hetu', 'temporary')),
    non_disclosure {boolean} NOT NULL,
    PRIMARY KEY (document_oid, client_id)
){without_rowid}""",
        "CREATE INDEX document_clients_client ON document_clients (client_id, document_oid)",
        """CREATE TABLE client_links (
    temporary_id TEXT NOT NULL,
    hetu         TEXT NOT NULL,
    linked_at    TEXT NOT NULL,
    unlinked_at  TEXT
)""",
        "CREATE UNIQUE INDEX client_links_active_temporary ON client_links (temporary_id)"
        " WHERE unlinked_at IS NULL",
        "CREATE INDEX client_links_active_hetu ON client_links (hetu) WHERE unlinked_at IS NULL",
    ]


def _v2() -> list[str]:
    """Indexes for the listing queries that are not by client."""
    return [
        "CREATE INDEX documents_controller_time ON documents (controller_oid, effective_time_utc)",
        "CREATE INDEX documents_effective_time ON documents (effective_time_utc)",
        "CREATE INDEX documents_case ON documents (case_oid) WHERE case_oid IS NOT NULL",
        "CREATE INDEX documents_customership ON documents (customership_oid)"
        " WHERE customership_oid IS NOT NULL",
    ]


#: backend name -> ordered migration steps; step ``i`` brings the schema to version ``i + 1``.
MIGRATIONS: Final[dict[str, list[list[str]]]] = {
    "sqlite": [_v1("INTEGER", sqlite=True), _v2()],
    "postgres": [_v1("BOOLEAN", sqlite=False), _v2()],
}

#: the schema version this code writes and understands.
CURRENT_VERSION: Final = len(MIGRATIONS["sqlite"])

assert all(len(steps) == CURRENT_VERSION for steps in MIGRATIONS.values())

SCHEMA_VERSION_TABLE: Final = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


def steps_to_apply(backend: str, current: int, target: int = CURRENT_VERSION) -> list[list[str]]:
    """The migration steps that bring ``backend``'s schema from ``current`` to ``target``."""
    return MIGRATIONS[backend][current:target]
