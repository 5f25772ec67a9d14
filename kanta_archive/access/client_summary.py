"""The client data summary (kooste): a client's documents the acting organisation may
read, newest first, with non-disclosure data masked unless the controller reveals them."""

from __future__ import annotations

from typing import Any

from kanta_archive.access import reading
from kanta_archive.access.context import AccessContext
from kanta_archive.archive import Archive
from kanta_archive.index import Query
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.schemas import SchemaRegistry


def summary(
    archive: Archive,
    client: str,
    acting: tuple[AccessContext, str] | None,
    *,
    registry: SchemaRegistry,
    patient_data: bool = False,
    reveal: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    """The client data summary (kooste): the client's documents the acting organisation
    may read (``acting``: its access context and OID; ``None`` in a store without a
    registry: every document), newest first, content masked for non-disclosure unless
    revealed by the controller (``registry``: the run's schema registry, for masking).
    Audited with a registry."""
    q = Query(client=client, patient_data=None if patient_data else False, limit=MAX_LIMIT)
    if acting is None:
        result = archive.query(q)
        rows, hidden = list(result.rows), 0
    else:
        filtered = reading.query(acting[0], q, acting[1])
        rows, hidden = list(filtered.result.rows), filtered.hidden
    entries: list[dict[str, Any]] = []
    non_disclosure = False
    for row in rows:
        shown = archive.show(row.document_oid)
        protected = reading.is_protected(shown)
        non_disclosure = non_disclosure or protected
        revealed = False
        if protected and reveal and acting is not None:
            reading.reveal_document(acting[0], shown, acting[1], reason)
            revealed = True
        content = (
            shown.content().get("content", {})
            if revealed
            else reading.masked_content(shown, registry)
        )
        meta = shown.metadata
        entries.append(
            {
                "document_oid": row.document_oid,
                "effective_time": row.effective_time,
                "title": row.title,
                "document_type": (
                    meta.get("specific_document_type") or meta.get("document_type") or {}
                ).get("display"),
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
    if acting is not None:
        ctx, actor = acting
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
