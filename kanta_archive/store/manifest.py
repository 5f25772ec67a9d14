"""What a store says about itself in its marker file: its id and what it holds besides
documents.

The marker (``kanta-archive-store.json``, written by :class:`~kanta_archive.store.Store`)
gets two more members, both added here and only ever grown:

- ``store_id``: a random id, made the first time a writable store is opened; the index
  keys its rows by it, so that one database can hold the index of several stores;
- ``declares``: what the store holds besides documents, ``{name: {"since": <UTC time>,
  ...details}}``; today ``registry`` (an organisation registry: access control is on) and
  ``audit-log`` (its audit log, with the id of the key its lines are sealed with). A
  declared part that has gone missing is an error, never a silent fallback: deleting
  ``access.sqlite`` must not turn access control off, deleting the audit log must not
  make ``audit verify`` pass.

Updates are read-modify-write under the store's ``marker`` lock, written to a temporary
file, flushed and renamed into place, so a crash leaves the old or the new marker.
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

from kanta_archive.errors import StoreError
from kanta_archive.store.fsync import fsync_path, write_file
from kanta_archive.store.locking import exclusive_lock

MARKER: Final = "kanta-archive-store.json"
LOCKS: Final = ".locks"
#: the store id of a store that has none and cannot be given one (read-only, old).
UNIDENTIFIED: Final = "unidentified"
REGISTRY: Final = "registry"
AUDIT_LOG: Final = "audit-log"


def read_marker(store_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The marker's content (the store must exist: :meth:`Store.open` checked it)."""
    path = Path(store_path) / MARKER
    try:
        content = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the store marker {path}: {exc}") from exc
    if not isinstance(content, dict):
        raise StoreError(f"the store marker {path} is not a JSON object")
    return content


def _update(store_path: Path, change: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``change`` into the marker (under the marker lock) and return the result.

    A member already there is kept: the marker only grows, so two processes that add the
    same member at once agree on the first one's value.
    """
    with exclusive_lock(store_path / LOCKS / "marker"):
        content = read_marker(store_path)
        merged = dict(content)
        for key, value in change.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**value, **merged[key]}
            else:
                merged.setdefault(key, value)
        if merged != content:
            tmp = store_path / f"{MARKER}.{secrets.token_hex(8)}.tmp"
            write_file(tmp, json.dumps(merged, indent=2).encode() + b"\n", sync=True)
            os.replace(tmp, store_path / MARKER)
            fsync_path(store_path)
        return merged


def is_store(store_path: str | os.PathLike[str]) -> bool:
    """True when ``store_path`` has a marker (is a store)."""
    return (Path(store_path) / MARKER).is_file()


def store_id(store_path: str | os.PathLike[str]) -> str:
    """The store's id, made and recorded on first use; :data:`UNIDENTIFIED` for a folder
    that is no store, or a store that has none and may not be written."""
    root = Path(store_path)
    if not is_store(root):
        return UNIDENTIFIED
    found = read_marker(root).get("store_id")
    if isinstance(found, str) and found:
        return found
    try:
        made = _update(root, {"store_id": str(uuid.uuid4())})
    except (OSError, StoreError):
        return UNIDENTIFIED
    return str(made["store_id"])


def declared(store_path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """What the store declares it holds: ``{name: details}`` (nothing before it exists)."""
    if not is_store(store_path):
        return {}
    found = read_marker(store_path).get("declares")
    if not isinstance(found, dict):
        return {}
    return {str(k): dict(v) if isinstance(v, dict) else {} for k, v in found.items()}


def declare(store_path: str | os.PathLike[str], name: str, **details: Any) -> dict[str, Any]:
    """Record (once) that the store holds ``name``; return what is recorded for it."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        merged = _update(Path(store_path), {"declares": {name: {"since": now, **details}}})
    except OSError as exc:
        raise StoreError(f"cannot record {name} in the store marker: {exc}") from exc
    return dict(merged["declares"][name])
