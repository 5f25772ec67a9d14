"""Disclosing documents to another organisation: every document is checked against the
rules of :mod:`kanta_archive.access.disclosure` before any disclosure is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from kanta_archive.access import disclosure as dr
from kanta_archive.access.context import (
    AccessContext,
    Visible,
    acting_org,
    acts_for,
    known_org,
    same_organisation,
)
from kanta_archive.access.policy import client_ids
from kanta_archive.access.registry import root_oid
from kanta_archive.archive import ShownDocument
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.index import Query
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.model import Metadata


def _stored_meta(ctx: AccessContext, oid: str) -> tuple[Metadata, ShownDocument]:
    shown = ctx.archive.show(oid)
    return Metadata.from_raw(shown.metadata), shown


def _documents_of(ctx: AccessContext, client: str, document_group: str) -> list[str]:
    result = ctx.archive.query(Query(client=client, patient_data=None, limit=MAX_LIMIT))
    return [r.document_oid for r in result.rows if r.document_group_code == document_group]


def disclose(
    ctx: AccessContext,
    document_oids: Sequence[str],
    to: str,
    actor: str,
    *,
    consent: str | None = None,
    on: date | None = None,
) -> list[tuple[str, str]]:
    """Disclose documents to ``to`` as ``actor``; all are checked before any is
    recorded. Returns the recorded ``(document OID, client)`` pairs."""
    day = on or date.today()
    acting = known_org(ctx, actor, "disclosing organisation")
    target = known_org(ctx, to, "recipient")
    for org, what in ((acting, "disclosing organisation"), (target, "recipient")):
        if not org.valid_on(day):
            raise RefusedError(
                f"the {what} {org.oid} has not joined (not registered on {day})",
                rule=dr.RULE_JOINED,
            )
    consent_doc = _stored_meta(ctx, consent) if consent else None
    rows: list[tuple[str, str, str, str, str | None]] = []
    for oid in document_oids:
        meta, shown = _stored_meta(ctx, oid)
        if not same_organisation(acting, ctx.access.org(shown.controller_oid)):
            raise RefusedError(
                f"only the controller {shown.controller_oid} "
                f"discloses {shown.document_oid}, not {actor}",
                rule=dr.RULE_CONTROLLER,
            )
        if root_oid(target.oid) == root_oid(shown.controller_oid):
            raise UsageError(f"{to} is the controller of {shown.document_oid} itself")
        clients = client_ids(meta, ctx.access)
        for client in clients:
            for ban_oid in _documents_of(ctx, client, dr.BAN_GROUP):
                ban_meta, ban = _stored_meta(ctx, ban_oid)
                ban_content = ban.content().get("content", {})
                if dr.ban_blocks(ban_meta, ban_content, meta, shown.controller_oid, day):
                    raise RefusedError(
                        f"the disclosure ban {ban_oid} of client {client} "
                        f"blocks disclosing {shown.document_oid} (to {to})",
                        rule=dr.RULE_BAN,
                    )
        if target.sector == "health_care":
            if consent_doc is None:
                raise RefusedError(
                    f"disclosing {shown.document_oid} to the health-care "
                    f"organisation {to} needs the client's consent document (--consent)",
                    rule=dr.RULE_CONSENT,
                )
            c_meta, c_shown = consent_doc
            problem = dr.consent_problem(
                c_meta, c_shown.content().get("content", {}), meta, clients, target, day
            )
            if problem is not None:
                raise RefusedError(problem, rule=dr.RULE_CONSENT)
        else:
            for client in clients:
                informed = ctx.access.informed_on(client)
                if informed is None or informed > day:
                    raise RefusedError(
                        f"client {client} has not been informed about "
                        f"Kanta (by {day}); record it with `kanta-archive clients inform`",
                        rule=dr.RULE_INFORMED,
                    )
        rows.extend(
            (shown.document_oid, client, shown.controller_oid, to, consent) for client in clients
        )
    ctx.access.add_disclosures(rows, actor)
    for document_oid, client, from_oid, to_oid, consent_oid in rows:
        ctx.audit.append(
            "disclose",
            actor=actor,
            user=ctx.user,
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


def disclosures(ctx: AccessContext, client: str, actor: str) -> Visible[dict[str, str | None]]:
    """The recorded disclosures of ``client``'s data that ``actor`` made or received (or a
    unit of its public organisation did): ``disclosure-parties-only``."""
    acting = acting_org(ctx, actor)
    rows = ctx.access.disclosures(client)
    shown = tuple(
        d
        for d in rows
        if acts_for(ctx, acting, d["from_oid"]) or acts_for(ctx, acting, d["to_oid"])
    )
    return Visible(shown, len(rows) - len(shown))
