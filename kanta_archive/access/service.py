"""Archive operations done *as* an organisation: access checks, then the operation, then
an audit entry. The CLI uses this when the store has an organisation registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kanta_archive.access.audit import AuditLog
from kanta_archive.access.db import AccessStore, now_utc
from kanta_archive.access.policy import RULE_READ, ReadPolicy, day_of, effective_day, may_store
from kanta_archive.access.registry import Organisation, parse_orgs_csv
from kanta_archive.access.rights import Right, new_right_id
from kanta_archive.archive.service import Archive, IngestReport, ShownDocument
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.identifiers import hetu_problem, oid_problem
from kanta_archive.index import IndexRow, Query, QueryResult
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.model import Metadata


@dataclasses.dataclass(frozen=True)
class FilteredResult:
    """A query page the actor may see, and how many matching documents were hidden."""

    result: QueryResult
    hidden: int


def _check_oid(value: str, what: str) -> None:
    if (problem := oid_problem(value)) is not None:
        raise UsageError(f"{what} {value!r}: {problem}")


class AccessService:
    """An :class:`Archive` with its access store and audit log."""

    def __init__(self, archive: Archive, access: AccessStore, user: str | None = None) -> None:
        self.archive = archive
        self.access = access
        self.audit = AuditLog(archive.store.path)
        self.user = user

    # ------------------------------------------------------------------ registry

    def import_orgs(self, text: str, actor: str) -> list[Organisation]:
        """Check the whole CSV, then import it in one transaction (all or nothing)."""
        known = frozenset(o.oid for o in self.access.orgs())
        orgs = parse_orgs_csv(text, known)
        self.access.import_orgs(orgs)
        self.audit.append("orgs-import", actor=actor, user=self.user, details={"count": len(orgs)})
        return orgs

    def _known_org(self, oid: str, what: str) -> Organisation:
        _check_oid(oid, what)
        org = self.access.org(oid)
        if org is None:
            raise RefusedError(f"access-unknown-organisation: the {what} {oid} is not registered")
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
        actor: str | None = None,
    ) -> Right:
        """Grant a register usage right; the organiser must be a public organisation."""
        org = self._known_org(organiser, "organiser")
        prod = self._known_org(producer, "producer")
        if org.sector != "public":
            raise RefusedError(
                f"access-right-organiser: only a public organiser grants register usage "
                f"rights; {organiser} is {org.sector}"
            )
        if prod.sector == "health_care" or prod.oid == org.oid:
            raise RefusedError(
                f"access-right-producer: {producer} cannot receive a register usage right"
            )
        if actor is not None and actor != organiser:
            raise RefusedError(
                f"access-right-organiser: only the organiser {organiser} grants rights to "
                f"its register, not {actor}"
            )
        if client is not None and (problem := hetu_problem(client)) is not None:
            raise UsageError(f"--client {client!r}: {problem}")
        if valid_to < valid_from:
            raise UsageError(f"--to {valid_to} is before --from {valid_from}")
        right = Right(
            new_right_id(),
            organiser,
            producer,
            client,
            service_task,
            valid_from,
            valid_to,
            now_utc(),
        )
        self.access.add_right(right)
        self.audit.append(
            "right-grant",
            actor=actor or organiser,
            user=self.user,
            client=client,
            details=_right_details(right),
        )
        return right

    def revoke(self, right_id: str, actor: str | None = None) -> Right:
        """Revoke a right (only its organiser may, when an actor is given)."""
        right = self.access.right(right_id)
        if right is None:
            raise UsageError(f"no right {right_id}")
        if actor is not None and actor != right.organiser_oid:
            raise RefusedError(
                f"access-right-organiser: only the organiser {right.organiser_oid} revokes "
                f"right {right_id}, not {actor}"
            )
        revoked = self.access.revoke_right(right_id, now_utc())
        self.audit.append(
            "right-revoke",
            actor=actor or right.organiser_oid,
            user=self.user,
            client=right.client,
            details=_right_details(revoked),
        )
        return revoked

    # ------------------------------------------------------------------ store

    def ingest(
        self,
        inputs: Sequence[Path],
        actor: str,
        *,
        partial: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Store documents as ``actor``: each must pass :func:`may_store`."""
        metas: dict[str, Metadata] = {}

        def authorize(meta: Metadata) -> str | None:
            decision = may_store(self.access, actor, meta)
            if decision.allowed and meta.document_oid:
                metas[meta.document_oid] = meta
            return None if decision.allowed else decision.message

        report = self.archive.ingest(
            inputs,
            partial=partial,
            actor=self.user or actor,
            progress=progress,
            authorize=authorize,
        )
        for item in report.items:
            if item.status != "stored" or item.document_oid is None:
                continue
            meta = metas.get(item.document_oid)
            clients = [c.identifier or "" for c in meta.clients] if meta else []
            self.audit.append(
                "store",
                actor=actor,
                user=self.user,
                client=",".join(clients) or None,
                documents=[item.document_oid],
                details={
                    "set_oid": item.set_oid,
                    "version": item.version,
                    "controller": item.controller_oid,
                },
            )
        return report

    # ------------------------------------------------------------------ read

    def _row_readable(self, policy: ReadPolicy, row: IndexRow) -> bool:
        clients = []
        for c in row.clients:
            if c.id_kind == "temporary":
                clients.append(self.access.linked_hetu(c.client_id) or c.client_id)
            else:
                clients.append(c.client_id)
        day = day_of(row.effective_time)
        return policy.may_read(
            document_oid=row.document_oid,
            controller_oid=row.controller_oid,
            clients=clients,
            service_task=row.service_task_code,
            day=day,
        )

    def query(self, q: Query, actor: str) -> FilteredResult:
        """Run ``q`` and keep only what ``actor`` may read; count the hidden matches."""
        policy = ReadPolicy(self.access, actor)
        if policy.org is None:
            raise RefusedError(
                f"access-unknown-actor: the acting organisation {actor} is not in the registry"
            )
        visible: list[IndexRow] = []
        total = 0
        offset = 0
        while True:
            page = self.archive.query(dataclasses.replace(q, offset=offset, limit=MAX_LIMIT))
            total = page.total
            visible.extend(r for r in page.rows if self._row_readable(policy, r))
            offset += len(page.rows)
            if not page.rows or offset >= page.total:
                break
        rows = tuple(visible[q.offset : q.offset + q.limit])
        self.audit.append(
            "query",
            actor=actor,
            user=self.user,
            client=q.client,
            documents=[r.document_oid for r in rows],
            details={
                "filters": _query_details(q),
                "shown": len(rows),
                "hidden": total - len(visible),
            },
        )
        return FilteredResult(QueryResult(rows, len(visible)), total - len(visible))

    def show(self, oid: str, version: int | None, actor: str) -> ShownDocument:
        """One document, if ``actor`` may read it (else refused); audited."""
        shown = self.archive.show(oid, version)
        policy = ReadPolicy(self.access, actor)
        meta = Metadata.from_raw(shown.metadata)
        if not policy.may_read_meta(meta):
            raise RefusedError(
                f"{RULE_READ}: {actor} may not read {shown.document_oid}: it belongs to the "
                f"register of {shown.controller_oid} and no usage right or disclosure covers it"
            )
        self.audit.append(
            "read",
            actor=actor,
            user=self.user,
            client=",".join(c.identifier or "" for c in meta.clients) or None,
            documents=[shown.document_oid],
            details={"controller": shown.controller_oid, "day": str(effective_day(meta))},
        )
        return shown

    def audit_entries(
        self, *, client: str | None = None, actor: str | None = None
    ) -> list[dict[str, Any]]:
        """Audit entries, optionally of one client (in ``client``) and/or one actor."""
        out = []
        for entry in self.audit.entries():
            if client and client not in str(entry.get("client") or "").split(","):
                continue
            if actor and entry.get("actor") != actor:
                continue
            out.append(entry)
        return out


def _right_details(right: Right) -> dict[str, Any]:
    return {
        "right_id": right.right_id,
        "organiser": right.organiser_oid,
        "producer": right.producer_oid,
        "service_task": right.service_task,
        "from": right.valid_from.isoformat(),
        "to": right.valid_to.isoformat(),
        "revoked_at": right.revoked_at,
    }


def _query_details(q: Query) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(q):
        value = getattr(q, f.name)
        if value is not None and value != f.default:
            out[f.name] = str(value) if isinstance(value, date) else value
    return out


def open_service(archive: Archive, user: str | None = None) -> AccessService:
    """The access service of an open archive (opens ``<store>/access.sqlite``)."""
    return AccessService(archive, AccessStore.open(archive.store.path), user)
