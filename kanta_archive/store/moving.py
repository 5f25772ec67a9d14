"""Moving an object (all versions) to another controller's storage root
(``Store.move_object``): recovered first under both locks, refused when the target holds
it, then one ``Storage.move_object`` (a rename locally, :mod:`s3_moves` on S3)."""

from __future__ import annotations

from kanta_archive.errors import ConflictError, UsageError
from kanta_archive.store.inventory import INVENTORY, OBJECT_NAMASTE
from kanta_archive.store.layout import locator_key, lock_key
from kanta_archive.store.roots import object_key_of, root_files, root_key
from kanta_archive.store.storage import Storage
from kanta_archive.store.store_recovery import recover_object_locked


def move(storage: Storage, object_id: str, from_controller: str, to_controller: str) -> None:
    """Move ``object_id`` from one storage root to another (identifiers already checked,
    controllers different). Raises :class:`ConflictError` if the target already holds it."""
    source_key = lock_key(from_controller, object_id)
    target_key = lock_key(to_controller, object_id)
    storage.ensure_root(root_key(to_controller), root_files())
    with storage.lock([source_key, target_key]):
        source = object_key_of(from_controller, object_id)
        recover_object_locked(storage, source, source_key)
        if not storage.is_file(f"{source}/{INVENTORY}"):
            raise UsageError(f"no object {object_id} in controller {from_controller}")
        target = object_key_of(to_controller, object_id)
        if storage.is_file(f"{target}/{OBJECT_NAMASTE}") or storage.list_dirs(target):
            raise ConflictError(f"controller {to_controller} already has object {object_id}")
        locators = (
            locator_key(object_id, from_controller),
            locator_key(object_id, to_controller),
        )
        storage.move_object(source, target, root_key(to_controller), locators)
