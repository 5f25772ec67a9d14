"""Write the CDA form of a document: CDA R2 header + localSocialHeader + base64 body.

What each model field becomes is in docs/cda.md; the reader
(:mod:`kanta_archive.formats.cda_reader`) reads it back into the same model. Fields the
national form has no element for (:data:`cda_common.NOT_IN_CDA`) are not written:
:func:`left_out` names them so that callers can say so.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from lxml import etree

from kanta_archive.formats.cda_common import (
    EP2,
    EP2_NS,
    HETU_ROOT,
    HL7,
    HL7_NS,
    LOCAL_CODED,
    NOT_IN_CDA,
    NOT_IN_CDA_CLIENT,
    PROFESSIONAL_ROOT,
    TYPE_ID_EXTENSION,
    TYPE_ID_ROOT,
    XHTML_MEDIA_TYPE,
    body_id,
    coded_attributes,
    to_ts,
)
from kanta_archive.formats.xhtml_writer import render_display


def left_out(metadata: Mapping[str, Any]) -> list[str]:
    """The metadata fields (JSON Pointers) the CDA form cannot carry."""
    gone = [f"/metadata/{name}" for name in NOT_IN_CDA if name in metadata]
    signature = metadata.get("signature")
    if isinstance(signature, Mapping):
        # The signature type comes from signatureCollection, the digest from the certificate.
        gone += [
            f"/metadata/signature/{k}" for k in ("type", "certificate_sha256") if k in signature
        ]
    clients = metadata.get("clients")
    if isinstance(clients, list):
        for i, client in enumerate(clients):
            if isinstance(client, Mapping):
                gone += [f"/metadata/clients/{i}/{k}" for k in NOT_IN_CDA_CLIENT if k in client]
    return gone


def _el(parent: Any, tag: str, attributes: Mapping[str, str] | None = None) -> Any:
    return etree.SubElement(parent, tag, dict(attributes or {}))


def _text(parent: Any, tag: str, text: str) -> Any:
    element = _el(parent, tag)
    element.text = text
    return element


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id(parent: Any, root: str | None, extension: str | None = None, tag: str = "id") -> Any:
    if root is None:
        return _el(parent, HL7 + tag, {"nullFlavor": "NA"})
    attributes = {"root": root}
    if extension is not None:
        attributes["extension"] = extension
    return _el(parent, HL7 + tag, attributes)


def _organisation(parent: Any, tag: str, oid: str | None, name: str | None = None) -> None:
    organisation = _el(parent, HL7 + tag)
    _id(organisation, oid)
    if name:
        _text(organisation, HL7 + "name", name)


def _header(root: Any, m: Mapping[str, Any]) -> None:
    _el(root, HL7 + "realmCode", {"code": "FI"})
    _el(root, HL7 + "typeId", {"root": TYPE_ID_ROOT, "extension": TYPE_ID_EXTENSION})
    _id(root, _str(m.get("document_oid")))
    general = m.get("document_type")
    if isinstance(general, Mapping):
        _el(root, HL7 + "code", coded_attributes(general))
    else:
        _el(root, HL7 + "code", {"nullFlavor": "NA"})
    _text(root, HL7 + "title", _str(m.get("title")) or "")
    _el(root, HL7 + "effectiveTime", {"value": to_ts(_str(m.get("effective_time")) or "")})
    _el(root, HL7 + "confidentialityCode", coded_attributes(_map(m.get("confidentiality"))))
    _el(root, HL7 + "languageCode", {"code": _str(m.get("language")) or ""})
    _id(root, _str(m.get("set_oid")), tag="setId")
    version = m.get("version")
    _el(root, HL7 + "versionNumber", {"value": str(version) if version is not None else ""})
    for client in m.get("clients") or []:
        client = _map(client)
        role = _el(_el(root, HL7 + "recordTarget"), HL7 + "patientRole")
        if isinstance(client.get("hetu"), str):
            _id(role, HETU_ROOT, client["hetu"])
        elif isinstance(client.get("temporary_id"), str):
            _id(role, client["temporary_id"])
        else:
            _el(role, HL7 + "id", {"nullFlavor": "NI"})
    author = _map(m.get("author"))
    assigned = _el(_el(root, HL7 + "author"), HL7 + "assignedAuthor")
    professional = _str(author.get("professional_id"))
    _id(assigned, PROFESSIONAL_ROOT if professional else None, professional)
    if isinstance(author.get("role"), str):
        _text(_el(assigned, HL7 + "code"), HL7 + "originalText", author["role"])
    _text(_el(assigned, HL7 + "assignedPerson"), HL7 + "name", _str(author.get("name")) or "")
    _organisation(assigned, "representedOrganization", _str(author.get("organisation_oid")))
    controller = _map(m.get("controller"))
    custodian = _el(_el(root, HL7 + "custodian"), HL7 + "assignedCustodian")
    _organisation(
        custodian,
        "representedCustodianOrganization",
        _str(controller.get("oid")),
        _str(controller.get("name")),
    )
    previous = _str(m.get("previous_version_oid"))
    if previous is not None:
        related = _el(root, HL7 + "relatedDocument", {"typeCode": "RPLC"})
        _id(_el(related, HL7 + "parentDocument"), previous)
    consent = m.get("minor_consent")
    if isinstance(consent, Mapping):
        element = _el(_el(root, HL7 + "authorization"), HL7 + "consent")
        _el(element, HL7 + "code", coded_attributes(consent))
        _el(element, HL7 + "statusCode", {"code": "completed"})
    encounter = _el(_el(root, HL7 + "componentOf"), HL7 + "encompassingEncounter")
    _id(encounter, _str(m.get("case_oid")))
    _el(encounter, HL7 + "effectiveTime", {"nullFlavor": "NA"})
    responsible = _str(m.get("responsible_organisation_oid"))
    if responsible is not None:
        entity = _el(_el(encounter, HL7 + "responsibleParty"), HL7 + "assignedEntity")
        _id(entity, None)
        _organisation(entity, "representedOrganization", responsible)
    participant = _el(encounter, HL7 + "encounterParticipant", {"typeCode": "ADM"})
    entity = _el(participant, HL7 + "assignedEntity")
    _id(entity, None)
    _organisation(entity, "representedOrganization", _str(m.get("service_unit_oid")))


def _local_header(root: Any, m: Mapping[str, Any]) -> Any:
    local = _el(root, EP2 + "localSocialHeader")
    for tag, field in LOCAL_CODED:
        value = m.get(field)
        if isinstance(value, Mapping):
            _el(local, EP2 + tag, coded_attributes(value))
        if tag == "specificDocumentType":
            _el(local, EP2 + "creationTime", {"value": to_ts(_str(m.get("created")) or "")})
        if tag == "structuredFileFormat":
            software = m.get("software")
            if isinstance(software, Mapping):
                attributes = {k: v for k, v in software.items() if isinstance(v, str)}
                _el(local, EP2 + "softwareSupport", attributes)
        if tag == "registryType":
            organiser = m.get("organiser")
            if isinstance(organiser, Mapping):
                _el(local, EP2 + "outsourcingServiceCustomer", {"root": str(organiser.get("oid"))})
                if isinstance(organiser.get("name"), str):
                    _text(local, EP2 + "outsourcingServiceCustomerName", organiser["name"])
    _text(local, EP2 + "contentSpecificationId", _str(m.get("structure")) or "")
    customership = _str(m.get("customership_oid"))
    if customership is not None:
        _el(local, EP2 + "encompassingClientRelationship", {"root": customership})
    process = m.get("service_process")
    if isinstance(process, Mapping):
        element = _el(local, EP2 + "serviceProcess")
        for part in ("type", "code"):
            if isinstance(process.get(part), Mapping):
                _el(element, EP2 + part, coded_attributes(process[part]))
    if isinstance(m.get("restriction_reason"), str):
        _text(local, EP2 + "authorizationRestrictionArgument", m["restriction_reason"])
    if isinstance(m.get("inaccessible_reason"), Mapping):
        _el(local, EP2 + "inaccessibleArgument", coded_attributes(m["inaccessible_reason"]))
    signature = m.get("signature")
    if isinstance(signature, Mapping):
        element = _el(local, EP2 + "signature")
        signer = _el(element, EP2 + "signer")
        _text(signer, EP2 + "name", _str(signature.get("signer")) or "")
        if isinstance(signature.get("method"), Mapping):
            _el(element, EP2 + "authenticationMethod", coded_attributes(signature["method"]))
        _el(element, EP2 + "time", {"value": to_ts(_str(signature.get("signed_at")) or "")})
    return local


def _b64(data: bytes) -> str:
    # Lines of 76 characters, as MIME writes base64: the form real documents use.
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def render_cda(
    metadata: Mapping[str, Any],
    content: Mapping[str, Any],
    structure_schema: Mapping[str, Any] | None = None,
) -> bytes:
    """The CDA form of a document model, UTF-8 with an XML declaration.

    ``storage_format`` is not written (the form is CDA; the reader says ``cda``). The
    display form is rendered from the content with the structure schema's labels.
    """
    root = etree.Element(HL7 + "ClinicalDocument", nsmap={None: HL7_NS, "ep2": EP2_NS})  # type: ignore[dict-item]
    _header(root, metadata)
    _local_header(root, metadata)
    body = _el(_el(root, HL7 + "component"), HL7 + "nonXMLBody")
    body.set("ID", body_id(_str(metadata.get("document_oid")) or ""))
    language = _str(metadata.get("language")) or "fi"
    display = render_display(content, structure_schema, language, _str(metadata.get("title")) or "")
    text = _el(body, HL7 + "text", {"mediaType": XHTML_MEDIA_TYPE, "representation": "B64"})
    text.text = _b64(display)
    structured = json.dumps(dict(content), ensure_ascii=False, indent=2).encode("utf-8")
    _text(body, EP2 + "json", _b64(structured))
    data: bytes = etree.tostring(
        etree.ElementTree(root), encoding="UTF-8", xml_declaration=True, pretty_print=True
    )
    return data


_COPIED = ("id", "code", "title", "effectiveTime", "setId", "versionNumber")


def frame_cda(
    document: bytes,
    *,
    message_id: str,
    created: str,
    service_request: str,
    usage_situation: str,
) -> bytes:
    """Wrap the CDA ``document`` in its HL7 V3 archiving message ``RCMR_IN200002FI01``.

    The message carries its id, creation time (HL7 TS), the service request (code system
    1.2.246.537.6.1503, e.g. ``SP1``) and usage situation (1.2.246.537.6.1289, e.g. ``1``)
    as ``reasonCode``s, the header copy ``subject/clinicalDocument`` (id, code, title,
    times, set, version, clients, custodian) and, after it, the document itself: where a
    real message attaches it, kanta-archive reads it inline (docs/cda.md, "The frame").
    """
    from kanta_archive.formats.xhtml_reader import parse_secure

    doc, refused = parse_secure(document, "cda")
    if refused is not None or doc.tag != HL7 + "ClinicalDocument":
        raise ValueError("not a CDA document")
    message = etree.Element(HL7 + "RCMR_IN200002FI01", nsmap={None: HL7_NS, "ep2": EP2_NS})  # type: ignore[dict-item]
    _el(message, HL7 + "id", {"root": message_id})
    _el(message, HL7 + "creationTime", {"value": to_ts(created)})
    _el(
        message,
        HL7 + "interactionId",
        {"root": "2.16.840.1.113883.1.6", "extension": "RCMR_IN200002FI01"},
    )
    _el(message, HL7 + "processingCode", {"code": "P"})
    _el(message, HL7 + "processingModeCode", {"code": "T"})
    _el(message, HL7 + "acceptAckCode", {"code": "AL"})
    for role in ("receiver", "sender"):
        device = _el(
            _el(message, HL7 + role, {"typeCode": "RCV" if role == "receiver" else "SND"}),
            HL7 + "device",
        )
        _id(device, None)
    process = _el(message, HL7 + "controlActProcess", {"moodCode": "EVN"})
    _el(
        process,
        HL7 + "reasonCode",
        {"code": service_request, "codeSystem": "1.2.246.537.6.1503.201601"},
    )
    _el(
        process,
        HL7 + "reasonCode",
        {"code": usage_situation, "codeSystem": "1.2.246.537.6.1289.201901"},
    )
    subject = _el(process, HL7 + "subject", {"typeCode": "SUBJ"})
    header = _el(subject, HL7 + "clinicalDocument")
    for name in _COPIED:
        for part in doc.findall(HL7 + name):
            header.append(copy_element(part))
    for name in ("recordTarget", "custodian"):
        for part in doc.findall(HL7 + name):
            header.append(copy_element(part))
    subject.append(doc)
    data: bytes = etree.tostring(
        etree.ElementTree(message), encoding="UTF-8", xml_declaration=True, pretty_print=True
    )
    return data


def copy_element(el: Any) -> Any:
    """A deep copy of ``el`` without its tail."""
    import copy

    new = copy.deepcopy(el)
    new.tail = None
    return new
