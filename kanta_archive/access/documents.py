"""Changing documents *as* an organisation: storing (each document must pass
:func:`~kanta_archive.access.policy.may_store`), invalidating (the controller only) and
transferring every document set of one controller to another (the new controller only).
Every change is audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from kanta_archive.access.audit import AuditEvent
from kanta_archive.access.context import (
    AccessContext,
    acting_org,
    acts_for,
    audit_document,
    known_org,
    require_controller,
)
from kanta_archive.access.policy import may_store
from kanta_archive.archive import IngestReport, ShownDocument, TransferReport
from kanta_archive.archive.results import Progress, Refusal
from kanta_archive.errors import RefusedError
from kanta_archive.model import Document, Metadata

RULE_INVALIDATE = "invalidate-controller-only"
RULE_TRANSFER_BY = "transfer-by-new-controller"
RULE_TRANSFER_TO = "transfer-to-public-organisation"


def ingest(
    ctx: AccessContext,
    inputs: Iterable[Path | Document],
    actor: str,
    *,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store documents as ``actor``: each must pass :func:`may_store`."""
    clients_of: dict[str, str] = {}  # document OID -> its clients (not the whole metadata)

    def authorize(meta: Metadata) -> Refusal | None:
        decision = may_store(ctx.access, actor, meta)
        if decision.allowed and meta.document_oid:
            clients_of[meta.document_oid] = ",".join(c.identifier or "" for c in meta.clients)
        return None if decision.allowed else Refusal(decision.rule, decision.reason)

    report = ctx.archive.ingest(
        inputs,
        partial=partial,
        actor=ctx.user or actor,
        progress=progress,
        authorize=authorize,
    )
    events: list[AuditEvent] = []
    for item in report.items:
        if item.status != "stored" or item.document_oid is None:
            continue
        events.append(
            AuditEvent(
                "store",
                actor=actor,
                user=ctx.user,
                client=clients_of.get(item.document_oid) or None,
                documents=[item.document_oid],
                details={
                    "set_oid": item.set_oid,
                    "version": item.version,
                    "controller": item.controller_oid,
                },
            )
        )
    ctx.audit.append_many(events)  # one durable write for the batch
    return report


def invalidate(ctx: AccessContext, oid: str, reason: str, actor: str) -> ShownDocument:
    """Invalidate the current version of ``oid`` as ``actor``: the controller only; audited."""
    require_controller(ctx, ctx.archive.show(oid), actor, RULE_INVALIDATE, f"invalidate {oid}")
    shown = ctx.archive.invalidate(oid, reason, actor=ctx.user or actor)
    audit_document(ctx, "invalidate", shown, actor, {"reason": reason})
    return shown


def transfer_controller(
    ctx: AccessContext,
    from_controller: str,
    to_controller: str,
    reason: str,
    actor: str,
    *,
    progress: Progress | None = None,
) -> TransferReport:
    """Give every document set of ``from_controller`` to ``to_controller`` as ``actor``.

    The new controller must be a registered public organisation, valid today
    (``transfer-to-public-organisation``: a register belongs to a public organiser), and
    ``actor`` must be that organisation or one of its units (``transfer-by-new-controller``:
    the organisation taking the register over runs the transfer). Audited by
    :meth:`Archive.transfer_controller`, with ``actor`` as the acting organisation."""
    acting = acting_org(ctx, actor)
    target = known_org(ctx, to_controller, "new controller (--to)")
    if target.sector != "public" or not target.valid_on(date.today()):
        raise RefusedError(
            f"the new controller {to_controller} must be a public organisation registered "
            f"today; it is {target.sector}, valid {target.valid_from}..{target.valid_to or ''}",
            rule=RULE_TRANSFER_TO,
        )
    if not acts_for(ctx, acting, to_controller):
        raise RefusedError(
            f"only the new controller {to_controller} transfers a register to itself, "
            f"not {acting.oid}",
            rule=RULE_TRANSFER_BY,
        )
    return ctx.archive.transfer_controller(
        from_controller,
        to_controller,
        reason,
        actor=ctx.user or actor,
        organisation=acting.oid,
        progress=progress,
    )
