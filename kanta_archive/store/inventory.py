"""OCFL inventories: the pure part of the store (no I/O).

Building the inventory of a new version from the current one and a commit request,
reading version information back, and deciding whether an uncommitted version found after a
crash continues the root inventory. Every storage backend shares this code.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kanta_archive.errors import StoreError, UsageError
from kanta_archive.jsontext import indented
from kanta_archive.store.layout import check_logical_path, check_logical_paths, check_oid, ocfl_id

ROOT_NAMASTE = "0=ocfl_1.1"
ROOT_NAMASTE_TEXT = b"ocfl_1.1\n"
OBJECT_NAMASTE = "0=ocfl_object_1.1"
OBJECT_NAMASTE_TEXT = b"ocfl_object_1.1\n"
LAYOUT_FILE = "ocfl_layout.json"
INVENTORY = "inventory.json"
SIDECAR = "inventory.json.sha512"
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
DIGEST = "sha512"
CONTENT = "content"

_VERSION_RE = re.compile(r"v([1-9][0-9]*)", re.ASCII)


@dataclass(frozen=True)
class VersionInfo:
    """One version of an object, from its inventory."""

    number: int
    created: datetime
    message: str
    user_name: str
    user_address: str | None
    paths: tuple[str, ...]


@dataclass(frozen=True)
class CommitRequest:
    """One object version for :meth:`Store.commit_many` (same meaning as ``commit``)."""

    controller_oid: str
    object_id: str
    files: Mapping[str, bytes]
    expected_head: int
    message: str
    user_name: str
    user_address: str | None = None
    created: datetime | None = None


@dataclass(frozen=True)
class NewVersion:
    """What one commit request becomes: the version's number, its inventory and sidecar
    bytes, and the content files it adds (content path relative to the object -> bytes;
    deduplicated: a digest already in the manifest is not stored again)."""

    number: int
    inventory: bytes
    sidecar: bytes
    new_content: tuple[tuple[str, bytes], ...]


def sha512(data: bytes) -> str:
    """Lower-case hex sha512 of ``data`` (the store's content and inventory digest)."""
    return hashlib.sha512(data).hexdigest()


def dump_inventory(inventory: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Inventory bytes and the sidecar that names their digest."""
    # json.dumps(inventory, indent=1, sort_keys=True, ensure_ascii=False), faster
    data = indented(inventory, 1, sort_keys=True).encode("utf-8")
    return data, f"{sha512(data)}  {INVENTORY}\n".encode("ascii")


def sidecar_digest(sidecar: bytes) -> str | None:
    """The digest a sidecar records, or ``None`` when it is not a sidecar of ours."""
    parts = sidecar.decode("ascii", errors="replace").split()
    if len(parts) != 2 or parts[1] != INVENTORY:
        return None
    return parts[0].lower()


def parse_inventory(data: bytes, where: object) -> dict[str, Any]:
    """An inventory's JSON object; :class:`StoreError` naming ``where`` otherwise."""
    try:
        inventory = json.loads(data)
    except ValueError as exc:
        raise StoreError(f"unreadable inventory in {where}: {exc}") from exc
    if not isinstance(inventory, dict):
        raise StoreError(f"unreadable inventory in {where}: not a JSON object")
    return inventory


def version_number(name: str) -> int | None:
    """``3`` for ``"v3"``; ``None`` for anything that is not a version directory name."""
    match = _VERSION_RE.fullmatch(name)
    return int(match.group(1)) if match else None


def head_of(inventory: Mapping[str, Any], where: object) -> int:
    """The head version number an inventory names."""
    head = version_number(str(inventory.get("head", "")))
    if head is None:
        raise StoreError(f"bad head in the inventory of {where}")
    return head


def safe_relpath(path: str) -> bool:
    """True for a relative ``/``-separated path without empty, ``.`` or ``..`` segments."""
    parts = path.split("/")
    return bool(path) and all(p not in ("", ".", "..") and "\0" not in p for p in parts)


def format_created(created: datetime | None) -> str:
    """An inventory ``created`` value: UTC with a ``Z``."""
    if created is None:
        created = datetime.now(UTC)
    if created.tzinfo is None or created.utcoffset() is None:
        raise UsageError("created must be a timezone-aware datetime")
    created = created.astimezone(UTC)
    text = created.strftime("%Y-%m-%dT%H:%M:%S")
    if created.microsecond:
        text += f".{created.microsecond:06d}"
    return text + "Z"


def user_address(address: str | None) -> str | None:
    """An actor OID becomes ``urn:oid:<OID>``; a URI stays; anything else is refused."""
    if address is None:
        return None
    if re.fullmatch(r"[0-9.]+", address, re.ASCII):
        return "urn:oid:" + check_oid(address, "user address")
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:.", address):
        raise UsageError(f"user address must be an actor OID or a URI: {address!r}")
    return address


def check_request(request: CommitRequest) -> None:
    """Refuse a request with a bad id, head, path or content before anything is written."""
    check_oid(request.controller_oid, "controller OID")
    check_oid(request.object_id, "object id")
    if not isinstance(request.expected_head, int) or request.expected_head < 0:
        raise UsageError(f"expected_head must be an integer >= 0: {request.expected_head!r}")
    if not isinstance(request.message, str) or not isinstance(request.user_name, str):
        raise UsageError("message and user_name must be strings")
    paths = [check_logical_path(p) for p in request.files]
    check_logical_paths(paths)
    for path, data in request.files.items():
        if not isinstance(data, bytes):
            raise UsageError(f"content of {path!r} must be bytes")
    user_address(request.user_address)
    format_created(request.created)


def new_version(request: CommitRequest, current: dict[str, Any] | None) -> NewVersion:
    """The version ``request.expected_head + 1`` on top of ``current`` (the root inventory,
    ``None`` for a new object). ``current`` is not changed."""
    if current is None:
        inventory: dict[str, Any] = {
            "id": ocfl_id(request.object_id),
            "type": INVENTORY_TYPE,
            "digestAlgorithm": DIGEST,
            "head": "v1",
            "contentDirectory": CONTENT,
            "manifest": {},
            "versions": {},
        }
    else:
        inventory = {
            **current,
            "manifest": dict(current["manifest"]),
            "versions": dict(current["versions"]),
        }
    number = request.expected_head + 1
    vname = f"v{number}"
    manifest: dict[str, list[str]] = inventory["manifest"]
    state: dict[str, list[str]] = {}
    new_content: list[tuple[str, bytes]] = []
    for path in sorted(request.files):
        data = request.files[path]
        digest = sha512(data)
        state.setdefault(digest, []).append(path)
        if digest not in manifest:
            content_path = f"{vname}/{CONTENT}/{path}"
            manifest[digest] = [content_path]
            new_content.append((content_path, data))
    user: dict[str, str] = {"name": request.user_name}
    address = user_address(request.user_address)
    if address is not None:
        user["address"] = address
    inventory["head"] = vname
    inventory["versions"][vname] = {
        "created": format_created(request.created),
        "message": request.message,
        "user": user,
        "state": state,
    }
    inv_bytes, sidecar = dump_inventory(inventory)
    return NewVersion(number, inv_bytes, sidecar, tuple(new_content))


def version_infos(inventory: Mapping[str, Any], object_id: str) -> list[VersionInfo]:
    """Every version an inventory records, oldest first."""
    result = []
    try:
        for name, version in inventory["versions"].items():
            number = version_number(name)
            if number is None:
                raise StoreError(f"bad version name {name!r} in object {object_id}")
            user = version.get("user", {})
            paths = sorted(p for ps in version["state"].values() for p in ps)
            result.append(
                VersionInfo(
                    number=number,
                    created=datetime.fromisoformat(version["created"].replace("Z", "+00:00")),
                    message=version.get("message", ""),
                    user_name=user.get("name", ""),
                    user_address=user.get("address"),
                    paths=tuple(paths),
                )
            )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise StoreError(f"bad version record in the inventory of object {object_id}") from exc
    return sorted(result, key=lambda v: v.number)


def content_path_of(
    inventory: Mapping[str, Any], number: int, logical_path: str, where: str
) -> tuple[str, str] | None:
    """``(digest, content path)`` of ``logical_path`` in version ``number``, ``None`` when
    that version has no such file; :class:`StoreError` when the inventory is inconsistent
    (a state digest missing from the manifest, an unsafe content path)."""
    try:
        state = inventory["versions"][f"v{number}"]["state"]
        digest = next((d for d, paths in state.items() if logical_path in paths), None)
        if digest is None:
            return None
        paths = inventory["manifest"].get(digest)
    except (KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"{where}: inventory has no usable v{number} state") from exc
    if not isinstance(paths, list) or not paths:
        raise StoreError(
            f"{where}: digest of {logical_path!r} in v{number} is not in the manifest "
            "(the inventory was changed)"
        )
    content_path = str(paths[0])
    if not safe_relpath(content_path):
        raise StoreError(f"{where}: unsafe content path {content_path!r} in inventory")
    return digest, content_path


def continues(
    candidate: Mapping[str, Any], number: int, root_inventory: Mapping[str, Any] | None
) -> bool:
    """Does ``candidate`` (the inventory of an uncommitted ``v<number>``) continue
    ``root_inventory``: same id, earlier versions unchanged, head ``v<number>``?"""
    if candidate.get("head") != f"v{number}":
        return False
    if root_inventory is None:
        return number == 1
    if candidate.get("id") != root_inventory.get("id"):
        return False
    old_versions = root_inventory.get("versions", {})
    new_versions = candidate.get("versions", {})
    if not isinstance(old_versions, dict) or not isinstance(new_versions, dict):
        return False
    if set(new_versions) != set(old_versions) | {f"v{number}"}:
        return False
    return all(new_versions[v] == old_versions[v] for v in old_versions)


def new_content_paths(inventory: Mapping[str, Any], number: int) -> list[tuple[str, str]] | None:
    """``(digest, content path)`` of every content file that ``v<number>`` adds; ``None``
    when a path is unsafe."""
    result = []
    manifest = inventory.get("manifest", {})
    if not isinstance(manifest, dict):
        return None
    for digest, paths in manifest.items():
        for path in paths:
            if not str(path).startswith(f"v{number}/"):
                continue
            if not safe_relpath(path):
                return None
            result.append((digest, path))
    return result
