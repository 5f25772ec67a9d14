"""Disclosure (luovutus) rules: who may hand which documents to whom.

- The disclosing organisation (``--as``) is the controller of every document (or a unit
  of that public organisation); both it and the recipient are registered and valid on the
  disclosure date, and the recipient is not the controller itself.
- Within social welfare (recipient sector ``public`` or ``private``) every client of the
  document must have been informed about Kanta (``clients inform``) on or before the date.
- To health care (recipient sector ``health_care``) a consent document is required: the
  client's disclosure consent (document type 4, THL's ``luovutuslupa_asiakirja``, structure
  1.2.246.537.6.1505.8), stored, active, about the same client(s), in force
  (``voimassa_oleva_luovutuslupa/luovutuslupa: true``) and given
  (``luovutusluvan_antamisen_ajankohta``) on or before the date. The real consent names no
  recipient: it covers the client's social-welfare data for any recipient.
- A disclosure ban document (type 5, THL's ``kieltoasiakirja``, 1.2.246.537.6.1505.9) of a
  client, active, blocks disclosing a document whatever the recipient when, set on or
  before the date, it bans the data of the document's controller
  (``rekisterinpitajaa_koskeva_luovutuskielto``), of its service task
  (``palvelutehtavaa_koskeva_luovutuskielto``) or the document itself
  (``asiakirjaa_koskeva_luovutuskielto``, by document or set OID).
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


def consent_problem(
    consent_meta: Metadata,
    consent_content: Mapping[str, Any],
    doc: Metadata,
    clients: Sequence[str],
    target: Organisation,
    day: date,
) -> str | None:
    """Why ``consent`` does not allow disclosing ``doc`` on ``day``, or None (the consent
    names no recipient: ``target`` is not checked against it)."""
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
    body = _body(consent_content, "luovutuslupa_asiakirja").get("voimassa_oleva_luovutuslupa")
    if not isinstance(body, Mapping):
        return f"consent {oid} has no voimassa_oleva_luovutuslupa block"
    if body.get("luovutuslupa") is not True:
        return f"consent {oid} is not in force (luovutuslupa is not true)"
    given = _day(body.get("luovutusluvan_antamisen_ajankohta"))
    if given is None or day < given:
        return f"consent {oid} is not valid on {day} (given {given or 'on no date'})"
    return None


def _codes(values: Any) -> set[str]:
    items = values if isinstance(values, list) else []
    return {str(v.get("code")) for v in items if isinstance(v, Mapping)}


def _bans(body: Mapping[str, Any], group: str, entry: str) -> list[Mapping[str, Any]]:
    holder = body.get(group)
    items = holder.get(entry) if isinstance(holder, Mapping) else None
    return [b for b in items if isinstance(b, Mapping)] if isinstance(items, list) else []


def ban_blocks(
    ban_meta: Metadata,
    ban_content: Mapping[str, Any],
    doc: Metadata,
    controller_oid: str,
    day: date,
) -> bool:
    """True when the active ban, set by ``day``, covers ``doc`` (its controller, its service
    task, or the document itself)."""
    if ban_meta.status != "active":
        return False
    body = _body(ban_content, "kieltoasiakirja")
    if not body:
        return True  # an unreadable ban is honoured
    document_oids = {doc.document_oid, doc.set_oid} - {None}
    task = doc.service_task.code if doc.service_task else None
    for ban in _bans(body, "rekisterinpitajaa_koskevat_luovutuskiellot",
                     "rekisterinpitajaa_koskeva_luovutuskielto"):  # fmt: skip
        named = _codes(ban.get("rekisterinpitaja_jonka_tietojen_luovutus_kielletaan"))
        if ({controller_oid, root_oid(controller_oid)} & named) and _set_by(ban, day):
            return True
    for ban in _bans(body, "palvelutehtavaa_koskevat_luovutuskiellot",
                     "palvelutehtavaa_koskeva_luovutuskielto"):  # fmt: skip
        named = _codes(ban.get("palvelutehtava_jonka_tietojen_luovutus_kielletaan"))
        if task in named and _set_by(ban, day):
            return True
    for ban in _bans(body, "asiakirjoja_koskevat_luovutuskiellot",
                     "asiakirjaa_koskeva_luovutuskielto"):  # fmt: skip
        listed = ban.get("asiakirja_jonka_luovutus_kielletaan")
        oids = {
            str((item.get("oid_tunnus") or {}).get("value"))
            for item in (listed if isinstance(listed, list) else [])
            if isinstance(item, Mapping)
        }
        if (document_oids & oids) and _set_by(ban, day):
            return True
    return False


def _set_by(ban: Mapping[str, Any], day: date) -> bool:
    start = _day(ban.get("kiellon_asettamisen_ajankohta"))
    return start is None or start <= day
