"""Documents handled *as* an organisation: storing (each document must pass
:func:`~kanta_archive.access.policy.may_store`), reading (query results filtered, single
documents refused, by :class:`~kanta_archive.access.policy.ReadPolicy`), invalidation and
revealing non-disclosure data (controller only). Every operation is audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanta_archive.access.context import (
    AccessContext,
    audit_document,
    require_controller,
)
from kanta_archive.access.policy import (
    RULE_READ,
    RULE_UNKNOWN_ACTOR,
    ReadPolicy,
    day_of,
    effective_day,
    may_store,
)
from kanta_archive.archive import IngestReport, ShownDocument
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.index import IndexRow, Query, QueryResult
from kanta_archive.index.base import MAX_LIMIT
from kanta_archive.model import Metadata

if TYPE_CHECKING:
    from kanta_archive.schemas import SchemaRegistry

RULE_INVALIDATE = "invalidate-controller-only"
RULE_REVEAL = "non-disclosure-reveal"


@dataclasses.dataclass(frozen=True)
class FilteredResult:
    """A query page the actor may see, and how many matching documents were hidden."""

    result: QueryResult
    hidden: int


def ingest(
    ctx: AccessContext,
    inputs: Sequence[Path],
    actor: str,
    *,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store documents as ``actor``: each must pass :func:`may_store`."""
    metas: dict[str, Metadata] = {}

    def authorize(meta: Metadata) -> str | None:
        decision = may_store(ctx.access, actor, meta)
        if decision.allowed and meta.document_oid:
            metas[meta.document_oid] = meta
        return None if decision.allowed else decision.message

    report = ctx.archive.ingest(
        inputs,
        partial=partial,
        actor=ctx.user or actor,
        progress=progress,
        authorize=authorize,
    )
    for item in report.items:
        if item.status != "stored" or item.document_oid is None:
            continue
        meta = metas.get(item.document_oid)
        clients = [c.identifier or "" for c in meta.clients] if meta else []
        ctx.audit.append(
            "store",
            actor=actor,
            user=ctx.user,
            client=",".join(clients) or None,
            documents=[item.document_oid],
            details={
                "set_oid": item.set_oid,
                "version": item.version,
                "controller": item.controller_oid,
            },
        )
    return report


def _row_readable(ctx: AccessContext, policy: ReadPolicy, row: IndexRow) -> bool:
    clients = []
    for c in row.clients:
        if c.id_kind == "temporary":
            clients.append(ctx.access.linked_hetu(c.client_id) or c.client_id)
        else:
            clients.append(c.client_id)
    return policy.may_read(
        document_oid=row.document_oid,
        controller_oid=row.controller_oid,
        clients=clients,
        service_task=row.service_task_code,
        day=day_of(row.effective_time),
    )


def query(ctx: AccessContext, q: Query, actor: str) -> FilteredResult:
    """Run ``q`` and keep only what ``actor`` may read; count the hidden matches."""
    policy = ReadPolicy(ctx.access, actor)
    if policy.org is None:
        raise RefusedError(
            f"{RULE_UNKNOWN_ACTOR}: the acting organisation {actor} is not in the registry"
        )
    visible: list[IndexRow] = []
    total = 0
    offset = 0
    while True:
        page = ctx.archive.query(dataclasses.replace(q, offset=offset, limit=MAX_LIMIT))
        total = page.total
        visible.extend(r for r in page.rows if _row_readable(ctx, policy, r))
        offset += len(page.rows)
        if not page.rows or offset >= page.total:
            break
    rows = tuple(visible[q.offset : q.offset + q.limit])
    ctx.audit.append(
        "query",
        actor=actor,
        user=ctx.user,
        client=q.client,
        documents=[r.document_oid for r in rows],
        details={
            "filters": _query_details(q),
            "shown": len(rows),
            "hidden": total - len(visible),
        },
    )
    return FilteredResult(QueryResult(rows, len(visible)), total - len(visible))


def show(ctx: AccessContext, oid: str, version: int | None, actor: str) -> ShownDocument:
    """One document, if ``actor`` may read it (else refused); audited."""
    shown = ctx.archive.show(oid, version)
    policy = ReadPolicy(ctx.access, actor)
    meta = Metadata.from_raw(shown.metadata)
    if not policy.may_read_meta(meta):
        raise RefusedError(
            f"{RULE_READ}: {actor} may not read {shown.document_oid}: it belongs to the "
            f"register of {shown.controller_oid} and no usage right or disclosure covers it"
        )
    audit_document(
        ctx,
        "read",
        shown,
        actor,
        {"controller": shown.controller_oid, "day": str(effective_day(meta))},
        meta,
    )
    return shown


def invalidate(ctx: AccessContext, oid: str, reason: str, actor: str) -> ShownDocument:
    """Invalidate the current version of ``oid`` as ``actor``: the controller only; audited."""
    require_controller(ctx, ctx.archive.show(oid), actor, RULE_INVALIDATE, f"invalidate {oid}")
    shown = ctx.archive.invalidate(oid, reason, actor=ctx.user or actor)
    audit_document(ctx, "invalidate", shown, actor, {"reason": reason})
    return shown


def reveal(ctx: AccessContext, shown: ShownDocument, actor: str, reason: str | None) -> None:
    """Allow (and audit) unmasked output of a protected document: only its controller
    (or a unit of that public organisation), and only with a reason."""
    if not reason or not reason.strip():
        raise UsageError("--reveal needs --reason (it is recorded in the audit log)")
    require_controller(ctx, shown, actor, RULE_REVEAL, "reveal data under a non-disclosure marking")
    audit_document(ctx, "reveal", shown, actor, {"reason": reason})


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


def _query_details(q: Query) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(q):
        value = getattr(q, f.name)
        if value is not None and value != f.default:
            out[f.name] = str(value) if isinstance(value, date) else value
    return out
