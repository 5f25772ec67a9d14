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

import getpass
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from kanta_archive.archive import changes, fixity, reading
from kanta_archive.archive import ingest as ingesting
from kanta_archive.archive.export import export_object
from kanta_archive.archive.ingest import Authorize, ingest_paths
from kanta_archive.archive.results import (
    HistoryEntry,
    IngestItem,
    IngestReport,
    Progress,
    ShownDocument,
    TransferReport,
    VerifyProblem,
    VerifyReport,
    no_progress,
)
from kanta_archive.index import Index, Query, QueryResult, open_index
from kanta_archive.model import Document
from kanta_archive.store import Store

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


def default_index_url(store_path: str | os.PathLike[str]) -> str:
    """``sqlite://<absolute store path>/index.sqlite``."""
    return "sqlite://" + str(Path(store_path).absolute() / INDEX_FILE)


class Archive:
    """A kanta-archive store and its index. Use :meth:`open`; close with :meth:`close`."""

    def __init__(self, store: Store, index: Index, validator: Any = None) -> None:
        self.store = store
        self.index = index
        self._validator = validator

    @classmethod
    def open(
        cls,
        store_path: str | os.PathLike[str],
        index_url: str | None = None,
        create: bool = False,
        *,
        validator: Any = None,
    ) -> Archive:
        """Open the store at ``store_path`` (``create=True`` makes a new one) and its index
        (default ``sqlite://<store>/index.sqlite``). A directory that is not a store raises
        :class:`StoreError`. ``validator`` is a :class:`kanta_archive.validate.Validator`
        (default: the bundled schemas)."""
        store = Store.open(store_path, create=create)
        index = open_index(index_url or default_index_url(store.path))
        return cls(store, index, validator)

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
        ``partial``)."""
        return ingesting.ingest(
            self.store,
            self.index,
            self.validator,
            documents,
            partial=partial,
            actor=actor or default_actor(),
            progress=progress or no_progress,
            authorize=authorize,
        )

    # ------------------------------------------------------------------ query / show / history

    def query(self, q: Query) -> QueryResult:
        """Run a query on the index."""
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

    # ------------------------------------------------------------------ changes

    def invalidate(self, oid: str, reason: str, *, actor: str | None = None) -> ShownDocument:
        """Invalidate the current version of a set (``oid``: set OID or the current
        version's document OID). Adds an OCFL version; the document bytes stay."""
        return changes.invalidate(self.store, self.index, oid, reason, actor or default_actor())

    def transfer_controller(
        self,
        from_controller: str,
        to_controller: str,
        reason: str,
        *,
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> TransferReport:
        """Give every document set of ``from_controller`` to ``to_controller``: a new
        version with the new controller in ``metadata.json`` (and a ``controller_history``
        entry), then a move into the new controller's storage root. Safe to re-run after an
        interruption: a set that already has its transfer version is only moved."""
        return changes.transfer_controller(
            self.store,
            self.index,
            from_controller,
            to_controller,
            reason,
            actor=actor or default_actor(),
            progress=progress or no_progress,
        )

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
        self.reindex(progress=progress)
        return actions

    def reindex(self, *, progress: Progress | None = None) -> int:
        """Rebuild the index from the ``metadata.json`` of every version in the store;
        returns the number of document versions indexed."""
        return fixity.reindex(self.store, self.index, progress or no_progress)

    def export(self, set_oid: str, to: str | os.PathLike[str]) -> Path:
        """Copy the set's OCFL object (every version) to ``to``, checked against its
        inventory. ``to`` must not exist or be empty."""
        controller = reading.locate_set(self.store, set_oid)
        return export_object(self.store, controller, set_oid, Path(to))

    def object_count(self) -> int:
        """How many document sets the store holds."""
        return fixity.object_count(self.store)


__all__ = [
    "Archive",
    "HistoryEntry",
    "IngestItem",
    "IngestReport",
    "ShownDocument",
    "TransferReport",
    "VerifyProblem",
    "VerifyReport",
    "default_actor",
    "default_index_url",
    "ingest_paths",
]
