"""A crash-safe, concurrency-safe OCFL 1.1 store (writer and reader).

Layout (see docs/store-layout.md)::

    <store>/kanta-archive-store.json          marker
    <store>/controllers/<controller OID>/     one OCFL 1.1 storage root per controller
        0=ocfl_1.1, ocfl_layout.json, extensions/0003-hash-and-id-n-tuple-storage-layout/
        <aaa>/<bbb>/<ccc>/<percent-encoded urn:oid:<object OID>>/   one OCFL object

:class:`Store` is the public face of the OCFL logic: opening, identifiers, reading,
and the write, move, recovery and verification calls, each of which checks its input and
hands the work to the module of that job (:mod:`~kanta_archive.store.marker`,
:mod:`~kanta_archive.store.roots`, :mod:`~kanta_archive.store.placing`,
:mod:`~kanta_archive.store.moving`, :mod:`~kanta_archive.store.store_recovery`,
:mod:`~kanta_archive.store.verify`). Where the bytes live is a :class:`Storage` backend
(:mod:`kanta_archive.store.local` for a directory). The store knows nothing about
documents: an object is a set of logical paths with bytes.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from kanta_archive.errors import KantaArchiveError, StoreError, UsageError
from kanta_archive.store.inventory import (
    INVENTORY,
    OBJECT_NAMASTE,
    ROOT_NAMASTE,
    SIDECAR,
    CommitRequest,
    VersionInfo,
    content_path_of,
    head_of,
    sha512,
    version_infos,
)
from kanta_archive.store.layout import check_oid, layout_path, object_id_from_ocfl_id, ocfl_id
from kanta_archive.store.local import CONTROLLERS, LOCKS, STAGING, LocalStorage
from kanta_archive.store.marker import (
    MARKER,
    MARKER_CONTENT,
    MARKER_VERSION,
    marker_ok,
    read_marker_version,
    upgrade_marker,
)
from kanta_archive.store.moving import move
from kanta_archive.store.placing import VersionCopy, commit_items, copy_items, place
from kanta_archive.store.roots import controllers, load_inventory, located, object_key_of, root_key
from kanta_archive.store.storage import PartialCommitError, Storage
from kanta_archive.store.store_recovery import recover_one, recover_store
from kanta_archive.store.verify import Problem, verify_store

#: Most objects one ``commit_many`` call may write (each holds an open lock file).
MAX_BATCH = 512

__all__ = [
    "CONTROLLERS",
    "INVENTORY",
    "LOCKS",
    "MARKER",
    "MARKER_CONTENT",
    "MARKER_VERSION",
    "MAX_BATCH",
    "OBJECT_NAMASTE",
    "ROOT_NAMASTE",
    "SIDECAR",
    "STAGING",
    "CommitRequest",
    "PartialCommitError",
    "Problem",
    "Store",
    "VersionCopy",
    "VersionInfo",
]


def _cannot_write(path: Path) -> bool:
    """Is an existing store directory on a read-only mount, or not writable for us?"""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False  # missing: creating it will tell
    return path.is_dir() and not os.access(path, os.W_OK)


class Store:
    """A kanta-archive store. Create instances with :meth:`Store.open`."""

    def __init__(self, storage: Storage, marker_version: int = MARKER_VERSION) -> None:
        self.storage = storage
        #: With version 2 the locators are complete: ``find_object`` trusts them.
        self.marker_version = marker_version

    @property
    def path(self) -> Path:
        """The store directory (local stores only)."""
        if isinstance(self.storage, LocalStorage):
            return self.storage.path
        raise StoreError(
            f"the store {self.storage.location} is not a local directory (an object-storage "
            "store needs an explicit index URL and keeps no local files)"
        )

    @property
    def local_dir(self) -> Path | None:
        """The store directory, ``None`` for a store that is not on the local filesystem
        (its access registry and audit log then cannot be files beside it)."""
        return self.storage.path if isinstance(self.storage, LocalStorage) else None

    @property
    def location(self) -> str:
        """The store's path or URL."""
        return self.storage.location

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, location: str | os.PathLike[str], create: bool = False, *, readonly: bool = False
    ) -> Store:
        """Open the store at ``location``: a directory, or ``s3://bucket/prefix`` for
        S3-compatible object storage. With ``create=True`` a missing or empty directory (or
        an empty prefix) is made into a new store. Anything else without the marker file
        raises :class:`StoreError`. ``readonly=True`` never writes (every write raises
        :class:`StoreError`)."""
        text = os.fspath(location)
        storage: Storage
        if isinstance(text, str) and text.startswith("s3://"):
            from kanta_archive.store.s3 import open_s3

            storage = open_s3(text, readonly=readonly)
        else:
            readonly = readonly or _cannot_write(Path(text))
            storage = LocalStorage(Path(text), readonly=readonly)
        version = read_marker_version(storage, create=create, readonly=readonly)
        store = cls(storage, version)
        if not readonly:
            with store._writing("open"):
                storage.open_existing()
                # Leftovers of writers that died (no waiting: a live one's are kept).
                storage.sweep_leftovers()
        return store

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """Refuse writes to a read-only store, and turn the operating system's refusals
        (a full disk, a read-only mount, no permission) into :class:`StoreError`. The
        backend removes its partial work before the error reaches here: a version is then
        absent, or complete and rolled forward by the next recovery when the failure came
        after its commit point."""
        if self.storage.readonly:
            raise StoreError(f"the store {self.location} is open read-only: cannot {what}")
        try:
            yield
        except KantaArchiveError:
            raise  # ConflictError and RefusedError are PermissionErrors too: not ours to wrap
        except OSError as exc:
            name = errno.errorcode.get(exc.errno or 0, "error")
            raise StoreError(
                f"cannot {what} in the store {self.location}: {exc.strerror or exc} ({name})"
            ) from exc

    # ------------------------------------------------------------------ keys

    def object_key(self, controller_oid: str, object_id: str) -> str:
        """The key of an object (relative to the store; the directory of a local store),
        by the layout of docs/store-layout.md; the identifiers are checked first."""
        self._ids(controller_oid, object_id)
        return object_key_of(controller_oid, object_id)

    @staticmethod
    def _ids(controller_oid: str, object_id: str) -> None:
        check_oid(controller_oid, "controller OID")
        check_oid(object_id, "object id")

    # ------------------------------------------------------------------ reading

    def _require_inventory(self, controller_oid: str, object_id: str) -> dict[str, Any]:
        self._ids(controller_oid, object_id)
        inventory = load_inventory(self.storage, object_key_of(controller_oid, object_id))
        if inventory is None:
            raise UsageError(f"no object {object_id} in controller {controller_oid}")
        return inventory

    def head(self, controller_oid: str, object_id: str) -> int:
        """Head version number of an object, 0 when the object does not exist."""
        self._ids(controller_oid, object_id)
        inventory = load_inventory(self.storage, object_key_of(controller_oid, object_id))
        if inventory is None:
            return 0
        return head_of(inventory, object_id)

    def inventory(self, controller_oid: str, object_id: str) -> dict[str, Any]:
        """The object's root inventory as a dict (its ``id`` is ``urn:oid:<object id>``)."""
        return self._require_inventory(controller_oid, object_id)

    def versions(self, controller_oid: str, object_id: str) -> list[VersionInfo]:
        """Every version of an object, oldest first."""
        return version_infos(self._require_inventory(controller_oid, object_id), object_id)

    def read(
        self,
        controller_oid: str,
        object_id: str,
        logical_path: str,
        version: int | None = None,
    ) -> bytes:
        """Bytes of ``logical_path`` in ``version`` (default: head), checked against the
        inventory digest. A missing or altered content file, or an inventory whose state
        names a digest its manifest lacks, raises :class:`StoreError`."""
        inventory = self._require_inventory(controller_oid, object_id)
        head = head_of(inventory, object_id)
        number = head if version is None else version
        if not isinstance(number, int) or not 1 <= number <= head:
            raise UsageError(f"object {object_id} has no version {version!r} (head v{head})")
        where = f"object {object_id} in controller {controller_oid}"
        found = content_path_of(inventory, number, logical_path, where)
        if found is None:
            raise UsageError(f"object {object_id} v{number} has no file {logical_path!r}")
        digest, content_path = found
        data = self.storage.read(f"{object_key_of(controller_oid, object_id)}/{content_path}")
        if data is None:
            raise StoreError(f"{where}: content file {content_path} is missing")
        if sha512(data) != digest:
            raise StoreError(f"{where}: content file {content_path} does not match its digest")
        return data

    def iter_objects(self) -> Iterator[tuple[str, str]]:
        """(controller OID, object id) of every object, ids read from the inventories."""
        for controller in controllers(self.storage):
            for object_key in self.storage.object_dirs(root_key(controller)):
                inventory = load_inventory(self.storage, object_key)
                if inventory is None:
                    continue
                object_id = object_id_from_ocfl_id(str(inventory.get("id", "")))
                if object_id is not None:
                    yield controller, object_id

    def scan_objects(self) -> Iterator[tuple[str, str | None, str]]:
        """``(controller OID, object id or None, object key)`` of every object directory,
        the id taken from the directory name, without trusting inventories (a broken one
        must not stop verification). The key is relative to the store."""
        for controller in controllers(self.storage):
            for object_key in self.storage.object_dirs(root_key(controller)):
                name = unquote(object_key.rsplit("/", 1)[-1])
                yield controller, object_id_from_ocfl_id(name), object_key

    def find_object(self, object_id: str) -> str | None:
        """Controller OID of the storage root holding ``object_id``, or ``None``.

        One listing of the object's locator shard and one existence check, whatever the
        number of controllers (a version-1 store without complete locators is probed root
        by root until ``recover`` has made them)."""
        check_oid(object_id, "object id")
        # The root inventory, not the declaration: an object whose first version is still
        # being uploaded to object storage has a declaration but no root inventory yet.
        relative = "/".join((*layout_path(ocfl_id(object_id)), INVENTORY))
        for controller in located(self.storage, object_id):
            if self.storage.is_file(f"{CONTROLLERS}/{controller}/{relative}"):
                return controller
        if self.marker_version >= 2:
            return None  # every object has its locator: a stale one names nothing
        for controller in controllers(self.storage):
            if self.storage.is_file(f"{CONTROLLERS}/{controller}/{relative}"):
                return controller
        return None

    # ------------------------------------------------------------------ writing

    def commit(
        self,
        controller_oid: str,
        object_id: str,
        files: Mapping[str, bytes],
        *,
        expected_head: int,
        message: str,
        user_name: str,
        user_address: str | None = None,
        created: datetime | None = None,
    ) -> int:
        """Write version ``expected_head + 1`` of an object whose complete state is
        ``files`` (logical path -> bytes); ``expected_head=0`` creates the object. Raises
        :class:`ConflictError`, writing nothing, when the head is not ``expected_head``.
        Durable (fsynced) when it returns; returns the new version number."""
        request = CommitRequest(
            controller_oid,
            object_id,
            files,
            expected_head,
            message,
            user_name,
            user_address,
            created,
        )
        with self._writing(f"commit object {object_id}"):
            return self._commit([request], batch=False)[0]

    def commit_many(self, requests: Sequence[CommitRequest]) -> list[int]:
        """Commit up to :data:`MAX_BATCH` objects (distinct controller/object pairs) with
        one filesystem sync instead of per-file fsyncs. Heads are checked for every request
        first: one mismatch raises :class:`ConflictError` and nothing is written. Each object
        is crash-atomic on its own; the batch as a whole is not (after a crash some of its
        objects may be committed). Returns the new version numbers in request order.

        On a backend without locks (S3) a conflict can also be found while writing; then
        :class:`PartialCommitError` (a :class:`ConflictError`) says which requests were
        committed anyway."""
        if len(requests) > MAX_BATCH:
            raise UsageError(f"commit_many takes at most {MAX_BATCH} requests")
        if not requests:
            return []
        with self._writing(f"commit {len(requests)} objects"):
            return self._commit(list(requests), batch=True)

    def _commit(self, requests: list[CommitRequest], *, batch: bool) -> list[int]:
        return place(self.storage, commit_items(requests), batch=batch)

    def place_versions(self, copies: Sequence[VersionCopy]) -> list[int]:
        """Place versions that are already built (their inventory, sidecar and content
        bytes, as another store holds them: :mod:`kanta_archive.archive.migrate`) with the
        same protocol as :meth:`commit_many`: each lands on the head before it (the
        object's root inventory must be ``previous_inventory`` byte for byte, or absent
        for version 1), else :class:`ConflictError` and nothing is written. Up to
        :data:`MAX_BATCH` objects, one version each."""
        if len(copies) > MAX_BATCH:
            raise UsageError(f"place_versions takes at most {MAX_BATCH} versions")
        if not copies:
            return []
        with self._writing(f"place {len(copies)} versions"):
            return place(self.storage, copy_items(copies), batch=True)

    # ------------------------------------------------------------------ moving

    def move_object(self, object_id: str, from_controller: str, to_controller: str) -> None:
        """Move an object (all versions) to another controller's storage root with one
        atomic rename. Raises :class:`ConflictError` if the target already holds it."""
        self._ids(from_controller, object_id)
        check_oid(to_controller, "controller OID")
        if from_controller == to_controller:
            raise UsageError("move_object needs two different controllers")
        with self._writing(f"move object {object_id}"):
            move(self.storage, object_id, from_controller, to_controller)

    # ------------------------------------------------------------------ recovery

    def recover(self) -> list[str]:
        """Undo or finish interrupted work: remove leftover workspaces and temp files, roll
        forward (or remove) a version directory newer than the root head, rewrite a stale
        root sidecar, remove empty directories in storage roots. Each object is repaired
        under its lock. Returns a description of every action."""
        with self._writing("recover"):
            actions = recover_store(self.storage)
            if self.marker_version < MARKER_VERSION and not self.storage.readonly:
                upgrade_marker(self.storage)
                self.marker_version = MARKER_VERSION
                actions.append(
                    f"every object has its locator: store marker version {MARKER_VERSION}"
                )
            return actions

    def recover_object(self, controller_oid: str, object_id: str) -> list[str]:
        """:meth:`recover` for one object: finish (or undo) its interrupted commit under
        its lock, so that a version committed but not yet published becomes the head."""
        self._ids(controller_oid, object_id)
        with self._writing(f"recover object {object_id}"):
            return recover_one(self.storage, controller_oid, object_id)

    # ------------------------------------------------------------------ verification

    def verify(self, full: bool = False) -> list[Problem]:
        """Check the store without changing it: inventories, sidecars, locators and the
        digest of every content file. ``full=True`` also checks every version inventory
        (not only the head's)."""
        return verify_store(
            self.storage, MARKER, marker_ok, full, locators_complete=self.marker_version >= 2
        )
