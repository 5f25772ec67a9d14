"""The S3-compatible object storage backend (AWS S3, MinIO, Ceph RGW) through boto3.

A store is a bucket and a key prefix: ``s3://bucket/prefix``. Credentials, region and
endpoint come the usual AWS ways (environment, ``~/.aws``, ``AWS_ENDPOINT_URL``).

There is no lock service and no rename. A version is committed with conditional writes
(docs/store-layout.md, "S3 backend"):

1. every new content file ``vN/content/...`` is created with ``If-None-Match: *`` (a file
   another writer created first must have the same bytes, else the object conflicts);
2. ``vN/inventory.json`` is created with ``If-None-Match: *``: **the commit point** (exactly
   one writer creates it); then its sidecar;
3. the root ``inventory.json`` is replaced with ``If-Match`` on the ETag read before the
   commit (created with ``If-None-Match`` for a new object), then the root sidecar with
   ``If-Match`` on its current ETag, retried while the root inventory is still this
   writer's.

Readers read the root inventory: a version without its inventory is never seen. A version
whose inventory exists but that the root does not name yet (a writer stopped after step 2)
is rolled forward by the next writer of that object or by ``recover``; content without an
inventory is removed by ``recover`` once it is older than the grace period (a writer still
running is never that slow: a commit that took half the grace period gives up before its
commit point).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.store import s3_moves
from kanta_archive.store.inventory import INVENTORY, OBJECT_NAMASTE, OBJECT_NAMASTE_TEXT, SIDECAR
from kanta_archive.store.s3_bucket import S3Bucket
from kanta_archive.store.storage import Leftover, PartialCommitError, StagedVersion, Storage

#: Content without an inventory older than this is abandoned work (seconds).
DEFAULT_GRACE = 3600.0
_SIDECAR_RETRIES = 20
#: Objects of one batch placed at once (each waits on its own requests).
_WRITERS = 16


def _includes(current: bytes, inventory: bytes) -> bool:
    """Does the root inventory ``current`` hold the head version of ``inventory``?"""
    try:
        ours, theirs = json.loads(inventory), json.loads(current)
        head = ours["head"]
        return bool(theirs["versions"][head] == ours["versions"][head])
    except (ValueError, KeyError, TypeError):
        return False


def parse_url(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket[/prefix]``; :class:`UsageError` otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"not an S3 store URL (s3://bucket/prefix): {url!r}")
    prefix = parts.path.strip("/")
    if any(seg in ("", ".", "..") for seg in prefix.split("/")) and prefix:
        raise UsageError(f"S3 store prefix has an empty or dot segment: {url!r}")
    return parts.netloc, prefix


def _client() -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise StoreError("an s3:// store needs boto3: pip install 'kanta-archive[s3]'") from exc
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32)
    return boto3.client("s3", config=config)


class S3Storage(Storage):
    """A store in an S3 bucket under a key prefix.

    The requests go through :attr:`bucket` (:class:`~kanta_archive.store.s3_bucket.S3Bucket`);
    moves are in :mod:`~kanta_archive.store.s3_moves`.
    """

    locks_objects = False

    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        client: Any = None,
        grace: float = DEFAULT_GRACE,
        readonly: bool = False,
    ) -> None:
        self.bucket = S3Bucket(
            client if client is not None else _client(), bucket, prefix, readonly=readonly
        )
        self.grace = grace

    @property
    def location(self) -> str:
        return self.bucket.location

    # ------------------------------------------------------------------ reading

    def read_versioned(self, key: str) -> tuple[bytes, object | None] | None:
        return self.bucket.read_versioned(key)

    def read(self, key: str) -> bytes | None:
        return self.bucket.read(key)

    def etag(self, key: str) -> str | None:
        """The ETag of ``key``, ``None`` when absent."""
        return self.bucket.etag(key)

    def size(self, key: str) -> int | None:
        got = self.bucket.head(key)
        return None if got is None else int(got.get("ContentLength", 0))

    def is_file(self, key: str) -> bool:
        return self.etag(key) is not None

    def entries(self, key: str) -> list[tuple[str, bool]]:
        found: list[tuple[str, bool]] = []
        for page in self.bucket.pages(key, delimiter=True):
            for common in page.get("CommonPrefixes", []):
                found.append((common["Prefix"].rstrip("/").rsplit("/", 1)[-1], True))
            for item in page.get("Contents", []):
                found.append((item["Key"].rsplit("/", 1)[-1], False))
        return sorted(found)

    def walk(self, key: str) -> Iterator[tuple[str, list[str], list[str]]]:
        tree: dict[str, tuple[set[str], list[str]]] = {key: (set(), [])}
        for rel, _item in self.bucket.all_keys(key):
            parent, _, name = rel.rpartition("/")
            tree.setdefault(parent, (set(), []))[1].append(name)
            while parent != key and parent:
                above, _, child = parent.rpartition("/")
                known = tree.setdefault(above, (set(), []))[0]
                if child in known:
                    break
                known.add(child)
                parent = above
        stack = [key]
        while stack:
            current = stack.pop()
            subdirs, files = tree.get(current, (set(), []))
            dirs = sorted(subdirs)
            yield current, dirs, sorted(files)
            stack.extend(f"{current}/{d}" for d in reversed(dirs))

    def object_dirs(self, root_key: str) -> Iterator[str]:
        marker = "/" + OBJECT_NAMASTE
        found = set()
        for rel, _item in self.bucket.all_keys(root_key):
            if rel.endswith(marker) and not rel.startswith(f"{root_key}/extensions/"):
                found.add(rel[: -len(marker)])
        yield from sorted(found)

    def names_with_prefix(self, dir_key: str, prefix: str) -> list[str]:
        return self.bucket.names_with_prefix(dir_key, prefix)

    # ------------------------------------------------------------------ store and roots

    def create_store(self, marker: str, data: bytes, own_names: Sequence[str]) -> None:
        self.bucket.writable()
        for name, _is_dir in self.entries(""):
            if name != marker and name not in own_names:
                raise StoreError(
                    f"{self.location} is not a kanta-archive store (the prefix holds other "
                    f"keys and no {marker})"
                )
        try:
            self.bucket.create(marker, data)
        except ConflictError as exc:
            raise StoreError(f"{self.location}: another kind of marker exists") from exc

    def ensure_root(self, root_key: str, files: Sequence[tuple[str, bytes]]) -> None:
        declaration = f"{root_key}/{files[0][0]}"
        if self.is_file(declaration):
            return
        # The declaration last: a root without it is not a root yet (and is completed here).
        for name, data in [*files[1:], files[0]]:
            self.bucket.create(f"{root_key}/{name}", data)

    # ------------------------------------------------------------------ writing

    def lock(self, lock_keys: Sequence[str]) -> AbstractContextManager[None]:
        return nullcontext()  # no lock service: conditional writes decide

    def write_versions(self, staged: Sequence[StagedVersion], *, batch: bool) -> None:
        self.bucket.writable()
        conflicts = []
        committed: dict[int, int] = {}

        def place(item: StagedVersion) -> str | None:
            try:
                self._write_version(item)
            except ConflictError as exc:
                return str(exc)
            return None

        # Objects are independent and each request waits on the network: a batch places
        # several objects at once (boto3 clients are thread-safe).
        workers = min(_WRITERS, len(staged)) if batch else 1
        with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
            outcomes = list(pool.map(place, staged))
        for position, (item, conflict) in enumerate(zip(staged, outcomes, strict=True)):
            if conflict is None:
                committed[position] = item.version.number
            else:
                conflicts.append(conflict)
        if conflicts:
            raise PartialCommitError("; ".join(conflicts), committed)

    def _write_version(self, item: StagedVersion) -> None:
        bucket = self.bucket
        started = time.monotonic()
        version = item.version
        objkey = item.object_key
        vkey = f"{objkey}/v{version.number}"
        if item.new_object:
            if item.locator is not None:
                bucket.put(item.locator, b"")  # before anything can find the object
            # First, so that an upload cut short is found (and cleaned) as an object
            # without a root inventory; readers look for the root inventory only.
            bucket.create(f"{objkey}/{OBJECT_NAMASTE}", OBJECT_NAMASTE_TEXT)
        for content_path, data in version.new_content:
            try:
                bucket.create(f"{objkey}/{content_path}", data)
            except ConflictError as exc:
                raise ConflictError(
                    f"{objkey} v{version.number} is being written by another writer (or was "
                    "left by a crash; 'recover' removes it after the grace period)"
                ) from exc
        if time.monotonic() - started > self.grace / 2:
            raise StoreError(
                f"{objkey} v{version.number}: uploading took longer than half the grace period "
                f"({self.grace:.0f} s); not committed, retry"
            )
        try:
            bucket.put(f"{vkey}/{INVENTORY}", version.inventory, IfNoneMatch="*")  # commit point
        except bucket.client_error as exc:
            if not bucket.precondition(exc):
                raise StoreError(f"{self.location}: writing {vkey} failed: {exc}") from exc
            raise ConflictError(
                f"{objkey} v{version.number} was committed by another writer"
            ) from exc
        bucket.create(f"{vkey}/{SIDECAR}", version.sidecar)
        self.publish_root(objkey, version.inventory, version.sidecar, item.previous)

    def publish_root(
        self, objkey: str, inventory: bytes, sidecar: bytes, previous: object | None
    ) -> None:
        """Make a committed version the root's: the root inventory (``If-Match`` on
        ``previous``, ``If-None-Match`` when ``None``), then the sidecar. A root that moved
        on must already hold this version (another writer rolled it forward, or committed
        on top); a root that is gone (the object was moved meanwhile) is a conflict: the
        version is not published and must not be acknowledged."""
        bucket = self.bucket
        conditions = {"IfMatch": str(previous)} if previous is not None else {"IfNoneMatch": "*"}
        try:
            bucket.put(f"{objkey}/{INVENTORY}", inventory, **conditions)
        except bucket.client_error as exc:
            if not (bucket.precondition(exc) or bucket.missing(exc)):
                raise StoreError(f"{self.location}: writing {objkey} failed: {exc}") from exc
            current = self.read(f"{objkey}/{INVENTORY}")
            if current is None or not _includes(current, inventory):
                raise ConflictError(
                    f"{objkey}: the root inventory changed under this commit (the object was "
                    "moved or removed); the version is not published"
                ) from exc
            if current != inventory:
                return  # committed on top: the sidecar is the newer writer's
        self._publish_sidecar(objkey, inventory, sidecar)

    def _publish_sidecar(self, objkey: str, inventory: bytes, sidecar: bytes) -> None:
        bucket = self.bucket
        key = f"{objkey}/{SIDECAR}"
        for _attempt in range(_SIDECAR_RETRIES):
            current = self.etag(key)
            if self.read(f"{objkey}/{INVENTORY}") != inventory:
                return  # no longer the root's inventory: its writer writes the sidecar
            conditions = {"IfMatch": current} if current is not None else {"IfNoneMatch": "*"}
            try:
                bucket.put(key, sidecar, **conditions)
                return
            except bucket.client_error as exc:
                if not bucket.precondition(exc):
                    raise StoreError(f"{self.location}: writing {key} failed: {exc}") from exc
        raise StoreError(f"{self.location}: {key} keeps changing; run 'recover'")

    def replace(self, key: str, data: bytes, *, lock_key: str, token: object | None) -> None:
        bucket = self.bucket
        conditions = {"IfMatch": str(token)} if token is not None else {"IfNoneMatch": "*"}
        try:
            bucket.put(key, data, **conditions)
        except bucket.client_error as exc:
            if not bucket.precondition(exc):
                raise StoreError(f"{self.location}: writing {key} failed: {exc}") from exc
            if self.read(key) != data:
                raise ConflictError(
                    f"{self.location}: {key} was changed by another writer"
                ) from exc

    def remove_tree(self, key: str, *, lock_key: str) -> bool:
        items: list[tuple[str, datetime]] = []
        now = datetime.now(UTC)
        for page in self.bucket.pages(key, delimiter=False):
            date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
            if date:
                now = parsedate_to_datetime(date)  # the server's clock, as LastModified
            items += [
                (self.bucket.rel(i["Key"]), i["LastModified"]) for i in page.get("Contents", [])
            ]
        if not items:
            return True
        if any(rel.endswith(f"/{INVENTORY}") for rel, _ in items):
            return False  # committed: never removed here
        if any((now - modified).total_seconds() < self.grace for _, modified in items):
            return False  # may be a writer still at work
        self.bucket.delete([rel for rel, _ in items])
        return True

    # ------------------------------------------------------------------ moves and locators

    def move_object(
        self, source_key: str, target_key: str, target_root: str, locators: tuple[str, str]
    ) -> None:
        """Copy, fence, delete (:func:`kanta_archive.store.s3_moves.move_object`)."""
        s3_moves.move_object(self.bucket, source_key, target_key, locators)

    def resume_moves(self) -> list[str]:
        """Finish every interrupted move (intents under ``moves/``)."""
        return s3_moves.resume_moves(self.bucket)

    def abandoned(self, key: str) -> bool:
        got = self.bucket.head(key)
        if got is None:
            return False
        date = got.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
        return bool((now - got["LastModified"]).total_seconds() >= self.grace)

    def add_locator(self, key: str, object_key: str) -> None:
        self.bucket.put(key, b"")

    def remove_locator(self, key: str) -> None:
        self.bucket.delete([key])

    # ------------------------------------------------------------------ housekeeping

    def leftovers(self) -> list[Leftover]:
        return []  # no workspaces: unfinished versions are found per object

    def remove_leftovers(self, lock_key: str, names: Sequence[str] | None = None) -> list[str]:
        return []

    def remove_empty_dirs(self, root_key: str) -> list[str]:
        return []  # object storage has no directories


def open_s3(url: str, *, readonly: bool = False) -> S3Storage:
    """The backend of an ``s3://bucket/prefix`` URL (grace period: env
    ``KANTA_ARCHIVE_S3_GRACE`` seconds, default one hour)."""
    bucket, prefix = parse_url(url)
    grace_text = os.environ.get("KANTA_ARCHIVE_S3_GRACE")
    try:
        grace = DEFAULT_GRACE if grace_text is None else float(grace_text)
    except ValueError as exc:
        raise UsageError(f"KANTA_ARCHIVE_S3_GRACE must be seconds: {grace_text!r}") from exc
    return S3Storage(bucket, prefix, grace=grace, readonly=readonly)
