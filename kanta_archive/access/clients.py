"""Clients: temporary identifiers linked to a HETU, and clients informed about Kanta.

Linking decides whose documents a HETU query finds, so it is done by an organisation that
knows the client: the one that issued the temporary identifier (``<issuer OID>.22.<year>.<n>``)
or the controller of a stored document naming it (``client-link-issuer-or-controller``).
Recording that a client was informed is done by the informing organisation itself
(``client-inform-by-self``).
"""

from __future__ import annotations

from datetime import date

from kanta_archive.access.context import AccessContext, acting_org, acts_for, known_org
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.identifiers import hetu_problem, temporary_id_problem
from kanta_archive.index import Query
from kanta_archive.index.base import MAX_LIMIT

RULE_LINK = "client-link-issuer-or-controller"
RULE_INFORM = "client-inform-by-self"


def issuer_of(temporary_id: str) -> str | None:
    """The OID of the organisation that issued ``<issuer>.22.<year>.<n>``."""
    arcs = temporary_id.split(".")
    return ".".join(arcs[:-3]) if len(arcs) > 3 and arcs[-3] == "22" else None


def _check_linker(ctx: AccessContext, temporary_id: str, actor: str) -> str:
    acting = acting_org(ctx, actor)
    if acts_for(ctx, acting, issuer_of(temporary_id)):
        return acting.oid
    rows = ctx.archive.query(
        Query(client=temporary_id, patient_data=None, include_invalidated=True, limit=MAX_LIMIT)
    ).rows
    if any(acts_for(ctx, acting, r.controller_oid) for r in rows):
        return acting.oid
    raise RefusedError(
        f"{acting.oid} neither issued {temporary_id} nor controls a document naming it",
        rule=RULE_LINK,
    )


def link(ctx: AccessContext, temporary_id: str, hetu: str, actor: str) -> None:
    """Link a temporary identifier to a HETU in the index and the access store, as
    ``actor`` (see the module docstring for who may)."""
    if (problem := hetu_problem(hetu)) is not None:
        raise UsageError(f"--hetu {hetu!r}: {problem}")
    if (problem := temporary_id_problem(temporary_id)) is not None:
        raise UsageError(f"--temporary {temporary_id!r}: {problem}")
    actor = _check_linker(ctx, temporary_id, actor)
    ctx.archive.index.link_client(temporary_id, hetu)
    ctx.access.link_client(temporary_id, hetu)
    ctx.audit.append(
        "client-link",
        actor=actor,
        user=ctx.user,
        client=hetu,
        details={"temporary_id": temporary_id},
    )


def unlink(ctx: AccessContext, temporary_id: str, actor: str) -> str:
    """Undo a link made by mistake; stored documents were never rewritten, so nothing
    else changes. Returns the HETU it was linked to; audited."""
    hetu = ctx.access.linked_hetu(temporary_id)
    if hetu is None:
        raise UsageError(f"--temporary {temporary_id!r} is not linked to any HETU")
    actor = _check_linker(ctx, temporary_id, actor)
    ctx.archive.index.unlink_client(temporary_id)
    ctx.access.unlink_client(temporary_id)
    ctx.audit.append(
        "client-unlink",
        actor=actor,
        user=ctx.user,
        client=hetu,
        details={"temporary_id": temporary_id},
    )
    return hetu


def restore_links(ctx: AccessContext) -> int:
    """Replay the recorded links into the index (after ``reindex``); return how many."""
    links = ctx.access.client_links()
    for temporary_id, hetu in links:
        ctx.archive.index.link_client(temporary_id, hetu)
    return len(links)


def inform(ctx: AccessContext, hetu: str, by: str, on: date, actor: str) -> None:
    """Record, as ``actor`` (``by`` itself or a unit of it), that organisation ``by``
    informed the client about Kanta on ``on``."""
    if (problem := hetu_problem(hetu)) is not None:
        raise UsageError(f"HETU {hetu!r}: {problem}")
    acting = acting_org(ctx, actor)
    known_org(ctx, by, "informing organisation")
    if not acts_for(ctx, acting, by):
        raise RefusedError(
            f"only {by} records that it informed a client, not {acting.oid}", rule=RULE_INFORM
        )
    ctx.access.record_informed(hetu, by, on)
    ctx.audit.append(
        "client-inform",
        actor=acting.oid,
        user=ctx.user,
        client=hetu,
        details={"by": by, "date": on.isoformat()},
    )
