"""The archive's OCFL 1.1 storage: one storage root per controller OID, one object per
document set OID. Crash-safe and safe for concurrent writers; knows nothing about documents.

:class:`Store` is the OCFL logic; a :class:`Storage` backend holds the bytes
(:class:`LocalStorage`: a directory).
"""

from kanta_archive.store.inventory import CommitRequest, VersionInfo
from kanta_archive.store.local import LocalStorage
from kanta_archive.store.ocfl import MAX_BATCH, Store
from kanta_archive.store.storage import PartialCommitError, Storage
from kanta_archive.store.verify import Problem

__all__ = [
    "MAX_BATCH",
    "CommitRequest",
    "LocalStorage",
    "PartialCommitError",
    "Problem",
    "Storage",
    "Store",
    "VersionInfo",
]
