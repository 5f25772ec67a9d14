"""The archive service: validated documents into the OCFL store, then into the index.

The store is the truth. Every write goes to the store first (durable when the store call
returns) and then to the index; an index that falls behind (a crash in between, a deleted
index file) is found by :meth:`Archive.verify` and rebuilt by :meth:`Archive.reindex` from
the ``metadata.json`` files alone.

One OCFL object per document set (object id = set OID), in the storage root of the set's
controller. Each OCFL version holds the submitted document byte for byte
(``document.json`` / ``document.xhtml``) and ``metadata.json`` (see
:mod:`kanta_archive.archive.metadata_file`). A new document version is a new OCFL version;
invalidation and controller transfer also add an OCFL version (same document bytes, new
``metadata.json``).

:class:`Archive` is the one entry point; each of its jobs lives in a module of its own
(:mod:`~kanta_archive.archive.ingest`, :mod:`~kanta_archive.archive.reading`,
:mod:`~kanta_archive.archive.changes`, :mod:`~kanta_archive.archive.fixity`,
:mod:`~kanta_archive.archive.export`).
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from kanta_archive.archive import changes, fixity, objects, reading, records
from kanta_archive.archive import ingest as ingesting
from kanta_archive.archive.export import export_object
from kanta_archive.archive.ingest import Authorize, ingest_paths
from kanta_archive.archive.objects import FileChange, ObjectFile
from kanta_archive.archive.results import (
    HistoryEntry,
    IngestItem,
    IngestReport,
    Progress,
    ReindexReport,
    ShownDocument,
    TransferReport,
    VerifyProblem,
    VerifyReport,
    no_progress,
)
from kanta_archive.db.url import POSTGRES_PREFIXES, SQLITE_PREFIX, is_postgres
from kanta_archive.errors import StoreError, UsageError
from kanta_archive.index import Index, Query, QueryResult, open_index
from kanta_archive.model import Document
from kanta_archive.output import writing
from kanta_archive.store import Store, manifest
from kanta_archive.store.ocfl import MARKER

INDEX_FILE = "index.sqlite"


def default_actor() -> str:
    """Who is acting when the caller does not say: ``$KANTA_ARCHIVE_ACTOR`` or the login."""
    actor = os.environ.get("KANTA_ARCHIVE_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _store_id(store: Store) -> str:
    """The key of the store's rows in shared databases: the id in the store's marker (a
    file in the folder, or the marker object in the bucket), made on first use."""
    return manifest.store_id(store.storage)


def default_index_url(store_path: str | os.PathLike[str]) -> str:
    """``sqlite://<absolute store path>/index.sqlite``."""
    return "sqlite://" + str(Path(store_path).absolute() / INDEX_FILE)


class Archive:
    """A kanta-archive store and its index. Use :meth:`open`; close with :meth:`close`."""

    def __init__(self, store: Store, index: Index, validator: Any = None) -> None:
        self.store = store
        self.index = index
        self._validator = validator
        self._index_checked = False
        #: where the access store and audit log live (``None``: files in the store)
        self.access_url: str | None = None

    @classmethod
    def open(
        cls,
        store_path: str | os.PathLike[str],
        index_url: str | None = None,
        create: bool = False,
        *,
        validator: Any = None,
        recover_index: bool = False,
        access_url: str | None = None,
    ) -> Archive:
        """Open the store at ``store_path`` (``create=True`` makes a new one) and its index
        (default ``sqlite://<store>/index.sqlite``). A directory that is not a store raises
        :class:`StoreError`. ``validator`` is a :class:`kanta_archive.validate.Validator`
        (default: the bundled schemas). ``recover_index`` (for :meth:`reindex` and
        :meth:`repair`) replaces a damaged index file by an empty one instead of failing.
        ``access_url`` is where the registry, rights and audit log live; default the index
        URL when that is PostgreSQL (one database for everything shared), else files in
        the store."""
        try:
            with writing(f"store {store_path}"):  # creating it where it cannot be
                store = Store.open(store_path, create=create)
        except StoreError as exc:
            # No marker: the path is missing or is some other directory, the caller's
            # mistake (exit 2). A marker that cannot be read is a broken store (exit 3).
            if (Path(store_path) / MARKER).exists():
                raise
            raise UsageError(str(exc)) from exc
        if index_url is None and store.local_dir is None:
            raise UsageError(
                f"the store {store.location} is on object storage: give its index with"
                " --index (postgresql://… shared by every host, or sqlite://<local path>)"
            )
        url = index_url or default_index_url(store.path)
        try:
            index = open_index(url, store_id=_store_id(store), recover=recover_index)
        except StoreError as exc:
            if url.startswith((SQLITE_PREFIX, *POSTGRES_PREFIXES)):
                raise
            raise UsageError(str(exc)) from exc  # not an index URL at all
        archive = cls(store, index, validator)
        archive.access_url = access_url or (index_url if is_postgres(index_url) else None)
        return archive

    def close(self) -> None:
        """Close the index."""
        self.index.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def validator(self) -> Any:
        """The validator used by :meth:`ingest` (built on first use)."""
        if self._validator is None:
            from kanta_archive.validate import Validator

            self._validator = Validator()
        return self._validator

    # ------------------------------------------------------------------ ingest

    def ingest(
        self,
        documents: Iterable[Path | Document],
        *,
        partial: bool = False,
        actor: str | None = None,
        progress: Progress | None = None,
        authorize: Authorize | None = None,
        chunk: int = ingesting.CHUNK,
    ) -> IngestReport:
        """Validate every input first (files or read documents); store the valid ones.

        If any input is invalid nothing is stored (every item is ``refused``) unless
        ``partial``. A stored document must be version 1 of a new set, or the next version
        of a stored set naming the stored head as its previous version; an identical
        re-submission (same bytes, or the same document in the other storage format) is
        ``unchanged``; anything else is ``refused`` with the reason. ``progress`` is called
        with the number of inputs done (once for validation, once for storing).

        ``authorize`` (access control, see :mod:`kanta_archive.access`) is called with the
        metadata of each valid document and returns ``None`` or the reason it is refused;
        a refused document counts like an invalid one (nothing is stored unless
        ``partial``).

        More than ``chunk`` files are archived in bounded memory: validated in a first
        pass, then read again and stored ``chunk`` at a time
        (:func:`~kanta_archive.archive.ingest.ingest_in_chunks`), with the same rules."""
        self.require_index()
        # Before the first object reaches the store: a writer beside this one, or this
        # one restarted after a crash, must not take the store's new objects for a lost
        # index.
        self.index.ensure_built()
        inputs = list(documents)
        paths = [i for i in inputs if isinstance(i, Path)]
        if len(inputs) > chunk and len(paths) == len(inputs):
            return ingesting.ingest_in_chunks(
                self.store,
                self.index,
                self.validator,
                paths,
                chunk=chunk,
                partial=partial,
                actor=actor or default_actor(),
                progress=progress or no_progress,
                authorize=authorize,
            )
        return ingesting.ingest(
            self.store,
            self.index,
            self.validator,
            inputs,
            partial=partial,
            actor=actor or default_actor(),
            progress=progress or no_progress,
            authorize=authorize,
        )

    # ------------------------------------------------------------------ query / show / history

    def require_index(self) -> None:
        """Refuse to answer from (or write to) an index that lost this store's documents.

        An index that was never built for a store holding documents was deleted or is a new
        database: a query would find nothing and say nothing, and writing to it would
        leave it partial.
        """
        if self._index_checked:
            return
        if not self.index.is_built() and any(True for _ in fixity.walk_objects(self.store)):
            raise StoreError(
                "the index holds none of this store's documents although the store holds"
                " document sets: it was deleted, or is a new database; rebuild it with"
                " `kanta-archive reindex`"
            )
        self._index_checked = True

    def query(self, q: Query) -> QueryResult:
        """Run a query on the index (refused when the index lost this store's documents)."""
        self.require_index()
        return self.index.query(q)

    def resolve(self, oid: str) -> tuple[str, str, str | None]:
        """``(controller, set OID, document OID or None)`` for a document or set OID."""
        return reading.resolve(self.store, self.index, oid)

    def show(self, oid: str, version: int | None = None) -> ShownDocument:
        """A document version: ``oid`` is a document OID (that version) or a set OID (its
        current version, or document ``version``)."""
        return reading.show(self.store, self.index, oid, version)

    def history(self, oid: str) -> list[HistoryEntry]:
        """Every OCFL version of the set that ``oid`` (set or document OID) belongs to."""
        return reading.history(self.store, self.index, oid)

    # ------------------------------------------------------------------ OCFL object files

    def ls(self, oid: str, at: int | None = None) -> list[ObjectFile]:
        """The logical files of OCFL version ``at`` (default: head) of the set ``oid``
        belongs to: path, size, SHA-512 digest and the version whose content it is."""
        return objects.list_files(self.store, objects.locate(self.store, self.index, oid, at))

    def cat(self, oid: str, path: str, at: int | None = None) -> bytes:
        """The bytes of one logical file (``document.json``, ``metadata.json``, …) of OCFL
        version ``at`` (default: head), checked against its digest."""
        return objects.read_file(self.store, objects.locate(self.store, self.index, oid, at), path)

    def diff(self, oid: str, old: int, new: int | None = None) -> list[FileChange]:
        """How OCFL version ``new`` (default: head) of the set differs from ``old``: every
        file added, deleted, modified or unchanged, and the metadata keys that changed."""
        where = objects.locate(self.store, self.index, oid, new)
        objects.locate(self.store, self.index, oid, old)  # ``old`` must exist too
        return objects.diff_versions(self.store, where.controller, where.set_oid, old, where.number)

    # ------------------------------------------------------------------ changes

    def invalidate(self, oid: str, reason: str, *, actor: str | None = None) -> ShownDocument:
        """Invalidate the current version of a set (``oid``: set OID or the current
        version's document OID). Adds an OCFL version; the document bytes stay."""
        self.require_index()
        return changes.invalidate(self.store, self.index, oid, reason, actor or default_actor())

    def transfer_controller(
        self,
        from_controller: str,
        to_controller: str,
        reason: str,
        *,
        actor: str | None = None,
        organisation: str | None = None,
        progress: Progress | None = None,
    ) -> TransferReport:
        """Give every document set of ``from_controller`` to ``to_controller``: a new
        version with the new controller in ``metadata.json`` (and a ``controller_history``
        entry), then a move into the new controller's storage root. Safe to re-run after an
        interruption: a set that already has its transfer version is only moved. A
        controller that holds no set (and never did: see :mod:`~kanta_archive.archive.changes`)
        is a :class:`UsageError`.

        In a store with access control the transfer is written to the audit log, with
        ``organisation`` (the acting organisation, if any) and ``actor`` (the person). No
        access rule is applied here: see :func:`kanta_archive.open_archive`."""
        self.require_index()
        person = actor or default_actor()
        report = changes.transfer_controller(
            self.store,
            self.index,
            from_controller,
            to_controller,
            reason,
            actor=person,
            progress=progress or no_progress,
        )
        records.audit_transfer(
            self.store.storage, report, reason, person, organisation, self.access_url
        )
        return report

    # ------------------------------------------------------------------ fixity

    def verify(self, full: bool = False, *, progress: Progress | None = None) -> VerifyReport:
        """Check the store (:meth:`Store.verify`; ``full`` also checks every digest) and the
        index against the store heads. Changes nothing."""
        return fixity.verify(self.store, self.index, full, progress or no_progress)

    def repair(self, *, progress: Progress | None = None) -> list[str]:
        """Finish or undo work interrupted by a crash, then rebuild the index.

        Runs the store's recovery (leftover workspaces, half-placed versions, stale
        sidecars; each object under its lock), then :meth:`reindex`, because a crash
        between the store commit and the index update leaves the index behind.
        Returns what the recovery did. Nothing acknowledged is ever removed.
        """
        actions = self.store.recover()
        self.rebuild_index(progress=progress)
        return actions

    def reindex(self, *, progress: Progress | None = None) -> int:
        """Rebuild the index (see :meth:`rebuild_index`); returns the number of document
        versions indexed."""
        return self.rebuild_index(progress=progress).versions

    def rebuild_index(self, *, progress: Progress | None = None) -> ReindexReport:
        """Rebuild the index from the ``metadata.json`` of every version in the store, then
        replay the client links recorded in the store's access store (if any).

        The new index is built beside the live one and swapped in at the end (queries see
        the old one until then). A set that cannot be read (a damaged inventory or
        metadata) does not stop the rebuild: it is reported in ``problems``, and the index
        keeps the rows it had for it (``kept``).
        """
        report = fixity.reindex(self.store, self.index, progress or no_progress)
        links = records.restore_links(self.store.storage, self.index, self.access_url)
        return dataclasses.replace(report, links=links)

    def export(self, set_oid: str, to: str | os.PathLike[str]) -> Path:
        """Copy the set's OCFL object (every version) to ``to``, checked against its
        inventory. ``to`` must not exist or be empty."""
        controller = reading.locate_set(self.store, set_oid, self.index)
        return export_object(self.store, controller, set_oid, Path(to))

    def object_count(self) -> int:
        """How many document sets the store holds."""
        return fixity.object_count(self.store)


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
    "ingest_paths",
]
