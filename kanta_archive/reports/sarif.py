"""SARIF 2.1.0 for code-scanning tools (valid against the OASIS ``sarif-schema-2.1.0.json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.reports.base import TOOL_NAME, Reporter

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def artifact_uri(source: str) -> str:
    """The source path as a URI reference: forward slashes, percent-encoded.

    Relative paths stay relative (``./`` is dropped); absolute paths become ``file://``
    URIs, since a bare absolute path is not a portable URI reference.
    """
    path = PurePosixPath(source.replace("\\", "/"))
    encoded = quote(path.as_posix(), safe="/")
    if path.is_absolute():
        return "file://" + encoded
    return encoded


def _location(source: str, finding: Finding) -> dict[str, Any]:
    loc = finding.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(source)}}
    if loc.line is not None:
        region: dict[str, int] = {"startLine": loc.line}
        if loc.column is not None:
            region["startColumn"] = loc.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    logical = []
    if loc.pointer:
        logical.append({"fullyQualifiedName": loc.pointer, "kind": "object"})
    if loc.xpath:
        logical.append({"fullyQualifiedName": loc.xpath, "kind": "element"})
    if logical:
        location["logicalLocations"] = logical
    return location


class SarifReporter(Reporter):
    """One SARIF run: ``tool.driver`` with one rule per finding code used, then the results.

    The SARIF levels are ``error``, ``warning`` and ``note`` (for info). A region is given
    only when the line is known. The JSON Pointer and the XPath are logical locations
    with the pointer or XPath as ``fullyQualifiedName``. A rule's short description is the
    message of the first finding with that code, as there is no rule catalogue to read yet.
    """

    name = "sarif"

    def render(
        self,
        results: Sequence[ValidationResult],
        *,
        tool_version: str,
        color: bool = False,
    ) -> str:
        from kanta_archive.catalogue import BY_CODE

        descriptions: dict[str, str] = {}
        for result in results:
            for finding in result.findings:
                # The catalogue describes the rule; a code outside it (none today) falls
                # back to its first message.
                info = BY_CODE.get(finding.code)
                descriptions.setdefault(finding.code, info.summary if info else finding.message)
        rule_ids = sorted(descriptions)
        rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
        rules = [
            {"id": rule_id, "shortDescription": {"text": descriptions[rule_id]}}
            for rule_id in rule_ids
        ]
        sarif_results = [
            {
                "ruleId": finding.code,
                "ruleIndex": rule_index[finding.code],
                "level": _LEVELS[finding.severity],
                "message": {"text": finding.message},
                "locations": [_location(result.source, finding)],
            }
            for result in results
            for finding in result.findings
        ]
        log = {
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [
                {
                    "tool": {
                        "driver": {"name": TOOL_NAME, "version": tool_version, "rules": rules}
                    },
                    "results": sarif_results,
                }
            ],
        }
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
