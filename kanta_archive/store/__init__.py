"""The archive's OCFL 1.1 storage: one storage root per controller OID, one object per
document set OID. Crash-safe and safe for concurrent writers; knows nothing about documents.
"""

from kanta_archive.store.ocfl import MAX_BATCH, CommitRequest, Problem, Store, VersionInfo

__all__ = ["MAX_BATCH", "CommitRequest", "Problem", "Store", "VersionInfo"]
