"""Opening an SQL index's schema: migrate it to the wanted version, claim pre-part rows."""

from __future__ import annotations

from collections.abc import Callable

from kanta_archive.db.base import Database
from kanta_archive.index import migrations


def migrate(
    db: Database, store_id: str, target: int, *, recognise: Callable[[set[str]], bool]
) -> None:
    """Create or migrate the schema to ``target``, then claim pre-part rows for ``store_id``.

    ``recognise`` says whether a database without an index schema may get one (it is not
    foreign).
    """
    db.migrate(
        migrations.VERSION_TABLE,
        migrations.MIGRATIONS,
        target,
        recognise=recognise,
        after=(lambda: claim_legacy_rows(db, store_id)) if target >= 3 else None,
        needs_after=lambda: (
            target >= 3 and db.schema_version(migrations.VERSION_TABLE) >= 3 and has_legacy_rows(db)
        ),
    )


def schema_version(db: Database) -> int:
    """The schema version of the index in ``db``."""
    return db.schema_version(migrations.VERSION_TABLE)


def claim_legacy_rows(db: Database, store_id: str) -> None:
    """Give the rows of a pre-part index (no store id) to this store, once.

    An index of schema version 2 or older held one store's rows without saying which;
    the first store that opens it after the upgrade takes them. The caller holds the
    migration lock inside a transaction.
    """
    if db.fetchall("SELECT 1 FROM index_parts WHERE store_id = ?", (store_id,)):
        return
    db.execute("UPDATE index_parts SET store_id = ? WHERE store_id IS NULL", (store_id,))
    db.execute("UPDATE client_links SET store_id = ? WHERE store_id IS NULL", (store_id,))


def has_legacy_rows(db: Database) -> bool:
    """Whether ``db`` still holds rows of a pre-part index that no store has claimed."""
    rows = db.fetchall(
        "SELECT EXISTS (SELECT 1 FROM index_parts WHERE store_id IS NULL)"
        " OR EXISTS (SELECT 1 FROM client_links WHERE store_id IS NULL)"
    )
    return bool(rows[0][0])
