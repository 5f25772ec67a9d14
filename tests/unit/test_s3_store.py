"""The S3 backend against a real S3 API server (moto's server mode on a local port).

Nothing in boto3 is mocked: the store sends HTTP requests to the server started by the
``s3_server`` fixture. Crashes are injected by stopping a commit at a chosen request (the
request before which the writer "dies" is never sent). ocfl-py checks a local copy of the
bucket, byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from test_ocfl_store import ACTOR, CTRL, CTRL2, OBJ, WHEN, assert_ocfl_valid, commit, files

from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.store import CommitRequest, Store
from kanta_archive.store.inventory import new_version
from kanta_archive.store.layout import layout_path, locator_key, lock_key
from kanta_archive.store.s3 import S3Storage, parse_url
from kanta_archive.store.storage import StagedVersion


def s3(store: Store) -> S3Storage:
    assert isinstance(store.storage, S3Storage)
    return store.storage


def keys(store: Store) -> dict[str, bytes]:
    """Every key of the store (relative to its prefix) with its bytes."""
    storage = s3(store)
    return {rel: storage.read(rel) or b"" for rel, _ in storage.bucket.all_keys("")}


def download(store: Store, target: Path) -> Path:
    """A local copy of the store's keys, for ocfl-py."""
    for rel, data in keys(store).items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return target


def objkey(controller: str = CTRL, obj: str = OBJ) -> str:
    return "/".join(("controllers", controller, *layout_path(f"urn:oid:{obj}")))


@pytest.fixture
def store(s3_url: str) -> Store:
    return Store.open(s3_url, create=True)


class Crash(Exception):
    """The injected end of a writer."""


def heal(store: Store) -> None:
    """The writer is gone; the next one (this process again) has the real methods."""
    for name in ("put", "call"):
        s3(store).bucket.__dict__.pop(name, None)


def crash_before(store: Store, key_end: str, nth: int = 1) -> None:
    """Let the writer die just before its ``nth`` PUT of a key ending in ``key_end``."""
    storage = s3(store)
    real_put = storage.bucket.put
    seen = {"n": 0}

    def put(key: str, data: bytes, **conditions: str) -> str:
        if key.endswith(key_end):
            seen["n"] += 1
            if seen["n"] == nth:
                raise Crash(key)
        return real_put(key, data, **conditions)

    storage.bucket.put = put  # type: ignore[method-assign]


# ---------------------------------------------------------------- the server


def test_server_honours_conditional_puts(s3_server: Any) -> None:
    """The commit protocol needs If-None-Match: * and If-Match on PutObject (and
    If-Match on DeleteObject for moves): the test server must refuse with 412."""
    client = s3_server.client()
    bucket = s3_server.new_bucket()
    first = client.put_object(Bucket=bucket, Key="k", Body=b"1", IfNoneMatch="*")
    with pytest.raises(botocore.exceptions.ClientError, match="PreconditionFailed"):
        client.put_object(Bucket=bucket, Key="k", Body=b"2", IfNoneMatch="*")
    second = client.put_object(Bucket=bucket, Key="k", Body=b"3", IfMatch=first["ETag"])
    with pytest.raises(botocore.exceptions.ClientError, match="PreconditionFailed"):
        client.put_object(Bucket=bucket, Key="k", Body=b"4", IfMatch=first["ETag"])
    with pytest.raises(botocore.exceptions.ClientError, match="PreconditionFailed"):
        client.delete_object(Bucket=bucket, Key="k", IfMatch=first["ETag"])
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"3"
    client.delete_object(Bucket=bucket, Key="k", IfMatch=second["ETag"])


# ---------------------------------------------------------------- opening


@pytest.mark.parametrize(
    "url", ["s3://", "s3:///x", "http://bucket/x", "s3://bucket/a//b", "s3://bucket/../x"]
)
def test_bad_store_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        parse_url(url)


def test_open_and_reopen(s3_url: str) -> None:
    with pytest.raises(StoreError, match="is not a kanta-archive store"):
        Store.open(s3_url)
    store = Store.open(s3_url, create=True)
    assert store.location == s3_url
    assert Store.open(s3_url).location == s3_url
    with pytest.raises(StoreError, match="not a local directory"):
        _ = store.path


def test_open_prefix_with_other_keys_fails(s3_url: str, s3_server: Any) -> None:
    bucket, prefix = parse_url(s3_url)
    s3_server.client().put_object(Bucket=bucket, Key=f"{prefix}/other.txt", Body=b"x")
    with pytest.raises(StoreError, match="is not a kanta-archive store"):
        Store.open(s3_url, create=True)


def test_missing_bucket_is_a_store_error(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(StoreError, match="no-such-bucket"):
        Store.open("s3://no-such-bucket/x")


# ---------------------------------------------------------------- round trip


def test_round_trip_and_ocfl_validity(store: Store, tmp_path: Path) -> None:
    assert store.head(CTRL, OBJ) == 0
    assert commit(store, 0, files(1)) == 1
    changed = {"document.json": b'{"doc": 1}', "metadata.json": b'{"meta": 2}'}
    assert commit(store, 1, changed) == 2
    assert store.read(CTRL, OBJ, "metadata.json", 1) == b'{"meta": 1}'
    assert store.read(CTRL, OBJ, "metadata.json") == b'{"meta": 2}'
    inventory = store.inventory(CTRL, OBJ)
    assert sorted(p for ps in inventory["manifest"].values() for p in ps) == [
        "v1/content/document.json",
        "v1/content/metadata.json",
        "v2/content/metadata.json",
    ]
    assert [v.number for v in store.versions(CTRL, OBJ)] == [1, 2]
    assert list(store.iter_objects()) == [(CTRL, OBJ)]
    assert store.find_object(OBJ) == CTRL
    assert store.find_object("1.2.3") is None
    stored = keys(store)
    root = objkey()
    assert stored[f"{root}/inventory.json"] == stored[f"{root}/v2/inventory.json"]
    assert store.verify(full=True) == []
    assert_ocfl_valid(download(store, tmp_path / "copy"))


def test_commit_many_on_s3(store: Store, tmp_path: Path) -> None:
    commit(store, 0, files(1))
    requests = [
        CommitRequest((CTRL, CTRL2)[i % 2], f"1.2.246.99.{i}", files(i), 0, "b", "T", ACTOR, WHEN)
        for i in range(12)
    ]
    requests.append(CommitRequest(CTRL, OBJ, files(2), 1, "b", "T", ACTOR, WHEN))
    assert store.commit_many(requests) == [1] * 12 + [2]
    assert len(list(store.iter_objects())) == 13
    assert store.verify(full=True) == []
    assert_ocfl_valid(download(store, tmp_path / "copy"))


def test_wrong_expected_head_conflicts_and_writes_nothing(store: Store) -> None:
    commit(store, 0, files(1))
    before = keys(store)
    for wrong in (0, 2):
        with pytest.raises(ConflictError, match="v1"):
            commit(store, wrong, files(9))
    assert keys(store) == before


def test_read_only_store_refuses_writes(store: Store, s3_url: str) -> None:
    commit(store, 0, files(1))
    readonly = Store.open(s3_url, readonly=True)
    assert readonly.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'
    with pytest.raises(StoreError, match="read-only"):
        commit(readonly, 1, files(2))
    assert store.head(CTRL, OBJ) == 1


# ---------------------------------------------------------------- racing writers


def staged(store: Store, content: dict[str, bytes], head: int) -> StagedVersion:
    """What a writer that read head ``head`` would place (built, not yet written)."""
    found = s3(store).read_versioned(f"{objkey()}/inventory.json")
    current = None
    token = None
    if head:
        assert found is not None
        import json

        current, token = json.loads(found[0]), found[1]
    request = CommitRequest(CTRL, OBJ, content, head, "race", "T", ACTOR, WHEN)
    return StagedVersion(objkey(), lock_key(CTRL, OBJ), new_version(request, current), token)


@pytest.mark.parametrize("same_content", [True, False])
def test_two_writers_of_the_same_version_one_wins(store: Store, same_content: bool) -> None:
    """Both read head v1 and place v2; the second gets ConflictError, and v2 is exactly
    the first writer's (content and inventory), whether or not their content files
    collide."""
    commit(store, 0, files(1))
    first = staged(store, files(2), 1)
    other = files(2) if same_content else files(3)
    second = staged(store, {**other, "extra.json": b"second"}, 1)
    s3(store).write_versions([first], batch=False)
    with pytest.raises(ConflictError):
        s3(store).write_versions([second], batch=False)
    assert store.head(CTRL, OBJ) == 2
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 2}'
    assert store.versions(CTRL, OBJ)[-1].paths == ("document.json", "metadata.json")
    assert store.verify(full=True) == []


def test_two_writers_interleaved_after_content(store: Store) -> None:
    """The second writer's content upload fails on the first one's different bytes before
    anything of its own reaches the commit point."""
    commit(store, 0, files(1))
    first = staged(store, files(2), 1)
    second = staged(store, files(3), 1)
    storage = s3(store)
    for path, data in first.version.new_content:
        storage.bucket.create(f"{objkey()}/{path}", data)
    with pytest.raises(ConflictError, match="another writer"):
        storage.write_versions([second], batch=False)
    storage.write_versions([first], batch=False)
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 2}'
    assert store.verify(full=True) == []


# ---------------------------------------------------------------- crashes and recovery


def test_crash_before_the_version_inventory_leaves_nothing_visible(
    store: Store, s3_url: str
) -> None:
    commit(store, 0, files(1))
    crash_before(store, "v2/inventory.json")
    with pytest.raises(Crash):
        commit(store, 1, files(2))
    heal(store)
    assert store.head(CTRL, OBJ) == 1  # readers ignore a version without its inventory
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'
    assert "uncommitted-version" in {p.code for p in store.verify()}
    # within the grace period the upload may belong to a live writer: left alone
    assert [a.split(":")[0] for a in store.recover()] == [f"left {objkey()}/v2"]
    with pytest.raises(ConflictError, match="being written by another writer"):
        commit(store, 1, files(3))
    # after it (grace 0 here: the writer is known dead) recovery removes it
    bucket, prefix = parse_url(s3_url)
    expired = Store(S3Storage(bucket, prefix, grace=0))
    assert any("removed incomplete" in a for a in expired.recover())
    assert store.verify(full=True) == []
    assert commit(store, 1, files(3)) == 2


def test_crash_after_the_version_inventory_is_rolled_forward(store: Store, tmp_path: Path) -> None:
    """Past the commit point the version is committed: the next writer (or recover)
    publishes it first."""
    commit(store, 0, files(1))
    crash_before(store, f"{objkey()}/inventory.json", nth=1)
    with pytest.raises(Crash):
        commit(store, 1, files(2))
    heal(store)
    assert store.head(CTRL, OBJ) == 1
    with pytest.raises(ConflictError, match="at v2"):
        commit(store, 1, files(3))
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 2}'
    assert commit(store, 2, files(3)) == 3
    assert store.verify(full=True) == []
    assert_ocfl_valid(download(store, tmp_path / "copy"))


def test_crash_before_the_root_sidecar_is_repaired(
    store: Store,
) -> None:
    commit(store, 0, files(1))
    crash_before(store, f"{objkey()}/inventory.json.sha512")
    with pytest.raises(Crash):
        commit(store, 1, files(2))
    heal(store)
    assert store.head(CTRL, OBJ) == 2
    assert {p.code for p in store.verify()} == {"sidecar"}
    assert any("sidecar" in a for a in store.recover())
    assert store.verify(full=True) == []


@pytest.mark.parametrize("stop_before", ["v1/content/document.json", "v1/content/metadata.json"])
def test_new_object_cut_short_is_invisible_then_removed(
    store: Store, s3_url: str, stop_before: str
) -> None:
    """Stopped with only its declaration (and locator) written, or some content too."""
    crash_before(store, stop_before)
    with pytest.raises(Crash):
        commit(store, 0, files(1))
    heal(store)
    assert store.find_object(OBJ) is None
    assert store.head(CTRL, OBJ) == 0
    bucket, prefix = parse_url(s3_url)
    actions = Store(S3Storage(bucket, prefix, grace=0)).recover()
    assert any("never committed object" in a for a in actions), actions
    assert not [k for k in keys(store) if k.startswith(objkey())]
    assert store.verify(full=True) == []
    assert commit(store, 0, files(2)) == 1


def test_new_object_crash_before_root_is_rolled_forward(
    store: Store,
) -> None:
    crash_before(store, f"{objkey()}/inventory.json", nth=1)
    with pytest.raises(Crash):
        commit(store, 0, files(1))
    heal(store)
    assert store.head(CTRL, OBJ) == 0
    assert any("rolled forward" in a for a in store.recover())
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'
    assert store.verify(full=True) == []


# ---------------------------------------------------------------- moves


def test_move_object_on_s3(store: Store, tmp_path: Path) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    before = store.versions(CTRL, OBJ)
    store.move_object(OBJ, CTRL, CTRL2)
    assert store.find_object(OBJ) == CTRL2
    assert store.head(CTRL, OBJ) == 0
    assert store.versions(CTRL2, OBJ) == before
    assert not [k for k in keys(store) if k.startswith(objkey())]
    assert not [k for k in keys(store) if k.startswith("moves/")]
    assert store.verify(full=True) == []
    assert commit(store, 2, files(3), controller=CTRL2) == 3
    assert_ocfl_valid(download(store, tmp_path / "copy"))


@pytest.mark.parametrize("stop_at", ["copy", "fence", "delete"])
def test_interrupted_move_is_finished_by_recover(store: Store, stop_at: str) -> None:
    commit(store, 0, files(1))
    commit(store, 1, files(2))
    storage = s3(store)
    if stop_at == "copy":
        crash_before(store, f"{objkey(CTRL2)}/inventory.json")
    else:
        real_call = storage.bucket.call
        calls = {"n": 0}

        def call(what: str, key: str, fn: Any, **kwargs: Any) -> Any:
            if what == "deleting":
                calls["n"] += 1
                if (stop_at == "fence" and calls["n"] == 1) or (
                    stop_at == "delete" and calls["n"] == 2
                ):
                    raise Crash(key)
            return real_call(what, key, fn, **kwargs)

        storage.bucket.call = call  # type: ignore[method-assign]
    with pytest.raises(Crash):
        store.move_object(OBJ, CTRL, CTRL2)
    heal(store)
    assert store.find_object(OBJ) in (CTRL, CTRL2)
    assert any("finished moving" in a for a in store.recover())
    assert store.find_object(OBJ) == CTRL2
    assert store.read(CTRL2, OBJ, "document.json", 2) == b'{"doc": 2}'
    assert store.head(CTRL, OBJ) == 0
    assert store.verify(full=True) == []


def test_writer_racing_a_move_is_not_acknowledged(store: Store) -> None:
    """A version committed at the old place after the move's fence cannot be published
    there: its writer gets ConflictError (no acknowledgement), nothing acknowledged is
    lost."""
    commit(store, 0, files(1))
    late = staged(store, files(2), 1)  # read head v1 before the move
    store.move_object(OBJ, CTRL, CTRL2)
    with pytest.raises(ConflictError):
        s3(store).write_versions([late], batch=False)
    assert store.read(CTRL2, OBJ, "document.json") == b'{"doc": 1}'


def test_environment_selects_the_endpoint(s3_url: str) -> None:
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    store = Store.open(s3_url, create=True)
    commit(store, 0, files(1))
    assert store.read(CTRL, OBJ, "document.json") == b'{"doc": 1}'


# ---------------------------------------------------------------- locators


def test_find_object_costs_two_requests_whatever_the_number_of_controllers(
    store: Store,
) -> None:
    controllers = [f"1.2.246.10.{n}.10" for n in range(30)]
    store.commit_many(
        [
            CommitRequest(c, f"1.2.246.99.{n}", files(n), 0, "b", "T", ACTOR, WHEN)
            for n, c in enumerate(controllers)
        ]
    )
    storage = s3(store)
    real_call = storage.bucket.call
    calls: list[str] = []

    def call(what: str, key: str, fn: Any, **kwargs: Any) -> Any:
        calls.append(what)
        return real_call(what, key, fn, **kwargs)

    storage.bucket.call = call  # type: ignore[method-assign]
    assert store.find_object("1.2.246.99.21") == controllers[21]
    assert calls == ["listing", "checking"]
    calls.clear()
    assert store.find_object("1.2.246.99.999") is None
    assert calls == ["listing"]
    heal(store)


def test_move_on_s3_moves_the_locator(store: Store) -> None:
    commit(store, 0, files(1))
    store.move_object(OBJ, CTRL, CTRL2)
    stored = keys(store)
    assert locator_key(OBJ, CTRL2) in stored and locator_key(OBJ, CTRL) not in stored
    assert store.verify(full=True) == []


def test_young_stale_locator_is_kept_old_one_removed(store: Store, s3_url: str) -> None:
    """Without locks a locator without its object may be a creation in progress: only
    one older than the grace period goes."""
    s3(store).bucket.put(locator_key("1.2.246.99.5", CTRL), b"")
    assert store.find_object("1.2.246.99.5") is None
    assert [p.code for p in store.verify()] == ["locator-stale"]
    assert store.recover() == []
    bucket, prefix = parse_url(s3_url)
    assert any("stale locator" in a for a in Store(S3Storage(bucket, prefix, grace=0)).recover())
    assert store.verify(full=True) == []
