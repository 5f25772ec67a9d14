"""The store when the disk says no: a full disk, a read-only mount, no permission, and the
leftovers of dead writers (issue 15). Mounts need root: those tests make a small tmpfs
themselves and are skipped, with the reason, when that is not possible."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ocfl_store import CTRL, OBJ, assert_ocfl_valid, commit, files, tree

from kanta_archive.errors import StoreError
from kanta_archive.store import CommitRequest, Store
from kanta_archive.store.layout import lock_key
from kanta_archive.store.locking import exclusive_lock


def _mount(target: Path, options: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        check=True,
        capture_output=True,
        timeout=30,
    )


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs of this test's own (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    target = tmp_path / "mnt"
    target.mkdir()
    try:
        _mount(target, "size=512k,mode=0755")
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False, timeout=30)


def test_full_disk_is_a_store_error_and_stores_nothing_half(small_tmpfs: Path) -> None:
    store = Store.open(small_tmpfs / "store", create=True)
    acknowledged = []
    error = None
    for n in range(400):
        obj = f"1.2.246.99.{n}"
        content = {"document.json": os.urandom(6000), "metadata.json": b"{}"}
        try:
            if n % 2:
                store.commit(CTRL, obj, content, expected_head=0, message="m", user_name="u")
            else:
                store.commit_many([CommitRequest(CTRL, obj, content, 0, "m", "u")])
        except StoreError as exc:
            error = exc
            break
        acknowledged.append((obj, content))
    assert error is not None, "the tmpfs never filled up"
    assert "ENOSPC" in str(error) and "No space left" in str(error)
    assert acknowledged
    for obj, content in acknowledged:
        assert store.read(CTRL, obj, "document.json") == content["document.json"]
    assert os.listdir(small_tmpfs / "store" / ".staging") == []  # no half-staged work
    assert store.verify() == []
    assert_ocfl_valid(small_tmpfs / "store")


def test_read_only_mount_is_readable(small_tmpfs: Path) -> None:
    path = small_tmpfs / "store"
    store = Store.open(path, create=True)
    commit(store, 0, files(1))
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True, timeout=30)
    before = tree(path)
    readonly = Store.open(path)  # noticed, not asked for
    assert readonly.storage.readonly
    assert readonly.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'
    assert readonly.find_object(OBJ) == CTRL
    assert readonly.verify(full=True) == []
    with pytest.raises(StoreError, match="read-only"):
        commit(readonly, 1, files(2))
    with pytest.raises(StoreError, match="read-only"):
        readonly.recover()
    assert tree(path) == before


def test_read_only_open_never_writes(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store", create=True)
    commit(store, 0, files(1))
    leftover = tmp_path / "store" / ".staging" / f"{lock_key(CTRL, OBJ)}.0123456789abcdef"
    leftover.mkdir()
    before = tree(tmp_path / "store")
    readonly = Store.open(tmp_path / "store", readonly=True)
    assert readonly.read(CTRL, OBJ, "metadata.json") == b'{"meta": 1}'
    with pytest.raises(StoreError, match="read-only"):
        commit(readonly, 1, files(2))
    with pytest.raises(StoreError, match="read-only"):
        readonly.move_object(OBJ, CTRL, "1.2.3")
    assert tree(tmp_path / "store") == before


@pytest.mark.parametrize(
    "error", [PermissionError(13, "Permission denied"), OSError(30, "Read-only file system")]
)
def test_refused_write_while_staging_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError
) -> None:
    import kanta_archive.store.local_commit as local_commit

    store = Store.open(tmp_path / "store", create=True)
    commit(store, 0, files(1))
    before = tree(tmp_path / "store")
    real = local_commit.write_file
    calls = {"n": 0}

    def write_file(path: str, data: bytes, *, sync: bool) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # a few files into the workspace
            raise error
        real(path, data, sync=sync)

    monkeypatch.setattr(local_commit, "write_file", write_file)
    with pytest.raises(StoreError, match="cannot commit") as raised:
        commit(store, 1, files(2))
    assert (error.strerror or "") in str(raised.value)
    monkeypatch.undo()
    assert tree(tmp_path / "store") == before
    assert store.head(CTRL, OBJ) == 1


def test_leftovers_of_dead_writers_are_swept_at_open(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store", create=True)
    commit(store, 0, files(1))
    staging = tmp_path / "store" / ".staging"
    dead = staging / f"{lock_key(CTRL, '1.2.246.99.7')}.0123456789abcdef"
    (dead / "v1" / "content").mkdir(parents=True)
    (dead / "v1" / "content" / "document.json").write_bytes(b"partial")
    live = staging / f"{lock_key(CTRL, OBJ)}.fedcba9876543210"
    live.mkdir()
    # A live writer holds its object's lock while its workspace exists.
    lock = store.storage.lock_file(lock_key(CTRL, OBJ))  # type: ignore[attr-defined]
    with exclusive_lock(lock):
        Store.open(tmp_path / "store")
        assert not dead.exists()
        assert live.exists()
    Store.open(tmp_path / "store")
    assert not live.exists()
    assert store.verify(full=True) == []
