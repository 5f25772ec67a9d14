"""The access store: the organisation registry, register usage rights, client links,
informed clients and disclosures of one store.

It lives in ``<store>/access.sqlite`` by default (SQLite, ``synchronous=FULL``: a commit
survives a power cut) or in a PostgreSQL database shared by several hosts (``--access
postgresql://…``, or the ``--index`` URL when that is PostgreSQL). Every table carries the
store id, so one database serves several stores. An import that fails half way leaves
nothing behind (one transaction).

Tables (schema ``access_schema_version``): ``access_orgs``, ``access_rights``,
``access_client_links`` (temporary identifier → HETU, replayed into the index by
``reindex``), ``access_informed`` and ``access_disclosures``. A store's file from before
the store id (tables ``orgs``, ``rights``, …) is moved into these on first open.

Once a registry is imported the store's marker declares it
(:mod:`kanta_archive.store.manifest`): from then on a missing or emptied access store is
an error (exit 3), never a store without access control.

A store on object storage (``s3://``) has no folder for ``access.sqlite``: its access store
is always the database named by ``--access`` (or a PostgreSQL ``--index``); without one,
access control is not available on it (:data:`NO_DATABASE`), and once its marker declares a
registry every command needs that database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from kanta_archive.access.registry import COLUMNS as _ORG_COLUMNS
from kanta_archive.access.registry import Organisation
from kanta_archive.access.rights import RIGHT_FIELDS, Right
from kanta_archive.db import Closing, Database, Migrations, open_database
from kanta_archive.errors import StoreError, UsageError
from kanta_archive.store import Storage, manifest
from kanta_archive.store.manifest import StoreRef

ACCESS_FILE: Final = "access.sqlite"
#: why an object-storage store without a database has no access control
NO_DATABASE: Final = (
    "the store {where} is on object storage: its organisation registry, rights, client"
    " links, disclosures and audit log live in a database; give --access URL"
    " (postgresql://… shared by every host, or sqlite://<local path>) or --index"
    " postgresql://… (env KANTA_ARCHIVE_ACCESS / KANTA_ARCHIVE_INDEX)"
)
VERSION_TABLE: Final = "access_schema_version"

_RIGHT_COLUMNS: Final = RIGHT_FIELDS
_DISCLOSURE_COLUMNS: Final = (
    "document_oid",
    "client",
    "from_oid",
    "to_oid",
    "consent_oid",
    "time",
    "actor",
)
#: the tables of an access.sqlite from before the store id, in copy order.
_LEGACY: Final = {
    "orgs": ("access_orgs", _ORG_COLUMNS),
    "rights": ("access_rights", _RIGHT_COLUMNS),
    "client_links": ("access_client_links", ("temporary_id", "hetu", "linked_at")),
    "informed": ("access_informed", ("hetu", "by_oid", "informed_on")),
    "disclosures": ("access_disclosures", _DISCLOSURE_COLUMNS),
}


def _v1(*, sqlite: bool) -> list[str]:
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "BIGSERIAL PRIMARY KEY"
    return [
        """CREATE TABLE access_orgs (
    store_id TEXT NOT NULL, oid TEXT NOT NULL, name TEXT NOT NULL, business_id TEXT NOT NULL,
    sector TEXT NOT NULL, joining_model TEXT NOT NULL, main_joiner_oid TEXT,
    organiser_oid TEXT, valid_from TEXT NOT NULL, valid_to TEXT,
    PRIMARY KEY (store_id, oid)
)""",
        """CREATE TABLE access_rights (
    store_id TEXT NOT NULL, right_id TEXT NOT NULL, organiser_oid TEXT NOT NULL,
    producer_oid TEXT NOT NULL, client TEXT, service_task TEXT, valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL, granted_at TEXT NOT NULL, revoked_at TEXT,
    PRIMARY KEY (store_id, right_id)
)""",
        """CREATE TABLE access_client_links (
    store_id TEXT NOT NULL, temporary_id TEXT NOT NULL, hetu TEXT NOT NULL,
    linked_at TEXT NOT NULL, PRIMARY KEY (store_id, temporary_id)
)""",
        """CREATE TABLE access_informed (
    store_id TEXT NOT NULL, hetu TEXT NOT NULL, by_oid TEXT NOT NULL, informed_on TEXT NOT NULL,
    PRIMARY KEY (store_id, hetu, by_oid)
)""",
        f"""CREATE TABLE access_disclosures (
    id {serial}, store_id TEXT NOT NULL, document_oid TEXT NOT NULL, client TEXT NOT NULL,
    from_oid TEXT NOT NULL, to_oid TEXT NOT NULL, consent_oid TEXT, time TEXT NOT NULL,
    actor TEXT NOT NULL
)""",
        "CREATE INDEX access_disclosures_to ON access_disclosures (store_id, to_oid, document_oid)",
        "CREATE INDEX access_disclosures_client ON access_disclosures (store_id, client)",
    ]


MIGRATIONS: Final[Migrations] = {"sqlite": [_v1(sqlite=True)], "postgres": [_v1(sqlite=False)]}
CURRENT_VERSION: Final = 1


def now_utc() -> str:
    """The current time, UTC, ISO 8601 with ``Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def access_url(store: StoreRef, url: str | None = None) -> str:
    """The access store's URL: ``url`` or ``sqlite://<store>/access.sqlite``; a store on
    object storage needs ``url`` (:class:`UsageError` without it)."""
    if url:
        return url
    folder = manifest.local_path(store)
    if folder is None:
        raise UsageError(NO_DATABASE.format(where=manifest.location(store)))
    return "sqlite://" + str(folder.absolute() / ACCESS_FILE)


def registry_exists(store: StoreRef, url: str | None = None) -> bool:
    """True when the store has an organisation registry (access control is on).

    A registry the store's marker declares must be there: a missing or emptied access
    store raises :class:`StoreError` instead of turning access control off (on object
    storage without a database given: :class:`UsageError`). A registry from before the
    declaration is declared now.
    """
    declared = manifest.REGISTRY in manifest.declared(store)
    folder = manifest.local_path(store)
    if url is None and (folder is None or not (folder / ACCESS_FILE).is_file()):
        if not declared:
            return False
        if folder is None:
            raise UsageError(
                NO_DATABASE.format(where=manifest.location(store))
                + "; its marker declares an organisation registry, so access control stays on"
            )
    try:
        access = AccessStore.open(store, url, create=not declared)
    except StoreError as exc:
        if not declared:
            raise
        raise _missing(store, url, f"it cannot be opened: {exc}") from exc
    with access:
        has = access.has_orgs()
    if declared and not has:
        raise _missing(store, url, "it holds no organisation")
    if has and not declared and manifest.is_store(store):
        manifest.declare(store, manifest.REGISTRY)
    return has


def _missing(store: StoreRef, url: str | None, why: str) -> StoreError:
    return StoreError(
        f"the store {manifest.location(store)} has an organisation registry (declared in its"
        f" marker {manifest.MARKER}), but the access store {access_url(store, url)} is gone"
        f" or emptied ({why}); access control stays on: restore the access store from a"
        " backup"
    )


def _org(row: Sequence[Any]) -> Organisation:
    values = dict(zip(_ORG_COLUMNS, row, strict=True))
    return Organisation(
        oid=values["oid"],
        name=values["name"],
        business_id=values["business_id"],
        sector=values["sector"],
        joining_model=values["joining_model"],
        main_joiner_oid=values["main_joiner_oid"],
        organiser_oid=values["organiser_oid"],
        valid_from=date.fromisoformat(values["valid_from"]),
        valid_to=date.fromisoformat(values["valid_to"]) if values["valid_to"] else None,
    )


def _right(row: Sequence[Any]) -> Right:
    values = dict(zip(_RIGHT_COLUMNS, row, strict=True))
    return Right(
        right_id=values["right_id"],
        organiser_oid=values["organiser_oid"],
        producer_oid=values["producer_oid"],
        client=values["client"],
        service_task=values["service_task"],
        valid_from=date.fromisoformat(values["valid_from"]),
        valid_to=date.fromisoformat(values["valid_to"]),
        granted_at=values["granted_at"],
        revoked_at=values["revoked_at"],
    )


class AccessStore(Closing):
    """The access tables of one store. Use :meth:`open`; close with :meth:`close`."""

    def __init__(self, db: Database, store: StoreRef, store_id: str) -> None:
        self.db = db
        self.store = store
        self.store_id = store_id
        self.path = Path(db.where)
        self._orgs: dict[str, Organisation | None] = {}

    @classmethod
    def open(
        cls,
        store: StoreRef,
        url: str | None = None,
        *,
        create: bool = True,
        store_id: str | None = None,
    ) -> AccessStore:
        """Open (creating when missing, unless ``create`` is false) the access store of
        ``store`` (its directory, or its storage backend).

        ``url`` is ``sqlite://…`` or ``postgresql://…``; default
        ``sqlite://<store>/access.sqlite`` (a store on object storage needs ``url``).
        """
        if not isinstance(store, Storage):
            store = Path(store)
        target = access_url(store, url)
        local = target.startswith("sqlite://")
        if not create and local and not Path(target.removeprefix("sqlite://")).is_file():
            raise StoreError(f"the access store {target} does not exist")
        db = open_database(target, what="access store", synchronous="FULL")
        opened = cls(db, store, store_id or manifest.store_id(store))
        try:
            db.migrate(
                VERSION_TABLE,
                MIGRATIONS,
                CURRENT_VERSION,
                after=opened._adopt_legacy_tables,
                needs_after=lambda: db.backend == "sqlite" and "orgs" in db.tables(),
            )
        except BaseException:
            db.close()
            raise
        return opened

    def copy_into(self, target: AccessStore) -> int:
        """Copy every row of this store's access tables to ``target`` (another store's, in
        any database) in one transaction; return how many rows.

        Run again after an interruption it copies nothing twice: a target that already
        holds exactly this store's row counts is taken as copied (0); a target with other
        rows is refused (:class:`StoreError`), nothing is written."""
        tables = [(new, columns) for new, columns in _LEGACY.values()]
        source = {
            name: self._rows(
                f"SELECT {', '.join(columns)} FROM {name} WHERE store_id = ?"
                + (" ORDER BY id" if name == "access_disclosures" else "")
            )
            for name, columns in tables
        }
        with target.transaction() as db:
            held = {
                name: int(target._rows(f"SELECT count(*) FROM {name} WHERE store_id = ?")[0][0])
                for name, _columns in tables
            }
            if any(held.values()):
                if held == {name: len(rows) for name, rows in source.items()}:
                    return 0
                raise StoreError(
                    f"the access store {target.path} already holds other rows for store"
                    f" {target.store_id}: {held}; nothing copied"
                )
            for name, columns in tables:
                marks = ", ".join("?" for _ in range(len(columns) + 1))
                db.executemany(
                    f"INSERT INTO {name} (store_id, {', '.join(columns)}) VALUES ({marks})",
                    [(target.store_id, *row) for row in source[name]],
                )
        return sum(len(rows) for rows in source.values())

    def _adopt_legacy_tables(self) -> None:
        """Move the rows of an access.sqlite from before the store id into its tables.

        Runs under the migration lock, in its transaction: all rows move or none.
        """
        tables = self.db.tables()
        if self.db.backend != "sqlite" or "orgs" not in tables:
            return  # only an access.sqlite of its own has these (PostgreSQL's client_links
            # table is the index's)
        for old, (new, columns) in _LEGACY.items():
            if old not in tables:
                continue
            listed = ", ".join(columns)
            order = " ORDER BY id" if old == "disclosures" else ""
            self.db.execute(
                f"INSERT INTO {new} (store_id, {listed}) SELECT ?, {listed} FROM {old}{order}",
                (self.store_id,),
            )
            self.db.execute(f"DROP TABLE {old}")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One write transaction: everything or nothing."""
        with self.db.transaction():
            yield self.db
        self._orgs.clear()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.db.fetchall(sql, (self.store_id, *params))

    # ------------------------------------------------------------------ registry

    def import_orgs(self, orgs: Iterable[Organisation]) -> int:
        """Insert or replace organisations in one transaction; return how many.

        The store's marker then declares the registry, so that it cannot silently go.
        """
        rows = [
            (
                self.store_id,
                org.oid,
                org.name,
                org.business_id,
                org.sector,
                org.joining_model,
                org.main_joiner_oid,
                org.organiser_oid,
                org.valid_from.isoformat(),
                org.valid_to.isoformat() if org.valid_to else None,
            )
            for org in orgs
        ]
        listed = ", ".join(_ORG_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _ORG_COLUMNS[1:])
        with self.transaction() as db:
            db.executemany(
                f"INSERT INTO access_orgs (store_id, {listed}) VALUES"
                f" ({', '.join('?' for _ in range(len(_ORG_COLUMNS) + 1))})"
                f" ON CONFLICT (store_id, oid) DO UPDATE SET {updates}",
                rows,
            )
        if rows and manifest.is_store(self.store):
            manifest.declare(self.store, manifest.REGISTRY)
        return len(rows)

    def org(self, oid: str) -> Organisation | None:
        """The registered organisation (or unit) ``oid``, or ``None``."""
        if oid not in self._orgs:
            rows = self._rows(
                f"SELECT {', '.join(_ORG_COLUMNS)} FROM access_orgs WHERE store_id = ? AND oid = ?",
                (oid,),
            )
            self._orgs[oid] = _org(rows[0]) if rows else None
        return self._orgs[oid]

    def orgs(self) -> list[Organisation]:
        """Every registered organisation, by OID."""
        rows = self._rows(
            f"SELECT {', '.join(_ORG_COLUMNS)} FROM access_orgs WHERE store_id = ? ORDER BY oid"
        )
        return [_org(r) for r in rows]

    def has_orgs(self) -> bool:
        """True when the registry has at least one organisation."""
        return bool(self._rows("SELECT 1 FROM access_orgs WHERE store_id = ? LIMIT 1"))

    # ------------------------------------------------------------------ rights

    def add_right(self, right: Right) -> None:
        """Record a new right."""
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO access_rights (store_id, {', '.join(_RIGHT_COLUMNS)})"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    self.store_id,
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
        rows = self._rows(
            f"SELECT {', '.join(_RIGHT_COLUMNS)} FROM access_rights"
            " WHERE store_id = ? AND right_id = ?",
            (right_id,),
        )
        return _right(rows[0]) if rows else None

    def revoke_right(self, right_id: str, when: str) -> Right:
        """Mark a right revoked (kept for history); revoking twice is a usage error."""
        right = self.right(right_id)
        if right is None:
            raise UsageError(f"no right {right_id}")
        if right.revoked_at is not None:
            raise UsageError(f"right {right_id} was already revoked at {right.revoked_at}")
        with self.transaction() as db:
            db.execute(
                "UPDATE access_rights SET revoked_at = ? WHERE store_id = ? AND right_id = ?",
                (when, self.store_id, right_id),
            )
        revoked = self.right(right_id)
        assert revoked is not None
        return revoked

    def rights(self, *, organiser: str | None = None, producer: str | None = None) -> list[Right]:
        """Every right (revoked ones too), optionally of one organiser and/or producer."""
        sql = f"SELECT {', '.join(_RIGHT_COLUMNS)} FROM access_rights WHERE store_id = ?"
        args: list[str] = []
        if organiser:
            sql += " AND organiser_oid = ?"
            args.append(organiser)
        if producer:
            sql += " AND producer_oid = ?"
            args.append(producer)
        rows = self._rows(sql + " ORDER BY granted_at, right_id", args)
        return [_right(r) for r in rows]

    # ------------------------------------------------------------------ clients

    def link_client(self, temporary_id: str, hetu: str) -> None:
        """Record a temporary identifier → HETU link (replayed into the index)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO access_client_links (store_id, temporary_id, hetu, linked_at)"
                " VALUES (?,?,?,?) ON CONFLICT (store_id, temporary_id)"
                " DO UPDATE SET hetu = excluded.hetu, linked_at = excluded.linked_at",
                (self.store_id, temporary_id, hetu, now_utc()),
            )

    def unlink_client(self, temporary_id: str) -> str | None:
        """Remove the link of ``temporary_id``; return the HETU it pointed to, if any."""
        with self.transaction() as db:
            row = self._rows(
                "SELECT hetu FROM access_client_links WHERE store_id = ? AND temporary_id = ?",
                (temporary_id,),
            )
            db.execute(
                "DELETE FROM access_client_links WHERE store_id = ? AND temporary_id = ?",
                (self.store_id, temporary_id),
            )
        return str(row[0][0]) if row else None

    def client_links(self) -> list[tuple[str, str]]:
        """Every recorded ``(temporary_id, hetu)`` link."""
        rows = self._rows(
            "SELECT temporary_id, hetu FROM access_client_links WHERE store_id = ?"
            " ORDER BY temporary_id"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def linked_hetu(self, temporary_id: str) -> str | None:
        """The HETU a temporary identifier is linked to, if any."""
        rows = self._rows(
            "SELECT hetu FROM access_client_links WHERE store_id = ? AND temporary_id = ?",
            (temporary_id,),
        )
        return str(rows[0][0]) if rows else None

    def record_informed(self, hetu: str, by_oid: str, on: date) -> None:
        """Record that ``by_oid`` informed the client about Kanta on ``on``."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO access_informed (store_id, hetu, by_oid, informed_on)"
                " VALUES (?,?,?,?) ON CONFLICT (store_id, hetu, by_oid)"
                " DO UPDATE SET informed_on = excluded.informed_on",
                (self.store_id, hetu, by_oid, on.isoformat()),
            )

    def informed_on(self, hetu: str) -> date | None:
        """The earliest date the client was informed about Kanta, or ``None``."""
        rows = self._rows(
            "SELECT min(informed_on) FROM access_informed WHERE store_id = ? AND hetu = ?",
            (hetu,),
        )
        return date.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    # ------------------------------------------------------------------ disclosures

    def add_disclosures(
        self, rows: Iterable[tuple[str, str, str, str, str | None]], actor: str
    ) -> str:
        """Record disclosures ``(document_oid, client, from, to, consent)``; return the time."""
        when = now_utc()
        values = [
            (self.store_id, document_oid, client, from_oid, to_oid, consent, when, actor)
            for document_oid, client, from_oid, to_oid, consent in rows
        ]
        with self.transaction() as db:
            db.executemany(
                f"INSERT INTO access_disclosures (store_id, {', '.join(_DISCLOSURE_COLUMNS)})"
                " VALUES (?,?,?,?,?,?,?,?)",
                values,
            )
        return when

    def disclosed_to(self, to_oid: str) -> set[str]:
        """Document OIDs disclosed to ``to_oid``."""
        rows = self._rows(
            "SELECT DISTINCT document_oid FROM access_disclosures"
            " WHERE store_id = ? AND to_oid = ?",
            (to_oid,),
        )
        return {str(r[0]) for r in rows}

    def disclosures(self, client: str | None = None) -> list[dict[str, str | None]]:
        """Recorded disclosures, oldest first, optionally of one client."""
        sql = f"SELECT {', '.join(_DISCLOSURE_COLUMNS)} FROM access_disclosures WHERE store_id = ?"
        args: list[str] = []
        if client:
            sql += " AND client = ?"
            args.append(client)
        rows = self._rows(sql + " ORDER BY id", args)
        return [dict(zip(_DISCLOSURE_COLUMNS, r, strict=True)) for r in rows]
