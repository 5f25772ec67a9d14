"""The storage roots of a store: their keys and files, the keys of objects in them, the
listing of controllers, and the locators that say which root holds an object."""

from __future__ import annotations

import json
from typing import Any

from kanta_archive.errors import UsageError
from kanta_archive.store.inventory import (
    INVENTORY,
    LAYOUT_FILE,
    ROOT_NAMASTE,
    ROOT_NAMASTE_TEXT,
    parse_inventory,
)
from kanta_archive.store.layout import (
    LAYOUT_CONFIG,
    LAYOUT_DESCRIPTION,
    LAYOUT_EXTENSION,
    LOCATOR_SEPARATOR,
    check_oid,
    layout_path,
    locator_dir,
    ocfl_id,
)
from kanta_archive.store.local import CONTROLLERS
from kanta_archive.store.storage import Storage


def root_key(controller_oid: str) -> str:
    """The key of a controller's storage root."""
    return f"{CONTROLLERS}/{controller_oid}"


def object_key_of(controller_oid: str, object_id: str) -> str:
    """The key of an object by the layout of docs/store-layout.md (identifiers already
    checked)."""
    return "/".join((CONTROLLERS, controller_oid, *layout_path(ocfl_id(object_id))))


def root_files() -> list[tuple[str, bytes]]:
    """The files of a new storage root (the declaration first), as ``(name, bytes)``."""
    layout = {"extension": LAYOUT_EXTENSION, "description": LAYOUT_DESCRIPTION}
    return [
        (ROOT_NAMASTE, ROOT_NAMASTE_TEXT),
        (LAYOUT_FILE, json.dumps(layout, indent=2, sort_keys=True).encode() + b"\n"),
        (
            f"extensions/{LAYOUT_EXTENSION}/config.json",
            json.dumps(LAYOUT_CONFIG, indent=2, sort_keys=True).encode() + b"\n",
        ),
    ]


def controllers(storage: Storage) -> list[str]:
    """Controller OIDs of every storage root, sorted."""
    return [
        name
        for name in storage.list_dirs(CONTROLLERS)
        if storage.is_file(f"{CONTROLLERS}/{name}/{ROOT_NAMASTE}")
    ]


def located(storage: Storage, object_id: str) -> list[str]:
    """Controllers that the locators name for ``object_id`` (one listing)."""
    prefix = object_id + LOCATOR_SEPARATOR
    found = []
    for name in storage.names_with_prefix(locator_dir(object_id), prefix):
        controller = name[len(prefix) :]
        try:
            found.append(check_oid(controller, "controller OID"))
        except UsageError:
            continue  # not ours: verify reports it
    return found


def load_inventory(storage: Storage, object_key: str) -> dict[str, Any] | None:
    """The parsed root inventory of the object at ``object_key``, ``None`` when absent."""
    data = storage.read(f"{object_key}/{INVENTORY}")
    return None if data is None else parse_inventory(data, object_key)
