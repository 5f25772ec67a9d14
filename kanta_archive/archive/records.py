"""The store's own records kept next to the OCFL storage roots when it has access control
(``access.sqlite``, ``audit.log``): the client links the index is rebuilt with, and the
audit entries of the changes the archive makes. Whoever calls the archive, a rebuilt index
keeps its links and a controller transfer is in the audit log."""

from __future__ import annotations

from pathlib import Path

from kanta_archive.access.audit import AuditLog
from kanta_archive.access.db import ACCESS_FILE, AccessStore
from kanta_archive.archive.results import TransferReport
from kanta_archive.index import Index


def has_access_control(store_path: Path | None) -> bool:
    """True when the store keeps access records (``access.sqlite``); never for a store
    without a local directory (object storage)."""
    return store_path is not None and (store_path / ACCESS_FILE).is_file()


def restore_links(store_path: Path | None, index: Index) -> int:
    """Replay the client links recorded in ``access.sqlite`` into ``index``; how many."""
    if store_path is None or not has_access_control(store_path):
        return 0
    with AccessStore.open(store_path) as access:
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
) -> None:
    """Record a controller transfer in the audit log (stores with access control): the
    acting organisation as ``actor`` and the person as ``user``, or the person alone."""
    if store_path is None or not has_access_control(store_path):
        return
    AuditLog(store_path).append(
        "controller-transfer",
        actor=organisation or person,
        user=person if organisation else None,
        documents=list(report.moved),
        details={"from": report.from_controller, "to": report.to_controller, "reason": reason},
    )
