"""The archive commands end to end through the CLI (click's CliRunner via ``run_cli``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"

Run = Callable[..., Result]

V1 = VALID / "client-record-entry.json"
V2 = VALID / "client-record-entry-v2.json"
SET = "1.2.246.10.91000013.11.2001"
DOC1 = SET + ".1"
DOC2 = SET + ".2"
COUNTY = "1.2.246.10.91000013"
OTHER = "1.2.246.10.91000021"
NEW = "1.2.246.10.91000099"
SAMPLES = sorted(p for p in VALID.iterdir() if p.suffix in (".json", ".xhtml"))


def _meta(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        meta: dict[str, Any] = json.loads(path.read_bytes())["metadata"]
        return meta
    from kanta_archive.formats.read import read_path

    document = read_path(path).document
    assert document is not None
    return dict(document.metadata_raw)


def _variant(tmp_path: Path, name: str, **changes: Any) -> Path:
    """A copy of the v2 sample with metadata fields changed (``None`` removes a field)."""
    data = json.loads(V2.read_bytes())
    for key, value in changes.items():
        if value is None:
            data["metadata"].pop(key, None)
        else:
            data["metadata"][key] = value
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _query(run: Run, store: Path, *args: str) -> list[dict[str, Any]]:
    result = run("query", "--store", store, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    documents: list[dict[str, Any]] = json.loads(result.stdout)["documents"]
    return documents


def _ocfl_head(store: Path, controller: str, set_oid: str) -> int:
    from kanta_archive.store import Store

    return Store.open(store).head(controller, set_oid)


def _assert_storage_roots_valid(store: Path) -> None:
    """Every storage root validates (ocfl-notes.md); a root emptied by a controller
    transfer holds no objects, but the store as a whole must."""
    import ocfl

    roots = sorted(p for p in (store / "controllers").iterdir() if p.is_dir())
    total = 0
    for root in roots:
        storage_root = ocfl.StorageRoot(root=str(root))
        storage_root.validate(validate_objects=True, check_digests=True)
        assert storage_root.good_objects == storage_root.num_objects, root
        assert not storage_root.errors, (root, storage_root.errors)
        total += storage_root.num_objects
    assert total > 0


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_archive_query_show_round_trip(run_cli: Run, tmp_store: Path, sample: Path) -> None:
    meta = _meta(sample)
    inputs = [V1, sample] if meta["version"] == 2 and sample.suffix == ".json" else [sample]
    if meta["version"] == 2 and sample.suffix == ".xhtml":
        inputs = [VALID / "client-record-entry.xhtml", sample]
    result = run_cli("archive", *inputs, "--store", tmp_store)
    assert result.exit_code == 0, result.output
    client = meta["clients"][0].get("hetu") or meta["clients"][0]["temporary_id"]
    found = _query(run_cli, tmp_store, "--client", client, "--patient-data", "include")
    assert meta["document_oid"] in [d["document_oid"] for d in found]
    raw = run_cli("show", meta["document_oid"], "--raw", "--store", tmp_store)
    assert raw.exit_code == 0, raw.output
    assert raw.stdout_bytes == sample.read_bytes()
    shown = run_cli("show", meta["document_oid"], "--metadata", "--store", tmp_store)
    assert json.loads(shown.stdout)["document_oid"] == meta["document_oid"]
    content = run_cli("show", meta["document_oid"], "--content", "--store", tmp_store)
    assert content.exit_code == 0 and json.loads(content.stdout)


def test_versions_rules(run_cli: Run, tmp_store: Path, tmp_path: Path) -> None:
    refused = run_cli("archive", V2, "--store", tmp_store)
    assert refused.exit_code == 1 and "first version must be 1" in refused.stdout
    assert run_cli("archive", V1, "--store", tmp_store).exit_code == 0
    v3 = _variant(
        tmp_path, "v3.json", version=3, document_oid=SET + ".3", previous_version_oid=DOC2
    )
    skipped = run_cli("archive", v3, "--store", tmp_store)
    assert skipped.exit_code == 1 and "next version must be 2, not 3" in skipped.stdout
    wrong = _variant(tmp_path, "wrong.json", previous_version_oid=SET + ".7")
    result = run_cli("archive", wrong, "--store", tmp_store)
    assert result.exit_code == 1 and "does not name the stored version" in result.stdout
    assert run_cli("archive", V2, "--store", tmp_store).exit_code == 0
    head = _ocfl_head(tmp_store, COUNTY, SET)
    again = run_cli("archive", V1, V2, "--store", tmp_store)
    assert again.exit_code == 0 and again.stdout.count("unchanged") == 3  # 2 lines + summary
    assert _ocfl_head(tmp_store, COUNTY, SET) == head == 2
    history = run_cli("history", SET, "--store", tmp_store)
    assert DOC1 in history.stdout and DOC2 in history.stdout


def test_invalid_document_stops_the_batch(run_cli: Run, tmp_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"metadata": {"version": "x"}, "content": {}}', encoding="utf-8")
    result = run_cli("archive", V1, bad, "--store", tmp_store)
    assert result.exit_code == 1
    assert "bad.json" in result.stdout and "0 stored" in result.stdout
    assert not tmp_store.exists()  # a refused first batch leaves no store skeleton
    partial = run_cli("archive", V1, bad, "--partial", "--store", tmp_store)
    assert partial.exit_code == 1 and "1 stored" in partial.stdout
    assert [d["document_oid"] for d in _query(run_cli, tmp_store)] == [DOC1]


def test_invalidate(run_cli: Run, tmp_store: Path) -> None:
    assert run_cli("archive", V1, V2, "--store", tmp_store).exit_code == 0
    result = run_cli("invalidate", DOC2, "--reason", "wrong client", "--store", tmp_store)
    assert result.exit_code == 0, result.output
    assert _query(run_cli, tmp_store, "--client", "150612A904S") == []
    shown = _query(run_cli, tmp_store, "--client", "150612A904S", "--include-invalidated")
    assert [(d["document_oid"], d["status"]) for d in shown] == [(DOC2, "invalidated")]
    raw = run_cli("show", DOC2, "--raw", "--store", tmp_store)
    assert raw.stdout_bytes == V2.read_bytes()
    history = run_cli("history", SET, "--store", tmp_store, "--format", "json")
    entries = json.loads(history.stdout)
    assert [e["document_oid"] for e in entries] == [DOC1, DOC2, DOC2]
    assert entries[-1]["event"] == "invalidated" and entries[-1]["reason"] == "wrong client"
    again = run_cli("invalidate", DOC2, "--reason", "twice", "--store", tmp_store)
    assert again.exit_code == 1 and "already invalidated" in again.stderr


def test_transfer_controller(run_cli: Run, tmp_store: Path) -> None:
    inputs = [p for p in SAMPLES if p.suffix == ".json"]
    result = run_cli("archive", *inputs, "--partial", "--store", tmp_store)
    before = _query(run_cli, tmp_store, "--controller", OTHER, "--patient-data", "include")
    moved = [d["set_oid"] for d in before]
    assert moved, result.output
    out = run_cli(
        "transfer-controller", "--from", OTHER, "--to", NEW, "--reason", "county merger",
        "--store", tmp_store,
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert _query(run_cli, tmp_store, "--controller", OTHER) == []
    after = _query(run_cli, tmp_store, "--controller", NEW)
    assert sorted(d["set_oid"] for d in after) == sorted(d["set_oid"] for d in before)
    assert not (tmp_store / "controllers" / OTHER).exists() or not any(
        (tmp_store / "controllers" / OTHER).glob("*/*/*/*/inventory.json")
    )
    history = json.loads(
        run_cli("history", moved[0], "--store", tmp_store, "--format", "json").stdout
    )
    last = history[-1]
    assert last["event"] == "controller-transferred" and last["reason"] == "county merger"
    assert last["changes"]["controller"]["from"]["oid"] == OTHER and last["time"]
    text = run_cli("history", moved[0], "--store", tmp_store).stdout
    assert f"from {OTHER}" in text and "county merger" in text
    rerun = run_cli(
        "transfer-controller", "--from", OTHER, "--to", NEW, "--reason", "county merger",
        "--store", tmp_store,
    )  # fmt: skip
    assert rerun.exit_code == 0 and "transferred 0" in rerun.stdout
    assert run_cli("verify", "--full", "--store", tmp_store).exit_code == 0
    _assert_storage_roots_valid(tmp_store)


def test_verify_tamper_and_reindex(run_cli: Run, tmp_store: Path) -> None:
    assert run_cli("archive", V1, V2, "--store", tmp_store).exit_code == 0
    clean = run_cli("verify", "--store", tmp_store)
    assert clean.exit_code == 0, clean.output
    index = tmp_store / "index.sqlite"
    index.unlink()
    missing = run_cli("verify", "--store", tmp_store)
    assert missing.exit_code == 1 and "index-missing" in missing.stdout and SET in missing.stdout
    assert run_cli("reindex", "--store", tmp_store).exit_code == 0
    assert [d["document_oid"] for d in _query(run_cli, tmp_store)] == [DOC2]
    assert run_cli("verify", "--store", tmp_store).exit_code == 0
    content = next((tmp_store / "controllers").rglob("v1/content/document.json"))
    content.write_bytes(content.read_bytes().replace(b"Liisa", b"Leena"))
    tampered = run_cli("verify", "--full", "--store", tmp_store)
    assert (
        tampered.exit_code == 1 and SET in tampered.stdout and "content-digest" in tampered.stdout
    )
    show = run_cli("show", DOC1, "--raw", "--store", tmp_store)
    assert show.exit_code == 3 and SET in show.stderr


def test_missing_content_and_corrupt_inventory(run_cli: Run, tmp_store: Path) -> None:
    assert run_cli("archive", V1, "--store", tmp_store).exit_code == 0
    content = next((tmp_store / "controllers").rglob("v1/content/document.json"))
    content.unlink()
    show = run_cli("show", DOC1, "--raw", "--store", tmp_store)
    assert show.exit_code == 3 and "missing" in show.stderr and SET in show.stderr
    verify = run_cli("verify", "--store", tmp_store)
    assert verify.exit_code == 1 and "content-missing" in verify.stdout
    inventory = content.parents[2] / "inventory.json"
    inventory.write_text("{not json", encoding="utf-8")
    bad = run_cli("verify", "--store", tmp_store)
    assert bad.exit_code == 1 and "inventory" in bad.stdout
    assert inventory.read_text(encoding="utf-8") == "{not json"  # nothing further damaged


def test_export_validates_as_ocfl_object(run_cli: Run, tmp_store: Path, tmp_path: Path) -> None:
    from ocfl.validator import Validator

    assert run_cli("archive", V1, V2, "--store", tmp_store).exit_code == 0
    target = tmp_path / "export"
    result = run_cli("export", SET, "--to", target, "--store", tmp_store)
    assert result.exit_code == 0, result.output
    assert Validator().validate_object(str(target))
    inventory = json.loads((target / "inventory.json").read_bytes())
    assert sorted(inventory["versions"]) == ["v1", "v2"]
    again = run_cli("export", SET, "--to", target, "--store", tmp_store)
    assert again.exit_code == 2


@pytest.mark.parametrize(
    "oid", ["../etc", "/etc/passwd", "1.2.246/../../x", "1.2.246..1", "1.2.ä", "01.2", ""]
)
def test_path_tricks_exit_2(run_cli: Run, tmp_store: Path, oid: str) -> None:
    for args in (
        ("show", oid),
        ("history", oid),
        ("invalidate", oid, "--reason", "x"),
        ("export", oid, "--to", str(tmp_store / "x")),
        ("transfer-controller", "--from", oid, "--to", COUNTY, "--reason", "x"),
    ):
        result = run_cli(*args, "--store", tmp_store)
        assert result.exit_code == 2, (args, result.output)
    assert not tmp_store.exists()


def test_unknown_oid_exit_2(run_cli: Run, tmp_store: Path) -> None:
    assert run_cli("archive", V1, "--store", tmp_store).exit_code == 0
    for command in ("show", "history"):
        result = run_cli(command, "1.2.3.4", "--store", tmp_store)
        assert result.exit_code == 2 and "1.2.3.4" in result.stderr
    result = run_cli("invalidate", "1.2.3.4", "--reason", "x", "--store", tmp_store)
    assert result.exit_code == 2


def test_not_a_store_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "something.txt").write_text("hello", encoding="utf-8")
    for args in (("query",), ("verify",), ("reindex",), ("show", DOC1), ("archive", str(V1))):
        result = run_cli(*args, "--store", tmp_path)
        assert result.exit_code == 2, (args, result.output)
        assert "not a kanta-archive store" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["something.txt"]


def test_store_from_environment(run_cli: Run, tmp_store: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("KANTA_ARCHIVE_STORE", str(tmp_store))
    assert run_cli("archive", V1).exit_code == 0
    assert [d["document_oid"] for d in _query(run_cli, tmp_store)] == [DOC1]
    table = run_cli("query", "--format", "text")
    assert DOC1 in table.stdout and "effective_time" in table.stdout
    csv_out = run_cli("query", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("document_oid,") and DOC1 in csv_out


def test_every_command_has_an_example(run_cli: Run) -> None:
    for command in (
        "archive", "query", "show", "history", "invalidate", "transfer-controller", "verify",
        "reindex", "export",
    ):  # fmt: skip
        result = run_cli(command, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout, command


def test_store_validates_with_ocfl_py_after_everything(
    run_cli: Run, tmp_store: Path, tmp_path: Path
) -> None:
    assert run_cli("archive", V1, V2, "--store", tmp_store).exit_code == 0
    others = [p for p in SAMPLES if p.suffix == ".json" and p not in (V1, V2)]
    run_cli("archive", *others, "--partial", "--store", tmp_store)
    run_cli("invalidate", DOC2, "--reason", "wrong client", "--store", tmp_store)
    run_cli(
        "transfer-controller", "--from", COUNTY, "--to", NEW, "--reason", "merger",
        "--store", tmp_store,
    )  # fmt: skip
    run_cli("reindex", "--store", tmp_store)
    run_cli("export", SET, "--to", tmp_path / "x", "--store", tmp_store)
    assert run_cli("verify", "--full", "--store", tmp_store).exit_code == 0
    _assert_storage_roots_valid(tmp_store)
    shutil.rmtree(tmp_path / "x")
