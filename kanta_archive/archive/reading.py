"""Reading the archive: find a document set, show one version, list its history.

The store is the truth: every answer comes from the ``metadata.json`` files of the OCFL
versions; the index only helps to find the set a document OID belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kanta_archive.archive import metadata_file as mf
from kanta_archive.archive.results import HistoryEntry, ShownDocument
from kanta_archive.errors import UsageError
from kanta_archive.index import Index
from kanta_archive.store import Store
from kanta_archive.store.layout import check_oid


def read_metadata(store: Store, controller: str, set_oid: str, ocfl_version: int) -> dict[str, Any]:
    """The ``metadata.json`` of one OCFL version of a set."""
    data = store.read(controller, set_oid, mf.METADATA_FILE, ocfl_version)
    return mf.load(data, f"object {set_oid} in controller {controller} v{ocfl_version}")


def version_metadata(store: Store, controller: str, set_oid: str) -> list[dict[str, Any]]:
    """The ``metadata.json`` of every OCFL version of a set, oldest first."""
    head = store.head(controller, set_oid)
    return [read_metadata(store, controller, set_oid, n) for n in range(1, head + 1)]


def find_set(store: Store, index: Index | None, set_oid: str) -> str | None:
    """The controller whose storage root holds ``set_oid``, or ``None``.

    The store is the truth; the index's set -> controller lookup only says which root to
    look in first, so that a set is not searched for in every root.
    """
    hint = index.controller_of(set_oid) if index is not None else None
    if hint is not None and store.head(hint, set_oid) > 0:
        return hint
    return store.find_object(set_oid)


def locate_set(store: Store, set_oid: str, index: Index | None = None) -> str:
    """The controller whose storage root holds ``set_oid``; :class:`UsageError` if none."""
    check_oid(set_oid, "document set OID")
    controller = find_set(store, index, set_oid)
    if controller is None:
        raise UsageError(f"no document set {set_oid} in the store")
    return controller


def resolve(store: Store, index: Index, oid: str) -> tuple[str, str, str | None]:
    """``(controller, set OID, document OID or None)`` for a document or set OID."""
    check_oid(oid, "OID")
    row = index.get(oid)
    if row is not None:
        controller = find_set(store, index, row.set_oid)
        if controller is not None:
            return controller, row.set_oid, oid
    controller = find_set(store, index, oid)
    if controller is not None:
        return controller, oid, None
    if "." in oid:  # document OIDs are usually <set OID>.<n>: look there
        parent = oid.rsplit(".", 1)[0]
        controller = find_set(store, index, parent)
        if controller is not None:
            return controller, parent, oid
    raise UsageError(f"no document or document set {oid} in the store")


def shown_version(
    store: Store, controller: str, set_oid: str, ocfl_version: int, meta: Mapping[str, Any]
) -> ShownDocument:
    """One OCFL version of a set as a :class:`ShownDocument` (reads the document bytes)."""
    fmt = str(meta.get("storage_format", "json"))
    raw = store.read(controller, set_oid, mf.document_file(fmt), ocfl_version)
    return ShownDocument(
        set_oid,
        str(meta.get("document_oid")),
        int(meta.get("version") or 0),
        ocfl_version,
        controller,
        fmt,
        meta,
        raw,
    )


def show(store: Store, index: Index, oid: str, version: int | None = None) -> ShownDocument:
    """A document version: ``oid`` is a document OID (that version) or a set OID (its
    current version, or document ``version``)."""
    controller, set_oid, document_oid = resolve(store, index, oid)
    metas = version_metadata(store, controller, set_oid)
    chosen: int | None = None
    for number, meta in enumerate(metas, start=1):
        if document_oid is not None and meta.get("document_oid") != document_oid:
            continue
        if version is not None and meta.get("version") != version:
            continue
        chosen = number
    if chosen is None:
        what = f"document {document_oid}" if document_oid else f"set {set_oid}"
        if version is not None:
            what += f" version {version}"
        raise UsageError(f"no {what} in the store")
    return shown_version(store, controller, set_oid, chosen, metas[chosen - 1])


def history(store: Store, index: Index, oid: str) -> list[HistoryEntry]:
    """Every OCFL version of the set that ``oid`` (set or document OID) belongs to."""
    controller, set_oid, _doc = resolve(store, index, oid)
    infos = store.versions(controller, set_oid)
    metas = version_metadata(store, controller, set_oid)
    entries: list[HistoryEntry] = []
    previous: Mapping[str, Any] = {}
    for info, meta in zip(infos, metas, strict=True):
        event, reason, changes = diff_metadata(previous, meta)
        controller_oid = (meta.get("controller") or {}).get("oid")
        entries.append(
            HistoryEntry(
                info.number,
                info.created.isoformat().replace("+00:00", "Z"),
                info.user_name,
                event,
                meta.get("document_oid"),
                meta.get("version"),
                meta.get("status"),
                controller_oid,
                reason,
                info.message,
                changes,
            )
        )
        previous = meta
    return entries


def diff_metadata(
    previous: Mapping[str, Any], meta: Mapping[str, Any]
) -> tuple[str, str | None, dict[str, Any]]:
    """``(event, reason, changes)`` from one OCFL version's metadata to the next."""
    if not previous or previous.get("document_oid") != meta.get("document_oid"):
        return "stored", None, {}
    changes = changed_keys(previous, meta)
    if meta.get("status") == "invalidated" and previous.get("status") != "invalidated":
        invalidation = meta.get("invalidation") or {}
        return "invalidated", invalidation.get("reason"), changes
    old = (previous.get("controller") or {}).get("oid")
    new = (meta.get("controller") or {}).get("oid")
    if old != new:
        history = meta.get("controller_history") or [{}]
        return "controller-transferred", history[-1].get("reason"), changes
    return "metadata-changed", None, changes


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``{key: {"from", "to"}}`` for every top-level key whose value differs."""
    return {
        key: {"from": old.get(key), "to": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }
