"""Changes to stored document sets that are not new document versions: invalidation and
controller transfer. Each adds an OCFL version with the same document bytes and a new
``metadata.json``; nothing is ever deleted."""

from __future__ import annotations

from datetime import UTC, datetime

from kanta_archive.archive import metadata_file as mf
from kanta_archive.archive.reading import read_metadata, resolve, show
from kanta_archive.archive.results import Progress, ShownDocument, TransferReport
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.index import Index
from kanta_archive.model import Metadata
from kanta_archive.store import MAX_BATCH, CommitRequest, Store
from kanta_archive.store.layout import check_oid

RULE_CURRENT_ONLY = "invalidate-current-version-only"
RULE_ONCE = "invalidate-once"


def now() -> str:
    """The current UTC time as written into ``metadata.json`` (seconds, ``Z``)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def invalidate(store: Store, index: Index, oid: str, reason: str, actor: str) -> ShownDocument:
    """See :meth:`kanta_archive.archive.Archive.invalidate`."""
    if not reason or not reason.strip():
        raise UsageError("invalidation needs a reason")
    controller, set_oid, document_oid = resolve(store, index, oid)
    head = store.head(controller, set_oid)
    meta = read_metadata(store, controller, set_oid, head)
    if document_oid is not None and meta.get("document_oid") != document_oid:
        raise RefusedError(
            f"document {document_oid} is not the current version of set {set_oid} "
            f"(current: {meta.get('document_oid')}); only the current version can be "
            "invalidated",
            rule=RULE_CURRENT_ONLY,
        )
    if meta.get("status") == "invalidated":
        raise RefusedError(
            f"document {meta.get('document_oid')} is already invalidated", rule=RULE_ONCE
        )
    new = mf.invalidated(meta, reason=reason, time=now(), actor=actor)
    fmt = str(meta.get("storage_format", "json"))
    raw = store.read(controller, set_oid, mf.document_file(fmt), head)
    store.commit(
        controller,
        set_oid,
        {mf.document_file(fmt): raw, mf.METADATA_FILE: mf.dump(new)},
        expected_head=head,
        message=f"invalidate document {new.get('document_oid')}: {reason}",
        user_name=actor,
    )
    index.add(Metadata.from_raw(new), is_head=True)
    return show(store, index, set_oid)


def transfer_controller(
    store: Store,
    index: Index,
    from_controller: str,
    to_controller: str,
    reason: str,
    *,
    actor: str,
    progress: Progress,
) -> TransferReport:
    """See :meth:`kanta_archive.archive.Archive.transfer_controller`."""
    check_oid(from_controller, "controller OID")
    check_oid(to_controller, "controller OID")
    if from_controller == to_controller:
        raise UsageError("--from and --to name the same controller")
    if not reason or not reason.strip():
        raise UsageError("a controller transfer needs a reason")
    moved: list[str] = []
    resumed: list[str] = []
    sets = sorted(s for c, s in store.iter_objects() if c == from_controller)
    if not sets and not _transferred_before(store, from_controller, to_controller):
        raise UsageError(f"controller {from_controller} holds no document set in the store")
    for start in range(0, len(sets), MAX_BATCH):
        chunk = sets[start : start + MAX_BATCH]
        requests: list[CommitRequest] = []
        heads: list[Metadata] = []
        for set_oid in chunk:
            head = store.head(from_controller, set_oid)
            meta = read_metadata(store, from_controller, set_oid, head)
            if (meta.get("controller") or {}).get("oid") == to_controller:
                resumed.append(set_oid)
                heads.append(Metadata.from_raw(meta))
                continue
            new = mf.transferred(meta, to=to_controller, reason=reason, time=now(), actor=actor)
            fmt = str(meta.get("storage_format", "json"))
            raw = store.read(from_controller, set_oid, mf.document_file(fmt), head)
            requests.append(
                CommitRequest(
                    from_controller,
                    set_oid,
                    {mf.document_file(fmt): raw, mf.METADATA_FILE: mf.dump(new)},
                    head,
                    f"transfer controller {from_controller} -> {to_controller}: {reason}",
                    actor,
                )
            )
            heads.append(Metadata.from_raw(new))
        store.commit_many(requests)
        for set_oid in chunk:
            store.move_object(set_oid, from_controller, to_controller)
            moved.append(set_oid)
        index.add_many(heads)
        progress(len(chunk))
    return TransferReport(from_controller, to_controller, tuple(moved), tuple(resumed))


def _transferred_before(store: Store, from_controller: str, to_controller: str) -> bool:
    """True when a set of ``to_controller`` came from ``from_controller`` (a re-run of a
    finished transfer: nothing left to do, but the source was not unknown)."""
    for controller, set_oid in store.iter_objects():
        if controller != to_controller:
            continue
        meta = read_metadata(store, controller, set_oid, store.head(controller, set_oid))
        for entry in meta.get("controller_history") or ():
            if isinstance(entry, dict) and entry.get("from") == from_controller:
                return True
    return False
