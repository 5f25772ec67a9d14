"""The archive service: validated documents into the OCFL store and the query index.

with Archive.open("./archive", create=True) as archive:
    report = archive.ingest([Path("samples/valid/client-record-entry.json")])
    page = archive.query(Query(client="150612A904S"))
"""

from kanta_archive.archive.results import (
    HistoryEntry,
    IngestItem,
    IngestReport,
    ReindexReport,
    ShownDocument,
    TransferReport,
    VerifyProblem,
    VerifyReport,
)
from kanta_archive.archive.service import Archive, default_actor, default_index_url

__all__ = [
    "Archive",
    "HistoryEntry",
    "IngestItem",
    "IngestReport",
    "ReindexReport",
    "ShownDocument",
    "TransferReport",
    "VerifyProblem",
    "VerifyReport",
    "default_actor",
    "default_index_url",
]
