"""The archive as its users see it: one open store, one actor, every rule applied.

:func:`open_archive` is the public entry point (the CLI makes one call on it per command)::

    from kanta_archive import Actor, Query, open_archive

    with open_archive("./archive", create=True) as archive:
        report = archive.ingest([Path("samples/valid/case-document-open.json")])
        page = archive.query(Query(client="150612A904S"))

    county = Actor(organisation="1.2.246.10.91000013", person="alice")
    with open_archive("./archive", actor=county) as archive:
        shown = archive.show("1.2.246.10.91000013.11.1001.1")

A store **without** an organisation registry has no access checks and writes no access
audit entries, as before access control. A store **with** one (``orgs import``) decides
every operation that reads client data or changes documents, rights, links, the registry or
controllers from the acting organisation (``actor.organisation``), applies the rules of
:mod:`kanta_archive.access` and writes the audit log; without an acting organisation such an
operation is a :class:`UsageError`, and a refusal is a :class:`RefusedError` naming its rule.
Registry, rights, client links, disclosures and the audit trail are :attr:`ArchiveSession.access`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from kanta_archive.access import reading as access_reading
from kanta_archive.access.audit_db import open_audit_log
from kanta_archive.access.audit_verify import AuditVerifyResult
from kanta_archive.access.audit_verify import verify as verify_audit_log
from kanta_archive.access.context import ACTING_REQUIRED, AccessContext
from kanta_archive.access.db import AccessStore, registry_exists
from kanta_archive.access.service import AccessService
from kanta_archive.archive import (
    Archive,
    HistoryEntry,
    IngestReport,
    ReindexReport,
    ShownDocument,
    TransferReport,
    VerifyReport,
)
from kanta_archive.archive.objects import FileChange, ObjectFile
from kanta_archive.archive.querying import RowCounts, iter_rows
from kanta_archive.archive.results import Progress
from kanta_archive.archive.service import INDEX_FILE
from kanta_archive.errors import UsageError
from kanta_archive.index import IndexRow, Query, QueryResult
from kanta_archive.model import Document
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.store.layout import LOCATORS
from kanta_archive.store.ocfl import CONTROLLERS, LOCKS, MARKER, STAGING

Part = Literal["summary", "metadata", "content", "raw", "display"]

NO_REGISTRY_FOR_AS = (
    "--as needs an organisation registry in the store; import one with "
    "`kanta-archive orgs import orgs.csv`"
)


@dataclass(frozen=True)
class Actor:
    """Who acts: the ``organisation`` (OID, ``--as``) and the ``person`` (``--actor``, recorded
    in the OCFL version and the audit log; default ``$KANTA_ARCHIVE_ACTOR`` or the login).

    ``organisation_is_default``: the organisation came from a default (the environment),
    not from the caller, so a store without a registry ignores it instead of refusing it.
    """

    organisation: str | None = None
    person: str | None = None
    organisation_is_default: bool = False


@dataclass(frozen=True)
class QueryPage:
    """A query page the actor may see, and how many matching documents it may not."""

    result: QueryResult
    hidden: int = 0


class QueryStream:
    """The rows of a query as they are read (page by page, constant memory). ``total``
    (matching rows the actor may read) and ``hidden`` (matching rows it may not) are known
    once the rows have been read."""

    def __init__(self, rows: Iterator[IndexRow], counts: RowCounts) -> None:
        self._rows = rows
        self._counts = counts

    def __iter__(self) -> Iterator[IndexRow]:
        return self._rows

    @property
    def total(self) -> int:
        """How many rows match (that the actor may read)."""
        return self._counts.total

    @property
    def hidden(self) -> int:
        """How many matching rows the actor may not read."""
        return self._counts.hidden

    @property
    def shown(self) -> int:
        """How many rows have been read so far."""
        return self._counts.shown


@dataclass(frozen=True)
class Shown:
    """One document as the actor may see it: ``content`` is filled for ``part="content"``
    (the content) and ``part="display"`` (a CDA document's XHTML display form), masked
    under a non-disclosure marking unless ``revealed``."""

    document: ShownDocument
    part: Part
    revealed: bool = False
    content: Any = None


class ArchiveSession:
    """An open store acting as one :class:`Actor`. Use :func:`open_archive`."""

    def __init__(
        self,
        archive: Archive,
        actor: Actor,
        *,
        registry: SchemaRegistry | None = None,
        new_store: bool = False,
        new_dir: bool = False,
    ) -> None:
        self.archive = archive
        self._registry = registry
        self._new_store = new_store  # this session made the store ...
        self._new_dir = new_dir  # ... and its directory
        self.checks = registry_exists(archive.store.storage, archive.access_url)
        if not self.checks and actor.organisation and not actor.organisation_is_default:
            archive.close()
            raise UsageError(NO_REGISTRY_FOR_AS)
        self.actor = actor if self.checks else Actor(None, actor.person)
        self._access: AccessService | None = None

    def close(self) -> None:
        """Close the access store and the index (again: nothing)."""
        if self._access is not None:
            self._access.ctx.access.close()
            self._access = None
        self.archive.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def registry(self) -> SchemaRegistry:
        """The run's one schema registry: the one given, else the validator's."""
        if self._registry is None:
            self._registry = self.archive.validator.registry
        return self._registry

    @property
    def access(self) -> AccessService:
        """Registry, rights, client links, disclosures and the audit trail (opens, and
        if need be creates, the store's ``access.sqlite``, or the tables in the access
        database; a store on object storage needs one: :class:`UsageError` without)."""
        if self._access is None:
            store = AccessStore.open(self.archive.store.storage, self.archive.access_url)
            audit = open_audit_log(
                self.archive.store.storage,
                store_id=store.store_id,
                db=store.db if self.archive.access_url is not None else None,
            )
            self._access = AccessService(
                AccessContext(self.archive, store, audit, self.actor.person),
                self.actor.organisation,
                checks=self.checks,
            )
        return self._access

    def _ctx(self) -> tuple[AccessContext, str]:
        """The access context and the acting organisation (required with a registry)."""
        organisation = self.actor.organisation
        if not organisation:
            raise UsageError(ACTING_REQUIRED)
        return self.access.ctx, organisation

    def _no_reveal_without_registry(self, reveal: bool) -> None:
        if reveal and not self.checks:
            raise UsageError("--reveal needs an organisation registry and --as <OID>")

    # ------------------------------------------------------------------ documents

    def ingest(
        self,
        documents: Iterable[Path | Document],
        *,
        partial: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Validate and store documents (see :meth:`Archive.ingest`); with a registry each
        must pass :func:`~kanta_archive.access.policy.may_store` for the acting
        organisation, and each stored one is audited."""
        if not self.checks:
            report = self.archive.ingest(
                documents, partial=partial, actor=self.actor.person, progress=progress
            )
        else:
            from kanta_archive.access import documents as access_documents

            ctx, organisation = self._ctx()
            report = access_documents.ingest(
                ctx, documents, organisation, partial=partial, progress=progress
            )
        local = self.archive.store.local_dir
        if self._new_store and report.count("stored") == 0 and local is not None:
            self.close()
            discard_new_store(local, remove_dir=self._new_dir)
        return report

    def query(self, q: Query) -> QueryPage:
        """One page (``q.limit`` rows from ``q.offset``) of the documents matching ``q``
        that the actor may read (audited with a registry)."""
        self.archive.require_index()  # a lost index is no empty archive
        if not self.checks:
            return QueryPage(self.archive.query(q))
        ctx, organisation = self._ctx()
        filtered = access_reading.query(ctx, q, organisation)
        return QueryPage(filtered.result, filtered.hidden)

    def stream(self, q: Query, limit: int | None = None) -> QueryStream:
        """Every document matching ``q`` from ``q.offset`` that the actor may read, at most
        ``limit`` (``None``: all, past the index's page size), read page by page."""
        self.archive.require_index()  # a lost index is no empty archive
        counts = RowCounts()
        if not self.checks:
            return QueryStream(iter_rows(self.archive.index, q, limit, counts), counts)
        ctx, organisation = self._ctx()
        return QueryStream(access_reading.iter_query(ctx, q, organisation, limit, counts), counts)

    def show(
        self,
        oid: str,
        version: int | None = None,
        *,
        part: Part = "summary",
        reveal: bool = False,
        reason: str | None = None,
    ) -> Shown:
        """One document version (``oid``: a document OID, or a set OID and ``version``).

        ``part="raw"`` is the exact submitted bytes: refused for a document with a
        non-disclosure marking unless its controller reveals it (``reveal`` and a
        ``reason``, audited); ``part="content"`` is masked unless revealed."""
        self._no_reveal_without_registry(reveal)
        if not self.checks:
            shown = self.archive.show(oid, version)
        else:
            ctx, organisation = self._ctx()
            shown = access_reading.show(
                ctx,
                oid,
                version,
                organisation,
                unmasked=part == "raw",
                reveal=reveal,
                reason=reason,
            )
        content: Any = None
        if part == "display":
            content = access_reading.display_form(shown, self.registry, reveal=reveal)
        elif part == "content":
            content = (
                shown.content()["content"]
                if reveal
                else access_reading.masked_content(shown, self.registry)
            )
        return Shown(shown, part, reveal, content)

    def history(self, oid: str) -> list[HistoryEntry]:
        """Every OCFL version of the set ``oid`` belongs to; with a registry the actor must
        be allowed to read its current version (audited)."""
        if not self.checks:
            return self.archive.history(oid)
        ctx, organisation = self._ctx()
        return access_reading.history(ctx, oid, organisation)

    def export(
        self,
        set_oid: str,
        to: str | os.PathLike[str],
        *,
        reveal: bool = False,
        reason: str | None = None,
    ) -> Path:
        """Export a set as a self-contained OCFL object (see :meth:`Archive.export`); with
        a registry the actor must be allowed to read it, and a set with a non-disclosure
        marking is exported only by its controller with ``reveal`` and a ``reason``."""
        self._no_reveal_without_registry(reveal)
        if not self.checks:
            return self.archive.export(set_oid, to)
        ctx, organisation = self._ctx()
        return access_reading.export(
            ctx, set_oid, Path(to), organisation, reveal=reveal, reason=reason
        )

    def ls(self, oid: str, at: int | None = None) -> list[ObjectFile]:
        """The files of OCFL version ``at`` (default: head) of a set (see
        :meth:`Archive.ls`); with a registry the actor must be allowed to read the set."""
        if not self.checks:
            return self.archive.ls(oid, at)
        ctx, organisation = self._ctx()
        return access_reading.ls(ctx, oid, at, organisation)

    def cat(
        self,
        oid: str,
        path: str,
        at: int | None = None,
        *,
        reveal: bool = False,
        reason: str | None = None,
    ) -> bytes:
        """One file of OCFL version ``at`` (see :meth:`Archive.cat`); with a registry the
        actor must be allowed to read the set, and the document file of a version with a
        non-disclosure marking needs the controller's ``reveal`` and ``reason``."""
        self._no_reveal_without_registry(reveal)
        if not self.checks:
            return self.archive.cat(oid, path, at)
        ctx, organisation = self._ctx()
        return access_reading.cat(ctx, oid, path, at, organisation, reveal=reveal, reason=reason)

    def diff(self, oid: str, old: int, new: int | None = None) -> list[FileChange]:
        """How OCFL version ``new`` (default: head) differs from ``old`` (see
        :meth:`Archive.diff`); with a registry the actor must be allowed to read the set."""
        if not self.checks:
            return self.archive.diff(oid, old, new)
        ctx, organisation = self._ctx()
        return access_reading.diff(ctx, oid, old, new, organisation)

    def invalidate(self, oid: str, reason: str) -> ShownDocument:
        """Invalidate the current version of a set; with a registry only its controller
        may (audited)."""
        if not self.checks:
            return self.archive.invalidate(oid, reason, actor=self.actor.person)
        from kanta_archive.access import documents as access_documents

        ctx, organisation = self._ctx()
        return access_documents.invalidate(ctx, oid, reason, organisation)

    def transfer_controller(
        self,
        from_controller: str,
        to_controller: str,
        reason: str,
        *,
        progress: Progress | None = None,
    ) -> TransferReport:
        """Give every set of one controller to another (see
        :meth:`Archive.transfer_controller`); with a registry only the new controller, a
        public organisation, may."""
        if not self.checks:
            return self.archive.transfer_controller(
                from_controller, to_controller, reason, actor=self.actor.person, progress=progress
            )
        from kanta_archive.access import documents as access_documents

        ctx, organisation = self._ctx()
        return access_documents.transfer_controller(
            ctx, from_controller, to_controller, reason, organisation, progress=progress
        )

    def summary(
        self,
        client: str,
        *,
        patient_data: bool = False,
        reveal: bool = False,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """The client data summary (kooste) of the documents the actor may read."""
        from kanta_archive.access.client_summary import summary

        self._no_reveal_without_registry(reveal)
        acting = self._ctx() if self.checks else None
        return summary(
            self.archive,
            client,
            acting,
            registry=self.registry,
            patient_data=patient_data,
            reveal=reveal,
            reason=reason,
        )

    # ------------------------------------------------------------------ maintenance

    def verify(self, full: bool = False, *, progress: Progress | None = None) -> VerifyReport:
        """Check the store and the index against each other (see :meth:`Archive.verify`)."""
        return self.archive.verify(full, progress=progress)

    def repair(self, *, progress: Progress | None = None) -> list[str]:
        """Finish or undo work a crash interrupted, then rebuild the index."""
        return self.archive.repair(progress=progress)

    def reindex(self, *, progress: Progress | None = None) -> ReindexReport:
        """Rebuild the index from the store, with the recorded client links."""
        return self.archive.rebuild_index(progress=progress)

    def audit_verify(self) -> AuditVerifyResult:
        """Check the audit log's hash chain and seals (reads no client data, opens no
        access store)."""
        with open_audit_log(self.archive.store.storage, self.archive.access_url) as log:
            return verify_audit_log(log)

    def object_count(self) -> int:
        """How many document sets the store holds (for progress bars)."""
        return self.archive.object_count()

    def sets_of(self, controller_oid: str) -> int:
        """How many document sets one controller holds (for progress bars)."""
        return sum(1 for c, _s in self.archive.store.iter_objects() if c == controller_oid)


def discard_new_store(path: Path, *, remove_dir: bool) -> None:
    """Remove the skeleton of a store this session created and stored nothing into (a
    refused first batch leaves no store behind), and the directory itself if the session
    made it. Only the files a new store has are removed, and only while no storage root
    holds anything; else nothing is touched."""
    ours = {MARKER, CONTROLLERS, STAGING, LOCKS, LOCATORS, INDEX_FILE}
    ours |= {INDEX_FILE + suffix for suffix in ("-wal", "-shm", "-journal")}
    try:
        names = set(os.listdir(path))
        if not names <= ours or any(os.scandir(path / CONTROLLERS)):
            return
        for name in names:
            target = path / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        if remove_dir:
            path.rmdir()
    except OSError:
        return  # a skeleton that cannot be removed is harmless: it holds no document


def open_archive(
    store_path: str | os.PathLike[str],
    *,
    actor: Actor | None = None,
    index_url: str | None = None,
    create: bool = False,
    validator: Any = None,
    registry: SchemaRegistry | None = None,
    access_url: str | None = None,
    recover_index: bool = False,
) -> ArchiveSession:
    """Open the store at ``store_path`` (``create=True`` makes a new one when the directory
    is missing or empty) with its index (default ``sqlite://<store>/index.sqlite``), acting
    as ``actor``. ``validator``: a :class:`kanta_archive.Validator` for ingest (default:
    the bundled schemas); ``registry``: the schema registry for the rest (masking), default
    the validator's, so that one registry serves the whole session. ``access_url``: where
    the registry, rights and audit log live (default: the index URL when it is PostgreSQL,
    else files in the store). ``recover_index`` (reindex, repair): a damaged index file is
    moved aside and rebuilt instead of refused."""
    new_store = create and not (Path(store_path) / MARKER).exists()
    new_dir = create and not Path(store_path).exists()
    archive = Archive.open(
        store_path,
        index_url,
        create=create,
        validator=validator,
        recover_index=recover_index,
        access_url=access_url,
    )
    return ArchiveSession(
        archive, actor or Actor(), registry=registry, new_store=new_store, new_dir=new_dir
    )


__all__ = [
    "Actor",
    "ArchiveSession",
    "Part",
    "QueryPage",
    "QueryStream",
    "Shown",
    "open_archive",
]
