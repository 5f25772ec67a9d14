"""Commissioning tests (käyttöönottokoe): run a declared test plan over the documents a
system produces and write a report for the provider, the vendor and Kela.

Typical use::

    from pathlib import Path
    from kanta_archive.commissioning import load_plan, run_commissioning, render_html

    report = run_commissioning(
        Path("out"), load_plan(), organisation_oid="1.2.246.10.91000013", system="X 4.2"
    )
    Path("report.html").write_text(render_html(report), encoding="utf-8")
"""

from __future__ import annotations

from kanta_archive.commissioning.html import render_html
from kanta_archive.commissioning.json_report import render_json, report_to_dict
from kanta_archive.commissioning.plan import (
    CASES,
    Plan,
    PlanError,
    StructureRequirement,
    load_plan,
    loads_plan,
)
from kanta_archive.commissioning.report import (
    CaseResult,
    CommissioningReport,
    CoverageRow,
    DocumentRecord,
    SchemaUse,
)
from kanta_archive.commissioning.runner import run_commissioning

__all__ = [
    "CASES",
    "CaseResult",
    "CommissioningReport",
    "CoverageRow",
    "DocumentRecord",
    "Plan",
    "PlanError",
    "SchemaUse",
    "StructureRequirement",
    "load_plan",
    "loads_plan",
    "render_html",
    "render_json",
    "report_to_dict",
    "run_commissioning",
]
