"""``kanta-archive migrate``: a local archive (with its registry, rights, client links and
audit log in files) copied into a bucket of a real S3 API server with a real PostgreSQL
for the index and the access records; run again, and killed part way (SIGKILL) and run
again, it copies nothing twice and loses nothing; ``verify`` and ``reindex`` work on the
bucket afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import SAMPLES, VALID
from pg_server import PgServer

from kanta_archive.store import Store
from kanta_archive.store.s3 import S3Storage, parse_url

REPO = Path(__file__).resolve().parents[2]
COUNTY = "1.2.246.10.91000013"
CITY = "1.2.246.10.91000021"
SET = "1.2.246.10.91000013.11.2001"
TEMPORARY = "1.2.246.10.91000021.22.2024.3"
Run = Callable[..., Result]


@pytest.fixture
def database(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def source(tmp_path: Path, run_cli: Run) -> Path:
    """A local store with a registry, two versions, an invalidation, a controller
    transfer, a client link and the audit lines all of it wrote."""
    store = tmp_path / "archive"

    def ok(*args: object) -> None:
        result = run_cli(*args, "--store", store)
        assert result.exit_code == 0, result.output

    ok("orgs", "import", SAMPLES / "orgs.csv")
    county = ("client-record-entry.json", "client-record-entry-v2.json", "case-document-open.json")
    ok("archive", *(VALID / n for n in county), "--as", COUNTY)
    city = ("case-document-closed.json", "client-record-entry-temporary-id.json")
    ok("archive", *(VALID / n for n in city), "--as", CITY)
    ok("clients", "link", "--temporary", TEMPORARY, "--hetu", "220788-926D", "--as", CITY)
    ok("invalidate", SET, "--reason", "wrong client", "--as", COUNTY)
    ok("transfer-controller", "--from", CITY, "--to", COUNTY, "--reason", "merger", "-q",
       "--as", COUNTY)  # fmt: skip
    return store


def _roots(store: Store) -> dict[str, bytes]:
    """Every object's root inventory, by object key."""
    found = {}
    for _controller, _object_id, key in store.scan_objects():
        data = store.storage.read(f"{key}/inventory.json")
        assert data is not None, key
        found[key] = data
    return found


def test_migrate_copies_a_local_archive_and_its_access_records_to_s3(
    source: Path, s3_url: str, database: str, run_cli: Run
) -> None:
    target = ["--store", s3_url, "--index", database]
    done = run_cli("migrate", "--from", source, "--to", s3_url, "--index", database,
                   "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["sets"], report["copied"], report["present"]) == (4, 4, 0)
    assert report["access_rows"] > 12 and report["audit_entries"] > 0 and report["links"] == 1
    assert _roots(Store.open(s3_url)) == _roots(Store.open(source))  # byte for byte

    verified = run_cli("verify", "--full", *target)
    assert verified.exit_code == 0, verified.output
    assert run_cli("audit", "verify", *target).exit_code == 0
    entries = lambda *where: json.loads(  # noqa: E731
        run_cli("audit", "--format", "json", *where, "--as", COUNTY).stdout
    )["entries"]
    assert [e["hash"] for e in entries(*target)] == [e["hash"] for e in entries("--store", source)]
    linked = [
        json.loads(
            run_cli(
                "query", "--client", "220788-926D", "--format", "json", *where, "--as", COUNTY
            ).output
        )["documents"]
        for where in (target, ["--store", source])
    ]
    assert linked[0] == linked[1]
    # the document filed under the temporary id is found by the HETU: the link came along
    assert "1.2.246.10.91000021.11.3002" in {d["set_oid"] for d in linked[0]}
    raw = run_cli("show", f"{SET}.2", "--raw", *target, "--as", COUNTY)
    assert raw.output.encode() == (VALID / "client-record-entry-v2.json").read_bytes()
    refused = run_cli("show", SET, *target, "--as", CITY)
    assert refused.exit_code == 1 and "access-read-own-register" in refused.output
    reindexed = run_cli("reindex", *target)
    assert reindexed.exit_code == 0 and "restored 1 client link" in reindexed.output

    used = entries(*target)  # the reads above were audited in the target's log
    again = run_cli("migrate", "--from", source, "--to", s3_url, "--index", database,
                    "--format", "json")  # fmt: skip
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert (second["copied"], second["present"], second["versions"]) == (0, 4, 0)
    assert (second["access_rows"], second["audit_entries"]) == (0, 0)
    assert entries(*target) == used  # nothing copied twice into the log in use
    assert run_cli("audit", "verify", *target).exit_code == 0


def test_migrate_of_a_store_with_access_records_to_s3_needs_a_database(
    source: Path, s3_url: str, tmp_path: Path, run_cli: Run
) -> None:
    index = f"sqlite://{tmp_path / 'index.sqlite'}"
    refused = run_cli("migrate", "--from", source, "--to", s3_url, "--index", index)
    assert refused.exit_code == 2 and "--access" in refused.output, refused.output
    bucket = Store.open(s3_url)
    assert list(bucket.scan_objects()) == []


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "kanta-archive"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kanta_archive.cli.main"]


def _locators(s3_url: str) -> int:
    """How many sets the bucket has a locator for (0 before the store is made)."""
    return sum(1 for _ in S3Storage(*parse_url(s3_url)).bucket.all_keys("sets"))


@pytest.mark.slow
def test_migrate_killed_part_way_and_run_again_copies_everything_once(
    tmp_path: Path, s3_url: str, database: str, run_cli: Run
) -> None:
    generated = tmp_path / "generated"
    args = ("--structure", "1.2.246.537.6.1506.19005", "--count", "150", "--seed", "11")
    made = run_cli("samples", "generate", *args, "--out", generated)
    assert made.exit_code == 0, made.output
    store = tmp_path / "archive"
    stored = run_cli("archive", generated, "--store", store, "--partial", "-q", "--format", "json")
    sets = len(list(Store.open(store).scan_objects()))
    assert json.loads(stored.output)["stored"] > 0 and sets > 60, stored.output
    command = [*_cli(), "migrate", "--from", str(store), "--to", s3_url, "--index", database]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _locators(s3_url) < sets // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    part = _locators(s3_url)
    assert 0 < part < sets, f"not killed part way: {part} of {sets}"

    finished = subprocess.run([*command, "--format", "json"], env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert f"migrate: {sets} of {sets} document set(s)" in finished.stderr  # progress
    report = json.loads(finished.stdout)
    assert report["sets"] == sets and report["present"] + report["copied"] == sets
    assert report["present"] >= part - 64  # at most one batch was cut short
    assert _locators(s3_url) == sets  # one locator per set: nothing twice
    assert _roots(Store.open(s3_url)) == _roots(Store.open(store))
    # every file of the source's objects once, and nothing else (no half-copied leftovers)
    copied = {key: 1 for key, _item in S3Storage(*parse_url(s3_url)).bucket.all_keys("controllers")}
    assert copied == {
        path.relative_to(store).as_posix(): 1
        for path in (store / "controllers").rglob("*")
        if path.is_file()
    }
    target = ["--store", s3_url, "--index", database]
    verified = run_cli("verify", "--full", *target, "--format", "json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["objects"] == sets
    every = ("query", "--all", "--include-invalidated", "--patient-data", "include")
    rows = [
        run_cli(*every, "--format", "jsonl", *where).stdout.splitlines()
        for where in (["--store", store], target)
    ]
    assert rows[0] == rows[1] and len(rows[0]) >= sets


def test_migrate_into_the_copy_of_another_store_is_refused_before_anything_is_copied(
    source: Path, s3_url: str, database: str, tmp_path: Path, run_cli: Run
) -> None:
    first = run_cli("migrate", "--from", source, "--to", s3_url, "--index", database)
    assert first.exit_code == 0, first.output
    before = _roots(Store.open(s3_url))
    other = tmp_path / "other"
    stored = run_cli("archive", VALID / "service-needs-assessment.json", "--store", other)
    assert stored.exit_code == 0, stored.output
    refused = run_cli("migrate", "--from", other, "--to", s3_url, "--index", database)
    assert refused.exit_code == 1 and "copy of another store" in refused.output, refused.output
    assert _roots(Store.open(s3_url)) == before
