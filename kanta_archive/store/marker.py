"""The store marker ``kanta-archive-store.json``: what makes a directory (or a prefix) a
kanta-archive store, its format version, and the upgrade to version 2 (see
docs/store-layout.md)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kanta_archive.errors import StoreError
from kanta_archive.store.layout import LAYOUT_EXTENSION
from kanta_archive.store.storage import Storage

MARKER = "kanta-archive-store.json"
MARKER_TYPE = "kanta-archive-store"
#: Version 2: every object has a locator under ``sets/`` (version 1 stores are read by
#: probing every storage root until ``recover`` has made the locators).
MARKER_VERSION = 2
MARKER_VERSIONS = (1, 2)
_MARKER_LOCK = "root-" + hashlib.sha256(b"kanta-archive-store.json").hexdigest()

MARKER_CONTENT: dict[str, Any] = {
    "type": MARKER_TYPE,
    "version": MARKER_VERSION,
    "grouping": {
        "controllers": "controllers/<controller OID>/ is an OCFL 1.1 storage root",
        "storageLayout": LAYOUT_EXTENSION,
        "objectId": "urn:oid:<document set OID>",
    },
}


def marker_ok(content: Any) -> bool:
    """Is ``content`` (the parsed marker file) a kanta-archive marker of a known version?"""
    return (
        isinstance(content, dict)
        and content.get("type") == MARKER_TYPE
        and content.get("version") in MARKER_VERSIONS
    )


def read_marker_version(storage: Storage, *, create: bool, readonly: bool) -> int:
    """The store's marker version; with ``create`` (and not ``readonly``) a store without
    a marker gets one of the current version. Anything else without a good marker raises
    :class:`StoreError`."""
    where = storage.location
    data = storage.read(MARKER)
    if data is not None:
        try:
            content = json.loads(data)
        except ValueError as exc:
            msg = f"{where} is not a kanta-archive store (bad marker: {exc})"
            raise StoreError(msg) from exc
        if not marker_ok(content):
            raise StoreError(f"{where} is not a kanta-archive store (unknown marker content)")
        return int(content["version"])
    if create and not readonly:
        data = json.dumps(MARKER_CONTENT, indent=2).encode() + b"\n"
        storage.create_store(MARKER, data, ())
        return MARKER_VERSION
    raise StoreError(f"{where} is not a kanta-archive store (no {MARKER})")


def upgrade_marker(storage: Storage) -> None:
    """Rewrite the marker as :data:`MARKER_VERSION`, keeping its other members."""
    found = storage.read_versioned(MARKER)
    content = json.loads(found[0]) if found is not None else {}
    content = {**MARKER_CONTENT, **content, "version": MARKER_VERSION}
    data = json.dumps(content, indent=2).encode() + b"\n"
    with storage.lock([_MARKER_LOCK]):
        storage.replace(
            MARKER, data, lock_key=_MARKER_LOCK, token=None if found is None else found[1]
        )
