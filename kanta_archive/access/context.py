"""What every access operation works on: the archive, its access store and audit log, and
the person at the keyboard. Plus the helpers the operations share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from kanta_archive.access.audit import AuditTrail
from kanta_archive.access.db import AccessStore
from kanta_archive.access.policy import RULE_UNKNOWN_ACTOR, RULE_UNKNOWN_ORG
from kanta_archive.access.registry import Organisation
from kanta_archive.archive import Archive, ShownDocument
from kanta_archive.errors import RefusedError, UsageError
from kanta_archive.identifiers import oid_problem
from kanta_archive.model import Metadata

ACTING_REQUIRED = (
    "this store has an organisation registry: say which organisation acts with --as <OID> "
    "(env KANTA_ARCHIVE_AS)"
)

T = TypeVar("T")


@dataclass(frozen=True)
class Visible(Generic[T]):
    """What the acting organisation may see of a listing, and how many entries it may not."""

    items: tuple[T, ...]
    hidden: int


@dataclass(frozen=True)
class AccessContext:
    """An open archive with its access store and audit log; ``user`` is the person acting
    (recorded in the audit log next to the acting organisation)."""

    archive: Archive
    access: AccessStore
    audit: AuditTrail
    user: str | None = None


def check_oid(value: str, what: str) -> None:
    """:class:`UsageError` unless ``value`` is an OID."""
    if (problem := oid_problem(value)) is not None:
        raise UsageError(f"{what} {value!r}: {problem}")


def known_org(ctx: AccessContext, oid: str, what: str) -> Organisation:
    """The registered organisation ``oid``; refused when it is not registered."""
    check_oid(oid, what)
    org = ctx.access.org(oid)
    if org is None:
        raise RefusedError(f"the {what} {oid} is not registered", rule=RULE_UNKNOWN_ORG)
    return org


def same_organisation(a: Organisation, b: Organisation | None) -> bool:
    """``b`` is ``a`` itself, or both are units of one public organisation."""
    return b is not None and (
        a.oid == b.oid or (a.sector == b.sector == "public" and a.root_oid == b.root_oid)
    )


def acts_for(ctx: AccessContext, acting: Organisation, oid: str | None) -> bool:
    """``acting`` is the organisation ``oid`` (or a unit of that public organisation);
    an unregistered ``oid`` matches only itself."""
    if not oid:
        return False
    return oid == acting.oid or same_organisation(acting, ctx.access.org(oid))


def acting_org(ctx: AccessContext, actor: str) -> Organisation:
    """The acting organisation, registered and valid today; refused otherwise."""
    check_oid(actor, "acting organisation (--as)")
    org = ctx.access.org(actor)
    if org is None:
        raise RefusedError(
            f"the acting organisation {actor} is not in the registry", rule=RULE_UNKNOWN_ACTOR
        )
    today = date.today()
    if not org.valid_on(today):
        raise RefusedError(
            f"the acting organisation {actor} is not registered on {today} "
            f"(valid {org.valid_from}..{org.valid_to or ''})",
            rule=RULE_UNKNOWN_ACTOR,
        )
    return org


def require_controller(
    ctx: AccessContext, shown: ShownDocument, actor: str, rule: str, action: str
) -> None:
    """Refuse unless ``actor`` is the document's controller (or a unit of that public
    organisation): only the controller may ``action`` its documents."""
    acting = known_org(ctx, actor, "acting organisation")
    if not same_organisation(acting, ctx.access.org(shown.controller_oid)):
        raise RefusedError(
            f"only the controller {shown.controller_oid} may {action}, not {actor}", rule=rule
        )


def audit_document(
    ctx: AccessContext,
    event: str,
    shown: ShownDocument,
    actor: str,
    details: Mapping[str, Any],
    meta: Metadata | None = None,
) -> None:
    """Append one audit entry about one stored document, naming its clients."""
    meta = meta or Metadata.from_raw(shown.metadata)
    ctx.audit.append(
        event,
        actor=actor,
        user=ctx.user,
        client=",".join(c.identifier or "" for c in meta.clients) or None,
        documents=[shown.document_oid],
        details=details,
    )
