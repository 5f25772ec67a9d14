"""Archive operations done *as* an organisation: access checks, then the operation, then
an audit entry. The CLI uses this when the store has an organisation registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanta_archive.access.audit import AuditLog
from kanta_archive.access.db import AccessStore, now_utc
from kanta_archive.access.policy import (
    RULE_READ,
    ReadPolicy,
    client_ids,
    day_of,
    effective_day,
    may_store,
)
from kanta_archive.access.registry import Organisation, parse_orgs_csv, root_oid
from kanta_archive.access.rights import Right, new_right_id
from kanta_archive.archive.service import Archive, IngestReport, ShownDocument
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.identifiers import hetu_problem, oid_problem, temporary_id_problem
from kanta_archive.index import IndexRow, Query, QueryResult
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.model import Metadata

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry


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
        self._audit_document(
            "read",
            shown,
            actor,
            {"controller": shown.controller_oid, "day": str(effective_day(meta))},
            meta,
        )
        return shown

    def _audit_document(
        self,
        event: str,
        shown: ShownDocument,
        actor: str,
        details: Mapping[str, Any],
        meta: Metadata | None = None,
    ) -> None:
        """Append one audit entry about one stored document, naming its clients."""
        meta = meta or Metadata.from_raw(shown.metadata)
        self.audit.append(
            event,
            actor=actor,
            user=self.user,
            client=",".join(c.identifier or "" for c in meta.clients) or None,
            documents=[shown.document_oid],
            details=details,
        )

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


def open_service(archive: Archive, user: str | None = None) -> RevealService:
    """The access service of an open archive (opens ``<store>/access.sqlite``)."""
    return RevealService(archive, AccessStore.open(archive.store.path), user)


# ---------------------------------------------------------------------- clients, disclosure


class ClientService(AccessService):
    """:class:`AccessService` with temporary-identifier links, informing and disclosure."""

    def link(self, temporary_id: str, hetu: str, actor: str) -> None:
        """Link a temporary identifier to a HETU in the index and the access store."""
        if (problem := hetu_problem(hetu)) is not None:
            raise UsageError(f"--hetu {hetu!r}: {problem}")
        if (problem := temporary_id_problem(temporary_id)) is not None:
            raise UsageError(f"--temporary {temporary_id!r}: {problem}")
        self.archive.index.link_client(temporary_id, hetu)
        self.access.link_client(temporary_id, hetu)
        self.audit.append(
            "client-link",
            actor=actor,
            user=self.user,
            client=hetu,
            details={"temporary_id": temporary_id},
        )

    def unlink(self, temporary_id: str, actor: str) -> str:
        """Undo a link made by mistake; stored documents were never rewritten, so nothing
        else changes. Returns the HETU it was linked to; audited."""
        hetu = self.access.linked_hetu(temporary_id)
        if hetu is None:
            raise UsageError(f"--temporary {temporary_id!r} is not linked to any HETU")
        self.archive.index.unlink_client(temporary_id)
        self.access.unlink_client(temporary_id)
        self.audit.append(
            "client-unlink",
            actor=actor,
            user=self.user,
            client=hetu,
            details={"temporary_id": temporary_id},
        )
        return hetu

    def restore_links(self) -> int:
        """Replay the recorded links into the index (after ``reindex``); return how many."""
        links = self.access.client_links()
        for temporary_id, hetu in links:
            self.archive.index.link_client(temporary_id, hetu)
        return len(links)

    def inform(self, hetu: str, by: str, on: date, actor: str | None = None) -> None:
        """Record that organisation ``by`` informed the client about Kanta on ``on``."""
        if (problem := hetu_problem(hetu)) is not None:
            raise UsageError(f"HETU {hetu!r}: {problem}")
        self._known_org(by, "informing organisation")
        self.access.record_informed(hetu, by, on)
        self.audit.append(
            "client-inform",
            actor=actor or by,
            user=self.user,
            client=hetu,
            details={"by": by, "date": on.isoformat()},
        )

    def _stored_meta(self, oid: str) -> tuple[Metadata, ShownDocument]:
        shown = self.archive.show(oid)
        return Metadata.from_raw(shown.metadata), shown

    def disclose(
        self,
        document_oids: Sequence[str],
        to: str,
        actor: str,
        *,
        consent: str | None = None,
        on: date | None = None,
    ) -> list[tuple[str, str]]:
        """Disclose documents to ``to`` as ``actor``; all are checked before any is
        recorded. Returns the recorded ``(document OID, client)`` pairs."""
        from kanta_archive.access import disclosure as dr

        day = on or date.today()
        acting = self._known_org(actor, "disclosing organisation")
        target = self._known_org(to, "recipient")
        for org, what in ((acting, "disclosing organisation"), (target, "recipient")):
            if not org.valid_on(day):
                raise RefusedError(
                    f"{dr.RULE_JOINED}: the {what} {org.oid} has not joined (not registered "
                    f"on {day})"
                )
        consent_doc = self._stored_meta(consent) if consent else None
        rows: list[tuple[str, str, str, str, str | None]] = []
        for oid in document_oids:
            meta, shown = self._stored_meta(oid)
            controller = self.access.org(shown.controller_oid)
            if shown.controller_oid != actor and not (
                controller is not None
                and controller.sector == acting.sector == "public"
                and controller.root_oid == acting.root_oid
            ):
                raise RefusedError(
                    f"{dr.RULE_CONTROLLER}: only the controller {shown.controller_oid} "
                    f"discloses {shown.document_oid}, not {actor}"
                )
            if root_oid(target.oid) == root_oid(shown.controller_oid):
                raise UsageError(f"{to} is the controller of {shown.document_oid} itself")
            clients = client_ids(meta, self.access)
            for client in clients:
                for ban_oid in self._documents_of(client, dr.BAN_TYPE):
                    ban_meta, ban = self._stored_meta(ban_oid)
                    ban_content = ban.content().get("content", {})
                    if dr.ban_blocks(ban_meta, ban_content, meta, shown.controller_oid, day):
                        raise RefusedError(
                            f"{dr.RULE_BAN}: the disclosure ban {ban_oid} of client {client} "
                            f"blocks disclosing {shown.document_oid} (to {to})"
                        )
            if target.sector == "health_care":
                if consent_doc is None:
                    raise RefusedError(
                        f"{dr.RULE_CONSENT}: disclosing {shown.document_oid} to the health-care "
                        f"organisation {to} needs the client's consent document (--consent)"
                    )
                c_meta, c_shown = consent_doc
                problem = dr.consent_problem(
                    c_meta, c_shown.content().get("content", {}), meta, clients, target, day
                )
                if problem is not None:
                    raise RefusedError(f"{dr.RULE_CONSENT}: {problem}")
            else:
                for client in clients:
                    informed = self.access.informed_on(client)
                    if informed is None or informed > day:
                        raise RefusedError(
                            f"{dr.RULE_INFORMED}: client {client} has not been informed about "
                            f"Kanta (by {day}); record it with `kanta-archive clients inform`"
                        )
            rows.extend(
                (shown.document_oid, client, shown.controller_oid, to, consent)
                for client in clients
            )
        self.access.add_disclosures(rows, actor)
        for document_oid, client, from_oid, to_oid, consent_oid in rows:
            self.audit.append(
                "disclose",
                actor=actor,
                user=self.user,
                client=client,
                documents=[document_oid],
                details={
                    "from": from_oid,
                    "to": to_oid,
                    "consent": consent_oid,
                    "date": day.isoformat(),
                },
            )
        return [(r[0], r[1]) for r in rows]

    def _documents_of(self, client: str, document_type: str) -> list[str]:
        result = self.archive.query(
            Query(client=client, document_type=document_type, patient_data=None, limit=MAX_LIMIT)
        )
        return [r.document_oid for r in result.rows]


# ---------------------------------------------------------------------- non-disclosure, summary


def is_protected(shown: ShownDocument) -> bool:
    """True when the document is under a non-disclosure marking: a person in its content
    has ``turvakielto`` or a metadata client has ``non_disclosure`` (access/masking.py)."""
    from kanta_archive.access.masking import is_protected_document

    model = shown.content()
    return is_protected_document(Metadata.from_raw(shown.metadata), model.get("content", {}))


def masked_content(shown: ShownDocument, registry: SchemaRegistry) -> dict[str, Any]:
    """The document's content with non-disclosure-protected data masked, by the markers of
    its structure schema in ``registry`` (the run's one registry, with ``--schemas-dir``)."""
    from kanta_archive.access.masking import mask_document_content

    model = shown.content()
    meta = Metadata.from_raw(shown.metadata)
    return mask_document_content(meta, model.get("content", {}), registry)


class RevealService(ClientService):
    """:class:`ClientService` with revealing protected data and the client summary."""

    def require_controller(self, shown: ShownDocument, actor: str, rule: str, action: str) -> None:
        """Refuse unless ``actor`` is the document's controller (or a unit of that public
        organisation): only the controller may ``action`` its documents."""
        acting = self._known_org(actor, "acting organisation")
        controller = self.access.org(shown.controller_oid)
        same = controller is not None and (
            controller.oid == acting.oid
            or (
                controller.sector == acting.sector == "public"
                and controller.root_oid == acting.root_oid
            )
        )
        if not same:
            raise RefusedError(
                f"{rule}: only the controller {shown.controller_oid} may {action}, not {actor}"
            )

    def invalidate(self, oid: str, reason: str, actor: str) -> ShownDocument:
        """Invalidate the current version of ``oid`` as ``actor``: the controller only; audited."""
        self.require_controller(
            self.archive.show(oid), actor, "invalidate-controller-only", f"invalidate {oid}"
        )
        shown = self.archive.invalidate(oid, reason, actor=self.user or actor)
        self._audit_document("invalidate", shown, actor, {"reason": reason})
        return shown

    def reveal(self, shown: ShownDocument, actor: str, reason: str | None) -> None:
        """Allow (and audit) unmasked output of a protected document: only its controller
        (or a unit of that public organisation), and only with a reason."""
        if not reason or not reason.strip():
            raise UsageError("--reveal needs --reason (it is recorded in the audit log)")
        self.require_controller(
            shown, actor, "non-disclosure-reveal", "reveal data under a non-disclosure marking"
        )
        self._audit_document("reveal", shown, actor, {"reason": reason})

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
        """The client data summary (kooste): the client's documents the actor may read,
        newest first, content masked for non-disclosure unless revealed by the controller.

        ``registry`` is the run's schema registry (default: the one the archive validates
        with), whose structure schemas say what masking covers."""
        registry = registry or self.archive.validator.registry
        q = Query(client=client, patient_data=None if patient_data else False, limit=MAX_LIMIT)
        if actor is None:
            result = self.archive.query(q)
            rows, hidden = list(result.rows), 0
        else:
            filtered = self.query(q, actor)
            rows, hidden = list(filtered.result.rows), filtered.hidden
        documents: list[dict[str, Any]] = []
        non_disclosure = False
        for row in rows:
            shown = self.archive.show(row.document_oid)
            protected = is_protected(shown)
            non_disclosure = non_disclosure or protected
            revealed = False
            if protected and reveal and actor is not None:
                self.reveal(shown, actor, reason)
                revealed = True
            content = (
                shown.content().get("content", {}) if revealed else masked_content(shown, registry)
            )
            meta = shown.metadata
            documents.append(
                {
                    "document_oid": row.document_oid,
                    "effective_time": row.effective_time,
                    "title": row.title,
                    "document_type": (meta.get("document_type") or {}).get("display"),
                    "service_task": (meta.get("service_task") or {}).get("display"),
                    "controller": row.controller_oid,
                    "producer": row.producer_oid,
                    "status": row.status,
                    "patient_data": row.patient_data,
                    "non_disclosure": protected,
                    "masked": protected and not revealed,
                    "content": content,
                }
            )
        if actor is not None:
            self.audit.append(
                "summary",
                actor=actor,
                user=self.user,
                client=client,
                documents=[d["document_oid"] for d in documents],
                details={"hidden": hidden, "patient_data": patient_data, "revealed": reveal},
            )
        from kanta_archive.summary import build_summary

        return {
            "client": client,
            "non_disclosure": non_disclosure,
            "documents": documents,
            "hidden": hidden,
            "summary": build_summary(documents),
        }
