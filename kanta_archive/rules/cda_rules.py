"""Consistency rules between the parts of a document: header, content and archiving frame.

The client rule runs on every form (the metadata's clients are the CDA ``recordTarget``s);
the frame rule only on a CDA document sent in its ``RCMR_IN200002FI01`` message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kanta_archive.findings import Finding
from kanta_archive.formats.cda_common import (
    HL7_NS,
    SERVICE_REQUEST_SYSTEM,
    USAGE_SITUATION_SYSTEM,
)
from kanta_archive.identifiers import hetu_problem
from kanta_archive.rules.context import RuleContext, finding

_NS = {"h": HL7_NS}


def _content_hetu(client: Mapping[str, Any]) -> str | None:
    ident = client.get("henkilotunnus")
    value = ident.get("value") if isinstance(ident, Mapping) else None
    return value if isinstance(value, str) else None


def check_clients_match(ctx: RuleContext) -> Iterator[Finding]:
    """Every client (``asiakas``) the content identifies by HETU is a client of the
    metadata (CDA ``recordTarget``): the header and the content are about the same people."""
    known = {c.hetu for c in ctx.metadata.clients if c.hetu is not None}
    clients = ctx.metadata.clients
    if (
        not clients
        or any(c.identifier is None for c in clients)
        or any(hetu_problem(h) for h in known)
    ):
        return  # no clients, one without identifier, or a wrong HETU: reported as that
    for pointer, client in ctx.facts.clients:
        hetu = _content_hetu(client)
        if hetu is not None and hetu not in known and not hetu_problem(hetu):
            yield finding(
                "KA-CLIENT-MISMATCH",
                f"the content's client {hetu} is not a client of the metadata "
                f"({', '.join(sorted(known)) or 'no HETU there'})",
                "/content" + pointer + "/henkilotunnus/value",
            )


_COMPARED = (
    ("id", "h:id", "the document id"),
    ("setId", "h:setId", "the set id"),
    ("versionNumber", "h:versionNumber", "the version number"),
    ("recordTarget", "h:recordTarget/h:patientRole/h:id", "the clients"),
    (
        "custodian",
        "h:custodian/h:assignedCustodian/h:representedCustodianOrganization/h:id",
        "the custodian (controller)",
    ),
)


def _values(el: Any, path: str) -> list[tuple[str | None, ...]]:
    return sorted(
        ((i.get("root"), i.get("extension"), i.get("value")) for i in el.findall(path, _NS)),
        key=str,
    )


def check_frame(ctx: RuleContext) -> Iterator[Finding]:
    """A CDA document sent in its ``RCMR_IN200002FI01`` message: the message's copy of the
    header (``controlActProcess/subject/clinicalDocument``) has the document's id, set id,
    version number, clients and custodian, and the message gives its service request
    (code system 1.2.246.537.6.1503) and usage situation (1.2.246.537.6.1289)."""
    cda = ctx.document.cda
    if cda is None or cda.frame is None:
        return
    process = cda.frame.find("h:controlActProcess", _NS)
    copy = process.find("h:subject/h:clinicalDocument", _NS) if process is not None else None
    if copy is None:
        yield finding(
            "KA-CDA-FRAME",
            "the message has no controlActProcess/subject/clinicalDocument (the header copy)",
            "/frame",
        )
        return
    for name, path, what in _COMPARED:
        if _values(copy, path) != _values(cda.document, path):
            yield finding(
                "KA-CDA-FRAME",
                f"the message's copy of the header has other {what} ({name}) than the document",
                f"/frame/{name}",
            )
    systems = [
        (r.get("codeSystem") or "", r.get("code") or "")
        for r in process.findall("h:reasonCode", _NS)
    ]
    for system, what in (
        (SERVICE_REQUEST_SYSTEM, "service request"),
        (USAGE_SITUATION_SYSTEM, "usage situation"),
    ):
        codes = [c for s, c in systems if s == system or s.startswith(system + ".")]
        if len(codes) != 1 or not codes[0]:
            yield finding(
                "KA-CDA-FRAME",
                f"the message must give exactly one {what} (reasonCode of code system "
                f"{system}), not {len(codes)}",
                "/frame/reasonCode",
            )
