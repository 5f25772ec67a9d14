"""Every finding code kanta-archive can emit, with its severity and meaning.

Codes are stable: tools and CI gates match on them. ``docs/findings.md`` is
generated from this table (``kanta-archive findings --format markdown``) and a
test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from kanta_archive.findings import Severity

E, W = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class CodeInfo:
    """One finding code: severity, the stage that emits it, and what it means."""

    code: str
    severity: Severity
    stage: str
    summary: str


CATALOGUE: tuple[CodeInfo, ...] = (
    CodeInfo("KA-INPUT-EMPTY", E, "read", "The input is empty or only white space."),
    CodeInfo("KA-INPUT-TOO-LARGE", E, "read", "The input is over the size limit (--max-size)."),
    CodeInfo("KA-INPUT-BINARY", E, "read", "The input contains NUL bytes: a binary file."),
    CodeInfo("KA-INPUT-ENCODING", E, "read", "The input is not UTF-8 (e.g. UTF-16 or Latin-1)."),
    CodeInfo("KA-INPUT-FORMAT", E, "read", "The input is neither JSON, XHTML nor CDA."),
    CodeInfo(
        "KA-JSON-SYNTAX",
        E,
        "read",
        "The JSON is malformed (with line and column), or nested more than 200 levels deep.",
    ),
    CodeInfo("KA-XML-SYNTAX", E, "read", "The XML is not well-formed (with line and column)."),
    CodeInfo(
        "KA-CDA-BASE64",
        E,
        "read",
        "A base64 part of a CDA document (nonXMLBody/text or ep2:json) does not decode.",
    ),
    CodeInfo(
        "KA-CDA-JSON",
        E,
        "read",
        "The decoded ep2:json of a CDA document is not a JSON object (with line and column "
        "inside the decoded JSON), or repeats a member.",
    ),
    CodeInfo(
        "KA-CDA-DISPLAY",
        E,
        "read",
        "The decoded display form of a CDA document is not a well-formed XHTML <div>, or "
        "holds a DTD or entities.",
    ),
    CodeInfo(
        "KA-XML-FORBIDDEN",
        E,
        "read",
        "The XML has a DTD, entity declarations or entity references; they are never resolved.",
    ),
    CodeInfo(
        "KA-DOCUMENT-SHAPE",
        E,
        "read",
        "The document lacks its metadata or content part (JSON members, XHTML head/body).",
    ),
    CodeInfo(
        "KA-JSON-DUPLICATE-MEMBER",
        E,
        "read",
        "A JSON object has a member name twice; readers disagree on which value counts.",
    ),
    CodeInfo(
        "KA-LIMIT-MEMBERS",
        E,
        "read",
        "The document holds more JSON members and array items, or XHTML elements, than the "
        "limit (--max-members, default 200,000).",
    ),
    CodeInfo(
        "KA-LIMIT-ATTRIBUTES",
        E,
        "read",
        "An XHTML element has more attributes than the limit (--max-attributes, default 64).",
    ),
    CodeInfo(
        "KA-LIMIT-NAMESPACES",
        E,
        "read",
        "The XHTML declares more different namespaces (prefix and URI pairs) than the limit "
        "(--max-namespaces, default 32).",
    ),
    CodeInfo("KA-META-SCHEMA", E, "schema", "The metadata does not follow the metadata schema."),
    CodeInfo(
        "KA-STRUCTURE-UNKNOWN",
        E,
        "schema",
        "The structure OID and version in the metadata name no known structure schema.",
    ),
    CodeInfo("KA-CONTENT-SCHEMA", E, "schema", "The content does not follow its structure schema."),
    CodeInfo(
        "KA-STORAGE-FORMAT", E, "rule", "metadata storage_format differs from the file's form."
    ),
    CodeInfo("KA-OID-SYNTAX", E, "rule", "An OID is not a valid object identifier."),
    CodeInfo(
        "KA-HETU-INVALID",
        E,
        "rule",
        "A personal identity code has a bad format, date, century sign or check character.",
    ),
    CodeInfo(
        "KA-HETU-TEST",
        W,
        "rule",
        "A personal identity code is in the 900-999 range used for tests and temporary codes.",
    ),
    CodeInfo(
        "KA-TEMPID-INVALID",
        E,
        "rule",
        "A temporary identifier is not {system: <organisation OID>.22.<year>, value: HETU-shaped "
        "with individual number 900-999} (metadata: <organisation OID>.22.<year>.<n>).",
    ),
    CodeInfo(
        "KA-BUSINESS-ID-INVALID",
        E,
        "rule",
        "A business ID (also inside a 1.2.246.10.<id> organisation OID) has a wrong check digit.",
    ),
    CodeInfo(
        "KA-DATE-INVALID",
        E,
        "rule",
        "A date or time in a date field (by its schema) does not exist in the calendar.",
    ),
    CodeInfo(
        "KA-CODE-UNKNOWN",
        E,
        "rule",
        "A coded value's code is not in its (loaded, complete) code set.",
    ),
    CodeInfo(
        "KA-CODE-DISPLAY",
        W,
        "rule",
        "A coded value's display is not the code's name in its loaded code set.",
    ),
    CodeInfo(
        "KA-VERSION-CHAIN",
        E,
        "rule",
        "Version 1 names a previous version, or a later one does not.",
    ),
    CodeInfo("KA-TIME-ORDER", E, "rule", "The effective (event) time is after the creation time."),
    CodeInfo("KA-CLIENTS-COMMON-MATTER", E, "rule", "Several clients without a common matter OID."),
    CodeInfo(
        "KA-CLIENT-ID",
        E,
        "rule",
        "A client lacks every identifier its structure allows (e.g. henkilotunnus or "
        "tilapainen_yksilointitunnus, or syntymaaika), or a metadata client has none.",
    ),
    CodeInfo(
        "KA-ONE-OF-REQUIRED",
        E,
        "rule",
        "None of the fields of which a Sosmeta prose rule requires one (or one true) is given.",
    ),
    CodeInfo(
        "KA-REQUIRED-IF",
        E,
        "rule",
        "A field a Sosmeta prose rule requires under a condition is missing while it holds.",
    ),
    CodeInfo(
        "KA-INVALIDATION", E, "rule", "An invalidated document lacks its invalidation reason."
    ),
    CodeInfo(
        "KA-CONTROLLER-PUBLIC",
        E,
        "rule",
        "A service produced for an organiser (outsourcingServiceCustomer: service voucher, "
        "purchased service, payment commitment) must have the organiser as controller.",
    ),
    CodeInfo(
        "KA-CONTROLLER-PRIVATE",
        E,
        "rule",
        "Without an organiser the producer (the author's organisation) must itself be the "
        "controller (own production, or a client-paid private service).",
    ),
    CodeInfo(
        "KA-CDA-SCHEMA",
        E,
        "schema",
        "The CDA envelope (realmCode, typeId, nonXMLBody) does not follow schemas/cda/.",
    ),
    CodeInfo(
        "KA-CDA-BODY-ID",
        E,
        "rule",
        "The CDA nonXMLBody/@ID is not 'OID' followed by the document's id/@root.",
    ),
    CodeInfo(
        "KA-CDA-FRAME",
        E,
        "rule",
        "The RCMR_IN200002FI01 frame's copy of the header disagrees with the document, or its "
        "service request or usage situation is missing.",
    ),
    CodeInfo(
        "KA-CLIENT-MISMATCH",
        E,
        "rule",
        "A client (asiakas) of the content is not a client of the metadata (CDA recordTarget).",
    ),
    CodeInfo(
        "KA-DOCUMENT-TYPE",
        E,
        "rule",
        "The specific document type differs from the number of the structure "
        "1.2.246.537.6.1506.<n>.",
    ),
    CodeInfo(
        "KA-CASE-NUMBER",
        E,
        "rule",
        "The case number in the content differs from metadata case_oid.",
    ),
    CodeInfo("KA-CASE-END-DATE", E, "rule", "A closed case has no end date (paattymispaiva)."),
    CodeInfo(
        "KA-COMMON-JOIN-TIME",
        E,
        "rule",
        "A client of a common matter (yhteinen_asia) case has no join time.",
    ),
    CodeInfo(
        "KA-SIGNATURE-MISSING",
        E,
        "rule",
        "The document must be signed (its metadata names a signer, its structure says "
        "signatureRequired, or --require-signature) and has no signature.",
    ),
    CodeInfo(
        "KA-SIGNATURE-INVALID",
        E,
        "rule",
        "The signature does not verify: it is broken, it cannot be checked (a certificate, key "
        "or XML the libraries cannot read), or the document changed after signing.",
    ),
    CodeInfo(
        "KA-SIGNATURE-UNTRUSTED",
        E,
        "rule",
        "The signing certificate does not chain to the trust anchor given with --trust.",
    ),
    CodeInfo(
        "KA-SIGNATURE-METADATA",
        E,
        "rule",
        "The metadata signature block (signer, signed_at, certificate_sha256) disagrees with "
        "the signature.",
    ),
    CodeInfo(
        "KA-LIMIT-FINDINGS",
        W,
        "validate",
        "The document has more findings than the limit (--max-findings, default 1,000): "
        "only the first ones are listed.",
    ),
)

BY_CODE = {info.code: info for info in CATALOGUE}


def severity_of(code: str) -> Severity:
    """The catalogued severity of ``code``."""
    return BY_CODE[code].severity
