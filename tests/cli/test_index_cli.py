"""The index as a failing disk, a crash or a careless administrator leaves it: every command
says what is wrong and how to fix it, and ``reindex`` always brings it back."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
Run = Callable[..., Result]

V1 = VALID / "client-record-entry.json"
V2 = VALID / "client-record-entry-v2.json"
OPEN = VALID / "case-document-open.json"
SET = "1.2.246.10.91000013.11.2001"
OPEN_SET = "1.2.246.10.91000013.11.1001"
CLIENT = "150612A904S"


def query(run: Run, store: Path, *args: str) -> list[str]:
    result = run("query", "--store", store, "--format", "json", *args)
    assert result.exit_code == 0, result.output + result.stderr
    return [d["document_oid"] for d in json.loads(result.stdout)["documents"]]


def archived(run: Run, store: Path, *paths: Path) -> Path:
    result = run("archive", *paths, "--store", store, "--quiet")
    assert result.exit_code == 0, result.output + result.stderr
    return store


def inventory_of(store: Path, set_oid: str) -> Path:
    from urllib.parse import unquote

    return next(
        p
        for p in (store / "controllers").rglob("inventory.json")
        if unquote(p.parent.name) == f"urn:oid:{set_oid}"
    )


# --- a damaged index file -------------------------------------------------------------------


def damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:100] = b"\x00" * 100
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "command",
    [["query"], ["show", SET], ["verify"], ["archive", str(OPEN)], ["history", SET]],
    ids=lambda c: c[0],
)
def test_a_damaged_index_is_named_with_the_fix_and_exit_3(
    run_cli: Run, tmp_store: Path, command: list[str]
) -> None:
    archived(run_cli, tmp_store, V1)
    damage(tmp_store / "index.sqlite")
    result = run_cli(*command, "--store", tmp_store)
    assert result.exit_code == 3, result.output
    assert "damaged" in result.stderr and "kanta-archive reindex" in result.stderr
    assert "Traceback" not in result.output


def test_reindex_rebuilds_a_damaged_index_and_keeps_the_damaged_file(
    run_cli: Run, tmp_store: Path
) -> None:
    archived(run_cli, tmp_store, V1, V2, OPEN)
    index = tmp_store / "index.sqlite"
    damage(index)
    damaged = index.read_bytes()
    rebuilt = run_cli("reindex", "--store", tmp_store)
    assert rebuilt.exit_code == 0, rebuilt.output + rebuilt.stderr
    assert sorted(query(run_cli, tmp_store)) == [OPEN_SET + ".1", SET + ".2"]
    kept = [p for p in tmp_store.glob("index.sqlite.damaged-*") if "-" not in p.name[-4:]]
    assert [p.read_bytes() for p in kept] == [damaged]
    assert run_cli("verify", "--store", tmp_store).exit_code == 0


def test_verify_repair_rebuilds_a_damaged_index(run_cli: Run, tmp_store: Path) -> None:
    archived(run_cli, tmp_store, V1)
    damage(tmp_store / "index.sqlite")
    repaired = run_cli("verify", "--repair", "--store", tmp_store)
    assert repaired.exit_code == 0, repaired.output + repaired.stderr
    assert query(run_cli, tmp_store) == [SET + ".1"]


# --- a deleted index ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["query"], ["query", "--client", CLIENT], ["archive", str(OPEN)]],
    ids=["query", "query-client", "archive"],
)
def test_a_deleted_index_is_not_taken_for_an_empty_archive(
    run_cli: Run, tmp_store: Path, command: list[str]
) -> None:
    archived(run_cli, tmp_store, V1)
    (tmp_store / "index.sqlite").unlink()
    result = run_cli(*command, "--store", tmp_store)
    assert result.exit_code == 3, result.output
    assert "kanta-archive reindex" in result.stderr
    assert result.stdout == ""


def test_after_reindex_a_deleted_index_answers_again(run_cli: Run, tmp_store: Path) -> None:
    archived(run_cli, tmp_store, V1)
    (tmp_store / "index.sqlite").unlink()
    assert run_cli("reindex", "--store", tmp_store).exit_code == 0
    assert query(run_cli, tmp_store, "--client", CLIENT) == [SET + ".1"]


def test_an_empty_store_answers_no_documents_without_an_error(
    run_cli: Run, tmp_store: Path
) -> None:
    from kanta_archive.store import Store

    Store.open(tmp_store, create=True)
    assert query(run_cli, tmp_store) == []


def test_an_index_in_another_database_is_refused_until_it_is_built(
    run_cli: Run, tmp_store: Path, tmp_path: Path
) -> None:
    archived(run_cli, tmp_store, V1)
    other = f"sqlite://{tmp_path}/elsewhere.sqlite"
    refused = run_cli("query", "--store", tmp_store, "--index", other)
    assert refused.exit_code == 3 and "reindex" in refused.stderr
    assert run_cli("reindex", "--store", tmp_store, "--index", other).exit_code == 0
    assert query(run_cli, tmp_store, "--index", other) == [SET + ".1"]


# --- one unreadable object ------------------------------------------------------------------


def break_inventory(store: Path, set_oid: str) -> None:
    inventory_of(store, set_oid).write_text("{not json", encoding="utf-8")


def change_manifest_digest(store: Path, set_oid: str) -> None:
    path = inventory_of(store, set_oid)
    inventory = json.loads(path.read_bytes())
    # the digest of a metadata.json, the file reindex reads (which digest comes first in
    # the manifest depends on the documents' bytes)
    digest = next(
        d
        for d, paths in inventory["manifest"].items()
        if any(p.endswith("/metadata.json") for p in paths)
    )
    inventory["manifest"]["0" * len(digest)] = inventory["manifest"].pop(digest)
    for state in (v["state"] for v in inventory["versions"].values()):
        if digest in state:
            state["0" * len(digest)] = state.pop(digest)
    path.write_text(json.dumps(inventory), encoding="utf-8")


@pytest.mark.parametrize("breakage", [break_inventory, change_manifest_digest])
def test_reindex_indexes_what_it_can_read_and_names_the_rest(
    run_cli: Run, tmp_store: Path, breakage: Callable[[Path, str], None]
) -> None:
    archived(run_cli, tmp_store, V1, V2, OPEN)
    breakage(tmp_store, SET)
    result = run_cli("reindex", "--store", tmp_store)
    assert result.exit_code == 3, result.output
    assert SET in result.stderr and "Traceback" not in result.output
    # the other set is indexed; the unreadable one keeps the rows the index had for it
    assert sorted(query(run_cli, tmp_store)) == [OPEN_SET + ".1", SET + ".2"]


def test_reindex_of_an_unreadable_object_never_in_the_index_still_indexes_the_rest(
    run_cli: Run, tmp_store: Path
) -> None:
    archived(run_cli, tmp_store, V1, OPEN)
    (tmp_store / "index.sqlite").unlink()
    break_inventory(tmp_store, SET)
    result = run_cli("reindex", "--store", tmp_store)
    assert result.exit_code == 3 and SET in result.stderr
    assert query(run_cli, tmp_store) == [OPEN_SET + ".1"]


def break_beyond_repair(store: Path, set_oid: str) -> None:
    """The root inventory and every version's copy damaged: nothing to restore it from."""
    root = inventory_of(store, set_oid)
    for inventory in [root, *root.parent.glob("v*/inventory.json")]:
        inventory.write_text("{not json", encoding="utf-8")


def test_verify_repair_with_an_unreadable_object_keeps_the_index(
    run_cli: Run, tmp_store: Path
) -> None:
    archived(run_cli, tmp_store, V1, OPEN)
    break_beyond_repair(tmp_store, SET)
    result = run_cli("verify", "--repair", "--store", tmp_store)
    assert result.exit_code == 1 and SET in result.stdout, result.output + result.stderr
    assert sorted(query(run_cli, tmp_store)) == [OPEN_SET + ".1", SET + ".1"]


# --- a crash between the store and the index ------------------------------------------------


def forget(store: Path, *document_oids: str) -> None:
    """What a crash after the store commit and before the index commit leaves behind."""
    conn = sqlite3.connect(store / "index.sqlite")
    try:
        for oid in document_oids:
            conn.execute("DELETE FROM documents WHERE document_oid = ?", (oid,))
        conn.commit()
    finally:
        conn.close()


def test_a_document_found_unchanged_after_a_crash_is_indexed_again(
    run_cli: Run, tmp_store: Path
) -> None:
    archived(run_cli, tmp_store, V1, OPEN)
    forget(tmp_store, SET + ".1", OPEN_SET + ".1")
    rerun = run_cli("archive", V1, OPEN, "--store", tmp_store, "--format", "json")
    assert rerun.exit_code == 0
    assert json.loads(rerun.stdout)["unchanged"] == 2
    assert sorted(query(run_cli, tmp_store, "--client", CLIENT)) == [OPEN_SET + ".1", SET + ".1"]


def test_re_archiving_a_stored_version_indexes_what_the_store_holds_now(
    run_cli: Run, tmp_store: Path
) -> None:
    archived(run_cli, tmp_store, V1)
    invalidated = run_cli(
        "invalidate", SET + ".1", "--reason", "wrong client", "--store", tmp_store
    )
    assert invalidated.exit_code == 0, invalidated.output
    forget(tmp_store, SET + ".1")
    assert run_cli("archive", V1, "--store", tmp_store).exit_code == 0
    assert query(run_cli, tmp_store) == []  # still invalidated, as the store says
    assert query(run_cli, tmp_store, "--status", "invalidated") == [SET + ".1"]


# --- a read-only store ----------------------------------------------------------------------


def without_write_access(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as root without the capabilities that bypass file permissions:
    what a user who may read the store but not write it gets."""
    command = [
        "setpriv",
        "--bounding-set",
        "-dac_override,-dac_read_search,-fowner",
        "--",
        sys.executable,
        "-m",
        "kanta_archive.cli.main",
        *args,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def read_only_store(run_cli: Run, tmp_path: Path) -> Any:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("the read-only store test drops root's capabilities with setpriv")
    store = tmp_path / "archive"
    archived(run_cli, store, V1, OPEN)
    for path in [store, *store.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    yield store
    for path in [store, *store.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


@pytest.mark.parametrize(
    "command",
    [
        ["query", "--format", "json"],
        ["show", SET],
        ["history", SET],
        ["verify"],
        ["verify", "--full"],
    ],
    ids=lambda c: "-".join(c[:2]),
)
def test_a_read_only_store_can_be_read(read_only_store: Path, command: list[str]) -> None:
    result = without_write_access(*command, "--store", str(read_only_store))
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr


def test_a_read_only_store_can_be_exported(read_only_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "exported"
    target.mkdir()
    result = without_write_access(
        "export", SET, "--to", str(target), "--store", str(read_only_store)
    )
    assert result.returncode == 0, result.stderr
    assert (target / "inventory.json").is_file()
