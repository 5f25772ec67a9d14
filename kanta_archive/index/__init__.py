"""The rebuildable query index of the archive (SQLite by default, PostgreSQL optional).

The store keeps every version of every document; the index is derived from the
store's metadata and answers listings (by client, controller, case, dates, …)
quickly. Open one with :func:`open_index`::

    with open_index("sqlite:///var/kanta/index.sqlite") as index:
        index.add(document.metadata)
        page = index.query(Query(client="010190-998B", service_task="10"))
"""

from __future__ import annotations

from kanta_archive.index.base import (
    SORT_KEYS,
    Index,
    IndexBuild,
    IndexClient,
    IndexRow,
    Query,
    QueryResult,
)
from kanta_archive.index.migrations import CURRENT_VERSION

DEFAULT_STORE_ID = "default"

__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_STORE_ID",
    "SORT_KEYS",
    "Index",
    "IndexBuild",
    "IndexClient",
    "IndexRow",
    "Query",
    "QueryResult",
    "open_index",
]


def open_index(
    url: str,
    *,
    store_id: str = DEFAULT_STORE_ID,
    readonly: bool = False,
    recover: bool = False,
) -> Index:
    """Open (creating or migrating as needed) the index at ``url``.

    - ``sqlite://<path>``: an SQLite file; ``sqlite:///var/x.sqlite`` is absolute,
      ``sqlite://x.sqlite`` relative to the working directory;
    - ``postgresql://…`` (or ``postgres://…``): a libpq connection URI; needs psycopg.

    ``store_id`` names the store whose part of the index is used: one database can
    hold the index of several stores. ``readonly`` opens it for reading only (an SQLite
    file that cannot be written is opened so anyway). ``recover`` (for ``reindex``) moves
    a damaged SQLite file aside and starts an empty index instead of failing.

    Raises :class:`StoreError` when the URL is not understood, the database
    cannot be opened, is not a kanta-archive index, or has a newer schema
    version than this code knows.
    """
    from kanta_archive.db.url import parse

    backend, where = parse(url, "index")
    if backend == "sqlite":
        from kanta_archive.index.sqlite import SqliteIndex

        return SqliteIndex(where, store_id=store_id, readonly=readonly, recover=recover)
    from kanta_archive.index.postgres import PostgresIndex

    return PostgresIndex(where, store_id=store_id, readonly=readonly)
