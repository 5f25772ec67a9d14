"""Export one OCFL object (a document set, every version) as a self-contained copy.

The copy is the OCFL object directory itself: ``0=ocfl_object_1.1``, the root inventory and
its sidecar, and every ``vN/`` with its inventory and content, so any OCFL 1.1 validator can
check it on its own. The files are the ones the root inventory names, read through the
store's backend (a directory or object storage: unfinished uploads of another writer are
never copied); every copied file is checked against the inventory digests; the copy is
built next to the target and renamed into place, so a failed export leaves nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from kanta_archive.errors import StoreError, UsageError
from kanta_archive.output import writing
from kanta_archive.store.inventory import OBJECT_NAMASTE, sidecar_digest
from kanta_archive.store.ocfl import INVENTORY, SIDECAR, Store
from kanta_archive.store.storage import Storage

#: reads of the root inventory and its sidecar before they are taken as inconsistent (a
#: writer on another host may replace them between the two reads)
_ROOT_READS = 3


def _sha512_file(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_copy(target: Path, where: str) -> None:
    try:
        inv_bytes = (target / INVENTORY).read_bytes()
        sidecar = (target / SIDECAR).read_text("ascii").split()
        inventory = json.loads(inv_bytes)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{where}: inventory unreadable: {exc}") from exc
    if not sidecar or sidecar[0].lower() != hashlib.sha512(inv_bytes).hexdigest():
        raise StoreError(f"{where}: inventory does not match its sidecar")
    for digest, paths in inventory.get("manifest", {}).items():
        for content_path in paths:
            path = target / content_path
            if not path.is_file():
                raise StoreError(f"{where}: content file {content_path} is missing")
            if _sha512_file(path) != digest:
                raise StoreError(f"{where}: content file {content_path} does not match its digest")


def _root(storage: Storage, key: str, where: str, object_id: str) -> tuple[bytes, bytes]:
    """The root inventory and a sidecar that names its digest."""
    for _attempt in range(_ROOT_READS):
        inventory = storage.read(f"{key}/{INVENTORY}")
        if inventory is None:
            raise UsageError(f"no document set {object_id} in the store")
        sidecar = storage.read(f"{key}/{SIDECAR}") or b""
        if sidecar_digest(sidecar) == hashlib.sha512(inventory).hexdigest():
            return inventory, sidecar
    raise StoreError(f"{where}: inventory does not match its sidecar")


def _files(inventory: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What the root inventory names: every content file, and every version's inventory
    and sidecar (relative to the object)."""
    content = [str(p) for paths in inventory.get("manifest", {}).values() for p in paths]
    versions = [
        f"{v}/{name}" for v in inventory.get("versions", {}) for name in (INVENTORY, SIDECAR)
    ]
    return sorted(content), sorted(versions)


def export_object(store: Store, controller_oid: str, object_id: str, to: Path) -> Path:
    """Copy the object to ``to`` (which must not exist, or be an empty directory)."""
    key = store.object_key(controller_oid, object_id)
    where = f"object {object_id} in controller {controller_oid}"
    inventory_bytes, sidecar = _root(store.storage, key, where, object_id)
    if to.exists():
        if not to.is_dir() or any(to.iterdir()):
            raise UsageError(f"export target {to} exists and is not an empty directory")
        to.rmdir()
    try:
        inventory = json.loads(inventory_bytes)
    except ValueError as exc:
        raise StoreError(f"{where}: inventory unreadable: {exc}") from exc
    content, versions = _files(inventory)
    workspace = to.parent / f".{to.name}.{secrets.token_hex(6)}.partial"
    try:
        with writing("export --to", to):
            workspace.mkdir(parents=True)
            _write(workspace / INVENTORY, inventory_bytes)
            _write(workspace / SIDECAR, sidecar)
            for name in (OBJECT_NAMASTE, *content, *versions):
                data = store.storage.read(f"{key}/{name}")
                if (data is None and name in content) or (name == OBJECT_NAMASTE and data is None):
                    raise StoreError(f"{where}: {name} is missing")
                if data is not None:  # an old version's own inventory is optional in OCFL
                    _write(workspace / name, data)
        _check_copy(workspace, where)
        with writing("export --to", to):
            os.rename(workspace, to)
    finally:
        if workspace.exists():
            shutil.rmtree(workspace, ignore_errors=True)
    return to


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
