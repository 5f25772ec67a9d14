"""The OCFL store on real files, validated with ocfl-py as an independent validator."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import ocfl
import pytest
from ocfl.layout_0003_hash_and_id_n_tuple import _id_to_path
from ocfl.validator import Validator

from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.store import CommitRequest, Store
from kanta_archive.store.layout import layout_path, locator_key, lock_key

CTRL = "1.2.246.10.1234567.10"
CTRL2 = "1.2.246.10.7654321.10"
OBJ = "1.2.246.10.1234567.22.2024.1"
ACTOR = "1.2.246.10.1234567.30.1"
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def files(n: int = 1) -> dict[str, bytes]:
    return {"document.json": b'{"doc": %d}' % n, "metadata.json": b'{"meta": %d}' % n}


def commit(store: Store, head: int, content: dict[str, bytes], obj: str = OBJ, **kw: str) -> int:
    controller = kw.pop("controller", CTRL)
    return store.commit(
        controller,
        obj,
        content,
        expected_head=head,
        message=f"version {head + 1}",
        user_name="Tester",
        user_address=ACTOR,
        created=WHEN,
    )


def tree(path: Path) -> dict[str, bytes | None]:
    """Every file (with bytes) and directory under ``path`` except lock files."""
    result: dict[str, bytes | None] = {}
    for dirpath, dirs, names in os.walk(path):
        for d in dirs:
            result[os.path.relpath(os.path.join(dirpath, d), path)] = None
        for n in names:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, path)
            if not rel.startswith(".locks"):
                result[rel] = Path(full).read_bytes()
    return result


def object_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("0=ocfl_object_1.1"))


def assert_ocfl_valid(store_path: Path) -> None:
    """Every storage root with objects is valid for ocfl-py, and so is each object."""
    checked = 0
    for root in sorted((store_path / "controllers").iterdir()):
        objects = object_dirs(root)
        if not objects:
            continue
        s = ocfl.StorageRoot(root=str(root))
        s.validate(validate_objects=True, check_digests=True)
        assert s.num_objects > 0, root
        assert s.good_objects == s.num_objects, s.errors
        assert not s.errors, s.errors
        assert s.num_objects == len(objects)
        for objdir in objects:
            v = Validator(log_warnings=True)
            assert v.validate_object(str(objdir)), v.status_str()
            errors = [code for code in v.log.codes if code.startswith("E")]
            assert not errors, v.status_str()
            checked += 1
    assert checked > 0


def validator_codes(objdir: Path) -> set[str]:
    v = Validator(log_warnings=True)
    v.validate_object(str(objdir))
    return set(v.log.codes)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store", create=True)


# ---------------------------------------------------------------- opening


def test_open_creates_marker_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "new"
    Store.open(path, create=True)
    marker = json.loads((path / "kanta-archive-store.json").read_text())
    assert marker["type"] == "kanta-archive-store" and marker["version"] == 2
    assert Store.open(path).path == path
    assert Store.open(path, create=True).path == path  # create on an existing store opens it


def test_open_empty_dir_with_create(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    Store.open(tmp_path / "empty", create=True)
    assert (tmp_path / "empty" / "kanta-archive-store.json").is_file()


@pytest.mark.parametrize("create", [False, True])
def test_open_non_store_dir_fails(tmp_path: Path, create: bool) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "file.txt").write_text("x")
    with pytest.raises(StoreError, match="is not a kanta-archive store"):
        Store.open(tmp_path / "other", create=create)
    assert sorted(os.listdir(tmp_path / "other")) == ["file.txt"]


def test_open_missing_dir_without_create_fails(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a kanta-archive store"):
        Store.open(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_open_bad_marker_fails(tmp_path: Path) -> None:
    (tmp_path / "kanta-archive-store.json").write_text('{"type": "something-else"}')
    with pytest.raises(StoreError, match="is not a kanta-archive store"):
        Store.open(tmp_path)


# ---------------------------------------------------------------- round trip


def test_round_trip(store: Store) -> None:
    assert store.head(CTRL, OBJ) == 0
    assert commit(store, 0, files(1)) == 1
    assert store.head(CTRL, OBJ) == 1
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'
    assert store.read(CTRL, OBJ, "metadata.json", version=1) == b'{"meta": 1}'
    inventory = store.inventory(CTRL, OBJ)
    assert inventory["id"] == f"urn:oid:{OBJ}"
    assert inventory["digestAlgorithm"] == "sha512"
    assert inventory["head"] == "v1"
    v1 = inventory["versions"]["v1"]
    assert v1["created"] == "2024-05-06T07:08:09Z"
    assert v1["user"] == {"name": "Tester", "address": f"urn:oid:{ACTOR}"}
    assert v1["message"] == "version 1"
    [info] = store.versions(CTRL, OBJ)
    assert info.number == 1 and info.created == WHEN
    assert info.paths == ("document.json", "metadata.json")
    assert info.user_address == f"urn:oid:{ACTOR}"
    assert list(store.iter_objects()) == [(CTRL, OBJ)]
    assert store.find_object(OBJ) == CTRL
    assert store.find_object("1.2.3") is None
    objdir = store.path / "controllers" / CTRL / Path(*layout_path(f"urn:oid:{OBJ}"))
    for name in ("inventory.json", "inventory.json.sha512"):
        assert (objdir / name).read_bytes() == (objdir / "v1" / name).read_bytes()
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_storage_root_files(store: Store) -> None:
    commit(store, 0, files())
    root = store.path / "controllers" / CTRL
    assert (root / "0=ocfl_1.1").read_text() == "ocfl_1.1\n"
    layout = json.loads((root / "ocfl_layout.json").read_text())
    assert layout["extension"] == "0003-hash-and-id-n-tuple-storage-layout"
    config = json.loads(
        (root / "extensions/0003-hash-and-id-n-tuple-storage-layout/config.json").read_text()
    )
    assert config == {
        "extensionName": "0003-hash-and-id-n-tuple-storage-layout",
        "digestAlgorithm": "sha256",
        "tupleSize": 3,
        "numberOfTuples": 3,
    }
    # ocfl-py computes the same object path from the layout configuration
    s = ocfl.StorageRoot(root=str(root))
    assert (root / s.object_path(f"urn:oid:{OBJ}") / "0=ocfl_object_1.1").is_file()


@pytest.mark.parametrize(
    "identifier",
    [
        "urn:oid:1.2.3",
        "urn:oid:" + ".".join(["1234567"] * 30),
        "object-01",
        "..hor/rib:le-$id",
        "".join(chr(c) for c in range(32, 127)),  # every printable ASCII character
        "urn:oid:1.2 äö€\U0001f600/x",  # non-ASCII: percent-encoded UTF-8 bytes
        "é" * 60,  # encoded name longer than 100 characters
    ],
)
def test_layout_path_matches_extension_0003(identifier: str) -> None:
    assert os.path.join(*layout_path(identifier)) == _id_to_path(identifier, "sha256", 3, 3)


def test_layout_spec_examples() -> None:
    # examples from the text of extension 0003
    assert layout_path("object-01") == ("3c0", "ff4", "240", "object-01")
    assert layout_path("..hor/rib:le-$id") == ("487", "326", "d8c", "%2e%2ehor%2frib%3ale-%24id")


def test_second_version_is_deduplicated(store: Store) -> None:
    commit(store, 0, files(1))
    changed = {"document.json": b'{"doc": 1}', "metadata.json": b'{"meta": 2}'}
    assert commit(store, 1, changed) == 2
    inventory = store.inventory(CTRL, OBJ)
    paths = sorted(p for ps in inventory["manifest"].values() for p in ps)
    assert paths == [
        "v1/content/document.json",
        "v1/content/metadata.json",
        "v2/content/metadata.json",
    ]
    objdir = store.path / "controllers" / CTRL / Path(*layout_path(f"urn:oid:{OBJ}"))
    assert sorted(os.listdir(objdir / "v2" / "content")) == ["metadata.json"]
    assert store.read(CTRL, OBJ, "document.json", 2) == b'{"doc": 1}'
    assert store.read(CTRL, OBJ, "metadata.json", 1) == b'{"meta": 1}'
    assert store.read(CTRL, OBJ, "metadata.json") == b'{"meta": 2}'
    # a version with nothing new has no content directory at all (OCFL W003)
    assert commit(store, 2, changed) == 3
    assert sorted(os.listdir(objdir / "v3")) == ["inventory.json", "inventory.json.sha512"]
    # a version may drop a file; the old versions keep it
    assert commit(store, 3, {"document.json": b"other", "sub/extra.txt": b'{"doc": 1}'}) == 4
    assert store.versions(CTRL, OBJ)[-1].paths == ("document.json", "sub/extra.txt")
    assert store.read(CTRL, OBJ, "sub/extra.txt") == b'{"doc": 1}'
    with pytest.raises(UsageError):
        store.read(CTRL, OBJ, "metadata.json")
    assert store.read(CTRL, OBJ, "metadata.json", 3) == b'{"meta": 2}'
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_wrong_expected_head_conflicts_and_writes_nothing(store: Store) -> None:
    commit(store, 0, files(1))
    before = tree(store.path)
    for wrong in (0, 2, 5):
        with pytest.raises(ConflictError, match="v1"):
            commit(store, wrong, files(9))
    with pytest.raises(ConflictError):
        commit(store, 1, files(9), obj="1.2.3.4")  # does not exist yet: head is 0
    assert tree(store.path) == before
    assert store.head(CTRL, OBJ) == 1


def test_read_errors(store: Store) -> None:
    commit(store, 0, files(1))
    with pytest.raises(UsageError):
        store.read(CTRL, OBJ, "nope.json")
    with pytest.raises(UsageError):
        store.read(CTRL, OBJ, "document.json", version=2)
    with pytest.raises(UsageError):
        store.read(CTRL, "1.2.3", "document.json")
    with pytest.raises(UsageError):
        store.inventory(CTRL, "1.2.3")


BAD_IDS = [
    "../x",
    "/etc",
    "1.2/../3",
    "",
    "١.٢",  # Arabic-Indic digits
    "1.2\x00",
    "1.2\n",
    "01.2",
    "1..2",
    "1.2.",
    ".1.2",
    " 1.2",
    "1.2/3",
    "1" * 257,
    "1.2.x",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_are_refused(store: Store, bad: str) -> None:
    before = tree(store.path)
    with pytest.raises(UsageError):
        store.commit(bad, OBJ, files(), expected_head=0, message="m", user_name="u")
    with pytest.raises(UsageError):
        store.commit(CTRL, bad, files(), expected_head=0, message="m", user_name="u")
    with pytest.raises(UsageError):
        store.head(bad, OBJ)
    with pytest.raises(UsageError):
        store.read(CTRL, bad, "document.json")
    with pytest.raises(UsageError):
        store.find_object(bad)
    with pytest.raises(UsageError):
        store.move_object(OBJ, CTRL, bad)
    assert tree(store.path) == before


@pytest.mark.parametrize(
    "path",
    ["../x", "/abs", "a/../b", "", ".hidden", "a//b", "a/", "a\x00b", "a\\b", "./a", "ä.json"],
)
def test_bad_logical_paths_are_refused(store: Store, path: str) -> None:
    with pytest.raises(UsageError):
        store.commit(CTRL, OBJ, {path: b"x"}, expected_head=0, message="m", user_name="u")
    assert store.head(CTRL, OBJ) == 0
    assert not any(store.path.joinpath("controllers").iterdir())


def test_conflicting_logical_paths_are_refused(store: Store) -> None:
    with pytest.raises(UsageError):
        store.commit(CTRL, OBJ, {"a": b"1", "a/b": b"2"}, expected_head=0, message="", user_name="")


def test_other_bad_arguments(store: Store) -> None:
    with pytest.raises(UsageError):  # naive datetime
        store.commit(
            CTRL, OBJ, files(), expected_head=0, message="", user_name="", created=datetime.now()
        )
    with pytest.raises(UsageError):
        store.commit(CTRL, OBJ, {"a": "text"}, expected_head=0, message="", user_name="")  # type: ignore[dict-item]
    with pytest.raises(UsageError):
        store.commit(CTRL, OBJ, files(), expected_head=-1, message="", user_name="")
    with pytest.raises(UsageError):
        store.commit(
            CTRL, OBJ, files(), expected_head=0, message="", user_name="", user_address="bad addr"
        )
    assert store.head(CTRL, OBJ) == 0


# ---------------------------------------------------------------- verify and recover


def objdir_of(store: Store, controller: str = CTRL, obj: str = OBJ) -> Path:
    return store.path / "controllers" / controller / Path(*layout_path(f"urn:oid:{obj}"))


def codes(store: Store, full: bool = True) -> set[str]:
    return {p.code for p in store.verify(full=full)}


def put_back_root(objdir: Path, version: str, *names: str) -> None:
    """Make the root's ``names`` copies of ``version``'s (the state a crash leaves), the way
    the store changes them: a new file renamed over the old one. Writing in place would
    also change the head version's files: the root inventory is a hard link to them."""
    for name in names:
        tmp = objdir.parent / f"{name}.tmp"
        tmp.write_bytes((objdir / version / name).read_bytes())
        os.replace(tmp, objdir / name)


def test_verify_reports_tampered_file(store: Store) -> None:
    commit(store, 0, files(1))
    target = objdir_of(store) / "v1" / "content" / "document.json"
    target.write_bytes(b'{"doc": 666}')
    assert codes(store, full=False) == {"content-digest"}  # plain verify checks digests
    problems = store.verify(full=True)
    assert [p.code for p in problems] == ["content-digest"]
    assert problems[0].object == f"{CTRL}/{OBJ}" and problems[0].severity == "error"
    assert problems[0].path.endswith("v1/content/document.json")
    with pytest.raises(StoreError, match=OBJ):
        store.read(CTRL, OBJ, "document.json")
    assert "E092a" in validator_codes(objdir_of(store))
    target.unlink()
    assert codes(store, full=False) == {"content-missing"}
    with pytest.raises(StoreError, match="missing"):
        store.read(CTRL, OBJ, "document.json")


def test_verify_and_recover_uncommitted_version(store: Store) -> None:
    """Crash after renaming v2 into place, before the root inventory was replaced."""
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    objdir = objdir_of(store)
    put_back_root(objdir, "v1", "inventory.json", "inventory.json.sha512")
    assert store.head(CTRL, OBJ) == 1
    assert "uncommitted-version" in codes(store)
    assert "E046b" in validator_codes(objdir)
    actions = store.recover()
    assert any("rolled forward" in a and a.endswith("v2") for a in actions), actions
    assert store.head(CTRL, OBJ) == 2
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 2}'
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_recover_removes_half_written_version(store: Store) -> None:
    commit(store, 0, files(1))
    objdir = objdir_of(store)
    (objdir / "v2" / "content").mkdir(parents=True)
    (objdir / "v2" / "content" / "document.json").write_bytes(b"half")
    assert "uncommitted-version" in codes(store)
    actions = store.recover()
    assert any("removed incomplete" in a for a in actions), actions
    assert not (objdir / "v2").exists()
    assert store.verify(full=True) == []
    assert store.head(CTRL, OBJ) == 1
    assert_ocfl_valid(store.path)


def test_recover_removes_version_whose_inventory_does_not_check_out(store: Store) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    objdir = objdir_of(store)
    put_back_root(objdir, "v1", "inventory.json", "inventory.json.sha512")
    (objdir / "v2" / "content" / "document.json").write_bytes(b"torn")
    store.recover()
    assert store.head(CTRL, OBJ) == 1 and not (objdir / "v2").exists()
    assert commit(store, 1, files(3)) == 2  # the next commit can reuse v2
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_recover_rewrites_stale_sidecar(store: Store) -> None:
    """Crash after the root inventory was replaced, before the sidecar was."""
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    objdir = objdir_of(store)
    put_back_root(objdir, "v1", "inventory.json.sha512")
    assert "sidecar" in codes(store)
    assert "E060" in validator_codes(objdir)
    assert any("sidecar" in a for a in store.recover())
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_leftover_staging_is_reported_and_removed(store: Store) -> None:
    commit(store, 0, files(1))
    leftover = store.path / ".staging" / f"{lock_key(CTRL, OBJ)}.0123456789abcdef"
    (leftover / "v2" / "content").mkdir(parents=True)
    (leftover / "v2" / "content" / "document.json").write_bytes(b"partial")
    problems = store.verify()
    assert [(p.code, p.severity) for p in problems] == [("staging-leftover", "warning")]
    assert any(".staging" in a for a in store.recover())
    assert not leftover.exists()
    assert store.verify(full=True) == []


def test_commit_recovers_its_object_first(store: Store) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    objdir = objdir_of(store)
    put_back_root(objdir, "v1", "inventory.json", "inventory.json.sha512")
    leftover = store.path / ".staging" / f"{lock_key(CTRL, OBJ)}.feedfacefeedface"
    leftover.mkdir()
    # the interrupted v2 is rolled forward, so head is 2 for the next writer
    with pytest.raises(ConflictError):
        commit(store, 1, files(3))
    assert not leftover.exists()
    assert commit(store, 2, files(3)) == 3
    assert store.verify(full=True) == []


# ---------------------------------------------------------------- moving


def test_move_object_keeps_history(store: Store) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    other = "1.2.246.10.1234567.22.2024.2"
    commit(store, 0, files(7), obj=other)
    before = store.versions(CTRL, OBJ)
    inventory = store.inventory(CTRL, OBJ)
    store.move_object(OBJ, CTRL, CTRL2)
    assert store.find_object(OBJ) == CTRL2
    assert store.head(CTRL, OBJ) == 0
    assert store.versions(CTRL2, OBJ) == before
    assert store.inventory(CTRL2, OBJ) == inventory
    assert store.read(CTRL2, OBJ, "document.json", 1) == b'{"doc": 1}'
    assert sorted(store.iter_objects()) == sorted([(CTRL, other), (CTRL2, OBJ)])
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)
    # the moved object keeps growing in its new home
    assert commit(store, 2, files(3), controller=CTRL2) == 3
    # refuse to overwrite: put another copy back in CTRL, then try to move onto it
    commit(store, 0, files(5))
    with pytest.raises(ConflictError):
        store.move_object(OBJ, CTRL, CTRL2)
    assert store.head(CTRL2, OBJ) == 3 and store.head(CTRL, OBJ) == 1
    with pytest.raises(UsageError):
        store.move_object("1.2.999", CTRL, CTRL2)
    with pytest.raises(UsageError):
        store.move_object(OBJ, CTRL, CTRL)


def test_move_leaves_no_empty_directories(store: Store) -> None:
    commit(store, 0, files(1))
    store.move_object(OBJ, CTRL, CTRL2)
    root = store.path / "controllers" / CTRL
    assert sorted(os.listdir(root)) == ["0=ocfl_1.1", "extensions", "ocfl_layout.json"]
    assert store.verify() == []


# ---------------------------------------------------------------- batches


def request(obj: str, head: int = 0, n: int = 1, controller: str = CTRL) -> CommitRequest:
    return CommitRequest(controller, obj, files(n), head, "batch", "Tester", ACTOR, WHEN)


def test_commit_many(store: Store) -> None:
    commit(store, 0, files(1))
    requests = [request(f"1.2.246.99.{i}", controller=(CTRL, CTRL2)[i % 2]) for i in range(40)]
    requests.append(request(OBJ, head=1, n=2))
    assert store.commit_many(requests) == [1] * 40 + [2]
    assert store.read(CTRL2, "1.2.246.99.1", "metadata.json") == b'{"meta": 1}'
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 2}'
    assert len(list(store.iter_objects())) == 41
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_commit_many_recovers_its_objects_only(store: Store) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    objdir = objdir_of(store)
    put_back_root(objdir, "v1", "inventory.json", "inventory.json.sha512")  # crash before root
    staging = store.path / ".staging"
    mine = staging / f"{lock_key(CTRL, OBJ)}.feedfacefeedface"
    other = staging / f"{lock_key(CTRL, '1.2.246.99.77')}.feedfacefeedface"  # not in the batch
    for leftover in (mine, other):
        (leftover / "v9").mkdir(parents=True)
    with pytest.raises(ConflictError):  # v2 is rolled forward first: head is 2, not 1
        store.commit_many([request("1.2.246.99.1"), request(OBJ, head=1, n=3)])
    assert not mine.exists() and other.exists()
    assert store.commit_many([request("1.2.246.99.1"), request(OBJ, head=2, n=3)]) == [1, 3]
    assert store.read(CTRL, OBJ, "document.json", 2) == b'{"doc": 2}'
    assert other.exists()
    store.recover()
    assert not other.exists()
    assert store.verify(full=True) == []


def test_commit_many_conflict_writes_nothing(store: Store) -> None:
    commit(store, 0, files(1))
    before = tree(store.path)
    with pytest.raises(ConflictError, match=OBJ):
        store.commit_many([request("1.2.246.99.1"), request(OBJ, head=0)])
    with pytest.raises(UsageError):
        store.commit_many([request("1.2.246.99.1"), request("1.2.246.99.1")])
    assert tree(store.path) == before
    assert store.commit_many([]) == []


# ---------------------------------------------------------------- hard links and syncs


def test_root_inventory_is_a_copy_not_a_link(store: Store) -> None:
    commit(store, 0, files(1))
    store.commit_many([request("1.2.246.99.1")])
    for objdir in (objdir_of(store), objdir_of(store, obj="1.2.246.99.1")):
        for name in ("inventory.json", "inventory.json.sha512"):
            assert (objdir / name).read_bytes() == (objdir / "v1" / name).read_bytes()
            assert not os.path.samefile(objdir / name, objdir / "v1" / name)
            assert os.stat(objdir / name).st_nlink == 1
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def flip_byte(path: Path, offset: int = 40) -> None:
    """Change one byte in place (as a failing disk or an editor would)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_in_root_inventory_leaves_the_version_copy_to_repair_from(
    store: Store,
) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    objdir = objdir_of(store)
    flip_byte(objdir / "inventory.json")
    assert (objdir / "v2" / "inventory.json").read_bytes() != (
        objdir / "inventory.json"
    ).read_bytes()
    assert "sidecar" in codes(store)
    assert any("restored the root inventory" in a for a in store.recover())
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 2}'
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_flipped_byte_in_head_version_inventory_is_restored_from_the_root(
    store: Store,
) -> None:
    commit(store, 0, files(1))
    objdir = objdir_of(store)
    flip_byte(objdir / "v1" / "inventory.json")
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'
    assert "version-inventory" in codes(store)
    assert any("restored" in a and "v1/inventory.json" in a for a in store.recover())
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_changed_manifest_digest_is_a_problem_not_a_crash(store: Store) -> None:
    """The state names a digest the manifest no longer has (issue 15: KeyError in show)."""
    commit(store, 0, files(1))
    objdir = objdir_of(store)
    inventory = json.loads((objdir / "inventory.json").read_bytes())
    digest = next(iter(inventory["manifest"]))
    inventory["manifest"]["0" * 128] = inventory["manifest"].pop(digest)
    put_back = json.dumps(inventory).encode()
    for where in (objdir, objdir / "v1"):
        (where / "inventory.json").write_bytes(put_back)
    with pytest.raises(StoreError, match="not in the manifest"):
        for name in ("document.json", "metadata.json"):
            store.read(CTRL, OBJ, name)
    assert "inventory" in codes(store)


@pytest.mark.parametrize("batch", [False, True])
def test_later_version_leaves_earlier_inventories_unchanged(store: Store, batch: bool) -> None:
    commit(store, 0, files(1))
    objdir = objdir_of(store)
    names = ("inventory.json", "inventory.json.sha512")
    v1 = {name: (objdir / "v1" / name).read_bytes() for name in names}
    for head in (1, 2):
        if batch:
            store.commit_many([request(OBJ, head=head, n=head + 1)])
        else:
            commit(store, head, files(head + 1))
    for name in names:
        assert (objdir / "v1" / name).read_bytes() == v1[name]
        assert os.stat(objdir / "v1" / name).st_nlink == 1
        assert os.stat(objdir / "v2" / name).st_nlink == 1
        assert (objdir / name).read_bytes() == (objdir / "v3" / name).read_bytes()
        assert not os.path.samefile(objdir / name, objdir / "v3" / name)
    assert json.loads((objdir / "v1" / "inventory.json").read_bytes())["head"] == "v1"
    assert json.loads((objdir / "v2" / "inventory.json").read_bytes())["head"] == "v2"
    assert store.head(CTRL, OBJ) == 3
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_without_hard_links_the_inventories_are_written(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(*_args: object, **_kwargs: object) -> None:
        raise OSError(1, "Operation not permitted")  # e.g. a filesystem without hard links

    monkeypatch.setattr(os, "link", no_link)
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    store.commit_many([request("1.2.246.99.1"), request(OBJ, head=2, n=3)])
    for objdir, head in ((objdir_of(store), 3), (objdir_of(store, obj="1.2.246.99.1"), 1)):
        for name in ("inventory.json", "inventory.json.sha512"):
            assert (objdir / name).read_bytes() == (objdir / f"v{head}" / name).read_bytes()
            assert not os.path.samefile(objdir / name, objdir / f"v{head}" / name)
            assert os.stat(objdir / name).st_nlink == 1
    assert store.read(CTRL, OBJ, "document.json", 2) == b'{"doc": 2}'
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


def test_batch_syncs_the_filesystem_between_the_steps(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch makes its renames durable with syncfs(2), not one fsync per directory, and
    still in order: version directories, then root inventories, then sidecars."""
    import kanta_archive.store.local_commit as ocfl_module

    commit(store, 0, files(1))
    events: list[str] = []
    real_rename, real_replace, real_syncfs = os.rename, os.replace, ocfl_module.syncfs

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append(f"rename {Path(dst).name}")
        real_rename(src, dst)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append(f"replace {Path(dst).name}")
        real_replace(src, dst)

    def syncfs(path: Path) -> bool:
        events.append("syncfs")
        return real_syncfs(path)

    def fsync_path(path: str | os.PathLike[str]) -> None:
        events.append(f"fsync {Path(path).name}")

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(ocfl_module, "syncfs", syncfs)
    monkeypatch.setattr(ocfl_module, "fsync_path", fsync_path)
    store.commit_many([request("1.2.246.99.1"), request(OBJ, head=1, n=2)])
    new_dir = objdir_of(store, obj="1.2.246.99.1").name
    assert events == [
        "syncfs",  # the staged files and directories
        f"rename {new_dir}",
        "rename v2",
        "syncfs",  # the new object and v2 are in place
        "replace inventory.json",
        "syncfs",
        "replace inventory.json.sha512",
        "syncfs",
    ]
    monkeypatch.setattr(ocfl_module, "syncfs", real_syncfs)
    monkeypatch.setattr(ocfl_module, "fsync_path", ocfl_module.fsync_path)
    assert store.verify(full=True) == []


def test_batch_without_syncfs_fsyncs_each_directory(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kanta_archive.store.local_commit as ocfl_module

    commit(store, 0, files(1))
    synced: list[Path] = []
    real_fsync = ocfl_module.fsync_path

    def fsync_path(path: str | os.PathLike[str]) -> None:
        synced.append(Path(path))
        real_fsync(path)

    monkeypatch.setattr(ocfl_module, "syncfs", lambda _path: False)
    monkeypatch.setattr(ocfl_module, "fsync_path", fsync_path)
    store.commit_many([request("1.2.246.99.1"), request(OBJ, head=1, n=2)])
    new_obj = objdir_of(store, obj="1.2.246.99.1")
    objdir = objdir_of(store)
    assert new_obj.parent in synced  # the new object's entry
    assert objdir in synced  # v2's entry, then the root inventory and the sidecar
    assert synced.count(objdir) == 3
    staged = [p for p in synced if ".staging" in p.parts]
    assert sum(p.name == "document.json" for p in staged) == 2  # each staged file
    assert store.verify(full=True) == []
    assert_ocfl_valid(store.path)


# ---------------------------------------------------------------- locators


def test_new_object_gets_a_locator_that_is_a_link(store: Store) -> None:
    commit(store, 0, files(1))
    store.commit_many([request("1.2.246.99.1", controller=CTRL2)])
    for controller, obj in ((CTRL, OBJ), (CTRL2, "1.2.246.99.1")):
        locator = store.path / locator_key(obj, controller)
        assert locator.is_file()
        assert os.path.samefile(locator, objdir_of(store, controller, obj) / "0=ocfl_object_1.1")
    assert store.verify(full=True) == []


def test_find_object_does_not_probe_every_root(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    controllers = [f"1.2.246.10.{n}.10" for n in range(60)]
    store.commit_many([request(f"1.2.246.99.{n}", controller=c) for n, c in enumerate(controllers)])
    checks: list[str] = []
    real = store.storage.is_file

    def is_file(key: str) -> bool:
        checks.append(key)
        return real(key)

    monkeypatch.setattr(store.storage, "is_file", is_file)
    assert store.find_object("1.2.246.99.37") == controllers[37]
    assert len(checks) == 1
    checks.clear()
    assert store.find_object("1.2.246.99.999") is None
    assert checks == []


def test_move_moves_the_locator(store: Store) -> None:
    commit(store, 0, files(1))
    store.move_object(OBJ, CTRL, CTRL2)
    assert not (store.path / locator_key(OBJ, CTRL)).exists()
    assert (store.path / locator_key(OBJ, CTRL2)).is_file()
    assert store.find_object(OBJ) == CTRL2
    assert store.verify(full=True) == []


def test_stale_locator_is_reported_and_removed(store: Store) -> None:
    """A commit cut short after staging its locator, before the object's rename."""
    commit(store, 0, files(1))
    stale = store.path / locator_key("1.2.246.99.5", CTRL)
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"")
    assert store.find_object("1.2.246.99.5") is None
    assert [(p.code, p.severity) for p in store.verify()] == [("locator-stale", "warning")]
    assert any("stale locator" in a for a in store.recover())
    assert not stale.exists()
    assert store.verify(full=True) == []


def test_missing_locator_is_an_error_that_recover_fixes(store: Store) -> None:
    commit(store, 0, files(1))
    (store.path / locator_key(OBJ, CTRL)).unlink()
    assert store.find_object(OBJ) is None  # a version-2 store trusts its locators
    assert [p.code for p in store.verify()] == ["locator-missing"]
    assert any("added locator" in a for a in store.recover())
    assert store.find_object(OBJ) == CTRL
    assert store.verify(full=True) == []


def test_version_1_store_is_probed_then_upgraded_by_recover(tmp_path: Path) -> None:
    path = tmp_path / "old"
    store = Store.open(path, create=True)
    commit(store, 0, files(1))
    shutil.rmtree(path / "sets")  # as written before locators existed
    marker = json.loads((path / "kanta-archive-store.json").read_text())
    (path / "kanta-archive-store.json").write_text(json.dumps({**marker, "version": 1}))
    old = Store.open(path)
    assert old.marker_version == 1
    assert old.find_object(OBJ) == CTRL  # probed
    assert old.verify(full=True) == []  # missing locators are no error before the upgrade
    actions = old.recover()
    assert any("added locator" in a for a in actions) and any("version 2" in a for a in actions)
    assert json.loads((path / "kanta-archive-store.json").read_text())["version"] == 2
    assert Store.open(path).find_object(OBJ) == CTRL
    assert Store.open(path).verify(full=True) == []


def test_a_local_storage_root_without_its_declaration_is_reported_not_rewritten(
    store: Store,
) -> None:
    """A local root appears whole by one rename, so a missing declaration was removed by
    someone: recover names it and leaves the root as it is; verify keeps reporting it."""
    commit(store, 0, files(1))
    declaration = Path(store.location) / "controllers" / CTRL / "0=ocfl_1.1"
    declaration.unlink()
    assert any("cannot repair the storage root" in a for a in store.recover())
    assert not declaration.exists()
    assert "root-declaration" in {p.code for p in store.verify()}
