"""The access store: one SQLite file ``<store>/access.sqlite``.

SQLite gives atomic, durable transactions (``synchronous=FULL``), so an import that fails
half way leaves nothing behind. Tables: ``orgs`` (the organisation registry), ``rights``
(register usage rights), ``client_links`` (temporary identifier → HETU, replayed into the
index by ``reindex``), ``informed`` (clients informed about Kanta) and ``disclosures``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from kanta_archive.access.registry import Organisation
from kanta_archive.access.rights import Right
from kanta_archive.errors import StoreError, UsageError

ACCESS_FILE = "access.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orgs (
    oid TEXT PRIMARY KEY, name TEXT NOT NULL, business_id TEXT NOT NULL,
    sector TEXT NOT NULL, joining_model TEXT NOT NULL, main_joiner_oid TEXT,
    organiser_oid TEXT, valid_from TEXT NOT NULL, valid_to TEXT
);
CREATE TABLE IF NOT EXISTS rights (
    right_id TEXT PRIMARY KEY, organiser_oid TEXT NOT NULL, producer_oid TEXT NOT NULL,
    client TEXT, service_task TEXT, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL,
    granted_at TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS client_links (
    temporary_id TEXT PRIMARY KEY, hetu TEXT NOT NULL, linked_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS informed (
    hetu TEXT NOT NULL, by_oid TEXT NOT NULL, informed_on TEXT NOT NULL,
    PRIMARY KEY (hetu, by_oid)
);
CREATE TABLE IF NOT EXISTS disclosures (
    id INTEGER PRIMARY KEY AUTOINCREMENT, document_oid TEXT NOT NULL, client TEXT NOT NULL,
    from_oid TEXT NOT NULL, to_oid TEXT NOT NULL, consent_oid TEXT, time TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS disclosures_to ON disclosures (to_oid, document_oid);
CREATE INDEX IF NOT EXISTS disclosures_client ON disclosures (client);
"""


def now_utc() -> str:
    """The current time, UTC, ISO 8601 with ``Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def registry_exists(store_path: str | os.PathLike[str]) -> bool:
    """True when ``<store>/access.sqlite`` holds at least one organisation."""
    path = Path(store_path) / ACCESS_FILE
    if not path.is_file():
        return False
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT count(*) FROM orgs").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0] > 0)


def _org(row: sqlite3.Row) -> Organisation:
    return Organisation(
        oid=row["oid"],
        name=row["name"],
        business_id=row["business_id"],
        sector=row["sector"],
        joining_model=row["joining_model"],
        main_joiner_oid=row["main_joiner_oid"],
        organiser_oid=row["organiser_oid"],
        valid_from=date.fromisoformat(row["valid_from"]),
        valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
    )


def _right(row: sqlite3.Row) -> Right:
    return Right(
        right_id=row["right_id"],
        organiser_oid=row["organiser_oid"],
        producer_oid=row["producer_oid"],
        client=row["client"],
        service_task=row["service_task"],
        valid_from=date.fromisoformat(row["valid_from"]),
        valid_to=date.fromisoformat(row["valid_to"]),
        granted_at=row["granted_at"],
        revoked_at=row["revoked_at"],
    )


class AccessStore:
    """The access tables of one store. Use :meth:`open`; close with :meth:`close`."""

    def __init__(self, path: Path, con: sqlite3.Connection) -> None:
        self.path = path
        self._con = con
        self._orgs: dict[str, Organisation | None] = {}

    @classmethod
    def open(cls, store_path: str | os.PathLike[str]) -> AccessStore:
        """Open (creating when missing) ``<store>/access.sqlite``."""
        path = Path(store_path) / ACCESS_FILE
        try:
            con = sqlite3.connect(path, isolation_level=None, timeout=30)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the access store {path}: {exc}") from exc
        return cls(path, con)

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything or nothing."""
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")
        self._orgs.clear()

    # ------------------------------------------------------------------ registry

    def import_orgs(self, orgs: Iterable[Organisation]) -> int:
        """Insert or replace organisations in one transaction; return how many."""
        count = 0
        with self.transaction() as con:
            for org in orgs:
                con.execute(
                    "INSERT OR REPLACE INTO orgs VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        org.oid,
                        org.name,
                        org.business_id,
                        org.sector,
                        org.joining_model,
                        org.main_joiner_oid,
                        org.organiser_oid,
                        org.valid_from.isoformat(),
                        org.valid_to.isoformat() if org.valid_to else None,
                    ),
                )
                count += 1
        return count

    def org(self, oid: str) -> Organisation | None:
        """The registered organisation (or unit) ``oid``, or ``None``."""
        if oid not in self._orgs:
            row = self._con.execute("SELECT * FROM orgs WHERE oid = ?", (oid,)).fetchone()
            self._orgs[oid] = _org(row) if row else None
        return self._orgs[oid]

    def orgs(self) -> list[Organisation]:
        """Every registered organisation, by OID."""
        rows = self._con.execute("SELECT * FROM orgs ORDER BY oid").fetchall()
        return [_org(r) for r in rows]

    def has_orgs(self) -> bool:
        """True when the registry has at least one organisation."""
        return self._con.execute("SELECT 1 FROM orgs LIMIT 1").fetchone() is not None

    # ------------------------------------------------------------------ rights

    def add_right(self, right: Right) -> None:
        """Record a new right."""
        with self.transaction() as con:
            con.execute(
                "INSERT INTO rights VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    right.right_id,
                    right.organiser_oid,
                    right.producer_oid,
                    right.client,
                    right.service_task,
                    right.valid_from.isoformat(),
                    right.valid_to.isoformat(),
                    right.granted_at,
                    right.revoked_at,
                ),
            )

    def right(self, right_id: str) -> Right | None:
        """The right ``right_id`` or ``None``."""
        row = self._con.execute("SELECT * FROM rights WHERE right_id = ?", (right_id,)).fetchone()
        return _right(row) if row else None

    def revoke_right(self, right_id: str, when: str) -> Right:
        """Mark a right revoked (kept for history); revoking twice is a usage error."""
        right = self.right(right_id)
        if right is None:
            raise UsageError(f"no right {right_id}")
        if right.revoked_at is not None:
            raise UsageError(f"right {right_id} was already revoked at {right.revoked_at}")
        with self.transaction() as con:
            con.execute("UPDATE rights SET revoked_at = ? WHERE right_id = ?", (when, right_id))
        revoked = self.right(right_id)
        assert revoked is not None
        return revoked

    def rights(self, *, organiser: str | None = None, producer: str | None = None) -> list[Right]:
        """Every right (revoked ones too), optionally of one organiser and/or producer."""
        sql = "SELECT * FROM rights WHERE 1=1"
        args: list[str] = []
        if organiser:
            sql += " AND organiser_oid = ?"
            args.append(organiser)
        if producer:
            sql += " AND producer_oid = ?"
            args.append(producer)
        rows = self._con.execute(sql + " ORDER BY granted_at, right_id", args).fetchall()
        return [_right(r) for r in rows]

    # ------------------------------------------------------------------ clients

    def link_client(self, temporary_id: str, hetu: str) -> None:
        """Record a temporary identifier → HETU link (replayed into the index)."""
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO client_links VALUES (?,?,?)",
                (temporary_id, hetu, now_utc()),
            )

    def unlink_client(self, temporary_id: str) -> str | None:
        """Remove the link of ``temporary_id``; return the HETU it pointed to, if any."""
        with self.transaction() as con:
            row = con.execute(
                "SELECT hetu FROM client_links WHERE temporary_id = ?", (temporary_id,)
            ).fetchone()
            con.execute("DELETE FROM client_links WHERE temporary_id = ?", (temporary_id,))
        return str(row[0]) if row else None

    def client_links(self) -> list[tuple[str, str]]:
        """Every recorded ``(temporary_id, hetu)`` link."""
        rows = self._con.execute(
            "SELECT temporary_id, hetu FROM client_links ORDER BY temporary_id"
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def linked_hetu(self, temporary_id: str) -> str | None:
        """The HETU a temporary identifier is linked to, if any."""
        row = self._con.execute(
            "SELECT hetu FROM client_links WHERE temporary_id = ?", (temporary_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def record_informed(self, hetu: str, by_oid: str, on: date) -> None:
        """Record that ``by_oid`` informed the client about Kanta on ``on``."""
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO informed VALUES (?,?,?)", (hetu, by_oid, on.isoformat())
            )

    def informed_on(self, hetu: str) -> date | None:
        """The earliest date the client was informed about Kanta, or ``None``."""
        row = self._con.execute(
            "SELECT min(informed_on) FROM informed WHERE hetu = ?", (hetu,)
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    # ------------------------------------------------------------------ disclosures

    def add_disclosures(
        self, rows: Iterable[tuple[str, str, str, str, str | None]], actor: str
    ) -> str:
        """Record disclosures ``(document_oid, client, from, to, consent)``; return the time."""
        when = now_utc()
        with self.transaction() as con:
            for document_oid, client, from_oid, to_oid, consent in rows:
                con.execute(
                    "INSERT INTO disclosures (document_oid, client, from_oid, to_oid, "
                    "consent_oid, time, actor) VALUES (?,?,?,?,?,?,?)",
                    (document_oid, client, from_oid, to_oid, consent, when, actor),
                )
        return when

    def disclosed_to(self, to_oid: str) -> set[str]:
        """Document OIDs disclosed to ``to_oid``."""
        rows = self._con.execute(
            "SELECT DISTINCT document_oid FROM disclosures WHERE to_oid = ?", (to_oid,)
        ).fetchall()
        return {str(r[0]) for r in rows}

    def disclosures(self, client: str | None = None) -> list[dict[str, str | None]]:
        """Recorded disclosures, oldest first, optionally of one client."""
        sql = "SELECT document_oid, client, from_oid, to_oid, consent_oid, time, actor FROM "
        sql += "disclosures"
        args: list[str] = []
        if client:
            sql += " WHERE client = ?"
            args.append(client)
        rows = self._con.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(r) for r in rows]
