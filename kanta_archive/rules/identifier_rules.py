"""Identifier and value rules: OIDs, HETUs, temporary IDs, business IDs, dates, codes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kanta_archive import identifiers as ids
from kanta_archive.codesets import base_oid
from kanta_archive.findings import Finding
from kanta_archive.rules.context import RuleContext, finding
from kanta_archive.rules.fields import DATETIME

# (pointer, path in the metadata, whether it names an organisation)
_OID_FIELDS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("/metadata/controller/oid", ("controller", "oid"), True),
    ("/metadata/organiser/oid", ("organiser", "oid"), True),
    ("/metadata/service_unit_oid", ("service_unit_oid",), True),
    ("/metadata/responsible_organisation_oid", ("responsible_organisation_oid",), True),
    ("/metadata/author/organisation_oid", ("author", "organisation_oid"), True),
    *(
        (f"/metadata/{name}", (name,), False)
        for name in (
            "document_oid",
            "set_oid",
            "previous_version_oid",
            "common_matter_oid",
            "customership_oid",
            "case_oid",
        )
    ),
)
_FINNISH_ORG = re.compile(r"^1\.2\.246\.10\.(\d{7,8})(\.|$)")
_DATETIME_FIELDS = (
    ("/metadata/created", ("created",)),
    ("/metadata/effective_time", ("effective_time",)),
    ("/metadata/invalidation/time", ("invalidation", "time")),
    ("/metadata/signature/signed_at", ("signature", "signed_at")),
)
_DATE_LIKE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_DATETIME_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def _get(raw: object, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def check_oids(ctx: RuleContext) -> Iterator[Finding]:
    """Every OID in the metadata is a valid object identifier; Finnish organisation OIDs
    (``1.2.246.10.<business id>``) carry a business ID with a correct check digit."""
    raw = ctx.document.metadata_raw
    for pointer, path, is_org in _OID_FIELDS:
        value = _get(raw, path)
        if not isinstance(value, str):
            continue
        problem = ids.oid_problem(value)
        if problem:
            yield finding("KA-OID-SYNTAX", f"'{value}': {problem}", pointer)
            continue
        if is_org and ids.business_id_from_org_oid(value) is None:
            match = _FINNISH_ORG.match(value)
            if match:
                yield finding(
                    "KA-BUSINESS-ID-INVALID",
                    f"'{value}': the business ID digits {match.group(1)} have a wrong check digit",
                    pointer,
                )


def _client_ids(ctx: RuleContext) -> Iterator[tuple[str, str, str]]:
    """(kind, pointer, value) for every HETU and metadata temporary identifier."""
    for i, client in enumerate(ctx.metadata.clients):
        if client.hetu is not None:
            yield "hetu", f"/metadata/clients/{i}/hetu", client.hetu
        if client.temporary_id is not None:
            yield "temp", f"/metadata/clients/{i}/temporary_id", client.temporary_id
    for pointer, value in ctx.facts.hetus:
        yield "hetu", "/content" + pointer, value


def check_client_identifiers(ctx: RuleContext) -> Iterator[Finding]:
    """HETUs (in the metadata and in every ``henkilotunnus`` field) have a real date, a valid
    century sign and the right check character; a HETU in the 900–999 range (tests,
    temporary codes) is a warning, once per document. A temporary identifier in the content
    (``tilapainen_yksilointitunnus``) is ``{"system": "<organisation OID>.22.<year>",
    "value": "<HETU-shaped, 900–999>"}`` (its check character is not verified); in the
    metadata it is ``<organisation OID>.22.<year>.<n>``."""
    warned: set[str] = set()
    for kind, pointer, value in _client_ids(ctx):
        if kind == "hetu":
            problem = ids.hetu_problem(value)
            if problem:
                yield finding("KA-HETU-INVALID", f"'{value}': {problem}", pointer)
            elif ids.hetu_is_test(value) and value not in warned:
                warned.add(value)
                yield finding(
                    "KA-HETU-TEST",
                    f"'{value}' has individual number 900-999: a test or temporary code",
                    pointer,
                )
        else:
            problem = ids.temporary_id_problem(value, today=ctx.today)
            if problem:
                yield finding("KA-TEMPID-INVALID", f"'{value}': {problem}", pointer)
    for pointer, ident in ctx.facts.temporary_ids:
        system, number = ident.get("system"), ident.get("value")
        problem = ids.temporary_identifier_problem(system, number, today=ctx.today)
        if problem:
            # Point at the member that is wrong: the value unless only the system is.
            value_ok = isinstance(number, str) and ids.temporary_value_problem(number) is None
            where = "/system" if value_ok else "/value"
            yield finding(
                "KA-TEMPID-INVALID",
                f"'{system}' / '{number}': {problem}",
                "/content" + pointer + where,
            )


def check_client_has_identifier(ctx: RuleContext) -> Iterator[Finding]:
    """Every metadata client is identified by a HETU or by a temporary identifier. (In the
    content, each structure's own alternatives apply: its prose rules, KA-CLIENT-ID.)"""
    for i, client in enumerate(ctx.metadata.clients):
        if client.hetu is None and client.temporary_id is None:
            yield finding(
                "KA-CLIENT-ID",
                "client has neither a hetu nor a temporary_id",
                f"/metadata/clients/{i}",
            )


def check_dates(ctx: RuleContext) -> Iterator[Finding]:
    """Dates and times exist in the calendar (schemas only check their pattern). In the
    content only fields the structure schema makes dates (``pattern``, ``format`` or the
    Sosmeta representation Pvm / Hetki) are checked, whatever other text looks like."""
    raw = ctx.document.metadata_raw
    for pointer, path in _DATETIME_FIELDS:
        value = _get(raw, path)
        if isinstance(value, str) and _DATETIME_LIKE.match(value):
            problem = ids.datetime_problem(value)
            if problem:
                yield finding("KA-DATE-INVALID", f"'{value}': {problem}", pointer)
    for pointer, value, kind in ctx.facts.dates:
        if kind == DATETIME and "T" in value:
            problem = ids.datetime_problem(value)
        else:
            problem = ids.partial_date_problem(value)
        if problem:
            yield finding("KA-DATE-INVALID", f"'{value}': {problem}", "/content" + pointer)


_METADATA_CODED = tuple(
    (f"/metadata/{'/'.join(path)}", path)
    for path in (
        ("confidentiality",),
        ("document_type",),
        ("specific_document_type",),
        ("document_group",),
        ("service_task",),
        ("register",),
        ("record_status",),
        ("retention_class",),
        ("file_format",),
        ("structured_file_format",),
        ("special_content",),
        ("service_process", "type"),
        ("service_process", "code"),
        ("minor_consent",),
        ("inaccessible_reason",),
        ("signature", "type"),
        ("signature", "method"),
    )
)


def _same_name(display: str, names: set[str]) -> bool:
    wanted = " ".join(display.split()).casefold()
    return any(" ".join(n.split()).casefold() == wanted for n in names)


def check_codes(ctx: RuleContext) -> Iterator[Finding]:
    """Coded values use codes that exist in their code set, found by the value's ``system``
    (a versioned ``…1221.201601`` finds code set ``…1221``). A code set that is not loaded
    is never an error: its system is noted as unchecked (said once per run). A partial code
    set (``complete: false``) knows some codes only: an unlisted code is not an error. A
    ``display`` that is none of the code's names in the code set is a warning."""
    raw = ctx.document.metadata_raw
    coded = [(p, _get(raw, path)) for p, path in _METADATA_CODED]
    coded += [("/content" + p, v) for p, v in ctx.facts.coded]
    for pointer, value in coded:
        if not isinstance(value, dict):
            continue
        system, code = value.get("system"), value.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            continue
        codeset = ctx.codeset(system)
        if codeset is None:
            ctx.unchecked.add(base_oid(system.removeprefix("urn:oid:")))
            continue
        names = codeset.names_of(code)
        if code not in codeset.codes:
            if codeset.complete:
                yield finding(
                    "KA-CODE-UNKNOWN",
                    f"code '{code}' is not in code set {codeset.oid}"
                    + (f" ({codeset.title()})" if codeset.title() != codeset.oid else ""),
                    pointer + "/code",
                )
            continue
        display = value.get("display")
        if isinstance(display, str) and names and not _same_name(display, names):
            yield finding(
                "KA-CODE-DISPLAY",
                f"display '{display}' is not the name of code '{code}' in code set "
                f"{codeset.oid} ('{codeset.display(code)}')",
                pointer + "/display",
            )
