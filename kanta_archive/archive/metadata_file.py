"""``metadata.json``: the archive's current view of one document version's metadata.

Each OCFL version of a document set holds two files: the document exactly as submitted
(``document.json`` or ``document.xhtml``) and ``metadata.json``. ``metadata.json`` is the
document's phase-2 metadata object (see docs/metadata.md) as the archive sees it now:
identical to the submitted metadata at ingest; invalidation sets ``status`` to
``invalidated`` and adds ``invalidation`` ``{reason, time, actor}``; a controller transfer
replaces ``controller.oid`` and appends ``{from, to, time, reason, actor}`` to
``controller_history``. The index is rebuilt from these files alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kanta_archive.errors import StoreError
from kanta_archive.jsontext import indented

METADATA_FILE = "metadata.json"
DOCUMENT_FILES = {"json": "document.json", "xhtml": "document.xhtml", "cda": "document.xml"}


def document_file(storage_format: str) -> str:
    """Logical path of the submitted document for a storage format."""
    try:
        return DOCUMENT_FILES[storage_format]
    except KeyError:
        raise StoreError(f"unknown storage format {storage_format!r}") from None


def dump(metadata: Mapping[str, Any]) -> bytes:
    """Serialise metadata for ``metadata.json`` (UTF-8, indented, key order kept)."""
    return indented(dict(metadata), 2).encode("utf-8") + b"\n"  # = json.dumps(indent=2)


def load(data: bytes, where: str) -> dict[str, Any]:
    """Parse ``metadata.json`` bytes; :class:`StoreError` naming ``where`` when broken."""
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise StoreError(f"{where}: metadata.json is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreError(f"{where}: metadata.json is not a JSON object")
    # A store written before metadata model 2 keeps its bytes (OCFL versions are
    # immutable): such a metadata.json is read as model 2 (docs/metadata.md, "Upgrading").
    from kanta_archive.upgrade import is_model_1, upgrade_metadata

    return upgrade_metadata(value) if is_model_1(value) else value


def invalidated(
    metadata: Mapping[str, Any], *, reason: str, time: str, actor: str
) -> dict[str, Any]:
    """A copy of ``metadata`` marked invalidated with ``reason``, ``time`` and ``actor``."""
    result = dict(metadata)
    result["status"] = "invalidated"
    result["invalidation"] = {"reason": reason, "time": time, "actor": actor}
    return result


def transferred(
    metadata: Mapping[str, Any], *, to: str, reason: str, time: str, actor: str
) -> dict[str, Any]:
    """A copy of ``metadata`` with controller ``to`` and a new ``controller_history`` entry."""
    result = dict(metadata)
    controller = dict(result.get("controller") or {})
    old = controller.get("oid")
    controller["oid"] = to
    result["controller"] = controller
    history = list(result.get("controller_history") or [])
    history.append({"from": old, "to": to, "time": time, "reason": reason, "actor": actor})
    result["controller_history"] = history
    return result
