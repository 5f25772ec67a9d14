"""Access control and the audit log of a store on object storage (a real S3 API server on a
local port): they live in the database given by ``--access`` (or a PostgreSQL
``--index``); without one they are not available, and a registry the bucket's marker
declares is never silently turned off."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from conftest import SAMPLES, VALID

from kanta_archive.store import Store, manifest

COUNTY = "1.2.246.10.91000013"
SET = "1.2.246.10.91000013.11.2001"

Run = Callable[..., Result]


def _where(s3_url: str, tmp_path: Path, *, access: bool = True) -> list[str]:
    options = ["--store", s3_url, "--index", f"sqlite://{tmp_path / 'index.sqlite'}"]
    if access:
        options += ["--access", f"sqlite://{tmp_path / 'access.sqlite'}"]
    return options


def test_registry_import_on_s3_without_a_database_says_where_it_must_live(
    s3_url: str, tmp_path: Path, run_cli: Run
) -> None:
    result = run_cli(
        "orgs", "import", SAMPLES / "orgs.csv", *_where(s3_url, tmp_path, access=False)
    )
    assert result.exit_code == 2, result.output
    assert "object storage" in result.output and "--access" in result.output
    assert "Traceback" not in result.output


def test_audit_verify_on_s3_without_a_database_is_a_usage_error(
    s3_url: str, tmp_path: Path, run_cli: Run
) -> None:
    assert (
        run_cli("archive", VALID / "case-document-open.json", *_where(s3_url, tmp_path)).exit_code
        == 0
    )
    result = run_cli("audit", "verify", *_where(s3_url, tmp_path, access=False))
    assert result.exit_code == 2 and "--access" in result.output, result.output


def test_a_registry_declared_in_the_bucket_keeps_access_control_on_without_the_database(
    s3_url: str, tmp_path: Path, run_cli: Run
) -> None:
    where = _where(s3_url, tmp_path)
    assert run_cli("orgs", "import", SAMPLES / "orgs.csv", *where).exit_code == 0
    assert manifest.REGISTRY in manifest.declared(Store.open(s3_url).storage)
    forgot = run_cli("query", "--client", "150612A904S", *_where(s3_url, tmp_path, access=False))
    assert forgot.exit_code == 2, forgot.output
    assert "access control stays on" in forgot.output


def test_access_rules_apply_on_s3_as_on_a_local_store(
    s3_url: str, tmp_path: Path, run_cli: Run
) -> None:
    where = _where(s3_url, tmp_path)
    assert run_cli("orgs", "import", SAMPLES / "orgs.csv", *where).exit_code == 0
    no_as = run_cli("archive", VALID / "client-record-entry.json", *where)
    assert no_as.exit_code == 2 and "--as" in no_as.output, no_as.output
    city = run_cli(
        "archive", VALID / "client-record-entry.json", *where, "--as", "1.2.246.10.91000021"
    )
    assert city.exit_code == 1 and "access-own-register-only" in city.output
    stored = run_cli("archive", VALID / "client-record-entry.json", *where, "--as", COUNTY)
    assert stored.exit_code == 0, stored.output
    entries = json.loads(run_cli("audit", "--format", "json", *where, "--as", COUNTY).output)
    assert [e["event"] for e in entries["entries"]] == ["orgs-import", "store"]
    assert run_cli("audit", "verify", *where).exit_code == 0


def test_the_store_id_of_a_bucket_is_kept_in_its_marker_and_shared_by_every_opener(
    s3_url: str, tmp_path: Path, run_cli: Run
) -> None:
    assert (
        run_cli("archive", VALID / "case-document-open.json", *_where(s3_url, tmp_path)).exit_code
        == 0
    )
    first = manifest.store_id(Store.open(s3_url).storage)
    again = manifest.store_id(Store.open(s3_url).storage)
    assert first == again and first not in (s3_url, manifest.UNIDENTIFIED)
    assert manifest.read_marker(Store.open(s3_url).storage)["store_id"] == first


def test_ls_and_export_read_an_s3_store(s3_url: str, tmp_path: Path, run_cli: Run) -> None:
    where = _where(s3_url, tmp_path)
    docs = (VALID / "client-record-entry.json", VALID / "client-record-entry-v2.json")
    assert run_cli("archive", *docs, *where).exit_code == 0
    listed = run_cli("ls", SET, "--format", "json", *where)
    assert listed.exit_code == 0, listed.output
    sizes = {f["path"]: f["size"] for f in json.loads(listed.output)["files"]}
    assert sizes["document.json"] == len((VALID / "client-record-entry-v2.json").read_bytes())
    exported = run_cli("export", SET, "--to", tmp_path / "out", *where)
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "v2" / "content" / "document.json").read_bytes() == docs[
        1
    ].read_bytes()


def test_hosts_declaring_at_once_on_s3_lose_no_declaration(s3_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    Store.open(s3_url, create=True)
    names = [f"part-{n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:  # one store (one client) per "host"
        list(pool.map(lambda name: manifest.declare(Store.open(s3_url).storage, name), names))
    assert set(names) <= set(manifest.declared(Store.open(s3_url).storage))
