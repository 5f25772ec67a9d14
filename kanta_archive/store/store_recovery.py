"""Recovery of a whole store after a crash (``Store.recover``) and of one object
(``Store.recover_object``): leftovers, interrupted moves, storage roots cut short, every
object repaired under its lock (:func:`~kanta_archive.store.recovery.repair_object`),
missing locators added and stale ones removed.

Backend-independent: everything goes through :class:`Storage`.
"""

from __future__ import annotations

from urllib.parse import unquote

from kanta_archive.errors import StoreError, UsageError
from kanta_archive.store.inventory import INVENTORY, LAYOUT_FILE, OBJECT_NAMASTE, ROOT_NAMASTE
from kanta_archive.store.layout import (
    LOCATOR_SEPARATOR,
    LOCATORS,
    check_oid,
    locator_key,
    lock_key,
    object_id_from_ocfl_id,
)
from kanta_archive.store.local import CONTROLLERS, LocalStorage
from kanta_archive.store.recovery import repair_object
from kanta_archive.store.roots import (
    controllers,
    load_inventory,
    located,
    object_key_of,
    root_files,
    root_key,
)
from kanta_archive.store.storage import Storage


def recover_object_locked(
    storage: Storage, object_key: str, key: str, *, leftovers: set[str] | None = None
) -> list[str]:
    """Recover one object whose lock the caller holds. ``leftovers``: the keys that have
    leftovers (one listing for a whole batch); default: look now."""
    actions = []
    if leftovers is None or key in leftovers:
        actions += storage.remove_leftovers(key)
    if storage.entries(object_key):  # anything there, even a lone declaration
        actions += repair_object(storage, object_key, key)
    return actions


def recover_one(storage: Storage, controller_oid: str, object_id: str) -> list[str]:
    """Finish (or undo) one object's interrupted commit under its lock and make sure it
    has its locator (identifiers already checked)."""
    key = lock_key(controller_oid, object_id)
    object_key = object_key_of(controller_oid, object_id)
    with storage.lock([key]):
        actions = recover_object_locked(storage, object_key, key)
        if storage.is_file(f"{object_key}/{INVENTORY}"):
            actions += _ensure_locator(storage, controller_oid, object_id, object_key)
    return actions


def recover_store(storage: Storage) -> list[str]:
    """Undo or finish all interrupted work in the store (see ``Store.recover``); the
    marker upgrade is the caller's. Returns a description of every action."""
    actions: list[str] = storage.resume_moves()
    by_key: dict[str, list[str]] = {}
    for leftover in storage.leftovers():
        by_key.setdefault(leftover.key, []).append(leftover.name)
    for key in sorted(by_key):
        if not LocalStorage.is_lock_key(key):
            continue
        with storage.lock([key]):
            actions += storage.remove_leftovers(key, by_key[key])
    actions += _complete_roots(storage)
    for controller in controllers(storage):
        root = root_key(controller)
        for object_key in list(storage.object_dirs(root)):
            object_id = _object_id_of(storage, object_key)
            if object_id is None:
                actions.append(f"cannot repair {object_key}: unknown id")
                continue
            key = lock_key(controller, object_id)
            with storage.lock([key]):
                actions += recover_object_locked(storage, object_key, key)
                if storage.is_file(f"{object_key}/{INVENTORY}"):
                    actions += _ensure_locator(storage, controller, object_id, object_key)
        actions += storage.remove_empty_dirs(root)
    actions += _remove_stale_locators(storage)
    return actions


def _complete_roots(storage: Storage) -> list[str]:
    """Finish the storage roots a writer died creating: the layout files are there, the
    declaration (written last) is not. Only S3 writes a root file by file; a local root
    appears whole by one rename, so a local one like this was changed by hand."""
    actions: list[str] = []
    for name in storage.list_dirs(CONTROLLERS):
        root = root_key(name)
        if storage.is_file(f"{root}/{ROOT_NAMASTE}"):
            continue
        if not storage.is_file(f"{root}/{LAYOUT_FILE}"):
            continue
        try:
            storage.ensure_root(root, root_files())
        except StoreError as exc:
            actions.append(f"cannot repair the storage root {root}: {exc}")
            continue
        actions.append(f"completed the storage root {root}: its declaration was missing")
    return actions


def _ensure_locator(
    storage: Storage, controller: str, object_id: str, object_key: str
) -> list[str]:
    key = locator_key(object_id, controller)
    if controller in located(storage, object_id):
        return []
    storage.add_locator(key, object_key)
    return [f"added locator {key}"]


def _remove_stale_locators(storage: Storage) -> list[str]:
    """Remove locators whose object is not (or no longer) in that controller: left by
    a commit or a move cut short. Each under the object's lock; on a backend without
    locks only once older than its grace period."""
    actions = []
    for dirkey, _dirs, names in storage.walk(LOCATORS):
        for name in names:
            object_id, _, controller = name.partition(LOCATOR_SEPARATOR)
            try:
                check_oid(object_id, "object id")
                check_oid(controller, "controller OID")
            except UsageError:
                continue  # not ours: verify reports it
            object_key = object_key_of(controller, object_id)
            with storage.lock([lock_key(controller, object_id)]):
                if storage.is_file(f"{object_key}/{OBJECT_NAMASTE}"):
                    continue  # there, or being written
                if storage.abandoned(f"{dirkey}/{name}"):
                    storage.remove_locator(f"{dirkey}/{name}")
                    actions.append(f"removed stale locator {dirkey}/{name}")
    return actions


def _object_id_of(storage: Storage, object_key: str) -> str | None:
    try:
        inventory = load_inventory(storage, object_key)
    except StoreError:
        inventory = None
    if inventory is not None:
        return object_id_from_ocfl_id(str(inventory.get("id", "")))
    name = object_key.rsplit("/", 1)[-1]
    if len(name) > 100:
        return None
    return object_id_from_ocfl_id(unquote(name, errors="strict"))
