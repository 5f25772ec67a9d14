"""Read the CDA form (a ``ClinicalDocument``, alone or in its ``RCMR_IN200002FI01`` frame).

The metadata come from the CDA header and ``ep2:localSocialHeader`` (docs/cda.md maps
each element), the content from the base64 Sosmeta JSON in ``nonXMLBody/ep2:json``,
and the display form from the base64 XHTML in ``nonXMLBody/text``. Findings point into
the CDA (XPath and line) or, for the content, into the decoded JSON (JSON Pointer, and
line/column inside the decoded JSON; the XPath then ends in ``(decoded JSON)``).
The XML is hostile input: parsed by :func:`xhtml_reader.parse_secure`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import pybase64
from lxml import etree

from kanta_archive.findings import Finding, error
from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.cda_common import (
    CDA_ROOT,
    EP2,
    EP2_NS,
    FRAME_ROOT,
    HETU_ROOT,
    HL7_NS,
    LOCAL_CODED,
    PROFESSIONAL_ROOT,
    XHTML_MEDIA_TYPE,
    from_ts,
)
from kanta_archive.formats.outcome import ReadOutcome
from kanta_archive.formats.xhtml_common import XHTML
from kanta_archive.formats.xhtml_reader import XPathNamer, parse_secure, xpath_with
from kanta_archive.limits import DEFAULT_LIMITS, InputLimits
from kanta_archive.model import NOWHERE, CdaSource, Document, SourcePosition, XmlSource

_PREFIXES = {HL7_NS: "hl7:", EP2_NS: "ep2:"}
_NS = {"h": HL7_NS, "e": EP2_NS}
DECODED_JSON = " (decoded JSON)"


def xpath_of(el: Any) -> str:
    """``/hl7:ClinicalDocument/hl7:recordTarget[2]/...``: prefixes ``hl7`` and ``ep2``."""
    return xpath_with(el, _PREFIXES)


class _Refused(Exception):
    def __init__(self, code: str, message: str, element: Any) -> None:
        super().__init__(message)
        self.code = code
        self.element = element


class _Children:
    """The children of each element asked about, by tag, listed once: the reader asks
    about 50 paths per document, most of them under the same few parents."""

    def __init__(self) -> None:
        self._by_tag: dict[Any, dict[str, list[Any]]] = {}

    def of(self, el: Any, tag: str) -> list[Any]:
        """The children of ``el`` with ``tag``, in document order."""
        index = self._by_tag.get(el)
        if index is None:
            index = {}
            for child in el.iterchildren(etree.Element):  # elements only, in C
                index.setdefault(child.tag, []).append(child)
            self._by_tag[el] = index
        return index.get(tag, [])


def _find(el: Any, path: str, children: _Children | None = None) -> Any:
    """``el.find(path)`` with the prefixes ``h`` and ``e``; a path of plain child steps is
    walked child by child (the same first element in document order, at a third of
    ElementPath's cost), with ``children`` from its listings where given."""
    steps = _child_steps(path)
    if steps is None:
        return el.find(path, _NS)
    return _first(el, steps, children)


@lru_cache(maxsize=256)
def _child_steps(path: str) -> tuple[str, ...] | None:
    """``h:a/e:b`` as expanded names, or ``None`` for a path with anything else in it."""
    steps = []
    for step in path.split("/"):
        prefix, colon, name = step.partition(":")
        if not colon or prefix not in _NS or not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
            return None
        steps.append(f"{{{_NS[prefix]}}}{name}")
    return tuple(steps)


def _first(el: Any, steps: tuple[str, ...], children: _Children | None) -> Any:
    candidates = children.of(el, steps[0]) if children is not None else el.iterchildren(steps[0])
    for child in candidates:
        if len(steps) == 1:
            return child
        found = _first(child, steps[1:], children)
        if found is not None:
            return found
    return None


def _findall(el: Any, path: str) -> list[Any]:
    return list(el.findall(path, {"h": HL7_NS, "e": EP2_NS}))


def _coded(el: Any) -> dict[str, str] | None:
    if el is None or el.get("nullFlavor") is not None:
        return None
    value: dict[str, str] = {}
    system = el.get("codeSystem")
    if system is not None:
        value["system"] = f"urn:oid:{system}"
    if el.get("code") is not None:
        value["code"] = el.get("code")
    if el.get("displayName") is not None:
        value["display"] = el.get("displayName")
    return value


def _root_of(el: Any) -> str | None:
    if el is None or el.get("nullFlavor") is not None:
        return None
    root: str | None = el.get("root")
    return root


def _text(el: Any) -> str | None:
    return None if el is None else "".join(el.itertext())


def _organisation(oid: str | None, name: str | None) -> dict[str, str]:
    """``{"oid", "name"}`` of the model, without the parts the CDA leaves out."""
    value: dict[str, str] = {}
    if oid is not None:
        value["oid"] = oid
    if name is not None:
        value["name"] = name
    return value


class _Reader:
    """Builds the model-2 metadata of one ClinicalDocument, remembering each element."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.elements: dict[str, Any] = {"/metadata": doc}
        self.meta: dict[str, Any] = {}
        self._children = _Children()

    def find(self, el: Any, path: str) -> Any:
        """:func:`_find`, each element's children looked up by tag from one listing."""
        return _find(el, path, self._children)

    def put(self, field: str, value: Any, el: Any) -> None:
        if value is None:
            return
        self.meta[field] = value
        self.elements[f"/metadata/{field}"] = el

    def header(self) -> None:
        d = self.doc
        self.put("document_oid", _root_of(self.find(d, "h:id")), self.find(d, "h:id"))
        self.put("set_oid", _root_of(self.find(d, "h:setId")), self.find(d, "h:setId"))
        version_el = self.find(d, "h:versionNumber")
        if version_el is not None:
            text = version_el.get("value", "")
            self.put(
                "version", int(text) if re.fullmatch(r"[0-9]{1,18}", text) else text, version_el
            )
        previous = self.find(d, "h:relatedDocument[@typeCode='RPLC']/h:parentDocument/h:id")
        self.put("previous_version_oid", _root_of(previous), previous)
        effective = self.find(d, "h:effectiveTime")
        if effective is not None:
            self.put("effective_time", from_ts(effective.get("value", "")), effective)
        language = self.find(d, "h:languageCode")
        if language is not None:
            self.put("language", language.get("code", "").lower(), language)
        self.meta["storage_format"] = "cda"
        title = self.find(d, "h:title")
        self.put("title", _text(title), title)
        confidentiality = self.find(d, "h:confidentialityCode")
        self.put("confidentiality", _coded(confidentiality), confidentiality)
        self.put("document_type", _coded(self.find(d, "h:code")), self.find(d, "h:code"))

    def local(self) -> None:
        local = self.find(self.doc, "e:localSocialHeader")
        if local is None:
            raise _Refused("KA-DOCUMENT-SHAPE", "the CDA has no ep2:localSocialHeader", self.doc)
        for tag, field in LOCAL_CODED:
            el = self.find(local, f"e:{tag}")
            self.put(field, _coded(el), el)
        created = self.find(local, "e:creationTime")
        if created is not None:
            self.put("created", from_ts(created.get("value", "")), created)
        software = self.find(local, "e:softwareSupport")
        if software is not None:
            attributes = {k: software.get(k) for k in ("moderator", "product", "version")}
            self.put("software", {k: v for k, v in attributes.items() if v is not None}, software)
        organiser = self.find(local, "e:outsourcingServiceCustomer")
        if organiser is not None:
            name = _text(self.find(local, "e:outsourcingServiceCustomerName"))
            self.put("organiser", _organisation(organiser.get("root"), name), organiser)
        spec = self.find(local, "e:contentSpecificationId")
        self.put("structure", _text(spec), spec)
        relationship = self.find(local, "e:encompassingClientRelationship")
        self.put("customership_oid", _root_of(relationship), relationship)
        process = self.find(local, "e:serviceProcess")
        if process is not None:
            parts = {p: _coded(self.find(process, f"e:{p}")) for p in ("type", "code")}
            self.put("service_process", {k: v for k, v in parts.items() if v}, process)
        restriction = self.find(local, "e:authorizationRestrictionArgument")
        self.put("restriction_reason", _text(restriction), restriction)
        inaccessible = self.find(local, "e:inaccessibleArgument")
        self.put("inaccessible_reason", _coded(inaccessible), inaccessible)
        signature = self.find(local, "e:signature")
        if signature is not None:
            block: dict[str, Any] = {}
            name = _text(self.find(signature, "e:signer/e:name"))
            if name is not None:
                block["signer"] = name
            time = self.find(signature, "e:time")
            if time is not None:
                block["signed_at"] = from_ts(time.get("value", ""))
            method = _coded(self.find(signature, "e:authenticationMethod"))
            if method:
                block["method"] = method
            kind = self.find(local, "signatureCollection/signature/signatureDescription")
            if kind is None:
                kind = local.find(
                    f"{{{EP2_NS}}}signatureCollection/{EP2}signature/{EP2}signatureDescription"
                )
            if _coded(kind):
                block["type"] = _coded(kind)
            self.put("signature", block, signature)

    def parties(self) -> None:
        d = self.doc
        clients: list[dict[str, Any]] = []
        for i, target in enumerate(_findall(d, "h:recordTarget")):
            ident = self.find(target, "h:patientRole/h:id")
            client: dict[str, Any] = {}
            if ident is not None and ident.get("root") == HETU_ROOT:
                if ident.get("extension") is not None:
                    client["hetu"] = ident.get("extension")
            elif _root_of(ident) is not None:
                client["temporary_id"] = _root_of(ident)
            clients.append(client)
            self.elements[f"/metadata/clients/{i}"] = target
            for key in client:
                self.elements[f"/metadata/clients/{i}/{key}"] = ident
        self.put("clients", clients, self.find(d, "h:recordTarget") if clients else d)
        assigned = self.find(d, "h:author/h:assignedAuthor")
        if assigned is not None:
            author: dict[str, str] = {}
            name = _text(self.find(assigned, "h:assignedPerson/h:name"))
            if name is not None:
                author["name"] = name
            role = _text(self.find(assigned, "h:code/h:originalText"))
            if role is not None:
                author["role"] = role
            org = self.find(assigned, "h:representedOrganization/h:id")
            if _root_of(org) is not None:
                author["organisation_oid"] = str(_root_of(org))
                self.elements["/metadata/author/organisation_oid"] = org
            professional = self.find(assigned, "h:id")
            if (
                professional is not None
                and professional.get("root") == PROFESSIONAL_ROOT
                and professional.get("extension") is not None
            ):
                author["professional_id"] = professional.get("extension")
            self.put("author", author, assigned)
        custodian = self.find(
            d, "h:custodian/h:assignedCustodian/h:representedCustodianOrganization"
        )
        if custodian is not None:
            ident = self.find(custodian, "h:id")
            if _root_of(ident) is not None:
                self.elements["/metadata/controller/oid"] = ident
            name = _text(self.find(custodian, "h:name"))
            self.put("controller", _organisation(_root_of(ident), name), custodian)
        consent = self.find(d, "h:authorization/h:consent/h:code")
        self.put("minor_consent", _coded(consent), consent)
        encounter = self.find(d, "h:componentOf/h:encompassingEncounter")
        if encounter is not None:
            case = self.find(encounter, "h:id")
            self.put("case_oid", _root_of(case), case)
            unit = self.find(
                encounter,
                "h:encounterParticipant[@typeCode='ADM']/h:assignedEntity/h:representedOrganization/h:id",
            )
            self.put("service_unit_oid", _root_of(unit), unit)
            responsible = self.find(
                encounter, "h:responsibleParty/h:assignedEntity/h:representedOrganization/h:id"
            )
            self.put("responsible_organisation_oid", _root_of(responsible), responsible)


def _decode(el: Any, what: str) -> bytes:
    """The base64 text of ``el`` decoded, white space between its lines ignored.

    pybase64 (SIMD) decodes the usual text, lines broken by CR/LF only: a text it takes
    strictly holds nothing but the alphabet and padding, so it is what the standard
    library's strict decoding of the text without white space gives (a property test
    holds them together). Anything else (other white space, a refusal) is decoded by the
    standard library, whose error the finding quotes."""
    text = "".join(el.itertext())
    try:
        decoded: bytes = pybase64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
        return decoded
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Refused("KA-CDA-BASE64", f"{what} is not valid base64: {exc}", el) from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _content(json_el: Any, limits: InputLimits) -> tuple[dict[str, Any], str]:
    from kanta_archive.formats.json_reader import MAX_JSON_DEPTH, members_over, too_deep

    raw = _decode(json_el, "ep2:json")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _Refused(
            "KA-CDA-JSON", f"the decoded ep2:json is not UTF-8 (byte {exc.start})", json_el
        ) from exc
    # The JSON form's limits hold for the JSON inside a CDA too (input-hardening).
    members = members_over(text, limits.max_members)
    if members is not None:
        message = (
            f"the decoded ep2:json holds {members} members and array items, over the limit "
            f"of {limits.max_members} (--max-members)"
        )
        raise _Refused("KA-LIMIT-MEMBERS", message, json_el)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise _Refused(
            "KA-CDA-JSON",
            f"the decoded ep2:json is not JSON: {exc.msg} (line {exc.lineno}, column "
            f"{exc.colno} of the decoded JSON)",
            json_el,
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise _Refused("KA-CDA-JSON", f"the decoded ep2:json is refused: {exc}", json_el) from exc
    if not isinstance(value, dict):
        raise _Refused("KA-CDA-JSON", "the decoded ep2:json is not a JSON object", json_el)
    if too_deep(value, text):
        message = f"the decoded ep2:json is nested more than {MAX_JSON_DEPTH} levels deep"
        raise _Refused("KA-CDA-JSON", message, json_el)
    return value, text


def _display(text_el: Any, limits: InputLimits) -> str:
    if text_el.get("mediaType") != XHTML_MEDIA_TYPE or text_el.get("representation") != "B64":
        raise _Refused(
            "KA-DOCUMENT-SHAPE",
            f"nonXMLBody/text must have mediaType='{XHTML_MEDIA_TYPE}' and representation='B64'",
            text_el,
        )
    raw = _decode(text_el, "nonXMLBody/text")
    root, refused = parse_secure(raw, "cda", limits)
    if refused is not None:
        reason = "; ".join(f"{f.code} {f.message}" for f in refused.findings)
        line = refused.findings[0].location.line if refused.findings else None
        where = f" (line {line} of the decoded XHTML)" if line else ""
        raise _Refused("KA-CDA-DISPLAY", f"the display form is refused{where}: {reason}", text_el)
    if root.tag != XHTML + "div":
        raise _Refused("KA-CDA-DISPLAY", "the display form must be an XHTML <div> element", text_el)
    return raw.decode("utf-8")


def _locator(
    elements: Mapping[str, Any], json_el: Any, json_text: str
) -> Callable[[str], SourcePosition]:
    from kanta_archive.formats.json_positions import JsonLocator

    json_xpath: list[str] = []  # named on first use: most documents never need it
    # Both place many findings in one pass over the text or tree (input-hardening).
    in_json = JsonLocator(json_text)
    name = XPathNamer(_PREFIXES)

    def locate(pointer: str) -> SourcePosition:
        if pointer == "/content" or pointer.startswith("/content/"):
            line, column = in_json.line_column(in_json.offset(pointer[len("/content") :]))
            if not json_xpath:
                json_xpath.append(xpath_of(json_el) + DECODED_JSON)
            return SourcePosition(line=line, column=column, xpath=json_xpath[0])
        for candidate in ptr.parents(pointer):
            el = elements.get(candidate)
            if el is not None:
                return SourcePosition(line=el.sourceline, xpath=name(el))
        return NOWHERE

    return locate


def _refusal(exc: _Refused) -> Finding:
    el = exc.element
    return error(exc.code, str(exc), xpath=xpath_of(el), line=el.sourceline)


def read_cda(data: bytes, source: str, limits: InputLimits = DEFAULT_LIMITS) -> ReadOutcome:
    """Parse ``data`` as the CDA form (or its frame); findings explain any failure."""
    root, refused = parse_secure(data, "cda", limits)
    if refused is not None:
        return refused
    frame = None
    doc = root
    if root.tag == FRAME_ROOT:
        frame = root
        found = list(root.iter(CDA_ROOT))
        if len(found) != 1:
            finding = error(
                "KA-DOCUMENT-SHAPE",
                f"the RCMR_IN200002FI01 message must hold exactly one ClinicalDocument, "
                f"not {len(found)}",
                xpath=xpath_of(root),
                line=root.sourceline,
            )
            return ReadOutcome(None, (finding,), "cda")
        doc = found[0]
    elif root.tag != CDA_ROOT:
        finding = error(
            "KA-DOCUMENT-SHAPE",
            "the root element must be ClinicalDocument or RCMR_IN200002FI01 (urn:hl7-org:v3)",
            xpath=xpath_of(root),
            line=root.sourceline,
        )
        return ReadOutcome(None, (finding,), "cda")
    reader = _Reader(doc)
    try:
        reader.header()
        reader.parties()
        reader.local()
        body = reader.find(doc, "h:component/h:nonXMLBody")
        if body is None:
            raise _Refused("KA-DOCUMENT-SHAPE", "the CDA has no component/nonXMLBody", doc)
        text_el, json_el = reader.find(body, "h:text"), reader.find(body, "e:json")
        if text_el is None or json_el is None:
            raise _Refused(
                "KA-DOCUMENT-SHAPE", "nonXMLBody must hold text (XHTML) and ep2:json", body
            )
        display = _display(text_el, limits)
        content, json_text = _content(json_el, limits)
    except _Refused as exc:
        return ReadOutcome(None, (_refusal(exc),), "cda")
    elements = reader.elements
    elements["/content"] = json_el
    if frame is not None:
        elements["/frame"] = frame
        copy = frame.find("h:controlActProcess/h:subject/h:clinicalDocument", _NS)
        for name in ("id", "setId", "versionNumber", "recordTarget", "custodian"):
            part = copy.find(f"h:{name}", _NS) if copy is not None else None
            if part is not None:
                elements[f"/frame/{name}"] = part
        reason = frame.find("h:controlActProcess/h:reasonCode", _NS)
        if reason is not None:
            elements["/frame/reasonCode"] = reason
    document = Document(
        source=source,
        format="cda",
        raw=data,
        metadata_raw=reader.meta,
        content=content,
        locate=_locator(elements, json_el, json_text),
        xml=XmlSource(root, doc, elements),
        cda=CdaSource(doc, frame, display, json_text),
    )
    return ReadOutcome(document, (), "cda")
