"""Who may store and who may read: the archive's decisions from its registry and rights.

Each refusal names its rule (the ``RULE_*`` constants) so that the message says which rule
stopped the operation. The decisions are pure functions of the access store and the
document metadata; :mod:`kanta_archive.access.service` applies them to archive operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from kanta_archive.access.db import AccessStore
from kanta_archive.access.registry import Organisation, root_oid
from kanta_archive.identifiers import parse_datetime
from kanta_archive.model import Metadata

RULE_UNKNOWN_ACTOR: Final = "access-unknown-actor"
RULE_UNKNOWN_ORG: Final = "access-unknown-organisation"
RULE_CONTROLLER_SECTOR: Final = "access-controller-sector"
RULE_PRIVATE_CONTROLLER: Final = "access-private-controller-is-producer"
RULE_JOINT_MEMBER_CONTROLLER: Final = "access-joint-member-is-controller"
RULE_PARALLEL_RIGHT: Final = "access-parallel-usage-right"
RULE_DIRECT_OWN_REGISTER: Final = "access-own-register-only"
RULE_READ: Final = "access-read-own-register"


@dataclass(frozen=True)
class Decision:
    """An allowed or refused operation: ``rule`` is the rule that allowed or refused it,
    ``reason`` says why in words, ``message`` is both (``"<rule>: <reason>"`` when refused)."""

    allowed: bool
    rule: str
    reason: str

    @property
    def message(self) -> str:
        """The one line that names the rule (refusals) or says how it was allowed."""
        return self.reason if self.allowed else f"{self.rule}: {self.reason}"


def _ok(how: str, message: str) -> Decision:
    return Decision(True, how, message)


def _no(rule: str, message: str) -> Decision:
    return Decision(False, rule, message)


def day_of(time: str | None) -> date:
    """The calendar day of an ISO time as written (local time); today when unreadable."""
    if time:
        try:
            return parse_datetime(time).date()
        except ValueError:
            pass
    return date.today()


def effective_day(meta: Metadata) -> date:
    """The calendar day of the document's effective time (as written, local time)."""
    return day_of(meta.effective_time)


def client_ids(meta: Metadata, access: AccessStore) -> list[str]:
    """The document's client identifiers, a linked temporary identifier as its HETU."""
    ids: list[str] = []
    for client in meta.clients:
        if client.hetu:
            ids.append(client.hetu)
        elif client.temporary_id:
            ids.append(access.linked_hetu(client.temporary_id) or client.temporary_id)
    return ids


def _same_public_organisation(a: Organisation, b: Organisation) -> bool:
    """``a`` and ``b`` are one public organisation or its units."""
    return a.sector == b.sector == "public" and a.root_oid == b.root_oid


def may_store(access: AccessStore, actor: str, meta: Metadata) -> Decision:
    """May organisation ``actor`` store the document ``meta``?"""
    day = effective_day(meta)
    acting = access.org(actor)
    if acting is None:
        return _no(RULE_UNKNOWN_ACTOR, f"the acting organisation {actor} is not in the registry")
    if not acting.valid_on(day):
        return _no(
            RULE_UNKNOWN_ACTOR,
            f"the acting organisation {actor} is not registered on {day} "
            f"(valid {acting.valid_from}..{acting.valid_to or ''})",
        )
    # The producer is the author's organisation (CDA author/assignedAuthor/representedOrganization).
    roles = {
        "controller": meta.controller_oid,
        "producer": meta.producer_oid,
        "service unit": meta.service_unit_oid,
    }
    if meta.organiser_oid is not None:
        roles["organiser"] = meta.organiser_oid
    orgs: dict[str, Organisation] = {}
    for role, oid in roles.items():
        if not oid:
            return _no(RULE_UNKNOWN_ORG, f"the document has no {role}")
        org = access.org(oid)
        if org is None:
            return _no(RULE_UNKNOWN_ORG, f"the {role} {oid} is not in the registry")
        if not org.valid_on(day):
            return _no(
                RULE_UNKNOWN_ORG,
                f"the {role} {oid} is not registered on the effective date {day}",
            )
        if org.sector == "health_care":
            return _no(
                RULE_UNKNOWN_ORG,
                f"the {role} {oid} is a health-care organisation, not a social-welfare one",
            )
        orgs[role] = org
    controller = orgs["controller"]
    producer = orgs["producer"]
    if meta.organiser_oid is not None and controller.sector != "public":
        return _no(
            RULE_CONTROLLER_SECTOR,
            f"a service produced for the organiser {meta.organiser_oid} belongs to the "
            f"organiser's register: the controller must be the public organiser, not the "
            f"private {controller.oid}",
        )
    for role in ("producer", "service unit"):
        member = access.org(orgs[role].root_oid) or orgs[role]
        if (
            member.joining_model == "joint"
            and member.main_joiner_oid == controller.oid
            and member.oid != controller.oid
        ):
            return _no(
                RULE_JOINT_MEMBER_CONTROLLER,
                f"joint joining: the member {member.oid} ({role}) is the controller of "
                f"documents from its own activity, never the main joiner {controller.oid}",
            )
    private_own = meta.organiser_oid is None and controller.sector == "private"
    if private_own and controller.oid != producer.oid:
        if producer.joining_model == "joint" and producer.main_joiner_oid == controller.oid:
            return _no(
                RULE_JOINT_MEMBER_CONTROLLER,
                f"joint joining: the member {producer.oid} is the controller of documents "
                f"from its own activity, never the main joiner {controller.oid}",
            )
        return _no(
            RULE_PRIVATE_CONTROLLER,
            f"a private producer is controller only of its own private services: the "
            f"controller {controller.oid} is not the producer {producer.oid}",
        )
    # who may submit
    if acting.oid == controller.oid:
        return _ok("direct", f"{actor} stores into its own register")
    if _same_public_organisation(acting, controller):
        return _ok("direct-unit", f"{actor} stores for its own organisation {controller.oid}")
    if controller.joining_model == "joint" and controller.main_joiner_oid == acting.oid:
        return _ok(
            "joint", f"main joiner {actor} submits for its member {controller.oid} (controller)"
        )
    if acting.oid == producer.oid and controller.sector == "public":
        clients = client_ids(meta, access)
        task = meta.service_task.code if meta.service_task else None
        for right in access.rights(organiser=controller.oid, producer=acting.oid):
            if right.covers(controller.oid, acting.oid, clients, task, day):
                return _ok("parallel", f"register usage right {right.right_id}")
        return _no(
            RULE_PARALLEL_RIGHT,
            f"{actor} stores into the register of {controller.oid} only with a valid, "
            f"unrevoked register usage right covering client(s) {', '.join(clients)}, "
            f"service task {task} and {day}; none found",
        )
    return _no(
        RULE_DIRECT_OWN_REGISTER,
        f"{actor} may store only documents whose controller is itself; the controller "
        f"is {controller.oid}",
    )


class ReadPolicy:
    """What one acting organisation may read; built once per command."""

    def __init__(self, access: AccessStore, actor: str) -> None:
        self.access = access
        self.actor = actor
        self.org = access.org(actor)
        self._disclosed = access.disclosed_to(actor)
        self._rights = [r for r in access.rights(producer=actor) if r.active]

    @property
    def own_only(self) -> bool:
        """True when the actor reads nothing but its own register (queries can be narrowed)."""
        return not self._disclosed and not self._rights

    def may_read(
        self,
        *,
        document_oid: str,
        controller_oid: str | None,
        clients: Iterable[str],
        service_task: str | None,
        day: date,
    ) -> bool:
        """True when the actor is the controller (or one of its public units), holds a
        usage right covering the document, or had the document disclosed to it."""
        if self.org is None or controller_oid is None:
            return False
        if controller_oid == self.actor:
            return True
        controller = self.access.org(controller_oid)
        if controller is not None and _same_public_organisation(self.org, controller):
            return True
        if document_oid in self._disclosed:
            return True
        client_list = list(clients)
        return any(
            r.covers(controller_oid, self.actor, client_list, service_task, day)
            for r in self._rights
        )

    def may_read_meta(self, meta: Metadata) -> bool:
        """:meth:`may_read` for a document's metadata."""
        return self.may_read(
            document_oid=meta.document_oid or "",
            controller_oid=meta.controller_oid,
            clients=client_ids(meta, self.access),
            service_task=meta.service_task.code if meta.service_task else None,
            day=effective_day(meta),
        )


def controller_root(oid: str) -> str:
    """The organisation OID of a unit OID (re-exported for callers)."""
    return root_oid(oid)
