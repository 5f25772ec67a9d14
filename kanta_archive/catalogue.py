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
    CodeInfo("KA-INPUT-FORMAT", E, "read", "The input is neither JSON nor XHTML."),
    CodeInfo(
        "KA-JSON-SYNTAX",
        E,
        "read",
        "The JSON is malformed (with line and column), or nested more than 200 levels deep.",
    ),
    CodeInfo("KA-XML-SYNTAX", E, "read", "The XML is not well-formed (with line and column)."),
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
        "A temporary identifier is not <organisation OID>.22.<year>.<n> with a valid business ID.",
    ),
    CodeInfo(
        "KA-BUSINESS-ID-INVALID",
        E,
        "rule",
        "A business ID (also inside a 1.2.246.10.<id> organisation OID) has a wrong check digit.",
    ),
    CodeInfo("KA-DATE-INVALID", E, "rule", "A date or time does not exist in the calendar."),
    CodeInfo("KA-CODE-UNKNOWN", E, "rule", "A coded value's code is not in its code set."),
    CodeInfo(
        "KA-VERSION-CHAIN",
        E,
        "rule",
        "Version 1 names a previous version, or a later one does not.",
    ),
    CodeInfo("KA-TIME-ORDER", E, "rule", "The effective (event) time is after the creation time."),
    CodeInfo("KA-CLIENTS-COMMON-MATTER", E, "rule", "Several clients without a common matter OID."),
    CodeInfo("KA-CLIENT-ID", E, "rule", "A client has neither a HETU nor a temporary identifier."),
    CodeInfo(
        "KA-INVALIDATION", E, "rule", "An invalidated document lacks its invalidation reason."
    ),
    CodeInfo(
        "KA-CONTROLLER-PUBLIC",
        E,
        "rule",
        "With own production, a service voucher, a purchased service or a payment commitment the "
        "controller must be the public organiser, never the private producer.",
    ),
    CodeInfo(
        "KA-CONTROLLER-PRIVATE",
        E,
        "rule",
        "A client-paid private contract must have the private producer itself as controller.",
    ),
    CodeInfo(
        "KA-CASE-NUMBER",
        E,
        "rule",
        "The case number in the content differs from metadata case_oid.",
    ),
    CodeInfo("KA-CASE-END-DATE", E, "rule", "A closed case has no end date."),
    CodeInfo("KA-COMMON-JOIN-TIME", E, "rule", "A shared (common matter) case has no join time."),
    CodeInfo(
        "KA-SIGNATURE-MISSING",
        E,
        "rule",
        "The structure requires a signature (sosmeta signatureRequired) and the document has none.",
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
