"""Read-only verification of a store: storage roots, objects, inventories, content.

Backend-independent (everything is read through :class:`Storage`); ``Store.verify`` calls
:func:`verify_store`. Problem codes are listed in docs/store-layout.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kanta_archive.errors import StoreError, UsageError
from kanta_archive.store.inventory import (
    INVENTORY,
    LAYOUT_FILE,
    OBJECT_NAMASTE,
    OBJECT_NAMASTE_TEXT,
    ROOT_NAMASTE,
    ROOT_NAMASTE_TEXT,
    SIDECAR,
    head_of,
    safe_relpath,
    sha512,
    sidecar_digest,
    version_number,
)
from kanta_archive.store.layout import (
    LAYOUT_CONFIG,
    LAYOUT_EXTENSION,
    LOCATOR_SEPARATOR,
    LOCATORS,
    check_oid,
    layout_path,
    locator_dir,
    locator_key,
    object_id_from_ocfl_id,
    ocfl_id,
)
from kanta_archive.store.storage import Storage

CONTROLLERS = "controllers"


@dataclass(frozen=True)
class Problem:
    """Something ``Store.verify`` found. ``severity`` is ``"error"`` or ``"warning"``;
    ``object`` is ``"<controller OID>/<object OID>"`` when known; ``path`` is relative to
    the store."""

    severity: str
    object: str | None
    path: str
    code: str
    message: str


Report = Callable[..., None]


def verify_store(
    storage: Storage,
    marker: str,
    marker_ok: Callable[[Any], bool],
    full: bool,
    *,
    locators_complete: bool = True,
) -> list[Problem]:
    """Every problem of the store (see the module docstring). ``locators_complete``: every
    object must have its locator (a version-2 store)."""
    problems: list[Problem] = []
    objects: set[tuple[str, str]] = set()

    def problem(code: str, path: str, message: str, obj: str | None = None) -> None:
        severity = "warning" if code in ("staging-leftover", "locator-stale") else "error"
        problems.append(Problem(severity, obj, path, code, message))

    data = storage.read(marker)
    try:
        if data is None:
            raise ValueError("missing")
        if not marker_ok(json.loads(data)):
            problem("marker", marker, "marker file has unknown content")
    except (ValueError, AttributeError) as exc:
        problem("marker", marker, f"marker file unreadable: {exc}")
    for leftover in storage.leftovers():
        problem("staging-leftover", leftover.name, "leftover workspace or temp file")
    for name, is_dir in storage.entries(CONTROLLERS):
        root = f"{CONTROLLERS}/{name}"
        try:
            check_oid(name, "controller OID")
        except UsageError:
            problem("foreign-entry", root, "not a controller OID")
            continue
        if not is_dir:
            problem("foreign-entry", root, "not a directory")
            continue
        if not _verify_root(storage, root, problem):
            continue
        for dirkey, dirs, files in storage.walk(root):
            if dirkey == root:
                if "extensions" in dirs:
                    dirs.remove("extensions")
                continue
            if OBJECT_NAMASTE in files:
                object_id = _verify_object(storage, name, dirkey, dirs, files, full, problem)
                if object_id is not None:
                    objects.add((name, object_id))
                dirs.clear()
            elif files:
                problem("foreign-entry", dirkey, f"files outside any object: {sorted(files)}")
            elif not dirs:
                problem("empty-directory", dirkey, "empty directory in a storage root")
    _verify_locators(storage, objects, locators_complete, problem)
    return problems


def _verify_locators(
    storage: Storage, objects: set[tuple[str, str]], complete: bool, problem: Report
) -> None:
    located: set[tuple[str, str]] = set()
    for dirkey, _dirs, names in storage.walk(LOCATORS):
        for name in names:
            object_id, _, controller = name.partition(LOCATOR_SEPARATOR)
            key = f"{dirkey}/{name}"
            try:
                check_oid(object_id, "object id")
                check_oid(controller, "controller OID")
            except UsageError:
                problem("foreign-entry", key, "not a locator (<object OID>@<controller OID>)")
                continue
            if dirkey != locator_dir(object_id):
                problem("foreign-entry", key, "locator in the wrong shard")
                continue
            if (controller, object_id) not in objects:
                problem(
                    "locator-stale",
                    key,
                    "locator of an object that is not in that controller (a commit or move "
                    "cut short; recover removes it)",
                    f"{controller}/{object_id}",
                )
            located.add((controller, object_id))
    if complete:
        for controller, object_id in sorted(objects - located):
            problem(
                "locator-missing",
                locator_key(object_id, controller),
                "object has no locator: find_object cannot find it (recover makes it)",
                f"{controller}/{object_id}",
            )


def _verify_root(storage: Storage, root: str, problem: Report) -> bool:
    namastes = [n for n, is_dir in storage.entries(root) if n.startswith("0=") and not is_dir]
    if namastes != [ROOT_NAMASTE] or storage.read(f"{root}/{ROOT_NAMASTE}") != ROOT_NAMASTE_TEXT:
        problem("root-declaration", root, f"bad OCFL storage root declaration: {namastes}")
        return False
    try:
        layout = json.loads(storage.read(f"{root}/{LAYOUT_FILE}") or b"")
        config = json.loads(
            storage.read(f"{root}/extensions/{LAYOUT_EXTENSION}/config.json") or b""
        )
    except ValueError as exc:
        problem("root-layout", root, f"layout files unreadable: {exc}")
        return False
    if (
        not isinstance(layout, dict)
        or layout.get("extension") != LAYOUT_EXTENSION
        or config != LAYOUT_CONFIG
    ):
        problem("root-layout", root, "unexpected storage layout")
        return False
    return True


def _verify_object(
    storage: Storage,
    controller: str,
    objkey: str,
    dirs: list[str],
    files: list[str],
    full: bool,
    problem: Report,
) -> str | None:
    label = f"{controller}/?"
    inv_key = f"{objkey}/{INVENTORY}"
    try:
        inv_bytes = storage.read(inv_key)
        if inv_bytes is None:
            raise ValueError("no root inventory")
        inventory = json.loads(inv_bytes)
        object_id = object_id_from_ocfl_id(str(inventory.get("id", "")))
        head = head_of(inventory, objkey)
    except (ValueError, AttributeError, StoreError) as exc:
        problem("inventory", inv_key, f"root inventory unreadable: {exc}", label)
        return None
    if object_id is None:
        problem("inventory", inv_key, "object id is not urn:oid:<OID>", label)
        return None
    label = f"{controller}/{object_id}"
    expected_key = "/".join((CONTROLLERS, controller, *layout_path(ocfl_id(object_id))))
    if objkey != expected_key:
        problem("misplaced-object", objkey, "object is not at its layout path", label)
    if storage.read(f"{objkey}/{OBJECT_NAMASTE}") != OBJECT_NAMASTE_TEXT:
        problem("object-declaration", f"{objkey}/{OBJECT_NAMASTE}", "bad declaration", label)
    sidecar = storage.read(f"{objkey}/{SIDECAR}")
    if sidecar is None or sidecar_digest(sidecar) != sha512(inv_bytes):
        problem("sidecar", f"{objkey}/{SIDECAR}", "inventory does not match its sidecar", label)
    versions = inventory.get("versions", {})
    if not isinstance(versions, dict) or set(versions) != {f"v{n}" for n in range(1, head + 1)}:
        problem("inventory", inv_key, "versions are not v1..head", label)
    expected = {OBJECT_NAMASTE, INVENTORY, SIDECAR}
    present = set()
    for name in dirs:
        number = version_number(name)
        if number is None:
            problem("foreign-entry", f"{objkey}/{name}", "unexpected entry in object", label)
            continue
        present.add(number)
        if number > head:
            problem(
                "uncommitted-version",
                f"{objkey}/{name}",
                f"version directory newer than head v{head} (interrupted commit)",
                label,
            )
    for name in files:
        if name not in expected:
            problem("foreign-entry", f"{objkey}/{name}", "unexpected entry in object", label)
    for number in range(1, head + 1):
        vkey = f"{objkey}/v{number}"
        if number not in present:
            problem("version-missing", vkey, "version directory is missing", label)
        elif full or number == head:
            vbytes = storage.read(f"{vkey}/{INVENTORY}")
            vsidecar = storage.read(f"{vkey}/{SIDECAR}")
            if vbytes is None or vsidecar is None or sidecar_digest(vsidecar) != sha512(vbytes):
                problem("version-inventory", vkey, "version inventory missing or bad", label)
    _verify_manifest(storage, objkey, inventory, inv_key, full, label, problem)
    return object_id


def _verify_manifest(
    storage: Storage,
    objkey: str,
    inventory: Mapping[str, Any],
    inv_key: str,
    full: bool,
    label: str,
    problem: Report,
) -> None:
    manifest = inventory.get("manifest", {})
    if not isinstance(manifest, dict):
        problem("inventory", inv_key, "manifest is not an object", label)
        return
    versions = inventory.get("versions", {})
    for vname, version in sorted(versions.items() if isinstance(versions, dict) else []):
        state = version.get("state") if isinstance(version, dict) else None
        if not isinstance(state, dict):
            problem("inventory", inv_key, f"{vname} has no state", label)
            continue
        for digest in sorted(set(state) - set(manifest)):
            problem(
                "inventory",
                inv_key,
                f"{vname} names digest {digest[:16]}... that the manifest lacks (the "
                "inventory was changed)",
                label,
            )
    for digest, paths in manifest.items():
        for content_path in paths if isinstance(paths, list) else [paths]:
            if not isinstance(content_path, str) or not safe_relpath(content_path):
                problem("inventory", inv_key, f"unsafe path {content_path}", label)
                continue
            key = f"{objkey}/{content_path}"
            data = storage.read(key)
            if data is None:
                problem("content-missing", key, "content file is missing", label)
            elif sha512(data) != digest:
                problem("content-digest", key, "content file does not match digest", label)
