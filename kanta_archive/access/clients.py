"""Clients: temporary identifiers linked to a HETU, and clients informed about Kanta."""

from __future__ import annotations

from datetime import date

from kanta_archive.access.context import AccessContext, known_org
from kanta_archive.errors import UsageError
from kanta_archive.identifiers import hetu_problem, temporary_id_problem


def link(ctx: AccessContext, temporary_id: str, hetu: str, actor: str) -> None:
    """Link a temporary identifier to a HETU in the index and the access store."""
    if (problem := hetu_problem(hetu)) is not None:
        raise UsageError(f"--hetu {hetu!r}: {problem}")
    if (problem := temporary_id_problem(temporary_id)) is not None:
        raise UsageError(f"--temporary {temporary_id!r}: {problem}")
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


def inform(ctx: AccessContext, hetu: str, by: str, on: date, actor: str | None = None) -> None:
    """Record that organisation ``by`` informed the client about Kanta on ``on``."""
    if (problem := hetu_problem(hetu)) is not None:
        raise UsageError(f"HETU {hetu!r}: {problem}")
    known_org(ctx, by, "informing organisation")
    ctx.access.record_informed(hetu, by, on)
    ctx.audit.append(
        "client-inform",
        actor=actor or by,
        user=ctx.user,
        client=hetu,
        details={"by": by, "date": on.isoformat()},
    )
