"""Administration: importing the organisation registry, granting and revoking register
usage rights, and reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from kanta_archive.access.context import (
    ACTING_REQUIRED,
    AccessContext,
    Visible,
    acting_org,
    acts_for,
    known_org,
)
from kanta_archive.access.db import now_utc
from kanta_archive.access.registry import Organisation, parse_orgs_csv
from kanta_archive.access.rights import Right, new_right_id
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.identifiers import hetu_problem

RULE_RIGHT_ORGANISER = "access-right-organiser"
RULE_RIGHT_PRODUCER = "access-right-producer"
RULE_REGISTRY_PUBLIC = "registry-by-public-organisation"
RULE_REGISTRY_OWN_ROWS = "registry-own-rows"
RULE_AUDIT_OWN = "audit-own-entries"


def import_orgs(ctx: AccessContext, text: str, actor: str | None) -> list[Organisation]:
    """Check the whole CSV, then import it in one transaction (all or nothing).

    The first import creates the registry and needs no ``actor``. Once there is a
    registry, ``actor`` must be a registered public organisation, valid today
    (``registry-by-public-organisation``); it may add organisations and change the rows of
    its own organisation and units and of the organisations that joined through it (its
    joint members, the parallel producers it organises), never another organisation's rows
    (``registry-own-rows``)."""
    existing = {o.oid: o for o in ctx.access.orgs()}
    orgs = parse_orgs_csv(text, frozenset(existing))
    if existing:
        acting = acting_org(ctx, _required(actor))
        if acting.sector != "public":
            raise RefusedError(
                f"only a public organisation changes the registry; {acting.oid} is {acting.sector}",
                rule=RULE_REGISTRY_PUBLIC,
            )
        for org in orgs:
            old = existing.get(org.oid)
            if old is not None and not _administers(ctx, acting, old):
                raise RefusedError(
                    f"{acting.oid} may not change the registry row of {old.oid}: it is not "
                    "its own organisation or unit, nor joined through it",
                    rule=RULE_REGISTRY_OWN_ROWS,
                )
    ctx.access.import_orgs(orgs)
    ctx.audit.append(
        "orgs-import",
        actor=actor or ctx.user or "registry-admin",
        user=ctx.user,
        details={"count": len(orgs)},
    )
    return orgs


def _administers(ctx: AccessContext, acting: Organisation, row: Organisation) -> bool:
    return (
        acts_for(ctx, acting, row.oid)
        or acts_for(ctx, acting, row.root_oid)
        or acts_for(ctx, acting, row.main_joiner_oid)
        or acts_for(ctx, acting, row.organiser_oid)
    )


def _required(actor: str | None) -> str:
    if not actor:
        raise UsageError(ACTING_REQUIRED)
    return actor


def grant(
    ctx: AccessContext,
    *,
    organiser: str,
    producer: str,
    client: str | None,
    service_task: str | None,
    valid_from: date,
    valid_to: date,
    actor: str | None,
) -> Right:
    """Grant a register usage right as ``actor``: the organiser itself (or a unit of it),
    a public organisation; the producer a registered social-welfare organisation."""
    acting = acting_org(ctx, _required(actor))
    org = known_org(ctx, organiser, "organiser")
    prod = known_org(ctx, producer, "producer")
    if org.sector != "public":
        raise RefusedError(
            f"only a public organiser grants register usage rights; {organiser} is {org.sector}",
            rule=RULE_RIGHT_ORGANISER,
        )
    if prod.sector == "health_care" or prod.oid == org.oid:
        raise RefusedError(
            f"{producer} cannot receive a register usage right", rule=RULE_RIGHT_PRODUCER
        )
    if not acts_for(ctx, acting, organiser):
        raise RefusedError(
            f"only the organiser {organiser} grants rights to its register, not {acting.oid}",
            rule=RULE_RIGHT_ORGANISER,
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
    ctx.access.add_right(right)
    ctx.audit.append(
        "right-grant",
        actor=acting.oid,
        user=ctx.user,
        client=client,
        details=right_details(right),
    )
    return right


def revoke(ctx: AccessContext, right_id: str, actor: str | None) -> Right:
    """Revoke a right as ``actor``: only its organiser (or a unit of it) may."""
    acting = acting_org(ctx, _required(actor))
    right = ctx.access.right(right_id)
    if right is None:
        raise UsageError(f"no right {right_id}")
    if not acts_for(ctx, acting, right.organiser_oid):
        raise RefusedError(
            f"only the organiser {right.organiser_oid} revokes right {right_id}, not {acting.oid}",
            rule=RULE_RIGHT_ORGANISER,
        )
    revoked = ctx.access.revoke_right(right_id, now_utc())
    ctx.audit.append(
        "right-revoke",
        actor=acting.oid,
        user=ctx.user,
        client=right.client,
        details=right_details(revoked),
    )
    return revoked


def right_details(right: Right) -> dict[str, Any]:
    """A right as recorded in the audit log."""
    return {
        "right_id": right.right_id,
        "organiser": right.organiser_oid,
        "producer": right.producer_oid,
        "service_task": right.service_task,
        "from": right.valid_from.isoformat(),
        "to": right.valid_to.isoformat(),
        "revoked_at": right.revoked_at,
    }


def rights(
    ctx: AccessContext,
    actor: str | None,
    *,
    organiser: str | None = None,
    producer: str | None = None,
) -> Visible[Right]:
    """The rights (revoked ones too) ``actor`` is the organiser or the producer of: a right
    may name a client, so it is client data (``access-right-organiser``)."""
    acting = acting_org(ctx, _required(actor))
    found = ctx.access.rights(organiser=organiser, producer=producer)
    shown = tuple(
        r
        for r in found
        if acts_for(ctx, acting, r.organiser_oid) or acts_for(ctx, acting, r.producer_oid)
    )
    return Visible(shown, len(found) - len(shown))


def audit_entries(
    ctx: AccessContext,
    reader: str | None,
    *,
    client: str | None = None,
    actor: str | None = None,
) -> Visible[dict[str, Any]]:
    """Audit entries ``reader`` may read, optionally of one client (in ``client``) and/or
    one actor (``audit-own-entries``): the entries it made itself (or a unit of its public
    organisation did), the entries naming it (organiser, producer, disclosure sender or
    recipient, informing organisation), those about documents in its register, and the
    registry imports (they hold no client data)."""
    acting = acting_org(ctx, _required(reader))
    shown: list[dict[str, Any]] = []
    hidden = 0
    for entry in filter_entries(ctx.audit.entries(), client=client, actor=actor):
        if _entry_concerns(ctx, acting, entry):
            shown.append(entry)
        else:
            hidden += 1
    return Visible(tuple(shown), hidden)


def filter_entries(
    entries: Iterable[dict[str, Any]], *, client: str | None, actor: str | None
) -> Iterator[dict[str, Any]]:
    """The entries about ``client`` (one of the entry's clients) and by ``actor``."""
    for entry in entries:
        if client and client not in str(entry.get("client") or "").split(","):
            continue
        if actor and entry.get("actor") != actor:
            continue
        yield entry


def _entry_concerns(ctx: AccessContext, acting: Organisation, entry: dict[str, Any]) -> bool:
    if entry.get("event") == "orgs-import":
        return True  # the registry concerns every organisation in it; no client data
    if acts_for(ctx, acting, str(entry.get("actor") or "")):
        return True
    details = entry.get("details")
    if isinstance(details, dict) and any(
        acts_for(ctx, acting, details.get(key))
        for key in ("organiser", "producer", "from", "to", "by", "controller")
        if isinstance(details.get(key), str)
    ):
        return True
    for oid in entry.get("documents") or ():
        row = ctx.archive.index.get(str(oid))
        if row is not None and acts_for(ctx, acting, row.controller_oid):
            return True
    return False
