"""An OCFL object's files, as rocfl shows them: ``ls`` the logical files of a version,
``cat`` one of them, ``diff`` two versions.

A version is an OCFL version number of the document set (``history`` lists them as v1,
v2, …); ``None`` is the head. Digests are the inventory's SHA-512; ``since`` is the version
whose content the file has (a file unchanged since v1 keeps ``since=1``). ``diff`` compares
files by digest and, for ``metadata.json``, names every metadata key that changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kanta_archive.archive import metadata_file as mf
from kanta_archive.archive.reading import changed_keys, read_metadata, resolve
from kanta_archive.errors import StoreError, UsageError
from kanta_archive.index import Index
from kanta_archive.store import Store

Change = Literal["added", "deleted", "modified", "unchanged"]


@dataclass(frozen=True)
class ObjectFile:
    """One logical file of one OCFL version."""

    path: str
    size: int | None  # None when the content file is missing (verify reports it)
    digest: str
    since: int


@dataclass(frozen=True)
class FileChange:
    """How one logical file differs between two versions; ``changes`` lists the changed
    metadata keys of ``metadata.json`` (``{key: {"from", "to"}}``)."""

    path: str
    change: Change
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectVersion:
    """Where a document set is and which OCFL version is meant."""

    controller: str
    set_oid: str
    number: int


def locate(store: Store, index: Index, oid: str, at: int | None) -> ObjectVersion:
    """The set ``oid`` (set or document OID) belongs to, at OCFL version ``at`` (head)."""
    controller, set_oid, _document = resolve(store, index, oid)
    head = store.head(controller, set_oid)
    number = head if at is None else at
    if not 1 <= number <= head:
        raise UsageError(f"document set {set_oid} has no version v{number} (head v{head})")
    return ObjectVersion(controller, set_oid, number)


def _state(inventory: Mapping[str, Any], number: int) -> dict[str, str]:
    """logical path -> digest of version ``number``."""
    try:
        state = inventory["versions"][f"v{number}"]["state"]
        return {str(p): str(d) for d, paths in state.items() for p in paths}
    except (KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"inventory has no readable state for v{number}: {exc}") from exc


def list_files(store: Store, where: ObjectVersion) -> list[ObjectFile]:
    """The logical files of one version, by path."""
    inventory = store.inventory(where.controller, where.set_oid)
    state = _state(inventory, where.number)
    manifest = inventory.get("manifest", {})
    base = store.object_key(where.controller, where.set_oid)
    files = []
    for path, digest in sorted(state.items()):
        content = str((manifest.get(digest) or [""])[0])
        since = int(content.split("/", 1)[0][1:]) if content.startswith("v") else where.number
        size = store.storage.size(f"{base}/{content}") if content else None
        files.append(ObjectFile(path, size, digest, since))
    return files


def read_file(store: Store, where: ObjectVersion, path: str) -> bytes:
    """The bytes of one logical file of one version, checked against its digest."""
    return store.read(where.controller, where.set_oid, path, where.number)


def diff_versions(
    store: Store, controller: str, set_oid: str, old: int, new: int
) -> list[FileChange]:
    """How version ``new`` differs from ``old``, file by file (unchanged files too)."""
    inventory = store.inventory(controller, set_oid)
    before, after = _state(inventory, old), _state(inventory, new)
    out: list[FileChange] = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            out.append(FileChange(path, "deleted"))
        elif path not in before:
            out.append(FileChange(path, "added"))
        elif before[path] == after[path]:
            out.append(FileChange(path, "unchanged"))
        elif path == mf.METADATA_FILE:
            changes = changed_keys(
                read_metadata(store, controller, set_oid, old),
                read_metadata(store, controller, set_oid, new),
            )
            out.append(FileChange(path, "modified", changes))
        else:
            out.append(FileChange(path, "modified"))
    return out
