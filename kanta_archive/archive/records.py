"""The store's own records kept next to the OCFL storage roots when it has access control
(the access store and the audit log: files in the store, or a database at ``access_url``):
the client links the index is rebuilt with, and the audit entries of the changes the
archive makes. Whoever calls the archive, a rebuilt index keeps its links and a controller
transfer is in the audit log."""

from __future__ import annotations

from kanta_archive.access.audit_db import open_audit_log
from kanta_archive.access.db import ACCESS_FILE, AccessStore
from kanta_archive.archive.results import TransferReport
from kanta_archive.index import Index
from kanta_archive.store import manifest
from kanta_archive.store.manifest import StoreRef


def has_access_control(store: StoreRef, access_url: str | None = None) -> bool:
    """True when the store keeps access records: a database at ``access_url``, or
    ``access.sqlite`` in its folder (a store on object storage has none without a
    database)."""
    if access_url is not None:
        return True
    folder = manifest.local_path(store)
    return folder is not None and (folder / ACCESS_FILE).is_file()


def restore_links(store: StoreRef, index: Index, access_url: str | None = None) -> int:
    """Replay the client links recorded in the access store into ``index``; how many."""
    if not has_access_control(store, access_url):
        return 0
    with AccessStore.open(store, access_url) as access:
        links = access.client_links()
    for temporary_id, hetu in links:
        index.link_client(temporary_id, hetu)
    return len(links)


def audit_transfer(
    store: StoreRef,
    report: TransferReport,
    reason: str,
    person: str,
    organisation: str | None,
    access_url: str | None = None,
) -> None:
    """Record a controller transfer in the audit log (stores with access control): the
    acting organisation as ``actor`` and the person as ``user``, or the person alone."""
    if not has_access_control(store, access_url):
        return
    with open_audit_log(store, access_url) as log:
        log.append(
            "controller-transfer",
            actor=organisation or person,
            user=person if organisation else None,
            documents=list(report.moved),
            details={
                "from": report.from_controller,
                "to": report.to_controller,
                "reason": reason,
            },
        )
