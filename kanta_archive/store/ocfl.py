"""A crash-safe, concurrency-safe OCFL 1.1 store (writer and reader).

Layout (see docs/store-layout.md)::

    <store>/kanta-archive-store.json          marker
    <store>/controllers/<controller OID>/     one OCFL 1.1 storage root per controller
        0=ocfl_1.1, ocfl_layout.json, extensions/0003-hash-and-id-n-tuple-storage-layout/
        <aaa>/<bbb>/<ccc>/<percent-encoded urn:oid:<object OID>>/   one OCFL object

:class:`Store` is the OCFL logic: identifiers, inventories, versions, conflicts, recovery
and verification decisions. Where the bytes live is a :class:`Storage` backend
(:mod:`kanta_archive.store.local` for a directory). The store knows nothing about
documents: an object is a set of logical paths with bytes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from kanta_archive.errors import ConflictError, KantaArchiveError, StoreError, UsageError
from kanta_archive.store.inventory import (
    INVENTORY,
    LAYOUT_FILE,
    OBJECT_NAMASTE,
    ROOT_NAMASTE,
    ROOT_NAMASTE_TEXT,
    SIDECAR,
    CommitRequest,
    NewVersion,
    VersionInfo,
    check_request,
    content_path_of,
    head_of,
    new_version,
    parse_inventory,
    sha512,
    version_infos,
)
from kanta_archive.store.layout import (
    LAYOUT_CONFIG,
    LAYOUT_DESCRIPTION,
    LAYOUT_EXTENSION,
    LOCATOR_SEPARATOR,
    LOCATORS,
    check_oid,
    layout_path,
    locator_dir,
    locator_key,
    lock_key,
    object_id_from_ocfl_id,
    ocfl_id,
)
from kanta_archive.store.local import CONTROLLERS, LOCKS, STAGING, LocalStorage
from kanta_archive.store.recovery import repair_object
from kanta_archive.store.storage import PartialCommitError, StagedVersion, Storage
from kanta_archive.store.verify import Problem, verify_store

MARKER = "kanta-archive-store.json"
MARKER_TYPE = "kanta-archive-store"
#: Version 2: every object has a locator under ``sets/`` (version 1 stores are read by
#: probing every storage root until ``recover`` has made the locators).
MARKER_VERSION = 2
MARKER_VERSIONS = (1, 2)
_MARKER_LOCK = "root-" + hashlib.sha256(b"kanta-archive-store.json").hexdigest()
#: Most objects one ``commit_many`` call may write (each holds an open lock file).
MAX_BATCH = 512

MARKER_CONTENT: dict[str, Any] = {
    "type": MARKER_TYPE,
    "version": MARKER_VERSION,
    "grouping": {
        "controllers": "controllers/<controller OID>/ is an OCFL 1.1 storage root",
        "storageLayout": LAYOUT_EXTENSION,
        "objectId": "urn:oid:<document set OID>",
    },
}

__all__ = [
    "CONTROLLERS",
    "INVENTORY",
    "LOCKS",
    "MARKER",
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


def _marker_ok(content: Any) -> bool:
    return (
        isinstance(content, dict)
        and content.get("type") == MARKER_TYPE
        and content.get("version") in MARKER_VERSIONS
    )


def _cannot_write(path: Path) -> bool:
    """Is an existing store directory on a read-only mount, or not writable for us?"""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False  # missing: creating it will tell
    return path.is_dir() and not os.access(path, os.W_OK)


def _root_files() -> list[tuple[str, bytes]]:
    layout = {"extension": LAYOUT_EXTENSION, "description": LAYOUT_DESCRIPTION}
    return [
        (ROOT_NAMASTE, ROOT_NAMASTE_TEXT),
        (LAYOUT_FILE, json.dumps(layout, indent=2, sort_keys=True).encode() + b"\n"),
        (
            f"extensions/{LAYOUT_EXTENSION}/config.json",
            json.dumps(LAYOUT_CONFIG, indent=2, sort_keys=True).encode() + b"\n",
        ),
    ]


@dataclass(frozen=True)
class VersionCopy:
    """A version built elsewhere, to place as it is (:meth:`Store.place_versions`): the
    object's root inventory must be ``previous_inventory`` (``None`` for version 1)."""

    controller_oid: str
    object_id: str
    version: NewVersion
    previous_inventory: bytes | None


#: one version to place: controller, object id, the head it must land on, and how to
#: build it from the current root inventory (parsed and as bytes)
_Item = tuple[str, str, int, Callable[[dict[str, Any] | None, bytes | None], NewVersion]]


def _build(
    request: CommitRequest, inventory: dict[str, Any] | None, _raw: bytes | None
) -> NewVersion:
    return new_version(request, inventory)


def _copied(copy: VersionCopy, _inventory: dict[str, Any] | None, raw: bytes | None) -> NewVersion:
    if raw != copy.previous_inventory:
        raise ConflictError("its root inventory differs from the one this version continues")
    return copy.version


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
        where = storage.location
        data = storage.read(MARKER)
        if data is not None:
            try:
                content = json.loads(data)
            except ValueError as exc:
                msg = f"{where} is not a kanta-archive store (bad marker: {exc})"
                raise StoreError(msg) from exc
            if not _marker_ok(content):
                raise StoreError(f"{where} is not a kanta-archive store (unknown marker content)")
            version = int(content["version"])
        elif create and not readonly:
            data = json.dumps(MARKER_CONTENT, indent=2).encode() + b"\n"
            storage.create_store(MARKER, data, ())
            version = MARKER_VERSION
        else:
            raise StoreError(f"{where} is not a kanta-archive store (no {MARKER})")
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

    @staticmethod
    def _root_key(controller_oid: str) -> str:
        return f"{CONTROLLERS}/{controller_oid}"

    @staticmethod
    def _object_key(controller_oid: str, object_id: str) -> str:
        return "/".join((CONTROLLERS, controller_oid, *layout_path(ocfl_id(object_id))))

    def object_key(self, controller_oid: str, object_id: str) -> str:
        """The key of an object (relative to the store; the directory of a local store),
        by the layout of docs/store-layout.md; the identifiers are checked first."""
        self._ids(controller_oid, object_id)
        return self._object_key(controller_oid, object_id)

    @staticmethod
    def _ids(controller_oid: str, object_id: str) -> None:
        check_oid(controller_oid, "controller OID")
        check_oid(object_id, "object id")

    # ------------------------------------------------------------------ reading

    def _load_inventory(self, object_key: str) -> dict[str, Any] | None:
        data = self.storage.read(f"{object_key}/{INVENTORY}")
        return None if data is None else parse_inventory(data, object_key)

    def _require_inventory(self, controller_oid: str, object_id: str) -> dict[str, Any]:
        self._ids(controller_oid, object_id)
        inventory = self._load_inventory(self._object_key(controller_oid, object_id))
        if inventory is None:
            raise UsageError(f"no object {object_id} in controller {controller_oid}")
        return inventory

    def head(self, controller_oid: str, object_id: str) -> int:
        """Head version number of an object, 0 when the object does not exist."""
        self._ids(controller_oid, object_id)
        inventory = self._load_inventory(self._object_key(controller_oid, object_id))
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
        data = self.storage.read(f"{self._object_key(controller_oid, object_id)}/{content_path}")
        if data is None:
            raise StoreError(f"{where}: content file {content_path} is missing")
        if sha512(data) != digest:
            raise StoreError(f"{where}: content file {content_path} does not match its digest")
        return data

    def _controllers(self) -> list[str]:
        """Controller OIDs of every storage root, sorted."""
        return [
            name
            for name in self.storage.list_dirs(CONTROLLERS)
            if self.storage.is_file(f"{CONTROLLERS}/{name}/{ROOT_NAMASTE}")
        ]

    def iter_objects(self) -> Iterator[tuple[str, str]]:
        """(controller OID, object id) of every object, ids read from the inventories."""
        for controller in self._controllers():
            for object_key in self.storage.object_dirs(self._root_key(controller)):
                inventory = self._load_inventory(object_key)
                if inventory is None:
                    continue
                object_id = object_id_from_ocfl_id(str(inventory.get("id", "")))
                if object_id is not None:
                    yield controller, object_id

    def scan_objects(self) -> Iterator[tuple[str, str | None, str]]:
        """``(controller OID, object id or None, object key)`` of every object directory,
        the id taken from the directory name, without trusting inventories (a broken one
        must not stop verification). The key is relative to the store."""
        for controller in self._controllers():
            for object_key in self.storage.object_dirs(self._root_key(controller)):
                name = unquote(object_key.rsplit("/", 1)[-1])
                yield controller, object_id_from_ocfl_id(name), object_key

    def _located(self, object_id: str) -> list[str]:
        """Controllers that the locators name for ``object_id`` (one listing)."""
        prefix = object_id + LOCATOR_SEPARATOR
        found = []
        for name in self.storage.names_with_prefix(locator_dir(object_id), prefix):
            controller = name[len(prefix) :]
            try:
                found.append(check_oid(controller, "controller OID"))
            except UsageError:
                continue  # not ours: verify reports it
        return found

    def find_object(self, object_id: str) -> str | None:
        """Controller OID of the storage root holding ``object_id``, or ``None``.

        One listing of the object's locator shard and one existence check, whatever the
        number of controllers (a version-1 store without complete locators is probed root
        by root until ``recover`` has made them)."""
        check_oid(object_id, "object id")
        # The root inventory, not the declaration: an object whose first version is still
        # being uploaded to object storage has a declaration but no root inventory yet.
        relative = "/".join((*layout_path(ocfl_id(object_id)), INVENTORY))
        for controller in self._located(object_id):
            if self.storage.is_file(f"{CONTROLLERS}/{controller}/{relative}"):
                return controller
        if self.marker_version >= 2:
            return None  # every object has its locator: a stale one names nothing
        for controller in self._controllers():
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
        for request in requests:
            check_request(request)
        return self._place(
            [
                (r.controller_oid, r.object_id, r.expected_head, partial(_build, r))
                for r in requests
            ],
            batch=batch,
        )

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
        items = [
            (c.controller_oid, c.object_id, c.version.number - 1, partial(_copied, c))
            for c in copies
        ]
        with self._writing(f"place {len(copies)} versions"):
            return self._place(items, batch=True)

    def _place(self, items: Sequence[_Item], *, batch: bool) -> list[int]:
        keys = [lock_key(controller, object_id) for controller, object_id, _h, _b in items]
        if len(set(keys)) != len(keys):
            raise UsageError("commit_many got the same object twice")
        for controller in sorted({item[0] for item in items}):
            self.storage.ensure_root(self._root_key(controller), _root_files())
        with self.storage.lock(keys):
            leftovers = self.storage.prepare_batch()
            staged: list[StagedVersion] = []
            conflicts = []
            for (controller, object_id, expected, build), key in zip(items, keys, strict=True):
                object_key = self._object_key(controller, object_id)
                found = self._current(object_key, key, leftovers)
                inventory = None if found is None else parse_inventory(found[0], object_key)
                head = 0 if inventory is None else head_of(inventory, object_id)
                if head != expected:
                    conflicts.append(
                        f"object {object_id} in controller {controller} "
                        f"is at v{head}, not v{expected}"
                    )
                    continue
                try:
                    version = build(inventory, None if found is None else found[0])
                except ConflictError as exc:
                    conflicts.append(f"object {object_id} in controller {controller}: {exc}")
                    continue
                staged.append(
                    StagedVersion(
                        object_key,
                        key,
                        version,
                        None if found is None else found[1],
                        locator_key(object_id, controller),
                    )
                )
            if conflicts:
                raise ConflictError("; ".join(conflicts))
            self.storage.write_versions(staged, batch=batch)
        return [s.version.number for s in staged]

    def _current(
        self, object_key: str, key: str, leftovers: set[str] | None
    ) -> tuple[bytes, object | None] | None:
        """The root inventory (and its token) a commit builds on, after finishing or
        undoing an interrupted commit of this object."""
        if self.storage.locks_objects:
            self._recover_object_locked(object_key, key, leftovers=leftovers)
            return self.storage.read_versioned(f"{object_key}/{INVENTORY}")
        # Without locks: read, then look only for a committed but unpublished next version
        # (one request), which is rolled forward before building on top of it.
        found = self.storage.read_versioned(f"{object_key}/{INVENTORY}")
        head = 0 if found is None else head_of(parse_inventory(found[0], object_key), object_key)
        if self.storage.is_file(f"{object_key}/v{head + 1}/{INVENTORY}"):
            repair_object(self.storage, object_key, key)
            found = self.storage.read_versioned(f"{object_key}/{INVENTORY}")
        return found

    # ------------------------------------------------------------------ moving

    def move_object(self, object_id: str, from_controller: str, to_controller: str) -> None:
        """Move an object (all versions) to another controller's storage root with one
        atomic rename. Raises :class:`ConflictError` if the target already holds it."""
        self._ids(from_controller, object_id)
        check_oid(to_controller, "controller OID")
        if from_controller == to_controller:
            raise UsageError("move_object needs two different controllers")
        with self._writing(f"move object {object_id}"):
            self._move(object_id, from_controller, to_controller)

    def _move(self, object_id: str, from_controller: str, to_controller: str) -> None:
        source_key = lock_key(from_controller, object_id)
        target_key = lock_key(to_controller, object_id)
        self.storage.ensure_root(self._root_key(to_controller), _root_files())
        with self.storage.lock([source_key, target_key]):
            source = self._object_key(from_controller, object_id)
            self._recover_object_locked(source, source_key)
            if not self.storage.is_file(f"{source}/{INVENTORY}"):
                raise UsageError(f"no object {object_id} in controller {from_controller}")
            target = self._object_key(to_controller, object_id)
            if self.storage.is_file(f"{target}/{OBJECT_NAMASTE}") or self.storage.list_dirs(target):
                raise ConflictError(f"controller {to_controller} already has object {object_id}")
            locators = (
                locator_key(object_id, from_controller),
                locator_key(object_id, to_controller),
            )
            self.storage.move_object(source, target, self._root_key(to_controller), locators)

    # ------------------------------------------------------------------ recovery

    def _recover_object_locked(
        self, object_key: str, key: str, *, leftovers: set[str] | None = None
    ) -> list[str]:
        """Recover one object whose lock the caller holds. ``leftovers``: the keys that have
        leftovers (one listing for a whole batch); default: look now."""
        actions = []
        if leftovers is None or key in leftovers:
            actions += self.storage.remove_leftovers(key)
        if self.storage.entries(object_key):  # anything there, even a lone declaration
            actions += repair_object(self.storage, object_key, key)
        return actions

    def recover(self) -> list[str]:
        """Undo or finish interrupted work: remove leftover workspaces and temp files, roll
        forward (or remove) a version directory newer than the root head, rewrite a stale
        root sidecar, remove empty directories in storage roots. Each object is repaired
        under its lock. Returns a description of every action."""
        with self._writing("recover"):
            return self._recover()

    def recover_object(self, controller_oid: str, object_id: str) -> list[str]:
        """:meth:`recover` for one object: finish (or undo) its interrupted commit under
        its lock, so that a version committed but not yet published becomes the head."""
        self._ids(controller_oid, object_id)
        with self._writing(f"recover object {object_id}"):
            key = lock_key(controller_oid, object_id)
            object_key = self._object_key(controller_oid, object_id)
            with self.storage.lock([key]):
                actions = self._recover_object_locked(object_key, key)
                if self.storage.is_file(f"{object_key}/{INVENTORY}"):
                    actions += self._ensure_locator(controller_oid, object_id, object_key)
            return actions

    def _recover(self) -> list[str]:
        actions: list[str] = self.storage.resume_moves()
        by_key: dict[str, list[str]] = {}
        for leftover in self.storage.leftovers():
            by_key.setdefault(leftover.key, []).append(leftover.name)
        for key in sorted(by_key):
            if not LocalStorage.is_lock_key(key):
                continue
            with self.storage.lock([key]):
                actions += self.storage.remove_leftovers(key, by_key[key])
        for controller in self._controllers():
            root = self._root_key(controller)
            for object_key in list(self.storage.object_dirs(root)):
                object_id = self._object_id_of(object_key)
                if object_id is None:
                    actions.append(f"cannot repair {object_key}: unknown id")
                    continue
                key = lock_key(controller, object_id)
                with self.storage.lock([key]):
                    actions += self._recover_object_locked(object_key, key)
                    if self.storage.is_file(f"{object_key}/{INVENTORY}"):
                        actions += self._ensure_locator(controller, object_id, object_key)
            actions += self.storage.remove_empty_dirs(root)
        actions += self._remove_stale_locators()
        if self.marker_version < MARKER_VERSION and not self.storage.readonly:
            self._upgrade_marker()
            actions.append(f"every object has its locator: store marker version {MARKER_VERSION}")
        return actions

    def _ensure_locator(self, controller: str, object_id: str, object_key: str) -> list[str]:
        key = locator_key(object_id, controller)
        if controller in self._located(object_id):
            return []
        self.storage.add_locator(key, object_key)
        return [f"added locator {key}"]

    def _remove_stale_locators(self) -> list[str]:
        """Remove locators whose object is not (or no longer) in that controller: left by
        a commit or a move cut short. Each under the object's lock; on a backend without
        locks only once older than its grace period."""
        actions = []
        for dirkey, _dirs, names in self.storage.walk(LOCATORS):
            for name in names:
                object_id, _, controller = name.partition(LOCATOR_SEPARATOR)
                try:
                    check_oid(object_id, "object id")
                    check_oid(controller, "controller OID")
                except UsageError:
                    continue  # not ours: verify reports it
                object_key = self._object_key(controller, object_id)
                with self.storage.lock([lock_key(controller, object_id)]):
                    if self.storage.is_file(f"{object_key}/{OBJECT_NAMASTE}"):
                        continue  # there, or being written
                    if self.storage.abandoned(f"{dirkey}/{name}"):
                        self.storage.remove_locator(f"{dirkey}/{name}")
                        actions.append(f"removed stale locator {dirkey}/{name}")
        return actions

    def _upgrade_marker(self) -> None:
        found = self.storage.read_versioned(MARKER)
        content = json.loads(found[0]) if found is not None else {}
        content = {**MARKER_CONTENT, **content, "version": MARKER_VERSION}
        data = json.dumps(content, indent=2).encode() + b"\n"
        with self.storage.lock([_MARKER_LOCK]):
            self.storage.replace(
                MARKER, data, lock_key=_MARKER_LOCK, token=None if found is None else found[1]
            )
        self.marker_version = MARKER_VERSION

    def _object_id_of(self, object_key: str) -> str | None:
        try:
            inventory = self._load_inventory(object_key)
        except StoreError:
            inventory = None
        if inventory is not None:
            return object_id_from_ocfl_id(str(inventory.get("id", "")))
        name = object_key.rsplit("/", 1)[-1]
        if len(name) > 100:
            return None
        return object_id_from_ocfl_id(unquote(name, errors="strict"))

    # ------------------------------------------------------------------ verification

    def verify(self, full: bool = False) -> list[Problem]:
        """Check the store without changing it: inventories, sidecars, locators and the
        digest of every content file. ``full=True`` also checks every version inventory
        (not only the head's)."""
        return verify_store(
            self.storage, MARKER, _marker_ok, full, locators_complete=self.marker_version >= 2
        )
