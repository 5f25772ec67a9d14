"""The store's own records kept next to the OCFL storage roots when it has access control
(the access store and the audit log: files in the store, or a database at ``access_url``):
the client links the index is rebuilt with, and the audit entries of the changes the
archive makes. Whoever calls the archive, a rebuilt index keeps its links and a controller
transfer is in the audit log."""

from __future__ import annotations

from pathlib import Path

from kanta_archive.access.audit_db import open_audit_log
from kanta_archive.access.db import ACCESS_FILE, AccessStore
from kanta_archive.archive.results import TransferReport
from kanta_archive.index import Index


def has_access_control(store_path: Path | None, access_url: str | None = None) -> bool:
    """True when the store keeps access records (``access.sqlite``, or a database at
    ``access_url``); never for a store without a local directory (object storage)."""
    if store_path is None:
        return False
    return access_url is not None or (store_path / ACCESS_FILE).is_file()


def restore_links(store_path: Path | None, index: Index, access_url: str | None = None) -> int:
    """Replay the client links recorded in the access store into ``index``; how many."""
    if store_path is None or not has_access_control(store_path, access_url):
        return 0
    with AccessStore.open(store_path, access_url) as access:
        links = access.client_links()
    for temporary_id, hetu in links:
        index.link_client(temporary_id, hetu)
    return len(links)


def audit_transfer(
    store_path: Path | None,
    report: TransferReport,
    reason: str,
    person: str,
    organisation: str | None,
    access_url: str | None = None,
) -> None:
    """Record a controller transfer in the audit log (stores with access control): the
    acting organisation as ``actor`` and the person as ``user``, or the person alone."""
    if store_path is None or not has_access_control(store_path, access_url):
        return
    with open_audit_log(store_path, access_url) as log:
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
