"""Machine-readable JSON: tool, summary and every result with its findings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kanta_archive.findings import Finding, ValidationResult
from kanta_archive.reports.base import TOOL_NAME, Reporter, Summary


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON object every kanta-archive JSON report uses."""
    loc = finding.location
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "location": {
            "pointer": loc.pointer,
            "xpath": loc.xpath,
            "line": loc.line,
            "column": loc.column,
            **({"name": loc.name} if loc.name else {}),
        },
    }


def _result(result: ValidationResult) -> dict[str, Any]:
    return {
        "source": result.source,
        "format": result.format,
        "structure": result.structure,
        "document_oid": result.document_oid,
        "valid": result.valid,
        "findings": [finding_to_json(f) for f in result.findings],
    }


class JsonReporter(Reporter):
    """One JSON object: ``tool``, ``summary`` and ``results``, indented by 2, keys in order.

    Unknown values are ``null``; non-ASCII text is written as is (UTF-8).
    """

    name = "json"

    def render(
        self,
        results: Sequence[ValidationResult],
        *,
        tool_version: str,
        color: bool = False,
    ) -> str:
        s = Summary.of(results)
        report = {
            "tool": {"name": TOOL_NAME, "version": tool_version},
            "summary": {
                "documents": s.documents,
                "valid": s.valid,
                "invalid": s.invalid,
                "errors": s.errors,
                "warnings": s.warnings,
            },
            "results": [_result(r) for r in results],
        }
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
