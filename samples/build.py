# ruff: noqa: E501  (the sample tables below read best one entry to a line)
"""Rebuild the samples from the valid JSON documents: XHTML twins, signatures, invalid ones.

    .venv/bin/python samples/build.py          # rebuild, then check every sample
    .venv/bin/python samples/build.py --check  # only check (what the tests also do)

The valid JSON documents in ``valid/`` are the sources: edit them (content, or metadata when
the metadata model changes) and run this script. It

1. signs each valid document whose metadata names a signer (``metadata.signature``), with
   the signer's public TEST-ONLY key from ``keys/`` at the signing time the metadata gives;
2. writes its XHTML twin (``render`` of the JSON, signed the same way);
3. writes each derived invalid sample of :data:`INVALID_SAMPLES` (one defect made on a valid one,
   in JSON, XHTML or both) and its ``.expected`` file, from what validation finds, after
   checking that the errors are exactly the declared one: a sample whose defect shows up
   wrong (or that gets a second error) stops the script;
4. leaves alone the invalid samples that are not documents (binary, encodings, broken
   syntax, hostile XML): they are listed in :data:`STATIC`;
5. writes the CDA samples (``cda/``): every valid JSON sample rendered with ``render --to
   cda`` and signed as its JSON twin is (not the common-matter ones, which CDA cannot
   carry), one in its archiving message (``--frame SP1``), and the invalid CDA samples of
   :data:`CDA_INVALID`, each checked to get exactly its one error;
6. rebuilds the tables of ``invalid/README.md`` and ``cda/README.md`` from the
   ``.expected`` files.

The metadata is model 2 (``docs/metadata.md``); when the model changes, move the valid
JSON samples with ``kanta_archive.upgrade.upgrade_metadata`` (or edit them) and run this.

Everything is deterministic: a rebuild without edits leaves every file byte-identical.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kanta_archive.formats.xhtml_writer import render_xhtml  # noqa: E402
from kanta_archive.identifiers import parse_datetime  # noqa: E402
from kanta_archive.schemas import SchemaRegistry  # noqa: E402
from kanta_archive.validate import Validator  # noqa: E402

VALID, INVALID, KEYS = HERE / "valid", HERE / "invalid", HERE / "keys"
SIGNERS = {
    "Liisa Laine": ("TEST-ONLY-signing-key.pem", "TEST-ONLY-signing-cert.pem"),
    "Antti Niemi": ("TEST-ONLY-signing-key-antti-niemi.pem", "TEST-ONLY-signing-cert-antti-niemi.pem"),
}  # fmt: skip
STATIC = (
    "binary.json", "empty.json", "latin1.json", "malformed-json.json", "malformed-xml.xhtml",
    "not-a-document.txt", "utf16.json", "xml-billion-laughs.xhtml", "xml-doctype-system.xhtml",
    "xml-external-entity.xhtml",
)  # fmt: skip

Doc = dict[str, Any]


# ------------------------------------------------------------------ signing and rendering


def _material(signer: str) -> Any:
    from kanta_archive.signatures.verify import load_signing_material

    key, cert = SIGNERS[signer]
    return load_signing_material((KEYS / key).read_bytes(), (KEYS / cert).read_bytes())


def _signing(doc: Doc) -> tuple[Any, datetime] | None:
    block = doc["metadata"].get("signature")
    if not isinstance(block, dict):
        return None
    return _material(block["signer"]), parse_datetime(block["signed_at"])


def json_bytes(doc: Doc, *, sign: bool = True) -> bytes:
    """The JSON form: signed (JWS) when the metadata names a signer."""
    from kanta_archive.signatures.json_jws import sign_json

    whole: Doc = {
        "metadata": {**doc["metadata"], "storage_format": "json"},
        "content": doc["content"],
    }
    signing = _signing(whole) if sign else None
    if signing is not None:
        whole = sign_json(whole, *signing)
    return (json.dumps(whole, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def xhtml_bytes(doc: Doc, registry: SchemaRegistry, *, sign: bool = True) -> bytes:
    """The XHTML form (labels from the structure), signed (XAdES) when the metadata names a
    signer; the signature's tokens are seeded by the document, so the bytes are stable."""
    import hashlib

    from lxml import etree

    from kanta_archive.signatures.xml_dsig import sign_xhtml

    meta = doc["metadata"]
    structure = registry.get(str(meta["structure"]))  # the full dated OID
    data = render_xhtml(meta, doc["content"], structure.schema if structure else None)
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    # Read and written again, as a tool that edits a sample would write it (an empty
    # element as <title/>): tests/unit/test_xhtml_variants.py edits samples that way.
    data = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True) + b"\n"
    signing = _signing(doc) if sign else None
    if signing is None:
        return data
    seed = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    return sign_xhtml(root, *signing, token_seed=seed)


def load(stem: str) -> Doc:
    """A valid sample's metadata and content (its signature, if any, dropped)."""
    data = json.loads((VALID / f"{stem}.json").read_text(encoding="utf-8"))
    return {"metadata": data["metadata"], "content": data["content"]}


# ------------------------------------------------------------------ the invalid samples


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *parents, last = path.strip("/").split("/")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        index: Any = int(last) if isinstance(node, list) else last
        if value is _DELETE:
            del node[index]
        else:
            node[index] = value

    return edit


_DELETE = object()
CASE = "/content/asia_asiakirja"
ENTRY = "/content/merkinta_tapaamisesta_tai_yhteydenotosta"


@dataclass(frozen=True)
class Invalid:
    """One derived invalid sample: ``base`` with ``edit`` made, in ``forms``."""

    name: str
    base: str
    defect: str
    error: str  # the one error code it must get
    edit: Callable[[Doc], None] | None = None
    forms: tuple[str, ...] = ("json", "xhtml")
    # Text edits made on the serialised bytes (after signing): the defect is in the file.
    text: Callable[[bytes, str], bytes] | None = None
    sign: bool = True


def _replace(old: str, new: str) -> Callable[[bytes, str], bytes]:
    def edit(data: bytes, _form: str) -> bytes:
        assert old.encode() in data, old
        return data.replace(old.encode(), new.encode(), 1)

    return edit


def _change_opening_date(data: bytes, form: str) -> bytes:
    if form == "json":
        return _replace('"avauspaiva": "2024-06-10"', '"avauspaiva": "2024-06-11"')(data, form)
    return _replace('data-ka-key="avauspaiva">2024-06-10<', 'data-ka-key="avauspaiva">2024-06-11<')(
        data, form
    )


def _forged_in_front(data: bytes, _form: str) -> bytes:
    """A forged, unsigned metadata and content written in front of the signed ones: each
    top-level member twice (a reader that keeps the first would show the forgery)."""
    whole = json.loads(data)
    forged = copy.deepcopy(whole)
    forged["metadata"]["title"] += " (FORGED: not the signed text)"
    head = json.dumps({"metadata": forged["metadata"], "content": forged["content"]},
                      ensure_ascii=False, indent=2)  # fmt: skip
    rest = (json.dumps(whole, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return head[:-2].encode("utf-8") + b",\n" + rest[2:]


def _drop_content(data: bytes, _form: str) -> bytes:
    metadata = json.loads(data)["metadata"]
    return (json.dumps({"metadata": metadata}, ensure_ascii=False, indent=2) + "\n").encode()


def _two_clients(doc: Doc) -> None:
    doc["metadata"]["clients"].append({"hetu": "290216A9481"})
    doc["metadata"].pop("common_matter_oid", None)


INVALID_SAMPLES: tuple[Invalid, ...] = (
    Invalid("case-number-mismatch", "case-document-open",
            "The case number in the content (asiatunnus) differs from the metadata case_oid.",
            "KA-CASE-NUMBER", _set(f"{CASE}/asian_tiedot/asiatunnus/value", "1.2.246.10.91000013.31.999")),
    Invalid("client-without-identifier", "client-record-entry",
            "The metadata client has neither a HETU nor a temporary identifier.",
            "KA-CLIENT-ID", _set("/metadata/clients/0", {})),
    Invalid("closed-case-without-end-date", "case-document-closed",
            "A closed case (tila 'Suljettu') has no end date (paattymispaiva).",
            "KA-CASE-END-DATE", _set(f"{CASE}/asian_tiedot/paattymispaiva", _DELETE)),
    Invalid("content-client-without-identifier", "client-record-entry",
            "The client (asiakas) has neither henkilotunnus nor tilapainen_yksilointitunnus, one of "
            "which its structure requires.",
            "KA-CLIENT-ID", _set(f"{ENTRY}/asiakas/0/henkilotunnus", _DELETE), ("json",)),
    Invalid("content-extra-property", "case-document-open",
            "The case details hold a property (lisatieto) that the structure schema does not allow.",
            "KA-CONTENT-SCHEMA", _set(f"{CASE}/asian_tiedot/lisatieto", "Ei kuulu rakenteeseen.")),
    Invalid("case-other-name-without-details", "case-document-open",
            "The case name is '99 Muu' but the field the prose rule then requires "
            "(lisatieto_luokkaan_muu) is missing.",
            "KA-REQUIRED-IF", _set(f"{CASE}/asian_tiedot/lisatieto_luokkaan_muu", _DELETE)),
    Invalid("ban-by-representative-without-identifier", "disclosure-ban",
            "The representative who set the ban has no henkilotunnus, tilapainen_yksilointitunnus "
            "or edunvalvojan_tunniste, one of which the prose rule requires.",
            "KA-ONE-OF-REQUIRED",
            _set("/content/kieltoasiakirja/asiakirjoja_koskevat_luovutuskiellot/"
                 "asiakirjaa_koskeva_luovutuskielto/0/henkilo_joka_kieltaa_asiakastietojen_luovuttamisen",
                 [{"sukunimi": "Esimerkki", "etunimet": "Sanna",
                   "rooli": {"system": "urn:oid:1.2.246.537.6.1284", "code": "31",
                             "display": "Huoltaja"}}])),
    Invalid("duplicate-member", "case-document-closed",
            "A signed document with a forged, unsigned metadata and content written in front of "
            "the signed ones (each top-level member twice).",
            "KA-JSON-DUPLICATE-MEMBER", forms=("json",), text=_forged_in_front),
    Invalid("effective-after-created", "client-record-entry",
            "The effective (event) time is three days after the document's creation time.",
            "KA-TIME-ORDER", _set("/metadata/effective_time", "2024-06-15T10:00:00+03:00")),
    Invalid("hetu-impossible-date", "client-record-entry",
            "The client's HETU in the metadata has the impossible birth date 31 February 2012.",
            "KA-HETU-INVALID", _set("/metadata/clients/0/hetu", "310212A904S"), ("json",)),
    Invalid("hetu-wrong-check-char", "client-record-entry",
            "The client's HETU in the content has a wrong check character (T instead of S).",
            "KA-HETU-INVALID", _set(f"{ENTRY}/asiakas/0/henkilotunnus/value", "150612A904T")),
    Invalid("impossible-date-feb-31", "case-document-open",
            "The case opening date is 31 February 2024, which does not exist.",
            "KA-DATE-INVALID", _set(f"{CASE}/asian_tiedot/avauspaiva", "2024-02-31")),
    Invalid("invalidated-without-reason", "client-record-entry",
            "An invalidated document has no invalidation (reason and time).",
            "KA-INVALIDATION", _set("/metadata/status", "invalidated")),
    Invalid("json-without-content", "client-record-entry",
            "The JSON document has no 'content' member.", "KA-DOCUMENT-SHAPE",
            forms=("json",), text=_drop_content),
    Invalid("metadata-missing-title", "client-record-entry",
            "The metadata has no title, which the metadata schema requires.",
            "KA-META-SCHEMA", _set("/metadata/title", _DELETE)),
    Invalid("oid-second-arc-over-39", "client-record-entry",
            "The customership OID has second arc 45 under first arc 1 (at most 39 allowed).",
            "KA-OID-SYNTAX", _set("/metadata/customership_oid", "1.45.246.10.91000013.30.55"),
            ("json",)),
    Invalid("org-oid-bad-business-id", "client-record-entry",
            "The service unit OID carries business ID 9100001-2, whose check digit is wrong.",
            "KA-BUSINESS-ID-INVALID", _set("/metadata/service_unit_oid", "1.2.246.10.91000012.10.1")),
    Invalid("private-contract-public-controller", "service-needs-assessment-private-contract",
            "A client-paid private service (no organiser) names a public organisation, not the "
            "producer, as controller.",
            "KA-CONTROLLER-PRIVATE", _set("/metadata/controller", {"oid": "1.2.246.10.91000013"})),
    Invalid("shared-case-without-join-time", "case-document-shared",
            "A client of a case shared as a common matter has no join time (asiaan_liittymishetki).",
            "KA-COMMON-JOIN-TIME", _set(f"{CASE}/asiakas/1/asiaan_liittymishetki", _DELETE)),
    Invalid("storage-format-mismatch", "client-record-entry",
            "The file's metadata names the other storage format (JSON says xhtml, XHTML says json).",
            "KA-STORAGE-FORMAT", text=None),
    Invalid("temporary-id-future-year", "client-record-entry-temporary-id",
            "The client's temporary identifier in the metadata has the year 2999, which is in the "
            "future.",
            "KA-TEMPID-INVALID", _set("/metadata/clients/0/temporary_id", "1.2.246.10.91000021.22.2999.3")),
    Invalid("temporary-id-not-temporary-range", "client-record-entry-temporary-id",
            "The client's temporary identifier (tilapainen_yksilointitunnus) has individual number "
            "198, outside the temporary range 900-999.",
            "KA-TEMPID-INVALID",
            _set(f"{ENTRY}/asiakas/0/tilapainen_yksilointitunnus/value", "010111A198W")),
    Invalid("too-many-attributes", "client-record-entry",
            "The <body> element has 65 attributes, over the limit of 64 on one element.",
            "KA-LIMIT-ATTRIBUTES", forms=("xhtml",),
            text=_replace("<body>", "<body " + " ".join(f'data-note-{i}="{i}"' for i in range(1, 66)) + ">")),
    Invalid("too-many-namespaces", "client-record-entry",
            "The document declares 35 namespaces (33 on <body>), over the limit of 32.",
            "KA-LIMIT-NAMESPACES", forms=("xhtml",),
            text=_replace("<body>", "<body " + " ".join(f'xmlns:n{i}="urn:example:n{i}"' for i in range(1, 34)) + ">")),
    Invalid("two-clients-without-common-matter", "client-record-entry",
            "A document with two clients has no common_matter_oid.",
            "KA-CLIENTS-COMMON-MATTER", _two_clients),
    Invalid("unknown-structure-version", "client-record-entry",
            "The metadata names structure version 2099-01-01, for which there is no schema.",
            "KA-STRUCTURE-UNKNOWN", _set("/metadata/structure", "1.2.246.537.6.1506.19005.2099.1.1")),
    Invalid("version-1-with-previous", "client-record-entry",
            "Version 1 of a document names a previous version.",
            "KA-VERSION-CHAIN", _set("/metadata/previous_version_oid", "1.2.246.10.91000013.11.2001.0"),
            ("json",)),
    Invalid("version-2-without-previous", "client-record-entry-v2",
            "Version 2 of a document does not name its previous version (previous_version_oid).",
            "KA-VERSION-CHAIN", _set("/metadata/previous_version_oid", _DELETE)),
    Invalid("voucher-with-private-controller", "customership-service-voucher",
            "A service-voucher document names its organiser, but another organisation as "
            "controller.",
            "KA-CONTROLLER-PUBLIC", _set("/metadata/controller", {"oid": "1.2.246.10.91000021"})),
    Invalid("voucher-with-producer-as-controller", "customership-service-voucher",
            "A service-voucher document has the voucher producer, not its organiser, as controller.",
            "KA-CONTROLLER-PUBLIC", _set("/metadata/controller", {"oid": "1.2.246.10.92000015"}),
            ("json",)),
    Invalid("specific-type-not-structure-number", "client-record-entry",
            "The specific document type is 6, but the structure is 1.2.246.537.6.1506.19005.",
            "KA-DOCUMENT-TYPE", _set("/metadata/specific_document_type/code", "6")),
    Invalid("xhtml-bad-patient-data-boolean", "client-record-entry",
            "The metadata patient_data in the XHTML head is 'ei', not a boolean.", "KA-META-SCHEMA",
            _set("/metadata/patient_data", True), forms=("xhtml",),
            text=_replace("<ka:patient_data>true</ka:patient_data>",
                          "<ka:patient_data>ei</ka:patient_data>")),
    Invalid("xhtml-content-unknown-data-type", "client-record-entry",
            "A content value in the XHTML body has the unknown data-ka type 'text'.",
            "KA-DOCUMENT-SHAPE", forms=("xhtml",),
            text=_replace('data-ka="string" data-ka-key="sukunimi"', 'data-ka="text" data-ka-key="sukunimi"')),
    Invalid("xhtml-unknown-metadata-element", "client-record-entry",
            "The XHTML head metadata has an element (ka:priority) that the schema does not define.",
            "KA-META-SCHEMA", forms=("xhtml",),
            text=_replace("</ka:metadata>", "<ka:priority>high</ka:priority></ka:metadata>")),
    Invalid("xhtml-version-not-integer", "client-record-entry",
            "The metadata version in the XHTML head is 'yksi', not an integer.", "KA-META-SCHEMA",
            forms=("xhtml",), text=_replace("<ka:version>1</ka:version>", "<ka:version>yksi</ka:version>")),
    Invalid("xhtml-without-metadata", "case-document-open",
            "The XHTML <head> has no ka:metadata element.", "KA-DOCUMENT-SHAPE", forms=("xhtml",),
            sign=False, text=lambda data, _form: re.sub(rb"<ka:metadata>.*</ka:metadata>", b"", data,
                                                        flags=re.S)),
    Invalid("signature-content-changed-after-signing", "case-document-open",
            "The opening date in the content was changed after the document was signed.",
            "KA-SIGNATURE-INVALID", text=_change_opening_date),
    Invalid("signature-metadata-signer-mismatch", "case-document-open",
            "The metadata names a signer other than the signing certificate's holder.",
            "KA-SIGNATURE-METADATA", forms=("json",),
            text=_replace('"signer": "Liisa Laine"', '"signer": "Antti Niemi"')),
    Invalid("signature-missing", "case-document-open",
            "The metadata names the professional who signed the document, and the document carries "
            "no signature.",
            "KA-SIGNATURE-MISSING", forms=("json",), sign=False),
)  # fmt: skip


def _storage_mismatch(data: bytes, form: str) -> bytes:
    if form == "json":
        return data.replace(b'"storage_format": "json"', b'"storage_format": "xhtml"', 1)
    return data.replace(b"<ka:storage_format>xhtml<", b"<ka:storage_format>json<", 1)


def _invalid_bytes(sample: Invalid, form: str, registry: SchemaRegistry) -> bytes:
    doc = copy.deepcopy(load(sample.base))
    if sample.edit is not None:
        sample.edit(doc)
    if form == "json":
        data = json_bytes(doc, sign=sample.sign)
    else:
        data = xhtml_bytes(doc, registry, sign=sample.sign)
    if sample.name == "storage-format-mismatch":
        data = _storage_mismatch(data, form)
    if sample.text is not None:
        data = sample.text(data, form)
    return data


# ------------------------------------------------------------------ the CDA samples

CDA = HERE / "cda"
TOOL = [sys.executable, "-m", "kanta_archive.cli.main"]


def _tool(*args: str) -> None:
    import subprocess

    subprocess.run([*TOOL, *args], cwd=HERE.parent, check=True, capture_output=True, text=True)


def _b64(data: bytes) -> bytes:
    import base64

    text = base64.b64encode(data)
    return b"\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def _cda_replace(pattern: bytes, replacement: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        new, count = re.subn(pattern, replacement, data, count=1, flags=re.DOTALL)
        assert count == 1, f"pattern {pattern!r} not found"
        return new

    return edit


def _json_part(text: bytes) -> Callable[[bytes], bytes]:
    return _cda_replace(rb"(<ep2:json>).*?(</ep2:json>)", rb"\g<1>" + _b64(text) + rb"\g<2>")


def _display_part(text: bytes) -> Callable[[bytes], bytes]:
    return _cda_replace(
        rb'(<text mediaType="application/xhtml\+xml" representation="B64">).*?(</text>)',
        rb"\g<1>" + _b64(text) + rb"\g<2>",
    )


def _change_content_date(data: bytes) -> bytes:
    import base64

    match = re.search(rb"<ep2:json>(.*?)</ep2:json>", data, flags=re.DOTALL)
    assert match is not None
    text = base64.b64decode(b"".join(match.group(1).split()))
    new, count = re.subn(rb'("avauspaiva": ")\d{4}-\d{2}-\d{2}"', rb'\g<1>2024-06-02"', text)
    assert count == 1
    return data[: match.start(1)] + _b64(new) + data[match.end(1) :]


def _reindent_body(data: bytes) -> bytes:
    # A pretty-printer's work after signing: other white space between the body's elements.
    return _cda_replace(rb"(</text>)\s*(<ep2:json>)", rb"\g<1>\n\n          \g<2>")(data)


@dataclass(frozen=True)
class CdaInvalid:
    """One invalid CDA sample: the valid CDA sample ``base`` changed by ``edit``."""

    name: str
    base: str
    defect: str
    error: str
    pointer: str
    edit: Callable[[bytes], bytes]


ENTRY_ROOT = "merkinta_tapaamisesta_tai_yhteydenotosta"
CDA_INVALID: tuple[CdaInvalid, ...] = (
    CdaInvalid("cda-base64-broken", "client-record-entry", "The ep2:json of the CDA body is not base64.",
               "KA-CDA-BASE64", "", _cda_replace(rb"(<ep2:json>).*?(</ep2:json>)", rb"\g<1>not base64!\g<2>")),
    CdaInvalid("cda-json-broken", "client-record-entry", "The decoded ep2:json is cut off: not JSON.",
               "KA-CDA-JSON", "", _json_part(b'{"' + ENTRY_ROOT.encode() + b'": {"asiakas": [')),
    CdaInvalid("cda-display-broken", "client-record-entry",
               "The decoded display form (nonXMLBody/text) is not well-formed XHTML.", "KA-CDA-DISPLAY", "",
               _display_part(b'<div xmlns="http://www.w3.org/1999/xhtml"><p>Kesken</div>')),
    CdaInvalid("cda-display-entity", "client-record-entry",
               "The decoded display form declares an external entity.", "KA-CDA-DISPLAY", "",
               _display_part(b'<!DOCTYPE div [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                             b'<div xmlns="http://www.w3.org/1999/xhtml">&e;</div>')),
    CdaInvalid("cda-doctype", "client-record-entry",
               "The CDA document has a DOCTYPE with an entity declaration.", "KA-XML-FORBIDDEN", "",
               _cda_replace(rb"(<\?xml[^>]*\?>)", rb'\g<1>\n<!DOCTYPE ClinicalDocument [<!ENTITY x "y">]>')),
    CdaInvalid("cda-content-specification-unknown", "client-record-entry",
               "contentSpecificationId names structure version 2099-01-01, for which there is no schema.",
               "KA-STRUCTURE-UNKNOWN", "/metadata/structure",
               _cda_replace(rb"(<ep2:contentSpecificationId>)[^<]*(<)",
                            rb"\g<1>1.2.246.537.6.1506.19005.2099.1.1\g<2>")),
    CdaInvalid("cda-content-specification-missing", "client-record-entry",
               "The localSocialHeader has no contentSpecificationId (the structure).", "KA-META-SCHEMA",
               "/metadata",
               _cda_replace(rb"\s*<ep2:contentSpecificationId>[^<]*</ep2:contentSpecificationId>", b"")),
    CdaInvalid("cda-body-id-mismatch", "client-record-entry",
               "The nonXMLBody ID names another document than id/@root.", "KA-CDA-BODY-ID",
               "/metadata/document_oid",
               _cda_replace(rb'(<nonXMLBody ID=")[^"]*(")', rb"\g<1>OID1.2.246.10.91000013.11.9\g<2>")),
    CdaInvalid("cda-realm-code", "client-record-entry", "The realmCode is SE, not FI.", "KA-CDA-SCHEMA",
               "/metadata", _cda_replace(rb'<realmCode code="FI"/>', b'<realmCode code="SE"/>')),
    CdaInvalid("cda-client-not-in-header", "client-record-entry",
               "The header's client (recordTarget) is another person than the content's client.",
               "KA-CLIENT-MISMATCH", f"/content/{ENTRY_ROOT}/asiakas/0/henkilotunnus/value",
               _cda_replace(rb'(<id root="1.2.246.21" extension=")[^"]*(")', rb"\g<1>311299-9628\g<2>")),
    CdaInvalid("cda-frame-copy-disagrees", "client-record-entry-message",
               "The archiving message's copy of the header has version 2, the document version 1.",
               "KA-CDA-FRAME", "/frame/versionNumber",
               _cda_replace(rb'(<clinicalDocument>.*?<versionNumber value=")1(")', rb"\g<1>2\g<2>")),
    CdaInvalid("cda-frame-without-usage-situation", "client-record-entry-message",
               "The archiving message gives no usage situation (reasonCode 1.2.246.537.6.1289).",
               "KA-CDA-FRAME", "/frame/reasonCode",
               _cda_replace(rb'\s*<reasonCode code="1" codeSystem="1.2.246.537.6.1289.201901"/>', b"")),
    CdaInvalid("cda-voucher-controller-not-organiser", "customership-service-voucher",
               "A service-voucher document names its organiser, but another organisation as custodian.",
               "KA-CONTROLLER-PUBLIC", "/metadata/controller/oid",
               _cda_replace(rb"(<representedCustodianOrganization>\s*<id root=\")[^\"]*(\")",
                            rb"\g<1>1.2.246.10.91000021\g<2>")),
    CdaInvalid("cda-case-content-changed-after-signing", "case-document-open",
               "The opening date in the decoded ep2:json was changed after the document was signed.",
               "KA-SIGNATURE-INVALID", "/signature", _change_content_date),
    CdaInvalid("cda-case-pretty-printed-after-signing", "case-document-closed",
               "The white space between the body's elements was changed after signing (re-indented).",
               "KA-SIGNATURE-INVALID", "/signature", _reindent_body),
    CdaInvalid("cda-consent-version-2-without-previous", "disclosure-consent",
               "Version 2 of a disclosure consent does not name the version it replaces.",
               "KA-VERSION-CHAIN", "/metadata/previous_version_oid",
               _cda_replace(rb'(<versionNumber value=")1(")', rb"\g<1>2\g<2>")),
    CdaInvalid("cda-ban-unsigned", "disclosure-ban",
               "A disclosure ban whose metadata names its signer has no signature.",
               "KA-SIGNATURE-MISSING", "/signature",
               _cda_replace(rb"\s*<signatureCollection.*?</signatureCollection>", b"")),
    CdaInvalid("cda-assessment-specific-type-not-structure-number", "service-needs-assessment",
               "The specific document type is 3, but the structure is 1.2.246.537.6.1506.1019.",
               "KA-DOCUMENT-TYPE", "/metadata/specific_document_type/code",
               _cda_replace(rb'(<ep2:specificDocumentType code=")1019(")', rb"\g<1>3\g<2>")),
)  # fmt: skip


def build_cda(validator: Validator) -> tuple[int, list[str]]:
    """The CDA samples: every valid JSON sample as CDA (``render --to cda``, signed as its
    JSON twin is; not the common-matter ones, which CDA cannot carry), one in its archiving
    message (``--frame SP1``), and the invalid ones of :data:`CDA_INVALID`."""
    import tempfile

    changed, problems = 0, []
    valid, invalid = CDA / "valid", CDA / "invalid"
    made: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for source in sorted(VALID.glob("*.json")):
            doc = load(source.stem)
            target = valid / f"{source.stem}.xml"
            if "common_matter_oid" in doc["metadata"]:
                # CDA has no element for the common matter (docs/cda.md): no valid twin.
                if target.exists():
                    target.unlink()
                    changed += 1
                continue
            out = Path(tmp) / target.name
            _tool("render", str(source), "--to", "cda", "-o", str(out))
            block = doc["metadata"].get("signature")
            if isinstance(block, dict):
                key, cert = SIGNERS[block["signer"]]
                _tool("sign", str(out), "--key", str(KEYS / key), "--cert", str(KEYS / cert),
                      "--signing-time", block["signed_at"], "-o", str(out))  # fmt: skip
            changed += _write(target, out.read_bytes())
            made.add(target.name)
        message = Path(tmp) / "client-record-entry-message.xml"
        _tool("render", str(VALID / "client-record-entry.json"), "--to", "cda", "--frame", "SP1",
              "-o", str(message))  # fmt: skip
        changed += _write(valid / message.name, message.read_bytes())
        made.add(message.name)
    for stale in sorted(valid.glob("*.xml")):
        if stale.name not in made:  # its JSON sample is gone
            stale.unlink()
            changed += 1
    for sample in CDA_INVALID:
        path = invalid / f"{sample.name}.xml"
        data = sample.edit((valid / f"{sample.base}.xml").read_bytes())
        result = validator.validate_bytes(data, path.name)
        errors = [(f.code, f.location.pointer) for f in result.findings
                  if f.severity.value == "error"]  # fmt: skip
        if errors != [(sample.error, sample.pointer)]:
            problems.append(f"{path.name}: errors {errors}, want [{sample.error} {sample.pointer}]")
            continue
        changed += _write(path, data)
        changed += _write(path.with_name(path.name + ".expected"),
                          _expected(sample.defect, result.findings))  # fmt: skip
    changed += _write(CDA / "README.md", readme_text(CDA).encode("utf-8"))
    return changed, problems


# ------------------------------------------------------------------ build and check


def _expected(defect: str, findings: Any) -> bytes:
    listed = sorted(
        ({"code": f.code, "severity": f.severity.value, "pointer": f.location.pointer}
         for f in findings),
        key=lambda f: (f["code"], f["severity"], f["pointer"]),
    )  # fmt: skip
    return (json.dumps({"defect": defect, "findings": listed}, ensure_ascii=False, indent=2)
            + "\n").encode("utf-8")  # fmt: skip


def _write(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def build() -> list[str]:
    """Rebuild every derived sample; return the problems found (none: all good)."""
    registry = SchemaRegistry()
    validator = Validator(registry)
    problems: list[str] = []
    changed = 0
    for source in sorted(VALID.glob("*.json")):
        doc = load(source.stem)
        changed += _write(source, json_bytes(doc))
        changed += _write(source.with_suffix(".xhtml"), xhtml_bytes(doc, registry))
    for sample in INVALID_SAMPLES:
        for form in sample.forms:
            path = INVALID / f"{sample.name}.{form}"
            data = _invalid_bytes(sample, form, registry)
            result = validator.validate_bytes(data, path.name)
            errors = sorted({f.code for f in result.findings if f.severity.value == "error"})
            if (
                errors != [sample.error]
                or sum(f.severity.value == "error" for f in result.findings) != 1
            ):
                problems.append(f"{path.name}: errors {errors}, want exactly one {sample.error}: "
                                + "; ".join(f"{f.code} {f.location.pointer} {f.message}"
                                            for f in result.findings))  # fmt: skip
                continue
            changed += _write(path, data)
            changed += _write(path.with_name(path.name + ".expected"),
                              _expected(sample.defect, result.findings))  # fmt: skip
    changed += _write(INVALID / "README.md", readme_text(INVALID).encode("utf-8"))
    cda_changed, cda_problems = build_cda(validator)
    print(f"samples: {changed + cda_changed} file(s) written", file=sys.stderr)
    return problems + cda_problems + check(validator)


_TABLE_HEAD = "| file | defect | error codes |\n|---|---|---|\n"


def readme_text(folder: Path) -> str:
    """``<folder>/README.md`` with its table rebuilt from every ``.expected`` file of the
    folder (``invalid/``, or ``cda/`` with its ``invalid/``); the text around the table is
    kept as written."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    start = text.index(_TABLE_HEAD)
    end = start + len(_TABLE_HEAD)
    while end < len(text) and text.startswith("| `", end):
        end = text.index("\n", end) + 1
    rows = []
    for expected in sorted(folder.glob("*.expected")) + sorted(folder.glob("invalid/*.expected")):
        facts = json.loads(expected.read_text(encoding="utf-8"))
        codes = sorted({f["code"] for f in facts["findings"] if f["severity"] == "error"})
        defect = str(facts["defect"]).replace("|", "\\|")
        listed = ", ".join(f"`{c}`" for c in codes) or "(none)"
        rows.append(f"| `{expected.name.removesuffix('.expected')}` | {defect} | {listed} |\n")
    return text[:start] + _TABLE_HEAD + "".join(rows) + text[end:]


def check(validator: Validator | None = None) -> list[str]:
    """Every valid sample has no error; every derived invalid file is its table entry's."""
    validator = validator or Validator()
    problems = []
    for path in sorted(VALID.iterdir()):
        if path.suffix in (".json", ".xhtml"):
            errors = [
                f for f in validator.validate_path(path).findings if f.severity.value == "error"
            ]
            if errors:
                problems.append(f"{path.name}: " + "; ".join(f"{f.code} {f.location.pointer} "
                                                             f"{f.message}" for f in errors))  # fmt: skip
    for folder in (INVALID, CDA):
        if (folder / "README.md").read_text(encoding="utf-8") != readme_text(folder):
            problems.append(f"{folder.name}/README.md: its table is not the .expected files' "
                            "(rebuild)")  # fmt: skip
    cda_made = {f"{s.name}.xml" for s in CDA_INVALID}
    for path in sorted((CDA / "invalid").iterdir()):
        if path.suffix != ".expected" and path.name not in cda_made:
            problems.append(f"cda/invalid/{path.name}: not made by CDA_INVALID")
    derived = {f"{s.name}.{form}" for s in INVALID_SAMPLES for form in s.forms}
    for path in sorted(INVALID.iterdir()):
        if path.suffix in (".expected", ".md") or path.name in derived or path.name in STATIC:
            continue
        if path.name != "build.py":
            problems.append(f"{path.name}: neither derived (INVALID_SAMPLES) nor listed in STATIC")
    return problems


if __name__ == "__main__":
    found = check() if "--check" in sys.argv[1:] else build()
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
