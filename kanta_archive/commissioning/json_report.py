"""The commissioning-test report as JSON (for machines, and for Kela's records).

Deterministic: the same report gives the same bytes (keys in a fixed order, UTF-8, two-space
indentation, a final newline).
"""

from __future__ import annotations

import json
from typing import Any

from kanta_archive.commissioning.report import (
    CaseResult,
    CommissioningReport,
    CoverageRow,
    DocumentRecord,
)
from kanta_archive.reports.json_report import finding_to_json

#: Bumped when the shape of the JSON report changes incompatibly.
REPORT_FORMAT = "kanta-archive/commissioning-report/1"


def _document(record: DocumentRecord) -> dict[str, Any]:
    return {
        "source": record.source,
        "format": record.format,
        "document_oid": record.document_oid,
        "set_oid": record.set_oid,
        "version": record.version,
        "structure": {"oid": record.structure_oid, "version": record.structure_version},
        "valid": record.valid,
        "archived": record.archived,
        "archive_reason": record.archive_reason,
        "findings": [finding_to_json(f) for f in record.findings],
    }


def _case(case: CaseResult) -> dict[str, Any]:
    return {
        "id": case.id,
        "title": case.title,
        "checks": case.checks,
        "result": "passed" if case.passed else "failed",
        "passed": case.passed,
        "message": case.message,
        "steps": list(case.steps),
        "documents": [_document(d) for d in case.documents],
    }


def _coverage(row: CoverageRow) -> dict[str, Any]:
    return {
        "oid": row.oid,
        "name": row.name,
        "required": row.required,
        "required_version": row.required_version,
        "found_versions": list(row.found_versions),
        "documents": row.documents,
        "valid_documents": row.valid,
        "covered": row.covered,
    }


def report_to_dict(report: CommissioningReport) -> dict[str, Any]:
    """The report as plain JSON data."""
    passed = sum(1 for c in report.cases if c.passed)
    return {
        "report": REPORT_FORMAT,
        "result": "passed" if report.passed else "failed",
        "passed": report.passed,
        "organisation_oid": report.organisation_oid,
        "system": report.system,
        "tool": {"name": report.tool, "version": report.tool_version},
        "generated_at": report.generated_at,
        "folder": report.folder,
        "plan": {
            "name": report.plan_name,
            "description": report.plan_description,
            "source": report.plan_source,
        },
        "schemas": [
            {
                "oid": s.oid,
                "version": s.version,
                "title": s.title,
                "known": s.known,
                "documents": s.documents,
            }
            for s in report.schemas
        ],
        "summary": {
            "cases": len(report.cases),
            "passed": passed,
            "failed": len(report.cases) - passed,
            "documents": len(report.documents),
            "valid_documents": sum(1 for d in report.documents if d.valid),
        },
        "cases": [_case(c) for c in report.cases],
        "coverage": [_coverage(r) for r in report.coverage],
        "documents": [_document(d) for d in report.documents],
    }


def render_json(report: CommissioningReport) -> str:
    """The report as a JSON string."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"


__all__ = ["REPORT_FORMAT", "render_json", "report_to_dict"]
