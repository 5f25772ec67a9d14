"""Database URLs: ``sqlite://<path>`` or ``postgresql://…``."""

from __future__ import annotations

from kanta_archive.db.base import Database
from kanta_archive.errors import StoreError

SQLITE_PREFIX = "sqlite://"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def is_postgres(url: str | None) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return bool(url) and str(url).startswith(POSTGRES_PREFIXES)


def parse(url: str, what: str = "database") -> tuple[str, str]:
    """``("sqlite", path)`` or ``("postgres", url)``; a URL neither is a :class:`StoreError`."""
    if not isinstance(url, str) or not url:
        raise StoreError(f"no {what} URL given; use sqlite://<path> or postgresql://…")
    if url.startswith(SQLITE_PREFIX):
        path = url[len(SQLITE_PREFIX) :]
        if not path or "?" in path or "#" in path:
            raise StoreError(
                f"bad {what} URL {url!r}: use sqlite://<path to file>, for example"
                " sqlite:///var/kanta/index.sqlite"
            )
        return "sqlite", path
    if url.startswith(POSTGRES_PREFIXES):
        return "postgres", url
    scheme = url.split("://", 1)[0] if "://" in url else url
    raise StoreError(
        f"unknown {what} URL {scheme!r}: use sqlite://<path> or postgresql://<connection>"
    )


def open_database(
    url: str,
    *,
    what: str = "database",
    fix: str = "restore it from a backup",
    readonly: bool = False,
    synchronous: str = "NORMAL",
) -> Database:
    """Open the database at ``url``; ``what`` and ``fix`` word its error messages.

    - ``sqlite://<path>``: an SQLite file; ``sqlite:///var/x.sqlite`` is absolute,
      ``sqlite://x.sqlite`` relative to the working directory;
    - ``postgresql://…`` (or ``postgres://…``): a libpq connection URI; needs psycopg.
    """
    backend, where = parse(url, what)
    if backend == "sqlite":
        from kanta_archive.db.sqlite import SqliteDatabase

        return SqliteDatabase(where, readonly=readonly, synchronous=synchronous, what=what, fix=fix)
    from kanta_archive.db.postgres import PostgresDatabase

    return PostgresDatabase(where, readonly=readonly, what=what)
