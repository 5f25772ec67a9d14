"""Registry, rights, client links, disclosures and the audit trail, as one acting
organisation: :class:`AccessService` is reached as :attr:`kanta_archive.ArchiveSession.access`.

It is a facade: each job lives in a module of its own, as plain functions over one
:class:`~kanta_archive.access.context.AccessContext`: :mod:`~kanta_archive.access.admin`
(registry, rights, audit trail), :mod:`~kanta_archive.access.clients` (links, informing)
and :mod:`~kanta_archive.access.disclosing`. Reading and changing documents as an
organisation is :mod:`~kanta_archive.access.reading` and
:mod:`~kanta_archive.access.documents`, called by the session.

In a store with a registry (``checks``) every operation here that reads client data or
changes something needs the acting organisation; without a registry the listings are
unfiltered (nothing is access controlled yet) and the changes that need registered
organisations are refused by their rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from kanta_archive.access import admin, clients, disclosing
from kanta_archive.access.context import ACTING_REQUIRED, AccessContext, Visible
from kanta_archive.access.registry import Organisation
from kanta_archive.access.rights import Right
from kanta_archive.errors import UsageError

NO_REGISTRY = (
    "this needs an organisation registry in the store; import one with "
    "`kanta-archive orgs import orgs.csv`"
)


class AccessService:
    """The access records of one store, as the organisation ``actor`` (or nobody)."""

    def __init__(self, ctx: AccessContext, actor: str | None, *, checks: bool) -> None:
        self.ctx = ctx
        self.actor = actor
        self.checks = checks

    def _acting(self) -> str:
        if not self.checks:
            raise UsageError(NO_REGISTRY)
        if not self.actor:
            raise UsageError(ACTING_REQUIRED)
        return self.actor

    # ------------------------------------------------------------------ registry

    def import_orgs(self, text: str) -> list[Organisation]:
        """See :func:`kanta_archive.access.admin.import_orgs` (the first import creates the
        registry; later ones need a public acting organisation)."""
        return admin.import_orgs(self.ctx, text, self.actor)

    def orgs(self) -> list[Organisation]:
        """Every registered organisation, by OID (registry data, not client data)."""
        return self.ctx.access.orgs()

    def org(self, oid: str) -> Organisation:
        """One registered organisation; :class:`UsageError` when unknown."""
        org = self.ctx.access.org(oid)
        if org is None:
            raise UsageError(f"no organisation {oid} in the registry")
        return org

    # ------------------------------------------------------------------ rights

    def grant(
        self,
        *,
        organiser: str,
        producer: str,
        client: str | None,
        service_task: str | None,
        valid_from: date,
        valid_to: date,
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
            actor=self._acting(),
        )

    def revoke(self, right_id: str) -> Right:
        """See :func:`kanta_archive.access.admin.revoke`."""
        return admin.revoke(self.ctx, right_id, self._acting())

    def rights(
        self, *, organiser: str | None = None, producer: str | None = None
    ) -> Visible[Right]:
        """See :func:`kanta_archive.access.admin.rights`."""
        if not self.checks:
            found = self.ctx.access.rights(organiser=organiser, producer=producer)
            return Visible(tuple(found), 0)
        return admin.rights(self.ctx, self._acting(), organiser=organiser, producer=producer)

    # ------------------------------------------------------------------ clients

    def link(self, temporary_id: str, hetu: str) -> None:
        """See :func:`kanta_archive.access.clients.link`."""
        clients.link(self.ctx, temporary_id, hetu, self._acting())

    def unlink(self, temporary_id: str) -> str:
        """See :func:`kanta_archive.access.clients.unlink`."""
        return clients.unlink(self.ctx, temporary_id, self._acting())

    def inform(self, hetu: str, by: str, on: date) -> None:
        """See :func:`kanta_archive.access.clients.inform`."""
        clients.inform(self.ctx, hetu, by, on, self._acting())

    # ------------------------------------------------------------------ disclosure

    def disclose(
        self,
        document_oids: Sequence[str],
        to: str,
        *,
        consent: str | None = None,
        on: date | None = None,
    ) -> list[tuple[str, str]]:
        """See :func:`kanta_archive.access.disclosing.disclose`."""
        return disclosing.disclose(
            self.ctx, document_oids, to, self._acting(), consent=consent, on=on
        )

    def disclosures(self, client: str) -> Visible[dict[str, str | None]]:
        """See :func:`kanta_archive.access.disclosing.disclosures`."""
        if not self.checks:
            return Visible(tuple(self.ctx.access.disclosures(client)), 0)
        return disclosing.disclosures(self.ctx, client, self._acting())

    # ------------------------------------------------------------------ audit trail

    def audit_entries(
        self, *, client: str | None = None, actor: str | None = None
    ) -> Visible[dict[str, Any]]:
        """See :func:`kanta_archive.access.admin.audit_entries`."""
        if not self.checks:
            every = admin.filter_entries(self.ctx.audit.entries(), client=client, actor=actor)
            return Visible(tuple(every), 0)
        return admin.audit_entries(self.ctx, self._acting(), client=client, actor=actor)
