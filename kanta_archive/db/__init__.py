"""SQL databases shared by the index, the access store and the audit log.

One URL names a database: ``sqlite://<path>`` (a file; the default, one per store) or
``postgresql://…`` (one server for several hosts and stores). :func:`open_database`
opens it; :class:`Database` is what every user of it sees: transactions, read
snapshots, statements with ``?`` placeholders, and versioned, race-safe migrations of
one named schema (``migrate``).
"""

from __future__ import annotations

from kanta_archive.db.base import Closing, Database, Migrations
from kanta_archive.db.url import POSTGRES_PREFIXES, SQLITE_PREFIX, is_postgres, open_database

__all__ = [
    "POSTGRES_PREFIXES",
    "SQLITE_PREFIX",
    "Closing",
    "Database",
    "Migrations",
    "is_postgres",
    "open_database",
]
