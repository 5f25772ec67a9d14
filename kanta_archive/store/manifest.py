"""What a store says about itself in its marker file: its id and what it holds besides
documents.

The marker (``kanta-archive-store.json``, written by :class:`~kanta_archive.store.Store`)
gets more members, all added here and only ever grown:

- ``store_id``: a random id, made the first time a writable store is opened; the index
  keys its rows by it, so that one database can hold the index of several stores;
- ``migrated_from``: set once by ``migrate`` after it copied another store's access
  records and audit log here: ``{"store_id", "location", "at", ...counts}``, so that a
  run repeated after the new store was used copies neither again;
- ``declares``: what the store holds besides documents, ``{name: {"since": <UTC time>,
  ...details}}``; today ``registry`` (an organisation registry: access control is on) and
  ``audit-log`` (its audit log, with the id of the key its lines are sealed with). A
  declared part that has gone missing is an error, never a silent fallback: deleting
  ``access.sqlite`` must not turn access control off, deleting the audit log must not
  make ``audit verify`` pass.

The store is named by its directory or by its :class:`~kanta_archive.store.Storage` (an
object-storage store has no directory: its marker is an object in the bucket). Updates are
read-modify-write: on a directory under the store's ``marker`` lock, written to a
temporary file, flushed and renamed into place, so a crash leaves the old or the new
marker; on object storage a conditional replace (``If-Match`` on the ETag read), retried
when another host changed the marker in between, so no host's addition is lost.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from kanta_archive.errors import ConflictError, StoreError
from kanta_archive.store.fsync import fsync_path, write_file
from kanta_archive.store.local import LocalStorage
from kanta_archive.store.locking import exclusive_lock
from kanta_archive.store.storage import Storage

#: A store as the functions here take it: its directory, or its storage backend.
StoreRef = str | os.PathLike[str] | Storage

MARKER: Final = "kanta-archive-store.json"
LOCKS: Final = ".locks"
#: the store id of a store that has none and cannot be given one (read-only, old).
UNIDENTIFIED: Final = "unidentified"
REGISTRY: Final = "registry"
AUDIT_LOG: Final = "audit-log"
#: the marker member recording that a store's access records and audit log were copied
#: into this one (``migrate``)
MIGRATED_FROM: Final = "migrated_from"
#: the lock key of marker replacements on a backend that checks tokens instead of locking
_MARKER_LOCK: Final = "marker"
_UPDATE_RETRIES: Final = 20


def local_path(store: StoreRef) -> Path | None:
    """The store's directory, ``None`` for a store on object storage."""
    if isinstance(store, LocalStorage):
        return store.path
    if isinstance(store, Storage):
        return None
    return Path(store)


def location(store: StoreRef) -> str:
    """The store's path or URL, for messages."""
    return store.location if isinstance(store, Storage) else os.fspath(store)


def _parse(data: bytes, where: str) -> dict[str, Any]:
    try:
        content = json.loads(data)
    except ValueError as exc:
        raise StoreError(f"cannot read the store marker {where}: {exc}") from exc
    if not isinstance(content, dict):
        raise StoreError(f"the store marker {where} is not a JSON object")
    return content


def read_marker(store: StoreRef) -> dict[str, Any]:
    """The marker's content (the store must exist: :meth:`Store.open` checked it)."""
    path = local_path(store)
    if path is not None:
        try:
            data = (path / MARKER).read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read the store marker {path / MARKER}: {exc}") from exc
        return _parse(data, str(path / MARKER))
    assert isinstance(store, Storage)
    found = store.read(MARKER)
    if found is None:
        raise StoreError(f"cannot read the store marker {store.location}/{MARKER}: it is gone")
    return _parse(found, f"{store.location}/{MARKER}")


def _merge(content: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """``content`` with the members of ``change`` it lacks (the marker only grows)."""
    merged = dict(content)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**value, **merged[key]}
        else:
            merged.setdefault(key, value)
    return merged


def _update(store: StoreRef, change: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``change`` into the marker and return the result.

    A member already there is kept: the marker only grows, so two processes (or hosts) that
    add the same member at once agree on the first one's value.
    """
    path = local_path(store)
    if path is not None:
        with exclusive_lock(path / LOCKS / "marker"):
            content = read_marker(path)
            merged = _merge(content, change)
            if merged != content:
                tmp = path / f"{MARKER}.{secrets.token_hex(8)}.tmp"
                write_file(tmp, json.dumps(merged, indent=2).encode() + b"\n", sync=True)
                os.replace(tmp, path / MARKER)
                fsync_path(path)
            return merged
    assert isinstance(store, Storage)
    for _attempt in range(_UPDATE_RETRIES):
        found = store.read_versioned(MARKER)
        if found is None:
            raise StoreError(f"the store marker {store.location}/{MARKER} is gone")
        content = _parse(found[0], f"{store.location}/{MARKER}")
        merged = _merge(content, change)
        if merged == content:
            return merged
        data = json.dumps(merged, indent=2).encode() + b"\n"
        try:
            store.replace(MARKER, data, lock_key=_MARKER_LOCK, token=found[1])
            return merged
        except ConflictError:
            continue  # another host changed the marker meanwhile: merge into its version
    raise StoreError(f"the store marker {store.location}/{MARKER} keeps changing; try again")


def is_store(store: StoreRef) -> bool:
    """True when the store has a marker (is a store)."""
    path = local_path(store)
    if path is not None:
        return (path / MARKER).is_file()
    assert isinstance(store, Storage)
    return store.is_file(MARKER)


def store_id(store: StoreRef) -> str:
    """The store's id, made and recorded on first use; :data:`UNIDENTIFIED` for a folder
    that is no store, or a store that has none and may not be written."""
    if not is_store(store):
        return UNIDENTIFIED
    found = read_marker(store).get("store_id")
    if isinstance(found, str) and found:
        return found
    if isinstance(store, Storage) and store.readonly:
        return UNIDENTIFIED
    try:
        made = _update(store, {"store_id": str(uuid.uuid4())})
    except (OSError, StoreError):
        return UNIDENTIFIED
    return str(made["store_id"])


def declared(store: StoreRef) -> dict[str, dict[str, Any]]:
    """What the store declares it holds: ``{name: details}`` (nothing before it exists)."""
    if not is_store(store):
        return {}
    found = read_marker(store).get("declares")
    if not isinstance(found, dict):
        return {}
    return {str(k): dict(v) if isinstance(v, dict) else {} for k, v in found.items()}


def declare(store: StoreRef, name: str, **details: Any) -> dict[str, Any]:
    """Record (once) that the store holds ``name``; return what is recorded for it."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        merged = _update(store, {"declares": {name: {"since": now, **details}}})
    except OSError as exc:
        raise StoreError(f"cannot record {name} in the store marker: {exc}") from exc
    return dict(merged["declares"][name])


def migrated_from(store: StoreRef) -> dict[str, Any] | None:
    """What ``migrate`` recorded when it copied another store's access records and audit
    log into this one (``None``: never)."""
    if not is_store(store):
        return None
    found = read_marker(store).get(MIGRATED_FROM)
    return dict(found) if isinstance(found, dict) else None


def record_migration(store: StoreRef, source_id: str, source: str, **details: Any) -> None:
    """Record (once) that the access records and audit log of the store ``source_id`` (at
    ``source``) were copied into this one."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    change = {"store_id": source_id, "location": source, "at": now, **details}
    try:
        _update(store, {MIGRATED_FROM: change})
    except OSError as exc:
        raise StoreError(f"cannot record the migration in the store marker: {exc}") from exc
