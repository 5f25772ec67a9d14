"""Names shared by the CDA reader and writer: namespaces, code systems, time stamps.

The CDA form is an HL7 CDA R2 document of the Finnish social-welfare profile: the
metadata in the CDA header and in ``ep2:localSocialHeader`` (namespace
``urn:hl7finland``), the XHTML display form and the Sosmeta JSON structured form as
base64 in ``component/nonXMLBody``. docs/cda.md maps every element to the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

HL7_NS = "urn:hl7-org:v3"
EP2_NS = "urn:hl7finland"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
HL7 = f"{{{HL7_NS}}}"
EP2 = f"{{{EP2_NS}}}"

CDA_ROOT = HL7 + "ClinicalDocument"
FRAME_ROOT = HL7 + "RCMR_IN200002FI01"

HETU_ROOT = "1.2.246.21"
PROFESSIONAL_ROOT = "1.2.246.537.26"
TYPE_ID_ROOT = "2.16.840.1.113883.1.3"
TYPE_ID_EXTENSION = "POCD_HD000040"
XHTML_MEDIA_TYPE = "application/xhtml+xml"
# Signature types (1.2.246.537.5.40127): 1 professional, 3 system signature.
SIGNATURE_TYPE_SYSTEM = "1.2.246.537.5.40127"
# The frame's reason codes: the service request and the usage situation.
SERVICE_REQUEST_SYSTEM = "1.2.246.537.6.1503"
USAGE_SITUATION_SYSTEM = "1.2.246.537.6.1289"

# localSocialHeader children that are coded values, in the order the writer writes them,
# with the model field each one carries.
LOCAL_CODED: tuple[tuple[str, str], ...] = (
    ("specificDocumentType", "specific_document_type"),
    ("documentGroup", "document_group"),
    ("fileFormat", "file_format"),
    ("structuredFileFormat", "structured_file_format"),
    ("functionCode", "service_task"),
    ("recordStatus", "record_status"),
    ("registryType", "register"),
    ("totalRetentionPeriodClass", "retention_class"),
    ("specialContent", "special_content"),
)

# Model fields the CDA form has no element for (docs/metadata.md marks them "own").
NOT_IN_CDA = ("patient_data", "common_matter_oid", "status", "invalidation")
NOT_IN_CDA_CLIENT = ("non_disclosure",)

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
)
_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?:(\d{2})(\.\d{1,6})?)?([+-]\d{4})$")


def to_ts(iso: str) -> str:
    """``2024-06-10T14:20:00+03:00`` -> HL7 TS ``20240610142000+0300``; other text as is."""
    match = _ISO.match(iso)
    if match is None:
        return iso
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    zone = "+0000" if zone == "Z" else zone.replace(":", "")
    return f"{year}{month}{day}{hour}{minute}{second or ''}{fraction or ''}{zone}"


def from_ts(ts: str) -> str:
    """HL7 TS ``20240610142000+0300`` -> ``2024-06-10T14:20:00+03:00`` (UTC as ``Z``);
    text that is not a TS with a zone is returned as is, for the schema to report."""
    match = _TS.match(ts)
    if match is None:
        return ts
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    zone = "Z" if zone == "+0000" else f"{zone[:3]}:{zone[3:]}"
    seconds = f":{second}{fraction or ''}" if second else ""
    return f"{year}-{month}-{day}T{hour}:{minute}{seconds}{zone}"


def code_system(system: Any) -> str:
    """``urn:oid:1.2.3`` -> ``1.2.3`` (the CDA codeSystem attribute)."""
    text = system if isinstance(system, str) else ""
    return text.removeprefix("urn:oid:")


def coded_attributes(value: Mapping[str, Any]) -> dict[str, str]:
    """CDA attributes (code, codeSystem, displayName) of a model coded value."""
    attributes: dict[str, str] = {}
    if isinstance(value.get("code"), str):
        attributes["code"] = value["code"]
    if isinstance(value.get("system"), str):
        attributes["codeSystem"] = code_system(value["system"])
    if isinstance(value.get("display"), str):
        attributes["displayName"] = value["display"]
    return attributes


def body_id(document_oid: str) -> str:
    """The ``nonXMLBody/@ID`` of a document: ``OID`` + its OID (an XML ID cannot start
    with a digit)."""
    return f"OID{document_oid}"
