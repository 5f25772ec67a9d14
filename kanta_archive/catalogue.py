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
        "The signature does not verify: it is broken, or the document changed after signing.",
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
)

BY_CODE = {info.code: info for info in CATALOGUE}


def severity_of(code: str) -> Severity:
    """The catalogued severity of ``code``."""
    return BY_CODE[code].severity
