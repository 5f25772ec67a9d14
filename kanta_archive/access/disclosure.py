"""Disclosure (luovutus) rules: who may hand which documents to whom.

- The disclosing organisation (``--as``) is the controller of every document (or a unit
  of that public organisation); both it and the recipient are registered and valid on the
  disclosure date, and the recipient is not the controller itself.
- Within social welfare (recipient sector ``public`` or ``private``) every client of the
  document must have been informed about Kanta (``clients inform``) on or before the date.
- To health care (recipient sector ``health_care``) a consent document (document type 4,
  ``luovutussuostumus``) is required: stored, active, about the same client(s), naming the
  recipient (or its organisation) in ``vastaanottajat``, valid on the date
  (``voimassa_alkaen``..``voimassa_asti``) and, when it lists ``palvelutehtavat``, covering
  the document's service task.
- A disclosure ban document (type 5, ``luovutuskielto``) of a client, active and started on
  or before the date, blocks disclosures to the organisations it names in ``koskee``
  (all recipients when ``koskee`` is empty), whatever the recipient's sector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

from kanta_archive.access.registry import Organisation, root_oid
from kanta_archive.model import Metadata

# Document groups (code system 1.2.246.537.6.1505): the groups of the real group structures
# 1.2.246.537.6.1505.8 (Luovutuslupa-asiakirja) and .9 (Kieltoasiakirja).
CONSENT_GROUP: Final = "8"
BAN_GROUP: Final = "9"

RULE_JOINED: Final = "disclosure-both-joined"
RULE_CONTROLLER: Final = "disclosure-by-controller"
RULE_INFORMED: Final = "disclosure-client-informed"
RULE_CONSENT: Final = "disclosure-health-care-consent"
RULE_BAN: Final = "disclosure-ban"


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _body(content: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    root = content.get(key)
    if not isinstance(root, Mapping):
        return {}
    return root


def _names(target: Organisation, oids: Any) -> bool:
    if not isinstance(oids, Sequence) or isinstance(oids, str):
        return False
    return target.oid in oids or root_oid(target.oid) in oids


def consent_problem(
    consent_meta: Metadata,
    consent_content: Mapping[str, Any],
    doc: Metadata,
    clients: Sequence[str],
    target: Organisation,
    day: date,
) -> str | None:
    """Why ``consent`` does not allow disclosing ``doc`` to ``target`` on ``day``, or None."""
    oid = consent_meta.document_oid
    group = consent_meta.document_group
    if group is None or group.code != CONSENT_GROUP:
        return f"{oid} is not a consent document (document group {CONSENT_GROUP})"
    if consent_meta.status != "active":
        return f"consent {oid} is {consent_meta.status}"
    consent_clients = {c.identifier for c in consent_meta.clients}
    missing = [c for c in clients if c not in consent_clients]
    if missing:
        return f"consent {oid} is not about client(s) {', '.join(missing)}"
    body = _body(consent_content, "luovutussuostumus").get("suostumus")
    if not isinstance(body, Mapping):
        return f"consent {oid} has no suostumus block"
    if not _names(target, body.get("vastaanottajat")):
        return f"consent {oid} does not name the recipient {target.oid}"
    start, end = _day(body.get("voimassa_alkaen")), _day(body.get("voimassa_asti"))
    if start is None or day < start or (end is not None and day > end):
        return f"consent {oid} is not valid on {day} ({start}..{end or ''})"
    tasks = body.get("palvelutehtavat")
    if isinstance(tasks, Sequence) and tasks and not isinstance(tasks, str):
        codes = {t.get("code") for t in tasks if isinstance(t, Mapping)}
        task = doc.service_task.code if doc.service_task else None
        if task not in codes:
            return f"consent {oid} does not cover service task {task}"
    return None


def ban_blocks(
    ban_meta: Metadata, ban_content: Mapping[str, Any], target: Organisation, day: date
) -> bool:
    """True when the ban document is active, started by ``day`` and concerns ``target``."""
    if ban_meta.status != "active":
        return False
    body = _body(ban_content, "luovutuskielto").get("kielto")
    if not isinstance(body, Mapping):
        return True  # an unreadable ban is honoured
    start = _day(body.get("alkamispaiva"))
    if start is not None and day < start:
        return False
    concerns = body.get("koskee")
    if not concerns:
        return True
    return _names(target, concerns)
