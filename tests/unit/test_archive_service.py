"""The archive service (library API): ingest rules, invalidation, transfer, fixity, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kanta_archive.archive import Archive
from kanta_archive.errors import RefusedError, StoreError, UsageError
from kanta_archive.formats.read import read_bytes
from kanta_archive.index import Query
from kanta_archive.model import Document

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
V1 = VALID / "client-record-entry.json"
V2 = VALID / "client-record-entry-v2.json"
SET = "1.2.246.10.91000013.11.2001"
COUNTY = "1.2.246.10.91000013"
OTHER = "1.2.246.10.91000021"
NEW = "1.2.246.10.91000099"


@pytest.fixture(scope="module")
def validator() -> Any:
    from kanta_archive.validate import Validator

    return Validator()


@pytest.fixture
def archive(tmp_store: Path, validator: Any) -> Iterator[Archive]:
    with Archive.open(tmp_store, create=True, validator=validator) as arch:
        yield arch


def variant(base: Path = V2, **changes: Any) -> Document:
    data = json.loads(base.read_bytes())
    data["metadata"].update(changes)
    document = read_bytes(json.dumps(data, ensure_ascii=False).encode(), "variant.json").document
    assert document is not None
    return document


def test_ingest_v1_v2_in_one_batch_any_order(archive: Archive) -> None:
    report = archive.ingest([V2, V1])
    assert [(i.status, i.version) for i in report.items] == [("stored", 2), ("stored", 1)]
    assert archive.store.head(COUNTY, SET) == 2
    rows = archive.index.versions(SET)
    assert [(r.version, r.is_head) for r in rows] == [(1, False), (2, True)]


def test_version_rules(archive: Archive) -> None:
    first = archive.ingest([V2])
    assert first.items[0].status == "refused" and "first version must be 1" in str(
        first.items[0].reason
    )
    assert archive.store.find_object(SET) is None
    archive.ingest([V1])
    skip = archive.ingest([variant(version=3, document_oid=SET + ".3")])
    assert skip.items[0].status == "refused" and "must be 2, not 3" in str(skip.items[0].reason)
    wrong = archive.ingest([variant(previous_version_oid=SET + ".9")])
    assert wrong.items[0].status == "refused"
    assert "previous_version_oid" in str(wrong.items[0].reason)
    other = archive.ingest([variant(controller={"oid": OTHER, "type": _public()})])
    assert other.items[0].status == "refused"
    assert archive.store.head(COUNTY, SET) == 1


def _public() -> dict[str, str]:
    return {"system": "urn:oid:1.2.246.537.5.40172", "code": "1", "display": "Julkinen"}


def test_identical_and_other_form_are_unchanged(archive: Archive) -> None:
    archive.ingest([V1])
    again = archive.ingest([V1, VALID / "client-record-entry.xhtml"])
    assert [i.status for i in again.items] == ["unchanged", "unchanged"]
    assert archive.store.head(COUNTY, SET) == 1
    changed = archive.ingest([variant(V1, title="Toinen otsikko")])
    assert changed.items[0].status == "refused"
    assert "already stored with different content" in str(changed.items[0].reason)


def test_invalid_batch_stores_nothing_unless_partial(archive: Archive, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"metadata": {}, "content": {}}')
    report = archive.ingest([V1, bad])
    assert [i.status for i in report.items] == ["refused", "refused"]
    assert report.invalid and report.invalid[0].source == str(bad)
    assert archive.store.find_object(SET) is None
    partial = archive.ingest([V1, bad], partial=True)
    assert [i.status for i in partial.items] == ["stored", "refused"] and not partial.ok


def test_invalidate_show_history(archive: Archive) -> None:
    archive.ingest([V1, V2], actor="tester")
    with pytest.raises(RefusedError):
        archive.invalidate(SET + ".1", "older version")
    shown = archive.invalidate(SET + ".2", "wrong client", actor="archivist")
    assert shown.metadata["status"] == "invalidated" and shown.raw == V2.read_bytes()
    assert shown.metadata["invalidation"]["actor"] == "archivist"
    assert archive.query(Query(client="150612A904S")).total == 0
    assert archive.query(Query(client="150612A904S", include_invalidated=True)).total == 1
    old = archive.show(SET, version=1)
    assert old.raw == V1.read_bytes() and old.metadata["status"] == "active"
    history = archive.history(SET)
    assert [(h.event, h.actor) for h in history] == [
        ("stored", "tester"),
        ("stored", "tester"),
        ("invalidated", "archivist"),
    ]
    refused = archive.ingest([variant(version=3, document_oid=SET + ".3")])
    assert "invalidated" in str(refused.items[0].reason)


def test_transfer_is_resumable(archive: Archive) -> None:
    samples = [VALID / "client-record-entry-temporary-id.json", V1, V2]
    archive.ingest(samples)
    sets = [s for c, s in archive.store.iter_objects() if c == OTHER]
    assert sets
    # Simulate an interrupted run: the new version is written but the object not moved.
    from kanta_archive.archive import metadata_file as mf

    head = archive.store.head(OTHER, sets[0])
    meta = json.loads(archive.store.read(OTHER, sets[0], "metadata.json"))
    new = mf.transferred(
        meta, to=NEW, reason="county merger", time="2025-01-01T00:00:00Z", actor="x"
    )
    raw = archive.store.read(OTHER, sets[0], "document.json")
    archive.store.commit(
        OTHER,
        sets[0],
        {"document.json": raw, "metadata.json": mf.dump(new)},
        expected_head=head,
        message="interrupted",
        user_name="x",
    )
    report = archive.transfer_controller(OTHER, NEW, "county merger")
    assert set(report.moved) == set(sets) and report.resumed == (sets[0],)
    assert archive.store.head(NEW, sets[0]) == head + 1  # nothing written twice
    assert archive.query(Query(controller_oid=OTHER)).total == 0
    assert archive.query(Query(controller_oid=NEW)).total == len(sets)
    assert archive.verify(full=True).ok
    with pytest.raises(UsageError):
        archive.transfer_controller(NEW, NEW, "same")


def test_verify_reindex_and_export(archive: Archive, tmp_path: Path) -> None:
    from ocfl.validator import Validator

    archive.ingest([V1, V2])
    assert archive.verify().ok
    archive.index.clear()
    report = archive.verify()
    assert [p.code for p in report.problems] == ["index-missing"]
    assert archive.reindex() == 2
    assert archive.verify().ok and archive.query(Query(client="150612A904S")).total == 1
    target = archive.export(SET, tmp_path / "out")
    assert Validator().validate_object(str(target))
    with pytest.raises(UsageError):
        archive.export("1.2.3", tmp_path / "none")
    content = next(target.rglob("v2/content/document.json"))
    original = next((archive.store.path / "controllers").rglob("v2/content/document.json"))
    original.write_bytes(b"tampered")
    problems = archive.verify(full=True).problems
    assert any(p.code == "content-digest" and SET in str(p.object) for p in problems)
    with pytest.raises(StoreError, match=SET):
        archive.show(SET)
    assert content.read_bytes() == V2.read_bytes()


def test_bad_identifiers_and_unknown(archive: Archive) -> None:
    for oid in ("../x", "/etc", "1..2", "1.2.x"):
        with pytest.raises(UsageError):
            archive.show(oid)
    with pytest.raises(UsageError, match="no document"):
        archive.history("1.2.3.4")


def test_a_directory_that_is_not_a_store_is_the_callers_mistake(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a kanta-archive store"):
        Archive.open(tmp_path)
    with pytest.raises(UsageError):
        Archive.open(tmp_path, create=True)
    with pytest.raises(UsageError):
        Archive.open(tmp_path / "missing")


def test_a_store_with_a_damaged_marker_is_broken(tmp_store: Path) -> None:
    Archive.open(tmp_store, create=True).close()
    (tmp_store / "kanta-archive-store.json").write_text("{", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        Archive.open(tmp_store)
    assert not isinstance(caught.value, UsageError)


@pytest.mark.parametrize("url", ["mysql://localhost/x", "index.sqlite", "file:///x"])
def test_an_unknown_index_url_is_the_callers_mistake(tmp_store: Path, url: str) -> None:
    with pytest.raises(UsageError, match="index URL"):
        Archive.open(tmp_store, url, create=True)


class _Died(BaseException):
    """The writer's process ends here (as by SIGKILL: no clean-up runs)."""


def test_a_first_ingest_that_dies_between_store_and_index_leaves_an_archive_to_go_on_with(
    tmp_store: Path, validator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index part is made before the first document reaches the store: the next
    # writer (or this one restarted) must not take the stored document for a lost index.
    with Archive.open(tmp_store, create=True, validator=validator) as arch:
        index_type = type(arch.index)

        def die(*_args: Any, **_kwargs: Any) -> None:
            raise _Died

        with monkeypatch.context() as patch:
            patch.setattr(index_type, "add_many", die)
            patch.setattr(index_type, "add", die)
            with pytest.raises(_Died):
                arch.ingest([V1])
        assert arch.store.head(COUNTY, SET) == 1  # stored, never indexed
    with Archive.open(tmp_store, validator=validator) as again:
        report = again.ingest([V2])
        assert [i.status for i in report.items] == ["stored"]
