"""Recovery of one object after a crash: finish or undo an interrupted commit.

Backend-independent: reads and writes go through :class:`Storage`. The caller holds the
object's lock (on a backend that has locks).

- a version ``vK`` newer than the root head is rolled forward when K = head + 1 and it is
  complete (its inventory matches its sidecar, continues the root inventory, and every
  content file it adds has the right digest); otherwise it is removed;
- a root sidecar that does not match the root inventory is rewritten from the head
  version's when the root inventory equals that version's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kanta_archive.errors import StoreError
from kanta_archive.store.inventory import (
    INVENTORY,
    OBJECT_NAMASTE,
    SIDECAR,
    continues,
    head_of,
    new_content_paths,
    parse_inventory,
    sha512,
    sidecar_digest,
    version_number,
)
from kanta_archive.store.storage import Storage


def load_root_inventory(
    storage: Storage, object_key: str
) -> tuple[dict[str, Any], object | None] | None:
    """The root inventory of an object and its token; ``None`` when it has none."""
    found = storage.read_versioned(f"{object_key}/{INVENTORY}")
    if found is None:
        return None
    data, token = found
    return parse_inventory(data, object_key), token


def version_checks_out(
    storage: Storage, object_key: str, number: int, root_inventory: Mapping[str, Any] | None
) -> tuple[bytes, bytes] | None:
    """The inventory and sidecar bytes of ``v<number>`` if that version is complete and
    continues ``root_inventory``; otherwise ``None``."""
    vkey = f"{object_key}/v{number}"
    inv_bytes = storage.read(f"{vkey}/{INVENTORY}")
    if inv_bytes is None:
        return None
    sidecar = storage.read(f"{vkey}/{SIDECAR}")
    if sidecar is None:
        # On object storage the version inventory is the commit point and its sidecar is
        # written just after: a writer can stop in between. The sidecar only names the
        # inventory's digest, so it is recreated (the rest is checked as usual below).
        sidecar = f"{sha512(inv_bytes)}  {INVENTORY}\n".encode("ascii")
    elif sidecar_digest(sidecar) != sha512(inv_bytes):
        return None
    try:
        inventory = json.loads(inv_bytes)
    except ValueError:
        return None
    if not isinstance(inventory, dict) or not continues(inventory, number, root_inventory):
        return None
    added = new_content_paths(inventory, number)
    if added is None:
        return None
    for digest, path in added:
        data = storage.read(f"{object_key}/{path}")
        if data is None or sha512(data) != digest:
            return None
    return inv_bytes, sidecar


def _version_numbers(storage: Storage, object_key: str) -> list[int]:
    return sorted(n for n in map(version_number, storage.list_dirs(object_key)) if n)


def restore_root_copy(storage: Storage, object_key: str, lock_key: str) -> list[str]:
    """A root inventory whose bytes changed (it matches neither its sidecar nor any
    version's inventory) is restored from the version inventory whose digest the root
    sidecar records: the head version keeps its own copy (no hard link)."""
    root = storage.read_versioned(f"{object_key}/{INVENTORY}")
    sidecar = storage.read(f"{object_key}/{SIDECAR}")
    if root is None or sidecar is None:
        return []
    recorded = sidecar_digest(sidecar)
    if recorded is None or recorded == sha512(root[0]):
        return []
    copies = {}
    for number in reversed(_version_numbers(storage, object_key)):
        data = storage.read(f"{object_key}/v{number}/{INVENTORY}")
        if data is not None:
            copies[number] = data
    if root[0] in copies.values():
        return []  # an intact copy with a stale sidecar: repair_object rewrites the sidecar
    for number, data in copies.items():
        if sha512(data) == recorded:
            storage.replace(f"{object_key}/{INVENTORY}", data, lock_key=lock_key, token=root[1])
            return [f"restored the root inventory of {object_key} from v{number}"]
    return []


def restore_head_copy(storage: Storage, object_key: str, lock_key: str) -> list[str]:
    """A head version inventory whose bytes changed is restored from the root copy (the
    root inventory and sidecar match each other and name that version as head)."""
    root = storage.read(f"{object_key}/{INVENTORY}")
    sidecar = storage.read(f"{object_key}/{SIDECAR}")
    if root is None or sidecar is None or sidecar_digest(sidecar) != sha512(root):
        return []
    try:
        head = head_of(parse_inventory(root, object_key), object_key)
    except StoreError:
        return []
    vkey = f"{object_key}/v{head}"
    if head not in _version_numbers(storage, object_key):
        return []
    actions = []
    if storage.read(f"{vkey}/{INVENTORY}") != root:
        storage.replace(f"{vkey}/{INVENTORY}", root, lock_key=lock_key, token=None)
        actions.append(f"restored {vkey}/{INVENTORY} from the root copy")
    if storage.read(f"{vkey}/{SIDECAR}") != sidecar:
        storage.replace(f"{vkey}/{SIDECAR}", sidecar, lock_key=lock_key, token=None)
        actions.append(f"restored {vkey}/{SIDECAR} from the root copy")
    return actions


def repair_object(storage: Storage, object_key: str, lock_key: str) -> list[str]:
    """Roll forward or remove versions newer than the root head; rewrite a stale root
    sidecar; restore a damaged root or head inventory from the other copy. Returns what
    was done (or why the object cannot be repaired)."""
    actions: list[str] = restore_root_copy(storage, object_key, lock_key)
    try:
        loaded = load_root_inventory(storage, object_key)
    except StoreError as exc:
        return [f"cannot repair {object_key}: {exc}"]
    root_inventory, token = (None, None) if loaded is None else loaded
    try:
        head = 0 if root_inventory is None else head_of(root_inventory, object_key)
    except StoreError as exc:
        return [f"cannot repair {object_key}: {exc}"]
    numbers = _version_numbers(storage, object_key)
    for number in (n for n in numbers if n > head):
        checked = None
        if number == head + 1:
            checked = version_checks_out(storage, object_key, number, root_inventory)
        if checked is not None:
            new_inventory, sidecar = checked
            if storage.read(f"{object_key}/v{number}/{SIDECAR}") is None:
                storage.replace(
                    f"{object_key}/v{number}/{SIDECAR}", sidecar, lock_key=lock_key, token=None
                )
            old_sidecar = storage.read_versioned(f"{object_key}/{SIDECAR}")
            storage.replace(
                f"{object_key}/{INVENTORY}", new_inventory, lock_key=lock_key, token=token
            )
            storage.replace(
                f"{object_key}/{SIDECAR}",
                sidecar,
                lock_key=lock_key,
                token=None if old_sidecar is None else old_sidecar[1],
            )
            root_inventory = json.loads(new_inventory)
            head = number
            actions.append(f"rolled forward {object_key}/v{number}")
        elif storage.remove_tree(f"{object_key}/v{number}", lock_key=lock_key):
            actions.append(f"removed incomplete {object_key}/v{number}")
        else:
            actions.append(
                f"left {object_key}/v{number}: a committed version that does not continue the "
                "root inventory, or an upload that may still be in progress"
            )
    if root_inventory is None:
        # A first version that never reached its commit point, now removed: the object
        # never existed; its declaration goes too (once old enough, on object storage).
        only_declaration = [n for n, _is_dir in storage.entries(object_key)] == [OBJECT_NAMASTE]
        if only_declaration and storage.remove_tree(object_key, lock_key=lock_key):
            return [*actions, f"removed the never committed object {object_key}"]
        return [*actions, f"cannot repair {object_key}: no inventory"]
    inv_bytes = storage.read(f"{object_key}/{INVENTORY}") or b""
    found_sidecar = storage.read_versioned(f"{object_key}/{SIDECAR}")
    recorded = None if found_sidecar is None else sidecar_digest(found_sidecar[0])
    if recorded != sha512(inv_bytes):
        version_key = f"{object_key}/v{head}"
        if storage.read(f"{version_key}/{INVENTORY}") == inv_bytes:
            head_sidecar = storage.read(f"{version_key}/{SIDECAR}")
            if head_sidecar is not None and sidecar_digest(head_sidecar) == sha512(inv_bytes):
                storage.replace(
                    f"{object_key}/{SIDECAR}",
                    head_sidecar,
                    lock_key=lock_key,
                    token=None if found_sidecar is None else found_sidecar[1],
                )
                actions.append(f"rewrote the sidecar of {object_key}")
                return actions
        actions.append(f"cannot repair {object_key}: inventory does not match its sidecar")
        return actions
    return actions + restore_head_copy(storage, object_key, lock_key)
