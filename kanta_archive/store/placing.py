"""Placing new versions of objects (``Store.commit``, ``commit_many``, ``place_versions``):
the heads checked under the objects' locks after each object's interrupted commit is
finished or undone, then one ``Storage.write_versions`` for the batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kanta_archive.errors import ConflictError, UsageError
from kanta_archive.store.inventory import (
    INVENTORY,
    CommitRequest,
    NewVersion,
    check_request,
    head_of,
    new_version,
    parse_inventory,
)
from kanta_archive.store.layout import locator_key, lock_key
from kanta_archive.store.recovery import repair_object
from kanta_archive.store.roots import object_key_of, root_files, root_key
from kanta_archive.store.storage import StagedVersion, Storage
from kanta_archive.store.store_recovery import recover_object_locked


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
Item = tuple[str, str, int, Callable[[dict[str, Any] | None, bytes | None], NewVersion]]


def _build(
    request: CommitRequest, inventory: dict[str, Any] | None, _raw: bytes | None
) -> NewVersion:
    return new_version(request, inventory)


def _copied(copy: VersionCopy, _inventory: dict[str, Any] | None, raw: bytes | None) -> NewVersion:
    if raw != copy.previous_inventory:
        raise ConflictError("its root inventory differs from the one this version continues")
    return copy.version


def commit_items(requests: Sequence[CommitRequest]) -> list[Item]:
    """The items that commit ``requests`` (each checked first)."""
    for request in requests:
        check_request(request)
    return [(r.controller_oid, r.object_id, r.expected_head, partial(_build, r)) for r in requests]


def copy_items(copies: Sequence[VersionCopy]) -> list[Item]:
    """The items that place the versions ``copies`` as they are."""
    return [
        (c.controller_oid, c.object_id, c.version.number - 1, partial(_copied, c)) for c in copies
    ]


def place(storage: Storage, items: Sequence[Item], *, batch: bool) -> list[int]:
    """Place every item's version, or none (:class:`ConflictError`) when a head differs
    or a build refuses; returns the new version numbers in item order."""
    keys = [lock_key(controller, object_id) for controller, object_id, _h, _b in items]
    if len(set(keys)) != len(keys):
        raise UsageError("commit_many got the same object twice")
    for controller in sorted({item[0] for item in items}):
        storage.ensure_root(root_key(controller), root_files())
    with storage.lock(keys):
        leftovers = storage.prepare_batch()
        staged: list[StagedVersion] = []
        conflicts = []
        for (controller, object_id, expected, build), key in zip(items, keys, strict=True):
            object_key = object_key_of(controller, object_id)
            found = _current(storage, object_key, key, leftovers)
            inventory = None if found is None else parse_inventory(found[0], object_key)
            head = 0 if inventory is None else head_of(inventory, object_id)
            if head != expected:
                conflicts.append(
                    f"object {object_id} in controller {controller} is at v{head}, not v{expected}"
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
        storage.write_versions(staged, batch=batch)
    return [s.version.number for s in staged]


def _current(
    storage: Storage, object_key: str, key: str, leftovers: set[str] | None
) -> tuple[bytes, object | None] | None:
    """The root inventory (and its token) a commit builds on, after finishing or
    undoing an interrupted commit of this object."""
    if storage.locks_objects:
        recover_object_locked(storage, object_key, key, leftovers=leftovers)
        return storage.read_versioned(f"{object_key}/{INVENTORY}")
    # Without locks: read, then look only for a committed but unpublished next version
    # (one request), which is rolled forward before building on top of it.
    found = storage.read_versioned(f"{object_key}/{INVENTORY}")
    head = 0 if found is None else head_of(parse_inventory(found[0], object_key), object_key)
    if storage.is_file(f"{object_key}/v{head + 1}/{INVENTORY}"):
        repair_object(storage, object_key, key)
        found = storage.read_versioned(f"{object_key}/{INVENTORY}")
    return found
