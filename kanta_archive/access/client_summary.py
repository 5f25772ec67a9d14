"""The client data summary (kooste): a client's documents the acting organisation may
read, newest first, with non-disclosure data masked unless the controller reveals them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kanta_archive.access import documents
from kanta_archive.access.context import AccessContext
from kanta_archive.index import Query
from kanta_archive.index.base import MAX_LIMIT

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry


def summary(
    ctx: AccessContext,
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
    registry = registry or ctx.archive.validator.registry
    q = Query(client=client, patient_data=None if patient_data else False, limit=MAX_LIMIT)
    if actor is None:
        result = ctx.archive.query(q)
        rows, hidden = list(result.rows), 0
    else:
        filtered = documents.query(ctx, q, actor)
        rows, hidden = list(filtered.result.rows), filtered.hidden
    entries: list[dict[str, Any]] = []
    non_disclosure = False
    for row in rows:
        shown = ctx.archive.show(row.document_oid)
        protected = documents.is_protected(shown)
        non_disclosure = non_disclosure or protected
        revealed = False
        if protected and reveal and actor is not None:
            documents.reveal(ctx, shown, actor, reason)
            revealed = True
        content = (
            shown.content().get("content", {})
            if revealed
            else documents.masked_content(shown, registry)
        )
        meta = shown.metadata
        entries.append(
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
        ctx.audit.append(
            "summary",
            actor=actor,
            user=ctx.user,
            client=client,
            documents=[d["document_oid"] for d in entries],
            details={"hidden": hidden, "patient_data": patient_data, "revealed": reveal},
        )
    from kanta_archive.summary import build_summary

    return {
        "client": client,
        "non_disclosure": non_disclosure,
        "documents": entries,
        "hidden": hidden,
        "summary": build_summary(entries),
    }
