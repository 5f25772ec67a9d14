"""The query index: one behaviour per test, run against real SQLite files and a real
PostgreSQL server (started for the session by ``tests/pg_server.py``)."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.index import CURRENT_VERSION, Index, Query, open_index
from kanta_archive.index.postgres import PostgresIndex
from kanta_archive.index.sqlite import SqliteIndex
from kanta_archive.model import SERVICE_TASK_SYSTEM, Metadata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pg_server import PgServer

ORG = "1.2.246.10.24303212"
CONTROLLER = f"{ORG}.19.1"
OTHER_CONTROLLER = "1.2.246.10.18765432.19.1"
HETU_A = "010190-998V"
HETU_B = "020285-9970"
HETU_C = "150315A9963"
TEMP_1 = f"{ORG}.22.2024.1"
TEMP_2 = f"{ORG}.22.2024.2"


def coded(system: str, code: str) -> dict[str, str]:
    return {"system": f"urn:oid:{system}", "code": code, "display": f"code {code}"}


def doc(
    n: int,
    *,
    set_n: int | None = None,
    version: int = 1,
    clients: list[dict[str, Any]] | None = None,
    service_task: str = "10",
    document_type: str = "2",
    effective: str = "2024-05-02T09:00:00+03:00",
    **raw: Any,
) -> Metadata:
    """Metadata of document ``n`` (set ``set_n``, default ``n``), overridable field by field."""
    base: dict[str, Any] = {
        "document_oid": f"{ORG}.11.{n}",
        "set_oid": f"{ORG}.11.9{set_n if set_n is not None else n}",
        "version": version,
        "created": "2024-05-02T10:15:00+03:00",
        "effective_time": effective,
        "language": "fi",
        "storage_format": "json",
        "title": f"Asiakaskertomusmerkintä {n}",
        "specific_document_type": coded("1.2.246.537.6.1506.201701", document_type),
        "document_group": coded("1.2.246.537.6.1505.201601", "1"),
        "structure": "1.2.246.537.6.1506.3.2024.1.1",
        "service_task": coded(SERVICE_TASK_SYSTEM.removeprefix("urn:oid:"), service_task),
        "controller": {"oid": CONTROLLER},
        "service_unit_oid": f"{ORG}.10.2",
        "clients": clients if clients is not None else [{"hetu": HETU_A}],
        "author": {"name": "Sosiaalityöntekijä Saara", "role": "1", "organisation_oid": ORG},
        "status": "active",
        "retention_class": coded("1.2.246.537.6.1258.201601", "1"),
    }
    base.update(raw)
    return Metadata.from_raw(base)


def oids(index: Index, q: Query) -> list[str]:
    return [row.document_oid for row in index.query(q).rows]


def oid(n: int) -> str:
    return f"{ORG}.11.{n}"


# --- fixtures: a fresh index per test on each backend --------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/index.sqlite"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def index(index_url: str) -> Iterator[Index]:
    with open_index(index_url) as opened:
        yield opened


def raw_sql(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run SQL on the index database behind the index's back."""
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            rows = conn.execute(sql).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(sql.encode())
        return cur.fetchall() if cur.description else []


def index_names(url: str) -> set[str]:
    if url.startswith("sqlite://"):
        rows = raw_sql(url, "SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = raw_sql(url, "SELECT indexname FROM pg_indexes")
    return {str(r[0]) for r in rows}


def open_at_version(url: str, version: int) -> Index:
    if url.startswith("sqlite://"):
        return SqliteIndex(url.removeprefix("sqlite://"), target_version=version)
    return PostgresIndex(url, target_version=version)


# --- opening, schema versions and migrations -----------------------------------------------


def test_open_index_creates_a_new_index_at_the_current_schema_version(index: Index) -> None:
    assert index.schema_version() == CURRENT_VERSION
    assert index.count() == 0


def test_reopening_an_index_keeps_its_documents(index_url: str) -> None:
    with open_index(index_url) as first:
        first.add(doc(1))
    with open_index(index_url) as second:
        assert second.get(oid(1)) is not None


def add_old_row(url: str, meta: Metadata) -> None:
    """Index ``meta`` into an index of schema version 1 or 2 (no parts), behind its back."""
    from kanta_archive.index.sql import client_rows, document_row

    tables = [("documents", [document_row(meta, is_head=True)])]
    tables.append(("document_clients", [tuple(c) for c in client_rows(meta)]))
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            for table, rows in tables:
                marks = ", ".join("?" for _ in rows[0])
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg, pg.cursor() as cur:
        for table, rows in tables:
            marks = ", ".join("%s" for _ in rows[0])
            cur.executemany(f"INSERT INTO {table} VALUES ({marks})".encode(), rows)


@pytest.mark.parametrize("version", [1, 2])
def test_opening_an_old_index_migrates_it_keeping_its_documents(
    index_url: str, version: int
) -> None:
    open_at_version(index_url, version).close()
    add_old_row(index_url, doc(1, clients=[{"hetu": HETU_B}]))
    with open_index(index_url) as migrated:
        assert migrated.schema_version() == CURRENT_VERSION
        assert migrated.get(oid(1)) is not None
        assert oids(migrated, Query(client=HETU_B)) == [oid(1)]


def test_migration_to_version_2_adds_the_listing_indexes(index_url: str) -> None:
    open_at_version(index_url, 1).close()
    assert "documents_controller_time" not in index_names(index_url)
    open_index(index_url).close()
    assert {"documents_controller_time", "documents_effective_time"} <= index_names(index_url)


def test_open_index_refuses_an_index_with_a_newer_schema_version(index_url: str) -> None:
    open_index(index_url).close()
    raw_sql(index_url, f"UPDATE schema_version SET version = {CURRENT_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        open_index(index_url)


@pytest.mark.parametrize("url", ["", "index.sqlite", "mysql://host/db", "sqlite://"])
def test_open_index_refuses_a_url_it_does_not_understand(url: str) -> None:
    with pytest.raises(StoreError, match="URL"):
        open_index(url)


def test_open_index_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    with pytest.raises(StoreError, match="cannot open index"):
        open_index(f"sqlite://{path}")


def test_open_index_refuses_an_sqlite_database_that_is_not_an_index(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE payroll (name TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="not a kanta-archive index"):
        open_index(f"sqlite://{path}")


def test_open_index_refuses_a_path_in_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open index"):
        open_index(f"sqlite://{tmp_path}/missing/index.sqlite")


def test_open_index_refuses_a_postgres_server_that_cannot_be_reached(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open index database"):
        open_index(f"postgresql://nobody@/nothing?host={tmp_path}&port=1&connect_timeout=2")


def test_sqlite_index_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    with SqliteIndex(tmp_path / "index.sqlite") as index:
        assert index._fetchall("PRAGMA journal_mode") == [("wal",)]
        assert index._fetchall("PRAGMA foreign_keys") == [(1,)]


def test_a_closed_index_refuses_further_use(index: Index) -> None:
    index.close()
    with pytest.raises(StoreError, match="closed"):
        index.count()


# --- adding documents ------------------------------------------------------------------------


def test_get_returns_the_indexed_fields_of_a_document(index: Index) -> None:
    index.add(doc(1, case_oid=f"{ORG}.11.500", common_matter_oid=None))
    row = index.get(oid(1))
    assert row is not None
    assert (row.set_oid, row.version, row.is_head, row.status) == (
        f"{ORG}.11.91",
        1,
        True,
        "active",
    )
    # Metadata model 2 has no controller type: the organiser says who controls.
    assert (row.controller_oid, row.controller_type) == (CONTROLLER, None)
    assert (row.service_task_code, row.document_type_code) == ("10", "2")
    assert (row.author_org_oid, row.author_name) == (ORG, "Sosiaalityöntekijä Saara")
    assert (row.case_oid, row.patient_data, row.storage_format) == (f"{ORG}.11.500", False, "json")


def test_get_returns_none_for_a_document_that_is_not_indexed(index: Index) -> None:
    assert index.get(oid(404)) is None


def test_created_and_effective_time_are_kept_as_given_and_normalised_to_utc(index: Index) -> None:
    index.add(doc(1, effective="2024-05-02T01:30:00+03:00"))
    row = index.get(oid(1))
    assert row is not None
    assert row.effective_time == "2024-05-02T01:30:00+03:00"
    assert row.effective_time_utc == "2024-05-01T22:30:00.000000Z"
    assert row.created_utc == "2024-05-02T07:15:00.000000Z"


def test_a_document_is_non_disclosure_when_any_of_its_clients_is(index: Index) -> None:
    index.add(doc(1, clients=[{"hetu": HETU_A}, {"hetu": HETU_B, "non_disclosure": True}]))
    row = index.get(oid(1))
    assert row is not None and row.non_disclosure


def test_rows_carry_their_clients_with_kind_and_non_disclosure(index: Index) -> None:
    index.add(doc(1, clients=[{"hetu": HETU_A, "non_disclosure": True}, {"temporary_id": TEMP_1}]))
    row = index.get(oid(1))
    assert row is not None
    assert [(c.client_id, c.id_kind, c.non_disclosure) for c in row.clients] == [
        (HETU_A, "hetu", True),
        (TEMP_1, "temporary", False),
    ]


def test_adding_the_same_document_oid_again_replaces_its_entry(index: Index) -> None:
    index.add(doc(1, clients=[{"hetu": HETU_A}]))
    index.add(doc(1, clients=[{"hetu": HETU_B}], title="Korjattu otsikko"))
    row = index.get(oid(1))
    assert row is not None
    assert row.title == "Korjattu otsikko"
    assert [c.client_id for c in row.clients] == [HETU_B]
    assert index.count() == 1


def test_adding_a_new_version_makes_it_the_only_head_of_its_set(index: Index) -> None:
    index.add(doc(1, set_n=1, version=1))
    index.add(doc(2, set_n=1, version=2))
    assert [(r.version, r.is_head) for r in index.versions(f"{ORG}.11.91")] == [
        (1, False),
        (2, True),
    ]


def test_adding_with_is_head_false_keeps_the_current_head(index: Index) -> None:
    index.add(doc(2, set_n=1, version=2))
    index.add(doc(1, set_n=1, version=1), is_head=False)
    assert [(r.version, r.is_head) for r in index.versions(f"{ORG}.11.91")] == [
        (1, False),
        (2, True),
    ]


def test_add_refuses_metadata_without_a_document_oid(index: Index) -> None:
    with pytest.raises(UsageError, match="document_oid"):
        index.add(doc(1, document_oid=None))


def test_add_many_returns_how_many_documents_it_indexed(index: Index) -> None:
    assert index.add_many(doc(n) for n in range(1, 121)) == 120
    assert index.count() == 120


def test_add_many_makes_the_highest_version_of_each_set_its_head(index: Index) -> None:
    index.add_many(
        [doc(3, set_n=1, version=3), doc(1, set_n=1, version=1), doc(2, set_n=1, version=2)]
    )
    assert [r.version for r in index.versions(f"{ORG}.11.91") if r.is_head] == [3]


def test_add_many_into_a_non_empty_index_moves_the_head_to_the_newer_version(
    index: Index,
) -> None:
    index.add(doc(1, set_n=1, version=1))
    index.add_many([doc(2, set_n=1, version=2), *(doc(n) for n in range(10, 70))])
    assert [(r.version, r.is_head) for r in index.versions(f"{ORG}.11.91")] == [
        (1, False),
        (2, True),
    ]


def test_add_many_is_all_or_nothing(index: Index) -> None:
    with pytest.raises(UsageError):
        index.add_many([*(doc(n) for n in range(1, 60)), doc(60, set_oid=None)])
    assert index.count() == 0


def test_versions_lists_every_version_oldest_first_whatever_its_status(index: Index) -> None:
    index.add(doc(1, set_n=1, version=1))
    index.add(doc(2, set_n=1, version=2, status="invalidated"))
    assert [r.document_oid for r in index.versions(f"{ORG}.11.91")] == [oid(1), oid(2)]


def test_clear_removes_every_document_but_keeps_client_links(index: Index) -> None:
    index.add_many(doc(n, clients=[{"temporary_id": TEMP_1}]) for n in range(1, 5))
    index.link_client(TEMP_1, HETU_A)
    index.clear()
    assert index.count() == 0
    index.add(doc(9, clients=[{"temporary_id": TEMP_1}]))
    assert oids(index, Query(client=HETU_A)) == [oid(9)]


def test_clear_with_include_links_also_removes_client_links(index: Index) -> None:
    index.link_client(TEMP_1, HETU_A)
    index.clear(include_links=True)
    index.add(doc(9, clients=[{"temporary_id": TEMP_1}]))
    assert oids(index, Query(client=HETU_A)) == []


# --- querying by client ----------------------------------------------------------------------


def test_query_by_hetu_finds_only_that_clients_documents(index: Index) -> None:
    index.add(doc(1, clients=[{"hetu": HETU_A}]))
    index.add(doc(2, clients=[{"hetu": HETU_B}]))
    assert oids(index, Query(client=HETU_A)) == [oid(1)]


def test_query_by_client_finds_a_common_matter_document_for_each_of_its_clients(
    index: Index,
) -> None:
    family = [{"hetu": HETU_A}, {"hetu": HETU_B}, {"hetu": HETU_C}]
    index.add(doc(1, clients=family, common_matter_oid=f"{ORG}.11.700"))
    for hetu in (HETU_A, HETU_B, HETU_C):
        assert oids(index, Query(client=hetu)) == [oid(1)]


def test_query_by_hetu_finds_documents_stored_under_a_linked_temporary_id(index: Index) -> None:
    index.add(doc(1, clients=[{"hetu": HETU_A}], effective="2024-05-03T09:00:00+03:00"))
    index.add(doc(2, clients=[{"temporary_id": TEMP_1}]))
    index.link_client(TEMP_1, HETU_A)
    assert oids(index, Query(client=HETU_A)) == [oid(1), oid(2)]


def test_query_by_hetu_no_longer_finds_temporary_id_documents_after_unlinking(
    index: Index,
) -> None:
    index.add(doc(2, clients=[{"temporary_id": TEMP_1}]))
    index.link_client(TEMP_1, HETU_A)
    index.unlink_client(TEMP_1)
    assert oids(index, Query(client=HETU_A)) == []


def test_query_by_temporary_id_finds_the_documents_stored_under_it(index: Index) -> None:
    index.add(doc(1, clients=[{"temporary_id": TEMP_1}]))
    index.add(doc(2, clients=[{"temporary_id": TEMP_2}]))
    assert oids(index, Query(client=TEMP_1)) == [oid(1)]


def test_linking_an_already_linked_temporary_id_to_another_hetu_is_refused(index: Index) -> None:
    index.link_client(TEMP_1, HETU_A)
    with pytest.raises(ConflictError, match="already linked"):
        index.link_client(TEMP_1, HETU_B)


def test_a_temporary_id_can_be_relinked_after_unlinking(index: Index) -> None:
    index.add(doc(1, clients=[{"temporary_id": TEMP_1}]))
    index.link_client(TEMP_1, HETU_A)
    index.unlink_client(TEMP_1)
    index.link_client(TEMP_1, HETU_B)
    assert oids(index, Query(client=HETU_B)) == [oid(1)]


def test_filter_values_are_never_read_as_sql(index: Index) -> None:
    index.add(doc(1))
    assert oids(index, Query(client="x' OR '1'='1")) == []
    assert oids(index, Query(controller_oid="') OR 1=1 --")) == []


# --- querying: versions, status, sub-register, filters -------------------------------------


def test_query_lists_only_the_head_of_each_set_by_default(index: Index) -> None:
    index.add(doc(1, set_n=1, version=1))
    index.add(doc(2, set_n=1, version=2))
    assert oids(index, Query()) == [oid(2)]


def test_query_with_all_versions_lists_every_version(index: Index) -> None:
    index.add(doc(1, set_n=1, version=1))
    index.add(doc(2, set_n=1, version=2))
    assert sorted(oids(index, Query(all_versions=True))) == [oid(1), oid(2)]


def test_query_hides_invalidated_documents_by_default(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, status="invalidated", invalidation={"reason": "väärä asiakas"}))
    assert oids(index, Query()) == [oid(1)]


def test_query_with_include_invalidated_lists_them_too(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, status="invalidated"))
    assert sorted(oids(index, Query(include_invalidated=True))) == [oid(1), oid(2)]


def test_query_by_status_invalidated_lists_only_invalidated_documents(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, status="invalidated"))
    assert oids(index, Query(status="invalidated")) == [oid(2)]


def test_query_hides_the_patient_data_sub_register_by_default(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, patient_data=True))
    assert oids(index, Query()) == [oid(1)]


def test_query_for_patient_data_lists_only_the_sub_register(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, patient_data=True))
    assert oids(index, Query(patient_data=True)) == [oid(2)]


def test_query_with_patient_data_none_lists_both_registers(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, patient_data=True))
    assert sorted(oids(index, Query(patient_data=None))) == [oid(1), oid(2)]


def test_query_filters_by_service_task(index: Index) -> None:
    index.add(doc(1, service_task="10"))
    index.add(doc(2, service_task="15"))
    assert oids(index, Query(client=HETU_A, service_task="15")) == [oid(2)]


def test_query_filters_by_document_type(index: Index) -> None:
    index.add(doc(1, document_type="2"))
    index.add(doc(2, document_type="5"))
    assert oids(index, Query(document_type="5")) == [oid(2)]


def test_query_filters_by_controller(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, controller={"oid": OTHER_CONTROLLER}))
    assert oids(index, Query(controller_oid=OTHER_CONTROLLER)) == [oid(2)]


def test_query_filters_by_case(index: Index) -> None:
    index.add(doc(1, case_oid=f"{ORG}.11.500"))
    index.add(doc(2, case_oid=f"{ORG}.11.501"))
    assert oids(index, Query(case_oid=f"{ORG}.11.500")) == [oid(1)]


def test_query_filters_by_customership(index: Index) -> None:
    index.add(doc(1, customership_oid=f"{ORG}.11.600"))
    index.add(doc(2))
    assert oids(index, Query(customership_oid=f"{ORG}.11.600")) == [oid(1)]


def test_query_filters_by_author_organisation(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2, author={"name": "Ulla", "role": "1", "organisation_oid": "1.2.246.10.1"}))
    assert oids(index, Query(author_org_oid="1.2.246.10.1")) == [oid(2)]


def test_query_filters_by_set(index: Index) -> None:
    index.add(doc(1))
    index.add(doc(2))
    assert oids(index, Query(set_oid=f"{ORG}.11.92")) == [oid(2)]


def test_query_date_range_is_inclusive_and_in_finnish_time(index: Index) -> None:
    index.add(doc(1, effective="2024-05-01T23:59:00+03:00"))
    index.add(doc(2, effective="2024-05-02T00:30:00+03:00"))  # 2024-05-01 21:30 UTC
    index.add(doc(3, effective="2024-05-02T20:59:00Z"))  # 23:59 in Finland
    index.add(doc(4, effective="2024-05-03T00:00:00+03:00"))
    q = Query(date_from=date(2024, 5, 2), date_to=date(2024, 5, 2), sort="effective_time")
    assert oids(index, q) == [oid(2), oid(3)]


# --- sorting and paging ----------------------------------------------------------------------


def test_query_sorts_newest_effective_time_first_by_default(index: Index) -> None:
    index.add(doc(1, effective="2024-01-01T09:00:00+02:00"))
    index.add(doc(2, effective="2024-03-01T09:00:00+02:00"))
    index.add(doc(3, effective="2024-02-01T09:00:00+02:00"))
    assert oids(index, Query()) == [oid(2), oid(3), oid(1)]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("document_type", [2, 3, 1]), ("-document_type", [1, 3, 2]), ("title", [1, 2, 3])],
)
def test_query_sorts_by_a_whitelisted_key(index: Index, sort: str, expected: list[int]) -> None:
    index.add(doc(1, document_type="9"))
    index.add(doc(2, document_type="1"))
    index.add(doc(3, document_type="5"))
    assert oids(index, Query(sort=sort)) == [oid(n) for n in expected]


def test_query_refuses_a_sort_key_outside_the_whitelist() -> None:
    with pytest.raises(UsageError, match="unknown sort key"):
        Query(sort="title; DROP TABLE documents")


@pytest.mark.parametrize(
    "bad", [{"limit": -1}, {"limit": 10**6}, {"offset": -5}, {"status": "deleted"}]
)
def test_query_refuses_nonsense_paging_and_status(bad: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        Query(**bad)


def test_query_pages_with_limit_and_offset_and_reports_the_total(index: Index) -> None:
    index.add_many(doc(n, effective=f"2024-05-{n:02d}T09:00:00+03:00") for n in range(1, 26))
    page = index.query(Query(sort="effective_time", limit=10, offset=10))
    assert [r.document_oid for r in page.rows] == [oid(n) for n in range(11, 21)]
    assert page.total == 25


# --- several writers -------------------------------------------------------------------------


def _add_range(path: str, start: int) -> None:
    with open_index(f"sqlite://{path}") as index:
        for n in range(start, start + 40):
            index.add(doc(n))


def test_several_processes_can_write_to_one_sqlite_index(tmp_path: Path) -> None:
    path = str(tmp_path / "index.sqlite")
    open_index(f"sqlite://{path}").close()
    with ProcessPoolExecutor(max_workers=3) as pool:
        list(pool.map(_add_range, [path] * 3, [1, 1001, 2001]))
    with open_index(f"sqlite://{path}") as index:
        assert index.count() == 120


# --- a failing disk -------------------------------------------------------------------------


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 192 KiB tmpfs of the test's own, or a skip when the test cannot mount one."""
    import subprocess

    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for the disk-full test needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_a_full_disk_is_reported_as_full_not_as_a_failed_rollback(tiny_fs: Path) -> None:
    with open_index(f"sqlite://{tiny_fs}/index.sqlite") as index:
        with pytest.raises(StoreError) as caught:
            for start in range(0, 100_000, 200):
                index.add_many(
                    doc(n, clients=[{"hetu": HETU_A}]) for n in range(start, start + 200)
                )
        message = str(caught.value)
        assert "full" in message, message
        assert "cannot rollback" not in message, message


def test_a_read_only_index_can_be_queried_but_not_changed(tiny_fs: Path) -> None:
    import subprocess

    url = f"sqlite://{tiny_fs}/index.sqlite"
    with open_index(url) as index:
        index.add(doc(1))
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with open_index(url) as index:
        assert oids(index, Query()) == [oid(1)]
        with pytest.raises(StoreError, match="read-only"):
            index.add(doc(2))


# --- a damaged index ------------------------------------------------------------------------


def damage(path: Path) -> None:
    """Overwrite the SQLite header: what a bad disk block or a stray write does."""
    data = bytearray(path.read_bytes())
    data[:100] = b"\x00" * 100
    path.write_bytes(bytes(data))


def test_a_damaged_sqlite_index_is_refused_with_a_hint_to_reindex(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with open_index(f"sqlite://{path}") as index:
        index.add(doc(1))
    damage(path)
    with pytest.raises(StoreError, match=r"damaged.*kanta-archive reindex"):
        open_index(f"sqlite://{path}")


def test_recover_moves_a_damaged_sqlite_index_aside_and_starts_an_empty_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index.sqlite"
    with open_index(f"sqlite://{path}") as index:
        index.add(doc(1))
    damage(path)
    damaged = path.read_bytes()
    with open_index(f"sqlite://{path}", recover=True) as index:
        assert index.count() == 0 and not index.is_built()
    kept = list(tmp_path.glob("index.sqlite.damaged-*"))
    assert [p.read_bytes() for p in kept if not p.name.endswith(("-wal", "-shm"))] == [damaged]


def test_recover_leaves_a_sound_index_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with open_index(f"sqlite://{path}") as index:
        index.add(doc(1))
    with open_index(f"sqlite://{path}", recover=True) as index:
        assert index.get(oid(1)) is not None
    assert not list(tmp_path.glob("*.damaged-*"))


# --- several stores in one database, rebuilds beside the live index ---------------------------


def test_a_new_index_is_not_built_until_a_document_is_added(index: Index) -> None:
    assert not index.is_built()
    index.add(doc(1))
    assert index.is_built()


def test_ensure_built_makes_an_empty_built_index_and_keeps_what_is_there(index: Index) -> None:
    index.ensure_built()
    assert index.is_built() and index.count() == 0
    index.add(doc(1))
    index.ensure_built()
    assert index.count() == 1


def test_one_database_keeps_the_documents_of_each_store_apart(index_url: str) -> None:
    with (
        open_index(index_url, store_id="store-a") as a,
        open_index(index_url, store_id="store-b") as b,
    ):
        a.add(doc(1))
        b.add(doc(2))
        a.link_client(TEMP_1, HETU_A)
        assert oids(a, Query()) == [oid(1)] and oids(b, Query()) == [oid(2)]
        assert b.get(oid(1)) is None and a.count() == 1 and b.count() == 1
        assert b.linked_ids(HETU_A) == []  # type: ignore[attr-defined]


def test_a_rebuild_of_one_store_never_touches_another_stores_rows(index_url: str) -> None:
    with (
        open_index(index_url, store_id="store-a") as a,
        open_index(index_url, store_id="store-b") as b,
    ):
        a.add(doc(1))
        b.add(doc(2))
        with a.rebuild() as build:
            build.add_many([doc(3)])
        assert oids(a, Query()) == [oid(3)]
        assert oids(b, Query()) == [oid(2)]


def test_queries_see_the_old_rows_until_a_rebuild_swaps(index_url: str) -> None:
    with open_index(index_url) as writer, open_index(index_url) as reader:
        writer.add_many([doc(1), doc(2)])
        with writer.rebuild() as build:
            build.add_many([doc(3)])
            assert oids(reader, Query(sort="document_oid")) == [oid(1), oid(2)]
        assert oids(reader, Query()) == [oid(3)]
        assert writer.count() == 1


def test_a_failed_rebuild_leaves_the_live_index_as_it_was(index: Index) -> None:
    index.add_many([doc(1), doc(2)])
    with pytest.raises(RuntimeError), index.rebuild() as build:
        build.add_many([doc(3)])
        raise RuntimeError("the store could not be read")
    assert oids(index, Query(sort="document_oid")) == [oid(1), oid(2)]
    with index.rebuild() as build:  # and the next rebuild starts afresh
        build.add_many([doc(4)])
    assert oids(index, Query()) == [oid(4)]


def test_a_document_stored_during_a_rebuild_is_in_the_index_after_the_swap(
    index_url: str,
) -> None:
    with open_index(index_url) as rebuilder, open_index(index_url) as writer:
        rebuilder.add(doc(1))
        with rebuilder.rebuild() as build:
            build.add_many([doc(1)])
            writer.add(doc(2))  # stored by another process while the store is scanned
        assert sorted(oids(rebuilder, Query())) == [oid(1), oid(2)]


def test_a_rebuild_keeps_what_a_writer_added_over_its_older_reading(index_url: str) -> None:
    with open_index(index_url) as rebuilder, open_index(index_url) as writer:
        rebuilder.add(doc(1))
        with rebuilder.rebuild() as build:
            writer.add(doc(1, status="invalidated"))  # newer than what the scan read
            build.add_many([doc(1)])
        row = rebuilder.get(oid(1))
        assert row is not None and row.status == "invalidated"


def test_a_rebuild_can_keep_the_live_rows_of_sets_it_could_not_read(index: Index) -> None:
    index.add_many([doc(1), doc(2, clients=[{"hetu": HETU_B}])])
    with index.rebuild() as build:
        build.add_many([doc(1)])
        assert build.keep([f"{ORG}.11.92"]) == 1
    assert oids(index, Query(client=HETU_B)) == [oid(2)]


def test_the_index_knows_the_controller_of_a_sets_head(index: Index) -> None:
    index.add(doc(1))
    assert index.controller_of(f"{ORG}.11.91") == CONTROLLER
    assert index.controller_of(f"{ORG}.11.999") is None


def _open_fresh(url: str, n: int) -> int:
    with open_index(url) as index:
        index.add(doc(n))
        return index.schema_version()


@pytest.mark.postgres
def test_several_processes_can_open_a_fresh_postgres_index_at_once(pg_server: PgServer) -> None:
    for _attempt in range(3):
        url = pg_server.create_database()
        try:
            with ProcessPoolExecutor(max_workers=4) as pool:
                versions = list(pool.map(_open_fresh, [url] * 8, range(8)))
            assert versions == [CURRENT_VERSION] * 8
            with open_index(url) as index:
                assert index.count() == 8
        finally:
            pg_server.drop_database(url)
