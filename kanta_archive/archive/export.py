"""Export one OCFL object (a document set, every version) as a self-contained copy.

The copy is the OCFL object directory itself: ``0=ocfl_object_1.1``, the root inventory and
its sidecar, and every ``vN/`` with its inventory and content, so any OCFL 1.1 validator can
check it on its own. Every copied file is checked against the inventory digests; the copy
is built next to the target and renamed into place, so a failed export leaves nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from kanta_archive.errors import StoreError, UsageError
from kanta_archive.output import writing
from kanta_archive.store.layout import check_oid, layout_path, ocfl_id
from kanta_archive.store.ocfl import CONTROLLERS, INVENTORY, SIDECAR, Store


def object_dir(store: Store, controller_oid: str, object_id: str) -> Path:
    """Directory of an object in the store (the store's public layout, extension 0003)."""
    check_oid(controller_oid, "controller OID")
    check_oid(object_id, "document set OID")
    return store.path.joinpath(CONTROLLERS, controller_oid, *layout_path(ocfl_id(object_id)))


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


def export_object(store: Store, controller_oid: str, object_id: str, to: Path) -> Path:
    """Copy the object to ``to`` (which must not exist, or be an empty directory)."""
    source = object_dir(store, controller_oid, object_id)
    where = f"object {object_id} in controller {controller_oid}"
    if not (source / INVENTORY).is_file():
        raise UsageError(f"no document set {object_id} in the store")
    if to.exists():
        if not to.is_dir() or any(to.iterdir()):
            raise UsageError(f"export target {to} exists and is not an empty directory")
        to.rmdir()
    workspace = to.parent / f".{to.name}.{secrets.token_hex(6)}.partial"
    try:
        with writing("export --to", to):
            to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source, workspace)
        _check_copy(workspace, where)
        with writing("export --to", to):
            os.rename(workspace, to)
    finally:
        if workspace.exists():
            shutil.rmtree(workspace, ignore_errors=True)
    return to
