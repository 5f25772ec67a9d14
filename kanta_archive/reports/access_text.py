"""Access records as listings: the registry, rights, audit entries and disclosures, each as
records with named columns for :func:`kanta_archive.reports.records.render_listing`."""

from __future__ import annotations

from typing import Any, Final

from kanta_archive.access.registry import COLUMNS as ORG_COLUMNS
from kanta_archive.access.registry import Organisation
from kanta_archive.access.rights import RIGHT_FIELDS, Right
from kanta_archive.reports.records import plain

#: ``orgs list --format text`` shows these (the CSV columns for the other formats).
ORG_TEXT_COLUMNS: Final = ("oid", "sector", "joining_model", "valid_from", "valid_to", "name")
ORG_LISTING_COLUMNS: Final = ORG_COLUMNS

RIGHT_COLUMNS: Final = RIGHT_FIELDS
AUDIT_TEXT_COLUMNS: Final = ("seq", "time", "event", "actor", "client", "documents")
AUDIT_COLUMNS: Final = (
    "seq",
    "time",
    "event",
    "actor",
    "user",
    "client",
    "documents",
    "details",
    "prev",
    "hash",
)
DISCLOSURE_COLUMNS: Final = (
    "time",
    "document_oid",
    "client",
    "from_oid",
    "to_oid",
    "consent_oid",
    "actor",
)


def org_record(org: Organisation) -> dict[str, Any]:
    """One registry row: the CSV's columns (the record's fields), dates as ISO text."""
    record: dict[str, Any] = plain(org)
    return record


def right_record(right: Right) -> dict[str, Any]:
    """One register usage right (its fields, dates as ISO text)."""
    record: dict[str, Any] = plain(right)
    return record


def right_line(right: Right) -> str:
    """One right on one line, as ``rights revoke`` prints it."""
    state = f"revoked {right.revoked_at}" if right.revoked_at else "active"
    return (
        f"{right.right_id}  {right.organiser_oid} -> {right.producer_oid}  client "
        f"{right.client or '*'}  task {right.service_task or '*'}  "
        f"{right.valid_from}..{right.valid_to}  {state}\n"
    )
