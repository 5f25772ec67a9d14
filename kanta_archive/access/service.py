"""Archive operations done *as* an organisation: access checks, then the operation, then
an audit entry. The CLI uses this when the store has an organisation registry.

:class:`AccessService` is a facade: each job lives in a module of its own, as plain
functions over one :class:`~kanta_archive.access.context.AccessContext`:
:mod:`~kanta_archive.access.admin` (registry, rights, audit trail),
:mod:`~kanta_archive.access.documents` (store, read, invalidate, reveal),
:mod:`~kanta_archive.access.clients` (links, informing),
:mod:`~kanta_archive.access.disclosing` and :mod:`~kanta_archive.access.client_summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanta_archive.access import admin, client_summary, clients, disclosing, documents
from kanta_archive.access.audit import AuditLog
from kanta_archive.access.context import AccessContext, require_controller
from kanta_archive.access.db import AccessStore
from kanta_archive.access.documents import FilteredResult, is_protected, masked_content
from kanta_archive.access.registry import Organisation
from kanta_archive.access.rights import Right
from kanta_archive.archive import Archive, IngestReport, ShownDocument
from kanta_archive.index import Query

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry


class AccessService:
    """An :class:`Archive` with its access store and audit log."""

    def __init__(self, archive: Archive, access: AccessStore, user: str | None = None) -> None:
        self.ctx = AccessContext(archive, access, AuditLog(archive.store.path), user)

    @property
    def archive(self) -> Archive:
        """The archive the operations act on."""
        return self.ctx.archive

    @property
    def access(self) -> AccessStore:
        """The access store (registry, rights, links, disclosures)."""
        return self.ctx.access

    @property
    def audit(self) -> AuditLog:
        """The audit log every operation writes to."""
        return self.ctx.audit

    @property
    def user(self) -> str | None:
        """The person acting, recorded next to the acting organisation."""
        return self.ctx.user

    # ------------------------------------------------------------------ administration

    def import_orgs(self, text: str, actor: str) -> list[Organisation]:
        """See :func:`kanta_archive.access.admin.import_orgs`."""
        return admin.import_orgs(self.ctx, text, actor)

    def grant(
        self,
        *,
        organiser: str,
        producer: str,
        client: str | None,
        service_task: str | None,
        valid_from: date,
        valid_to: date,
        actor: str | None = None,
    ) -> Right:
        """See :func:`kanta_archive.access.admin.grant`."""
        return admin.grant(
            self.ctx,
            organiser=organiser,
            producer=producer,
            client=client,
            service_task=service_task,
            valid_from=valid_from,
            valid_to=valid_to,
            actor=actor,
        )

    def revoke(self, right_id: str, actor: str | None = None) -> Right:
        """See :func:`kanta_archive.access.admin.revoke`."""
        return admin.revoke(self.ctx, right_id, actor)

    def audit_entries(
        self, *, client: str | None = None, actor: str | None = None
    ) -> list[dict[str, Any]]:
        """See :func:`kanta_archive.access.admin.audit_entries`."""
        return admin.audit_entries(self.ctx, client=client, actor=actor)

    # ------------------------------------------------------------------ documents

    def ingest(
        self,
        inputs: Sequence[Path],
        actor: str,
        *,
        partial: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """See :func:`kanta_archive.access.documents.ingest`."""
        return documents.ingest(self.ctx, inputs, actor, partial=partial, progress=progress)

    def query(self, q: Query, actor: str) -> FilteredResult:
        """See :func:`kanta_archive.access.documents.query`."""
        return documents.query(self.ctx, q, actor)

    def show(self, oid: str, version: int | None, actor: str) -> ShownDocument:
        """See :func:`kanta_archive.access.documents.show`."""
        return documents.show(self.ctx, oid, version, actor)

    def invalidate(self, oid: str, reason: str, actor: str) -> ShownDocument:
        """See :func:`kanta_archive.access.documents.invalidate`."""
        return documents.invalidate(self.ctx, oid, reason, actor)

    def require_controller(self, shown: ShownDocument, actor: str, rule: str, action: str) -> None:
        """See :func:`kanta_archive.access.context.require_controller`."""
        require_controller(self.ctx, shown, actor, rule, action)

    def reveal(self, shown: ShownDocument, actor: str, reason: str | None) -> None:
        """See :func:`kanta_archive.access.documents.reveal`."""
        documents.reveal(self.ctx, shown, actor, reason)

    # ------------------------------------------------------------------ clients, disclosure

    def link(self, temporary_id: str, hetu: str, actor: str) -> None:
        """See :func:`kanta_archive.access.clients.link`."""
        clients.link(self.ctx, temporary_id, hetu, actor)

    def unlink(self, temporary_id: str, actor: str) -> str:
        """See :func:`kanta_archive.access.clients.unlink`."""
        return clients.unlink(self.ctx, temporary_id, actor)

    def restore_links(self) -> int:
        """See :func:`kanta_archive.access.clients.restore_links`."""
        return clients.restore_links(self.ctx)

    def inform(self, hetu: str, by: str, on: date, actor: str | None = None) -> None:
        """See :func:`kanta_archive.access.clients.inform`."""
        clients.inform(self.ctx, hetu, by, on, actor)

    def disclose(
        self,
        document_oids: Sequence[str],
        to: str,
        actor: str,
        *,
        consent: str | None = None,
        on: date | None = None,
    ) -> list[tuple[str, str]]:
        """See :func:`kanta_archive.access.disclosing.disclose`."""
        return disclosing.disclose(self.ctx, document_oids, to, actor, consent=consent, on=on)

    def summary(
        self,
        client: str,
        actor: str | None,
        *,
        patient_data: bool = False,
        reveal: bool = False,
        reason: str | None = None,
        registry: SchemaRegistry | None = None,
    ) -> dict[str, Any]:
        """See :func:`kanta_archive.access.client_summary.summary`."""
        return client_summary.summary(
            self.ctx,
            client,
            actor,
            patient_data=patient_data,
            reveal=reveal,
            reason=reason,
            registry=registry,
        )


def open_service(archive: Archive, user: str | None = None) -> AccessService:
    """The access service of an open archive (opens ``<store>/access.sqlite``)."""
    return AccessService(archive, AccessStore.open(archive.store.path), user)


__all__ = [
    "AccessService",
    "FilteredResult",
    "is_protected",
    "masked_content",
    "open_service",
]
