"""rocfl-style ls, cat and diff of a document set's OCFL object."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID = SAMPLES / "valid"
V1 = VALID / "client-record-entry.json"
V2 = VALID / "client-record-entry-v2.json"
SET = "1.2.246.10.91000013.11.2001"
COUNTY = "1.2.246.10.91000013"
CITY = "1.2.246.10.91000021"
ND_DOC = VALID / "customership-non-disclosure.json"
ND_OID = json.loads(ND_DOC.read_text(encoding="utf-8"))["metadata"]["document_oid"]

Run = Callable[..., Result]


@pytest.fixture
def store(run_cli: Run, tmp_store: Path) -> Path:
    assert run_cli("archive", V1, V2, "--store", tmp_store).exit_code == 0
    assert run_cli("invalidate", SET + ".2", "--reason", "wrong client",
                   "--store", tmp_store).exit_code == 0  # fmt: skip
    return tmp_store


def _ls(run_cli: Run, store: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli("ls", SET, "--store", store, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    files: list[dict[str, object]] = json.loads(result.stdout)["files"]
    return files


def test_ls_lists_the_files_of_a_version_with_digests(run_cli: Run, store: Path) -> None:
    head = {f["path"]: f for f in _ls(run_cli, store)}
    assert set(head) == {"document.json", "metadata.json"}
    assert head["document.json"]["since"] == "v2" and head["metadata.json"]["since"] == "v3"
    assert head["document.json"]["digest"] == hashlib.sha512(V2.read_bytes()).hexdigest()
    assert head["document.json"]["size"] == len(V2.read_bytes())
    first = {f["path"]: f for f in _ls(run_cli, store, "--at", "v1")}
    assert first["document.json"]["digest"] == hashlib.sha512(V1.read_bytes()).hexdigest()


def test_cat_prints_a_file_of_a_version_byte_for_byte(run_cli: Run, store: Path) -> None:
    assert run_cli("cat", SET, "document.json", "--at", "1", "--store", store).stdout_bytes == (
        V1.read_bytes()
    )
    metadata = json.loads(run_cli("cat", SET, "metadata.json", "--store", store).stdout)
    assert metadata["status"] == "invalidated"


def test_diff_names_the_changed_files_and_metadata_keys(run_cli: Run, store: Path) -> None:
    text = run_cli("diff", SET, "v2", "v3", "--store", store).stdout
    assert "Modified  metadata.json" in text and "status: active -> invalidated" in text
    assert "document.json" not in text
    everything = json.loads(run_cli("diff", SET, "v1", "--store", store, "--format", "json").stdout)
    assert {c["path"]: c["change"] for c in everything} == {
        "document.json": "modified",
        "metadata.json": "modified",
    }


@pytest.mark.parametrize(
    "args",
    [
        ("ls", SET, "--at", "v9"),
        ("cat", SET, "nope.json"),
        ("diff", SET, "v0"),
        ("ls", SET, "--at", "x"),
    ],
)
def test_a_missing_version_or_file_is_a_usage_error(
    run_cli: Run, store: Path, args: tuple[str, ...]
) -> None:
    result = run_cli(*args, "--store", store)
    assert result.exit_code == 2, result.output


def test_with_a_registry_cat_of_protected_bytes_needs_reveal(run_cli: Run, tmp_store: Path) -> None:
    assert run_cli("orgs", "import", SAMPLES / "orgs.csv", "--store", tmp_store).exit_code == 0
    assert run_cli("archive", ND_DOC, "--store", tmp_store, "--as", COUNTY).exit_code == 0
    set_oid = ND_OID.rsplit(".", 1)[0]
    before = (tmp_store / "audit.log").read_bytes()
    refused = run_cli("cat", set_oid, "document.json", "--store", tmp_store, "--as", COUNTY)
    assert refused.exit_code == 1 and "non-disclosure-unmasked-output" in refused.stderr
    other = run_cli("ls", set_oid, "--store", tmp_store, "--as", CITY)
    assert other.exit_code == 1 and "access-read-own-register" in other.stderr
    assert (tmp_store / "audit.log").read_bytes() == before
    assert run_cli("cat", set_oid, "metadata.json", "--store", tmp_store,
                   "--as", COUNTY).exit_code == 0  # fmt: skip
    revealed = run_cli("cat", set_oid, "document.json", "--store", tmp_store, "--as", COUNTY,
                       "--reveal", "--reason", "court order")  # fmt: skip
    assert revealed.stdout_bytes == ND_DOC.read_bytes()
