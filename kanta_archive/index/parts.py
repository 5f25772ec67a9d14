"""The parts of an SQL index: one live part per store, a building one while it is rebuilt.

One database may hold the index of several stores: each store's rows live in its own
*part* (``index_parts``), so nothing ever reads or writes another store's rows. A part is
``live`` (what queries read), ``building`` (a rebuild filling it) or ``retired`` (its rows
are being deleted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from kanta_archive.db.base import Database
from kanta_archive.index.rows import format_utc

#: how many rows one purge statement deletes (keeps write transactions short).
_PURGE_CHUNK: Final = 10_000


def live_part(db: Database, store_id: str) -> int | None:
    """The live part of ``store_id``, ``None`` when its index was never built."""
    rows = db.fetchall(
        "SELECT part FROM index_parts WHERE store_id = ? AND state = 'live'",
        (store_id,),
    )
    return int(rows[0][0]) if rows else None


def new_part(db: Database, store_id: str, state: str) -> int:
    """Make a new part of ``store_id`` in ``state``; return it."""
    rows = db.fetchall(
        "INSERT INTO index_parts (store_id, state, created) VALUES (?, ?, ?) RETURNING part",
        (store_id, state, format_utc(datetime.now(UTC))),
    )
    return int(rows[0][0])


def write_parts(db: Database, store_id: str) -> list[int]:
    """The parts a writer updates: the live one (made when missing) and any being built.

    A document stored while ``reindex`` runs goes into both, so the swap loses nothing.
    """
    rows = db.fetchall(
        "SELECT part, state FROM index_parts WHERE store_id = ? AND state <> 'retired'"
        " ORDER BY part",
        (store_id,),
    )
    parts = [int(part) for part, _state in rows]
    if not any(state == "live" for _part, state in rows):
        # Another writer may be making it at this moment: whoever commits first wins,
        # the other waits for that commit (PostgreSQL) and then uses its part.
        db.execute(
            "INSERT INTO index_parts (store_id, state, created) VALUES (?, 'live', ?)"
            " ON CONFLICT DO NOTHING",
            (store_id, format_utc(datetime.now(UTC))),
        )
        live = live_part(db, store_id)
        assert live is not None
        parts.append(live)
    return parts


def purge_retired(db: Database, store_id: str) -> None:
    """Delete the rows of this store's retired parts, a chunk per transaction."""
    retired = db.fetchall(
        "SELECT part FROM index_parts WHERE store_id = ? AND state = 'retired'",
        (store_id,),
    )
    for (part,) in retired:
        while True:
            with db.transaction():
                deleted = db.execute(
                    "DELETE FROM documents WHERE part = ? AND document_oid IN"
                    " (SELECT document_oid FROM documents WHERE part = ? LIMIT ?)",
                    (part, part, _PURGE_CHUNK),
                )
            if deleted <= 0:
                break
        with db.transaction():
            db.execute("DELETE FROM document_clients WHERE part = ?", (part,))
            db.execute("DELETE FROM index_parts WHERE part = ?", (part,))
