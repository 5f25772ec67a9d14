"""Where access control and the audit log keep their state, and what happens when it goes:
files in the store or one PostgreSQL database for everything shared; deleting the registry
or the audit log is an error, never a store without checks or an empty log that passes."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pg_server import PgServer

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ORGS = SAMPLES / "orgs.csv"
OPEN = SAMPLES / "valid" / "case-document-open.json"
OPEN_DOC = "1.2.246.10.91000013.11.1001.1"
COUNTY = "1.2.246.10.91000013"
Run = Callable[..., Result]


@pytest.fixture
def store(run_cli: Run, tmp_store: Path) -> Path:
    assert run_cli("orgs", "import", ORGS, "--store", tmp_store).exit_code == 0
    stored = run_cli("archive", OPEN, "--as", COUNTY, "--store", tmp_store)
    assert stored.exit_code == 0, stored.output
    return tmp_store


# --- the registry cannot silently go ---------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["query", "--as", COUNTY], ["query"], ["archive", str(OPEN)], ["show", OPEN_DOC]],
    ids=["query-as", "query", "archive", "show"],
)
def test_a_deleted_registry_is_an_error_not_a_store_without_access_control(
    run_cli: Run, store: Path, command: list[str]
) -> None:
    (store / "access.sqlite").unlink()
    result = run_cli(*command, "--store", store)
    assert result.exit_code == 3, result.output
    assert "registry" in result.stderr and "restore" in result.stderr
    assert not (store / "access.sqlite").exists()  # nothing was made in its place


def test_an_emptied_registry_is_an_error(run_cli: Run, store: Path) -> None:
    conn = sqlite3.connect(store / "access.sqlite")
    conn.execute("DELETE FROM access_orgs")
    conn.commit()
    conn.close()
    result = run_cli("query", "--store", store)
    assert result.exit_code == 3 and "registry" in result.stderr


def test_the_store_marker_declares_the_registry_and_the_audit_log(store: Path) -> None:
    marker = json.loads((store / "kanta-archive-store.json").read_text(encoding="utf-8"))
    assert {"registry", "audit-log"} <= set(marker["declares"])
    assert marker["declares"]["audit-log"]["key_id"]
    assert marker["store_id"]


def test_an_access_store_from_before_the_store_id_is_taken_over(
    run_cli: Run, tmp_store: Path
) -> None:
    from kanta_archive.store import Store

    Store.open(tmp_store, create=True)
    conn = sqlite3.connect(tmp_store / "access.sqlite")
    conn.execute(  # the schema of earlier versions
        "CREATE TABLE orgs (oid TEXT PRIMARY KEY, name TEXT NOT NULL, business_id TEXT NOT NULL,"
        " sector TEXT NOT NULL, joining_model TEXT NOT NULL, main_joiner_oid TEXT,"
        " organiser_oid TEXT, valid_from TEXT NOT NULL, valid_to TEXT)"
    )
    conn.execute(
        "INSERT INTO orgs VALUES (?, 'Maakunta', '9100001-3', 'public', 'direct', NULL, NULL,"
        " '2024-01-01', NULL)",
        (COUNTY,),
    )
    conn.commit()
    conn.close()
    listed = run_cli("orgs", "list", "--store", tmp_store)
    assert listed.exit_code == 0 and COUNTY in listed.output
    refused = run_cli("query", "--store", tmp_store)  # access control is on
    assert refused.exit_code == 2 and "--as" in refused.stderr


# --- the audit log cannot silently go ---------------------------------------------------------


def test_deleting_the_audit_log_and_its_head_fails_audit_verify(run_cli: Run, store: Path) -> None:
    assert run_cli("audit", "verify", "--store", store).exit_code == 0
    (store / "audit.log").unlink()
    (store / "audit.head").unlink()
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 1 and "audit log ok" not in result.output


def test_audit_verify_fails_on_a_line_rewritten_with_recomputed_hashes(
    run_cli: Run, store: Path
) -> None:
    from kanta_archive.access.audit import entry_hash

    path = store / "audit.log"
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    entries[0]["actor"] = "1.2.246.10.91000021"
    prev = "0" * 64
    for entry in entries:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    head = {"seq": entries[-1]["seq"], "hash": entries[-1]["hash"]}
    (store / "audit.head").write_text(json.dumps(head), encoding="utf-8")
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 1 and "line 1" in result.stderr


# --- everything shared in PostgreSQL ----------------------------------------------------------


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.mark.postgres
def test_with_a_postgres_index_the_registry_and_audit_log_live_there_too(
    run_cli: Run, tmp_path: Path, pg_url: str
) -> None:
    store = tmp_path / "archive"
    assert run_cli("orgs", "import", ORGS, "--store", store, "--index", pg_url).exit_code == 0
    stored = run_cli("archive", OPEN, "--as", COUNTY, "--store", store, "--index", pg_url)
    assert stored.exit_code == 0, stored.output
    shown = run_cli("query", "--as", COUNTY, "--store", store, "--index", pg_url)
    assert shown.exit_code == 0 and OPEN_DOC in shown.stdout
    refused = run_cli("query", "--store", store, "--index", pg_url)
    assert refused.exit_code == 2  # the registry is on: --as is required
    assert not (store / "access.sqlite").exists() and not (store / "audit.log").exists()
    verified = run_cli("audit", "verify", "--store", store, "--index", pg_url)
    assert verified.exit_code == 0 and "3 line(s)" in verified.stdout, (
        verified.output
    )  # import, store, query


@pytest.mark.postgres
def test_one_postgres_database_keeps_two_stores_registries_apart(
    run_cli: Run, tmp_path: Path, pg_url: str
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_cli("orgs", "import", ORGS, "--store", first, "--index", pg_url).exit_code == 0
    assert run_cli("archive", OPEN, "--store", second, "--index", pg_url).exit_code == 0
    listed = run_cli("orgs", "list", "--store", second, "--index", pg_url)
    assert listed.exit_code == 0 and json.loads(listed.stdout)["organisations"] == []
    queried = run_cli("query", "--store", second, "--index", pg_url, "--format", "json")
    assert queried.exit_code == 0 and OPEN_DOC in queried.stdout  # no registry: no checks


@pytest.mark.postgres
def test_a_separate_access_url_holds_the_registry(
    run_cli: Run, tmp_path: Path, pg_url: str
) -> None:
    store = tmp_path / "archive"
    imported = run_cli("orgs", "import", ORGS, "--store", store, "--access", pg_url)
    assert imported.exit_code == 0, imported.output
    assert not (store / "access.sqlite").exists()
    refused = run_cli("query", "--store", store, "--access", pg_url)
    assert refused.exit_code == 2 and "--as" in refused.stderr


@pytest.mark.postgres
def test_reindex_of_one_store_in_a_shared_postgres_index_leaves_the_other_alone(
    run_cli: Run, tmp_path: Path, pg_url: str
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    client_record = SAMPLES / "valid" / "client-record-entry.json"
    assert run_cli("archive", OPEN, "--store", first, "--index", pg_url).exit_code == 0
    assert run_cli("archive", client_record, "--store", second, "--index", pg_url).exit_code == 0
    rebuilt = run_cli("reindex", "--store", first, "--index", pg_url)
    assert rebuilt.exit_code == 0 and "indexed 1 " in rebuilt.stdout, rebuilt.output
    for store, expected in ((first, OPEN_DOC), (second, "1.2.246.10.91000013.11.2001.1")):
        listed = run_cli("query", "--store", store, "--index", pg_url, "--format", "json")
        assert [d["document_oid"] for d in json.loads(listed.stdout)["documents"]] == [expected]
    assert run_cli("verify", "--store", second, "--index", pg_url).exit_code == 0
