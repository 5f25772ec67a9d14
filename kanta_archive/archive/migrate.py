"""Copy a whole archive into another store: a local folder into a bucket (``migrate``).

Every OCFL object is copied version by version with the target's own commit protocol
(:meth:`~kanta_archive.store.Store.place_versions`: on S3 the content first, then the
version inventory created with ``If-None-Match`` as the commit point, then the root
inventory with ``If-Match``), byte for byte: the inventories, sidecars and content files
in the target are the source's, every content file checked against its digest on the way.
So a run that is killed leaves each object at some complete version, and the next run
continues each object from the head the target holds; nothing is copied twice and nothing
is lost (a version committed but not yet published is rolled forward first, with the
target's own recovery: :meth:`~kanta_archive.store.Store.recover_object`).

Then the access records (registry, rights, client links, informed clients, disclosures)
and the audit log move into the target's database, each in one transaction (all or
nothing; a repeated run finds them there and copies nothing), the audit entries
unchanged (their hashes and seals do not name the store) after the source log has been
verified; the target's marker declares them as the source's did. Last, the target's
index is built beside its live part from the copied metadata (read from the source: the
same bytes) and swapped in, with the client links.

The source must not be written meanwhile (stop the writers first), and the target must be
new or a target of an earlier run of the same migration.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kanta_archive.access.audit_db import open_audit_log
from kanta_archive.access.audit_verify import verify as verify_audit_log
from kanta_archive.access.db import NO_DATABASE, AccessStore
from kanta_archive.archive import fixity, records
from kanta_archive.archive.results import Progress, no_progress
from kanta_archive.archive.service import Archive
from kanta_archive.db.url import is_postgres
from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.store import MAX_BATCH, Store, manifest
from kanta_archive.store.inventory import (
    INVENTORY,
    NewVersion,
    head_of,
    parse_inventory,
    sha512,
)
from kanta_archive.store.ocfl import VersionCopy

#: objects copied together (their versions are placed round by round, one per object)
BATCH = 64
_ATTEMPTS = 3


@dataclass(frozen=True)
class MigrateReport:
    """What a migration did: ``sets`` in the source, ``copied`` now (in full or the rest),
    ``present`` already complete in the target, ``versions`` placed now; the access rows
    and audit entries copied now (0 when an earlier run did); ``indexed`` document
    versions and restored client ``links`` in the target's index."""

    source: str
    target: str
    sets: int = 0
    copied: int = 0
    present: int = 0
    versions: int = 0
    access_rows: int = 0
    audit_entries: int = 0
    indexed: int = 0
    links: int = 0
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Plan:
    """The versions of one object the target still lacks."""

    controller: str
    object_id: str
    inventories: list[bytes]  # source vK/inventory.json, K = 1..head
    have: int  # the target's head
    placed: int = 0

    @property
    def remaining(self) -> bool:
        return self.have < len(self.inventories)


def _source_inventories(source: Store, controller: str, object_id: str) -> list[bytes]:
    key = source.object_key(controller, object_id)
    root = source.storage.read(f"{key}/{INVENTORY}")
    if root is None:
        raise StoreError(f"{source.location}: object {object_id} lost its root inventory")
    head = head_of(parse_inventory(root, key), object_id)
    found = []
    for number in range(1, head):
        data = source.storage.read(f"{key}/v{number}/{INVENTORY}")
        if data is None:
            raise StoreError(f"{source.location}: object {object_id} has no v{number} inventory")
        found.append(data)
    return [*found, root]  # the root inventory is the head version's, byte for byte


def _target_head(target: Store, plan: _Plan) -> int:
    """The target's head, after the target's recovery of an object a killed run may have
    cut short: a version committed but not published is rolled forward, a root sidecar
    not yet replaced is rewritten (else such an object would keep an old root inventory,
    or none, or a stale sidecar). Objects not in the target yet cost one request."""
    head = target.head(plan.controller, plan.object_id)
    key = target.object_key(plan.controller, plan.object_id)
    if head > 0 or target.storage.is_file(f"{key}/v1/{INVENTORY}"):
        target.recover_object(plan.controller, plan.object_id)
        head = target.head(plan.controller, plan.object_id)
    return head


def _version(source: Store, plan: _Plan, number: int) -> VersionCopy:
    """Version ``number`` of a source object, its new content read and checked."""
    key = source.object_key(plan.controller, plan.object_id)
    inventory_bytes = plan.inventories[number - 1]
    inventory = parse_inventory(inventory_bytes, key)
    prefix = f"v{number}/"
    content = []
    for digest, paths in inventory.get("manifest", {}).items():
        for path in paths:
            if not str(path).startswith(prefix):
                continue
            data = source.storage.read(f"{key}/{path}")
            if data is None or sha512(data) != digest:
                raise StoreError(
                    f"{source.location}: object {plan.object_id}: content file {path} is"
                    " missing or does not match its digest; nothing of it was copied"
                    " (run `kanta-archive verify --full` on the source)"
                )
            content.append((str(path), data))
    sidecar = f"{sha512(inventory_bytes)}  {INVENTORY}\n".encode("ascii")
    previous = plan.inventories[number - 2] if number > 1 else None
    return VersionCopy(
        plan.controller,
        plan.object_id,
        NewVersion(number, inventory_bytes, sidecar, tuple(sorted(content))),
        previous,
    )


def _copy_batch(source: Store, target: Store, objects: Sequence[tuple[str, str]]) -> list[_Plan]:
    plans = [_Plan(c, o, _source_inventories(source, c, o), 0) for c, o in objects]
    for attempt in range(_ATTEMPTS):
        for plan in plans:
            plan.have = _target_head(target, plan)
            if plan.have > len(plan.inventories):
                raise ConflictError(
                    f"{target.location}: object {plan.object_id} has v{plan.have}, the source"
                    f" only v{len(plan.inventories)}: the target is not a copy of this source"
                )
        try:
            while pending := [p for p in plans if p.remaining]:
                for start in range(0, len(pending), MAX_BATCH):
                    chunk = pending[start : start + MAX_BATCH]
                    copies = [_version(source, p, p.have + 1) for p in chunk]
                    target.place_versions(copies)
                    for plan in chunk:
                        plan.have += 1
                        plan.placed += 1
            return plans
        except ConflictError:
            # The target moved under us (a version of a killed run rolled forward by
            # another reader meanwhile): read the heads again. A target that is no copy
            # of the source fails every time.
            if attempt == _ATTEMPTS - 1:
                raise
    return plans


def _objects(source: Store) -> Iterator[tuple[str, str]]:
    for controller, object_id, _key in source.scan_objects():
        if object_id is not None:
            yield controller, object_id


def _batches(items: Iterator[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _migrated_before(source: Store, target: Store) -> bool:
    """True when an earlier run copied this source's access records and audit log into
    ``target``; :class:`ConflictError` when another store's were (checked before anything
    is copied: a target is the copy of one store)."""
    earlier = manifest.migrated_from(target.storage)
    if earlier is None:
        return False
    if earlier.get("store_id") != manifest.store_id(source.storage):
        raise ConflictError(
            f"{target.location} is the copy of another store ({earlier.get('location')});"
            " nothing copied"
        )
    return True


def _copy_access(
    source: Store, target: Store, source_url: str | None, target_url: str | None
) -> tuple[int, int]:
    """The access rows and audit entries copied (0, 0 when the source has none, or when
    an earlier run copied them: the target's marker says so)."""
    if _migrated_before(source, target):
        return 0, 0
    source_id = manifest.store_id(source.storage)
    declared = manifest.declared(source.storage)
    if not records.has_access_control(source.storage, source_url) and not declared:
        return 0, 0
    with (
        AccessStore.open(source.storage, source_url, create=False) as old,
        AccessStore.open(target.storage, target_url) as new,
    ):
        rows = old.copy_into(new)
    if manifest.REGISTRY in declared:
        manifest.declare(target.storage, manifest.REGISTRY)
    with open_audit_log(source.storage, source_url) as old_log:
        checked = verify_audit_log(old_log)
        if not checked.ok:
            raise StoreError(
                f"the source's audit log does not verify (line {checked.bad_line}:"
                f" {checked.message}); it was not copied"
            )
        entries = list(old_log.entries())
    declaration: dict[str, Any] = declared.get(manifest.AUDIT_LOG, {})
    with open_audit_log(target.storage, target_url, manifest.store_id(target.storage)) as log:
        copied = log.adopt(entries, declaration) if entries else 0
    # Only now: a run killed before this line finds the rows and entries there and
    # copies nothing twice (copy_into, adopt); after it, the target may be used freely.
    manifest.record_migration(
        target.storage, source_id, source.location, access_rows=rows, audit_entries=len(entries)
    )
    return rows, copied


def migrate(
    source_location: str | os.PathLike[str],
    target_location: str | os.PathLike[str],
    *,
    index_url: str | None = None,
    access_url: str | None = None,
    source_access_url: str | None = None,
    progress: Progress = no_progress,
    batch: int = BATCH,
) -> MigrateReport:
    """Copy the store at ``source_location`` (with its access records and audit log) into
    ``target_location`` (made when new), with the target's index at ``index_url`` and its
    access store at ``access_url`` (default: the index URL when it is PostgreSQL, else
    files in a local target). ``source_access_url``: where the source's access records
    are, when not files in its folder. ``progress`` is called with 1 per document set.
    Safe to run again after an interruption: see the module docstring."""
    source = Store.open(source_location, readonly=True)
    target_access = access_url or (index_url if is_postgres(index_url) else None)
    has_access = records.has_access_control(source.storage, source_access_url)
    if (
        target_access is None
        and (has_access or manifest.declared(source.storage))
        and Store.open(target_location, create=True).local_dir is None
    ):
        raise UsageError(NO_DATABASE.format(where=os.fspath(target_location)))
    with Archive.open(target_location, index_url, create=True, access_url=target_access) as archive:
        target = archive.store
        _migrated_before(source, target)
        sets = copied = present = versions = 0
        for objects in _batches(_objects(source), batch):
            for plan in _copy_batch(source, target, objects):
                sets += 1
                versions += plan.placed
                copied += plan.placed > 0
                present += plan.placed == 0
            progress(len(objects))
        rows, entries = _copy_access(source, target, source_access_url, target_access)
        rebuilt = fixity.reindex(source, archive.index, no_progress)
        links = records.restore_links(target.storage, archive.index, target_access)
    problems = tuple(p.message for p in rebuilt.problems)
    return MigrateReport(
        source.location,
        target.location,
        sets,
        copied,
        present,
        versions,
        rows,
        entries,
        rebuilt.versions,
        links,
        problems,
    )
