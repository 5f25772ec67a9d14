"""Administration: importing the organisation registry, granting and revoking register
usage rights, and reading the audit trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from kanta_archive.access.context import AccessContext, known_org
from kanta_archive.access.db import now_utc
from kanta_archive.access.registry import Organisation, parse_orgs_csv
from kanta_archive.access.rights import Right, new_right_id
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.identifiers import hetu_problem

RULE_RIGHT_ORGANISER = "access-right-organiser"
RULE_RIGHT_PRODUCER = "access-right-producer"


def import_orgs(ctx: AccessContext, text: str, actor: str) -> list[Organisation]:
    """Check the whole CSV, then import it in one transaction (all or nothing)."""
    known = frozenset(o.oid for o in ctx.access.orgs())
    orgs = parse_orgs_csv(text, known)
    ctx.access.import_orgs(orgs)
    ctx.audit.append("orgs-import", actor=actor, user=ctx.user, details={"count": len(orgs)})
    return orgs


def grant(
    ctx: AccessContext,
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
    org = known_org(ctx, organiser, "organiser")
    prod = known_org(ctx, producer, "producer")
    if org.sector != "public":
        raise RefusedError(
            f"{RULE_RIGHT_ORGANISER}: only a public organiser grants register usage "
            f"rights; {organiser} is {org.sector}"
        )
    if prod.sector == "health_care" or prod.oid == org.oid:
        raise RefusedError(
            f"{RULE_RIGHT_PRODUCER}: {producer} cannot receive a register usage right"
        )
    if actor is not None and actor != organiser:
        raise RefusedError(
            f"{RULE_RIGHT_ORGANISER}: only the organiser {organiser} grants rights to "
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
    ctx.access.add_right(right)
    ctx.audit.append(
        "right-grant",
        actor=actor or organiser,
        user=ctx.user,
        client=client,
        details=right_details(right),
    )
    return right


def revoke(ctx: AccessContext, right_id: str, actor: str | None = None) -> Right:
    """Revoke a right (only its organiser may, when an actor is given)."""
    right = ctx.access.right(right_id)
    if right is None:
        raise UsageError(f"no right {right_id}")
    if actor is not None and actor != right.organiser_oid:
        raise RefusedError(
            f"{RULE_RIGHT_ORGANISER}: only the organiser {right.organiser_oid} revokes "
            f"right {right_id}, not {actor}"
        )
    revoked = ctx.access.revoke_right(right_id, now_utc())
    ctx.audit.append(
        "right-revoke",
        actor=actor or right.organiser_oid,
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


def audit_entries(
    ctx: AccessContext, *, client: str | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    """Audit entries, optionally of one client (in ``client``) and/or one actor."""
    out = []
    for entry in ctx.audit.entries():
        if client and client not in str(entry.get("client") or "").split(","):
            continue
        if actor and entry.get("actor") != actor:
            continue
        out.append(entry)
    return out
